// core.mjs — JS bindings over the Emscripten module's C export layer (web/api.c).
//
// One WasmCore per loaded module (build-web/mw-mt.mjs or mw-st.mjs); Model, Loader, Session,
// Sampler and Detok wrap the C handles and turn every negative mw_status into a typed error
// (errors.mjs). Nothing here blocks on the network or on other threads: the caller (the engine
// worker, or the Node CLI) drives everything. Used by worker.mjs and mw.mjs.
import { errorFromStatus, InvalidArgumentError, MW_STATUS, MwError } from './errors.mjs';
import { isNode } from './env.mjs';

const enc = new TextEncoder();
const dec = new TextDecoder();
const CHUNK = 1 << 20;          // bytes copied into wasm memory per mw_loader_feed call

// Where the Emscripten modules live unless the caller says otherwise: the package's own dist/
// (an installed package: npm pack's prepack copies them there), else build-web/ of a checkout.
// Node looks; a browser cannot, so it tries dist/ first and falls back to build-web/.
const PACKAGE_MODULES = new URL('./dist/', import.meta.url).href;
const REPO_MODULES = new URL('../build-web/', import.meta.url).href;
const nodeFs = isNode ? await import('node:fs') : null;
export const DEFAULT_MODULE_BASE = !nodeFs || nodeFs.existsSync(new URL('mw-st.mjs', PACKAGE_MODULES))
  ? PACKAGE_MODULES : REPO_MODULES;

/** Import mw-<variant>.mjs from moduleBase, or from the default place(s). */
async function importModule(variant, moduleBase) {
  const bases = moduleBase ? [moduleBase] : nodeFs ? [DEFAULT_MODULE_BASE] : [PACKAGE_MODULES, REPO_MODULES];
  for (let i = 0; ; i++) {
    const base = bases[i].endsWith('/') ? bases[i] : bases[i] + '/';
    try { return await import(new URL(`mw-${variant}.mjs`, base).href); } catch (e) { if (i + 1 === bases.length) throw e; }
  }
}

/** Load mw-<variant>.mjs and return a WasmCore. threads sizes the pthread pool (mt only). */
export async function loadCore({ variant = 'st', threads = 1, moduleBase } = {}) {
  const { default: factory } = await importModule(variant, moduleBase);
  const opts = variant === 'mt' ? { nThreads: Math.max(1, threads) } : {};
  const M = await factory(opts);
  return new WasmCore(M, variant, variant === 'mt' ? Math.max(1, threads) : 1);
}

export class WasmCore {
  constructor(M, variant, threads) {
    this.M = M;
    this.variant = variant;
    this.threads = threads;
    this.scratch = this.malloc(64);   // out-parameters: pointers, counts, sizes
    this.chunkPtr = 0;
    this.abortPoll = null;            // () => boolean, polled by the C abort hook
    M.mwAbortPoll = () => (this.abortPoll ? !!this.abortPoll() : false);
  }

  // ---- memory: always fresh views (memory may have grown, even from another thread) ----
  get buffer() { return this.M.wasmMemory ? this.M.wasmMemory.buffer : this.M.HEAPU8.buffer; }
  u8() { return new Uint8Array(this.buffer); }
  i32() { return new Int32Array(this.buffer); }
  f32() { return new Float32Array(this.buffer); }
  f64() { return new Float64Array(this.buffer); }
  memoryBytes() { return this.buffer.byteLength; }

  malloc(n) {
    const p = this.M._malloc(Math.max(1, n)) >>> 0;
    if (!p) throw errorFromStatus(MW_STATUS.NO_MEMORY, `out of wasm memory allocating ${n} bytes`);
    return p;
  }
  free(p) { if (p) this.M._free(p); }

  cstr(ptr) { return ptr ? this.M.UTF8ToString(ptr >>> 0) : ''; }
  /** Copy a JS string into a fresh NUL-terminated buffer; returns [ptr, byteLength]. */
  putString(s) {
    const bytes = enc.encode(s);
    const p = this.malloc(bytes.length + 1);
    const h = this.u8();
    h.set(bytes, p);
    h[p + bytes.length] = 0;
    return [p, bytes.length];
  }
  putI32(ids) {
    const p = this.malloc(4 * ids.length);
    this.i32().set(ids, p >> 2);
    return p;
  }
  readI32(p, n) { return Array.from(this.i32().subarray(p >> 2, (p >> 2) + n)); }
  outPtr(i = 0) { return this.scratch + 8 * i; }           // 8-byte slots
  outI32(i = 0) { return this.i32()[(this.scratch + 8 * i) >> 2]; }
  outU32(i = 0) { return this.i32()[(this.scratch + 8 * i) >> 2] >>> 0; }
  outF64(i = 0) { return this.f64()[(this.scratch + 8 * i) >> 3]; }

  lastError() { return this.cstr(this.M._mwj_last_error()); }
  /** Throw the typed error for a negative status (no-op for 0). */
  check(st, what, opts) {
    if (st >= 0) return st;
    const msg = this.lastError() || this.cstr(this.M._mwj_status_name(st));
    throw errorFromStatus(st, what ? `${what}: ${msg}` : msg, opts);
  }

  version() { return this.cstr(this.M._mwj_version()); }
  kernels() { return this.cstr(this.M._mwj_kernels_name()); }
  typeName(t) { return this.cstr(this.M._mwj_type_name(t)); }

  createLoader({ memoryLimit = 0 } = {}) {
    this.check(this.M._mwj_loader_create(memoryLimit, this.outPtr(0)), 'loader', { loading: true });
    if (!this.chunkPtr) this.chunkPtr = this.malloc(CHUNK);
    return new Loader(this, this.outU32(0));
  }

  /** JSON written by an api.c *_json export into a growing buffer. */
  json(fn) {
    for (let cap = 1024; ; cap *= 4) {
      const p = this.malloc(cap);
      try {
        const n = fn(p, cap);
        if (n === MW_STATUS.BUFFER_TOO_SMALL && cap < (1 << 24)) continue;
        this.check(n);
        return JSON.parse(dec.decode(this.u8().slice(p, p + n)));
      } finally { this.free(p); }
    }
  }
}

export class Loader {
  constructor(core, h) { this.core = core; this.h = h; this.fed = 0; }
  /** Copy a chunk (any size) into wasm memory piece by piece and feed the push loader. */
  feed(bytes) {
    const c = this.core, M = c.M;
    for (let off = 0; off < bytes.length; off += CHUNK) {
      const part = bytes.subarray(off, Math.min(bytes.length, off + CHUNK));
      c.u8().set(part, c.chunkPtr);
      c.check(M._mwj_loader_feed(this.h, c.chunkPtr, part.length), 'load', { loading: true });
      this.fed += part.length;
    }
  }
  /** Total file size once the header has been parsed, else null. */
  headerReady() {
    const c = this.core;
    return c.M._mwj_loader_header_ready(this.h, c.outPtr(1)) ? c.outF64(1) : null;
  }
  info() { return this.core.json((p, cap) => this.core.M._mwj_loader_info_json(this.h, p, cap)); }
  sessionBytes(nCtx, kvType = 'f32') { return this.core.M._mwj_loader_session_bytes(this.h, nCtx, kvTypeId(kvType)); }
  /** Build the model (the loader is consumed whatever the outcome). */
  finish() {
    const c = this.core, h = this.h;
    this.h = 0;
    c.check(c.M._mwj_loader_finish(h, c.outPtr(0)), 'load', { loading: true });
    return new Model(c, c.outU32(0));
  }
  free() { if (this.h) this.core.M._mwj_loader_free(this.h); this.h = 0; }
}

export const CHAT_FORMATS = { auto: 0, mistral_v1: 1, mistral_v3: 2, raw: 3 };
/** KV cache element types (mw.h MW_KV_F32 / MW_KV_F16): 'f16' halves the cache. */
export const KV_TYPES = { f32: 0, f16: 1 };
function kvTypeId(kvType) {
  if (typeof kvType !== 'string' || !Object.hasOwn(KV_TYPES, kvType))
    throw new InvalidArgumentError(`kvType must be 'f32' or 'f16', not ${JSON.stringify(kvType)}`);
  return KV_TYPES[kvType];
}
export const TOKENIZE = { ADD_BOS: 1, ADD_EOS: 2, PARSE_SPECIAL: 4 };

export class Model {
  constructor(core, h) {
    this.core = core;
    this.h = h;
    this.info = core.json((p, cap) => core.M._mwj_model_info_json(h, p, cap));
  }
  get nVocab() { return this.info.n_vocab; }
  get nEmbd() { return this.info.n_embd; }
  bos() { return this.core.M._mwj_token_bos(this.h); }
  eos() { return this.core.M._mwj_token_eos(this.h); }
  isEog(id) { return this.core.M._mwj_token_is_eog(this.h, id) !== 0; }
  tokenText(id) { const p = this.core.M._mwj_token_text(this.h, id) >>> 0; return p ? this.core.cstr(p) : null; }
  sessionBytes(nCtx, kvType = 'f32') { return this.core.M._mwj_model_session_bytes(this.h, nCtx, kvTypeId(kvType)); }
  chatFormat() { return this.core.M._mwj_chat_format_detect(this.h); }

  /** ids of text; flags: MW_TOKENIZE_* bits. */
  tokenize(text, flags = TOKENIZE.ADD_BOS) {
    const c = this.core;
    const [tp, len] = c.putString(text);
    try {
      return this.#readIds(len + 8, (out, cap) => c.M._mwj_tokenize(this.h, tp, len, flags, out, cap, c.outPtr(2)));
    } finally { c.free(tp); }
  }

  /** ids of a conversation formatted with the model's chat template (format: CHAT_FORMATS). */
  chatTokenize(messages, format = CHAT_FORMATS.auto) {
    const c = this.core;
    const packed = messages.map((m) => `${m.role}\0${m.content ?? ''}\0`).join('');
    const [pp, len] = c.putString(packed);
    try {
      return this.#readIds(len + 16 * messages.length + 16,
        (out, cap) => c.M._mwj_chat_tokenize(this.h, format, pp, messages.length, out, cap, c.outPtr(2)));
    } finally { c.free(pp); }
  }

  #readIds(cap, call) {
    const c = this.core;
    for (;;) {
      const out = c.malloc(4 * cap);
      try {
        const st = call(out, cap);
        if (st === MW_STATUS.BUFFER_TOO_SMALL) { cap = Math.max(c.outI32(2), cap * 2); continue; }
        c.check(st, 'tokenize');
        return c.readI32(out, c.outI32(2));
      } finally { c.free(out); }
    }
  }

  detokenize(ids) {
    const c = this.core;
    const ip = c.putI32(ids);
    try {
      for (let cap = 16 * ids.length + 64; ;) {
        const out = c.malloc(cap);
        try {
          const st = c.M._mwj_detokenize(this.h, ip, ids.length, out, cap, c.outPtr(2));
          if (st === MW_STATUS.BUFFER_TOO_SMALL) { cap = Math.max(c.outU32(2) + 1, cap * 2); continue; }
          c.check(st, 'detokenize');
          return dec.decode(c.u8().slice(out, out + c.outU32(2)));
        } finally { c.free(out); }
      }
    } finally { c.free(ip); }
  }

  tensors() {
    const c = this.core, n = c.M._mwj_model_tensor_count(this.h);
    const list = [];
    for (let i = 0; i < n; i++) list.push(c.json((p, cap) => c.M._mwj_model_tensor_json(this.h, i, p, cap)));
    return list;
  }

  free() { if (this.h) this.core.M._mwj_model_free(this.h); this.h = 0; }
}

export class Session {
  /** nCtx tokens of context; threads incl. the caller; window: 0 = model's, <0 off; nBatch;
   *  kvType 'f32' | 'f16' (KV_TYPES). */
  constructor(model, { nCtx, threads = 1, window = 0, nBatch = 0, kvType = 'f32' } = {}) {
    const c = model.core;
    this.core = c;
    this.model = model;
    this.nCtx = nCtx;
    this.kvType = kvType;
    c.check(c.M._mwj_session_create(model.h, nCtx, threads, window, nBatch, kvTypeId(kvType), c.outPtr(0)), 'session',
            { loading: true });
    this.h = c.outU32(0);
  }
  get nPast() { return this.core.M._mwj_session_n_past(this.h); }
  /** bytes of this session's KV cache (both K and V, every layer) */
  get kvBytes() { return this.core.M._mwj_session_kv_bytes(this.h); }
  tokens() {
    const n = this.nPast;
    const p = this.core.M._mwj_session_tokens(this.h) >>> 0;
    return n && p ? this.core.readI32(p, n) : [];
  }
  /** Evaluate ids; returns the mw_status (0, ABORTED or CONTEXT_FULL; throws on others).
   *  out: 'logits' → Float32Array [n][n_vocab]; 'embd' → [n][n_embd]. */
  eval(ids, out) {
    const c = this.core;
    if (!ids.length) return { status: 0 };
    const ip = c.putI32(ids);
    const width = out === 'embd' ? this.model.nEmbd : out === 'logits' ? this.model.nVocab : 0;
    const op = width ? c.malloc(4 * width * ids.length) : 0;
    try {
      const st = out === 'embd' ? c.M._mwj_session_eval_embd(this.h, ip, ids.length, op)
                                : c.M._mwj_session_eval(this.h, ip, ids.length, op);
      if (st !== MW_STATUS.ABORTED && st !== MW_STATUS.CONTEXT_FULL) c.check(st, 'eval');
      const res = { status: st, message: st ? c.lastError() : '' };
      if (!st && op) res.data = c.f32().slice(op >> 2, (op >> 2) + width * ids.length);
      return res;
    } finally { c.free(ip); c.free(op); }
  }
  logits() {
    const p = this.core.M._mwj_session_logits(this.h) >>> 0;
    return this.core.f32().slice(p >> 2, (p >> 2) + this.model.nVocab);
  }
  truncate(nKeep) { this.core.check(this.core.M._mwj_session_truncate(this.h, nKeep), 'truncate'); }
  reset() { this.core.M._mwj_session_reset(this.h); }
  free() { if (this.h) this.core.M._mwj_session_free(this.h); this.h = 0; }
}

export class Sampler {
  constructor(model, { temperature = 0.7, top_k = 40, top_p = 0.95, min_p = 0.05, repeat_penalty = 1,
                       frequency_penalty = 0, presence_penalty = 0, penalty_last_n = 64, seed } = {}) {
    const c = model.core;
    this.core = c;
    if (seed === undefined || seed === null) seed = Math.floor(Math.random() * 2 ** 32);
    c.check(c.M._mwj_sampler_create(temperature, top_k, top_p, min_p, repeat_penalty, frequency_penalty,
                                    presence_penalty, penalty_last_n, seed, model.nVocab, c.outPtr(0)), 'sampler');
    this.h = c.outU32(0);
  }
  sample(session) { return this.core.M._mwj_sampler_sample(this.h, session.h); }
  accept(id) { this.core.M._mwj_sampler_accept(this.h, id); }
  reset() { this.core.M._mwj_sampler_reset(this.h); }
  free() { if (this.h) this.core.M._mwj_sampler_free(this.h); this.h = 0; }
}

/** Streaming detokenizer: push ids, get only complete UTF-8 text back. */
export class Detok {
  constructor(model) {
    const c = model.core;
    this.core = c;
    c.check(c.M._mwj_detok_create(model.h, c.outPtr(0)), 'detok');
    this.h = c.outU32(0);
    this.cap = 256;
    this.buf = c.malloc(this.cap);
  }
  #call(fn) {
    const c = this.core;
    for (;;) {
      const st = fn(this.buf, this.cap);
      if (st === MW_STATUS.BUFFER_TOO_SMALL) {
        c.free(this.buf);
        this.cap = Math.max(this.cap * 2, c.outU32(3) + 1);
        this.buf = c.malloc(this.cap);
        continue;
      }
      c.check(st, 'detok');
      return dec.decode(c.u8().slice(this.buf, this.buf + c.outU32(3)));
    }
  }
  push(id) { return this.#call((b, cap) => this.core.M._mwj_detok_push(this.h, id, b, cap, this.core.outPtr(3))); }
  flush() { return this.#call((b, cap) => this.core.M._mwj_detok_flush(this.h, b, cap, this.core.outPtr(3))); }
  reset() { this.core.M._mwj_detok_reset(this.h); }
  free() { if (this.h) { this.core.M._mwj_detok_free(this.h); this.core.free(this.buf); } this.h = 0; }
}

export { MwError };
