// core.mjs — JS bindings over a browser module's exports: the mw_* API of core/include/mw.h
// and the few adapters of web/boundary.h (JSON info, packed chat messages, the abort hook,
// 64-bit values as doubles).
//
// One WasmCore per loaded module; Model, Loader, Session, Sampler and Detok wrap the C handles
// and turn every negative mw_status into a typed error (errors.mjs). Nothing here blocks on the
// network or on other threads: the caller (the engine worker, a benchmark page) drives
// everything. Used by worker.mjs, runner.mjs and load.mjs.
//
// The ABI layer: every call goes through core.fn.<C name>(...), built by makeAbi() from the
// signatures tools/gen_boundary.mjs derives from the headers (boundary.generated.mjs). Pointer
// and size_t values are plain Numbers on this side; makeAbi converts them for the module:
//   - wasm32 (Emscripten mw-mt / mw-st, loadCore below): Numbers both ways, pointer results
//     made unsigned;
//   - wasm64 (a freestanding memory64 module with its own glue): i64 = BigInt, so pointer and
//     size_t arguments go through BigInt() and results through Number().
// A wasm64 module plugs in like this (web/wasm64/glue.mjs does; loadCore({ variant: 'wasm64' | 'wasm64-relaxed' })
// calls it): instantiate it with the imports env.mwb_abort_poll = () => (core ? core.pollAbort()
// : 0) and env.mwb_source_read = (h, offset, dst, size) => core.sourceRead(h, offset,
// Number(dst), size), export every name of web/exports.txt and its memory, then
//   core = new WasmCore(makeAbi({ exports: instance.exports, memory, ptrBits: 64 }), 'wasm64', threads)
// Typed-array indices are p / 4, never p >> 2: wasm64 pointers pass 2^31.
// Pointers that C writes into memory (out-parameters, size_t *n_out) are read with readPtr(),
// which reads 4 or 8 bytes by ptrBits.
import { SIGNATURES, MW_ERR_ABORTED, MW_ERR_BUFFER_TOO_SMALL, MW_ERR_CONTEXT_FULL, MW_ERR_NO_MEMORY, MW_ERR_TOO_LARGE,
         MW_KV_F32, MW_KV_F16, MW_CHAT_AUTO, MW_CHAT_MISTRAL_V1, MW_CHAT_MISTRAL_V3, MW_CHAT_RAW,
         MW_TOKENIZE_ADD_BOS, MW_TOKENIZE_ADD_EOS, MW_TOKENIZE_PARSE_SPECIAL } from './boundary.generated.mjs';
import { errorFromStatus, InvalidArgumentError, MwError } from './errors.mjs';
import { isNode } from './env.mjs';
import { isWasm64, WASM64_FILES } from './variants.mjs';

const enc = new TextEncoder();
const dec = new TextDecoder();
const CHUNK = 1 << 20;          // bytes copied into wasm memory per mw_loader_feed call
const SLOT = 8;                 // out-parameter slots hold a pointer or size_t of either width

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

/**
 * The call table of a module: { fn: {C name: function}, buffer(), ptrBits, dispose() }.
 * exports: the module's functions by C name; memory: its WebAssembly.Memory (or a getter of the
 * current ArrayBuffer); ptrBits: 32 or 64.
 */
export function makeAbi({ exports, memory, ptrBits = 32, dispose = () => {} }) {
  const wide = ptrBits === 64;
  const fn = {};
  for (const [name, sig] of Object.entries(SIGNATURES)) {
    const raw = exports[name];
    if (typeof raw !== 'function') throw new MwError(`the wasm module does not export ${name}`);
    const [ret, args] = sig.split(':');
    const pArgs = [...args].flatMap((k, i) => (k === 'p' ? [i] : []));
    if (!wide) fn[name] = ret === 'p' ? (...a) => raw(...a) >>> 0 : raw;
    else fn[name] = (...a) => {
      for (const i of pArgs) a[i] = BigInt(a[i] ?? 0);
      const r = raw(...a);
      return ret === 'p' ? Number(r) : r;
    };
  }
  const buffer = typeof memory === 'function' ? memory : () => memory.buffer;
  return { fn, buffer, ptrBits, dispose };
}

/** The ABI of an Emscripten module (exports as Module._name). */
function emscriptenAbi(M) {
  const exports = {};
  for (const name of Object.keys(SIGNATURES)) exports[name] = M[`_${name}`];
  return makeAbi({ exports, ptrBits: 32, memory: () => (M.wasmMemory ? M.wasmMemory.buffer : M.HEAPU8.buffer),
                   dispose: () => { if (M.dispose) M.dispose(); } });
}

/** A wasm64 module (web/wasm64/glue.mjs) — mw64.wasm, or mw64-relaxed.wasm for 'wasm64-relaxed'
 *  (variants.mjs WASM64_FILES) — from moduleBase, else the package's dist/ or a checkout's
 *  build-wasm64/; threads sizes its pool. */
async function loadWasm64({ variant, threads, moduleBase }) {
  const { createMw64 } = await import('./wasm64/glue.mjs');
  const file = WASM64_FILES[variant];
  const urls = moduleBase ? [new URL(file, moduleBase)]
    : [new URL(file, PACKAGE_MODULES), new URL(`../build-wasm64/${file}`, import.meta.url)];
  for (let i = 0; ; i++) {
    const r = await fetch(urls[i]).catch((e) => ({ ok: false, status: e.message }));
    if (r.ok) return createMw64({ bytes: new Uint8Array(await r.arrayBuffer()), threads: Math.max(1, threads), variant });
    if (i + 1 === urls.length) throw new MwError(`the ${variant} module could not be fetched: ${urls.map(String).join(', ')}: ${r.status}`);
  }
}

/** Load mw-<variant>.mjs (Emscripten) or a wasm64 module and return a WasmCore. threads
 *  sizes the thread pool (mt and wasm64). */
export async function loadCore({ variant = 'st', threads = 1, moduleBase } = {}) {
  if (isWasm64(variant)) return loadWasm64({ variant, threads, moduleBase });
  const { default: factory } = await importModule(variant, moduleBase);
  const opts = variant === 'mt' ? { nThreads: Math.max(1, threads) } : {};
  const M = await factory(opts);
  const core = new WasmCore(emscriptenAbi(M), variant, variant === 'mt' ? Math.max(1, threads) : 1);
  M.mwAbortPoll = () => core.pollAbort();   // boundary.c's abort hook asks this
  M.mwSourceRead = (h, offset, dst, size) => core.sourceRead(h, offset, dst, size);   // and its source
  return core;
}

export class WasmCore {
  constructor(abi, variant, threads) {
    this.abi = abi;
    this.fn = abi.fn;
    this.ptrBytes = abi.ptrBits / 8;
    this.variant = variant;
    this.threads = threads;
    this.scratch = this.malloc(8 * SLOT);   // out-parameters: pointers, counts, sizes
    this.chunkPtr = 0;
    this.abortPoll = null;                  // () => boolean, polled by the C abort hook
    this.sources = new Map();               // handle → read(offset, Uint8Array) of openSource
    this.nextSource = 0;
    this.defaults = this.json((p, cap) => this.fn.mwb_defaults_json(p, cap));
  }

  /** 1 when the current request was aborted (the C abort hook's answer). */
  pollAbort() { return this.abortPoll && this.abortPoll() ? 1 : 0; }
  dispose() { this.abi.dispose(); }

  // ---- memory: always fresh views (memory may have grown, even from another thread) ----
  get buffer() { return this.abi.buffer(); }
  u8() { return new Uint8Array(this.buffer); }
  i32() { return new Int32Array(this.buffer); }
  f32() { return new Float32Array(this.buffer); }
  memoryBytes() { return this.buffer.byteLength; }

  malloc(n) {
    const p = this.fn.mwb_alloc(Math.max(1, n));
    if (!p) throw errorFromStatus(MW_ERR_NO_MEMORY, `out of wasm memory allocating ${n} bytes`);
    return p;
  }
  free(p) { if (p) this.fn.mwb_free(p); }

  /** The NUL-terminated UTF-8 string at ptr ('' for NULL). */
  cstr(ptr) {
    if (!ptr) return '';
    const h = this.u8();
    let end = ptr;
    while (h[end]) end++;
    return dec.decode(h.slice(ptr, end));
  }
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
    this.i32().set(ids, p / 4);
    return p;
  }
  readI32(p, n) { return Array.from(this.i32().subarray(p / 4, (p / 4) + n)); }
  /** A pointer or size_t that C wrote at p. */
  readPtr(p) {
    const v = new DataView(this.buffer, p, this.ptrBytes);
    return this.ptrBytes === 8 ? Number(v.getBigUint64(0, true)) : v.getUint32(0, true);
  }
  /** Address of out-parameter slot i, zeroed (a 4-byte write leaves a readable 8-byte value). */
  outPtr(i = 0) {
    const p = this.scratch + SLOT * i;
    this.u8().fill(0, p, p + SLOT);
    return p;
  }
  outI32(i = 0) { return this.i32()[(this.scratch + SLOT * i) / 4]; }
  outPtrValue(i = 0) { return this.readPtr(this.scratch + SLOT * i); }

  lastError() { return this.cstr(this.fn.mw_last_error()); }
  /** Throw the typed error for a negative status (no-op for 0). */
  check(st, what, opts) {
    if (st >= 0) return st;
    const msg = this.lastError() || this.cstr(this.fn.mw_status_name(st));
    throw errorFromStatus(st, what ? `${what}: ${msg}` : msg, opts);
  }

  version() { return this.cstr(this.fn.mw_version()); }
  kernels() { return this.cstr(this.fn.mw_kernels_name()); }
  typeName(t) { return this.cstr(this.fn.mw_type_name(t)); }

  createLoader({ memoryLimit = 0 } = {}) {
    this.check(this.fn.mwb_loader_create(memoryLimit, this.outPtr(0)), 'loader', { loading: true });
    if (!this.chunkPtr) this.chunkPtr = this.malloc(CHUNK);
    return new Loader(this, this.outPtrValue(0));
  }

  /**
   * A model read through a positional source (mw_model_open_source): read(offset, dst) fills
   * the Uint8Array dst (a view of wasm memory) from byte offset of the source and returns the
   * bytes written (Node: fs.readSync of a file); size: the source's bytes. expertCache > 0
   * (bytes): a Mixtral's experts stay in the source and are read into a cache of that many
   * bytes as tokens need them (mw_model_params.expert_cache_bytes): read must keep working
   * until the model is freed; then onFree() is called.
   */
  openSource({ read, size, memoryLimit = 0, expertCache = 0, onFree = () => {} }) {
    const handle = ++this.nextSource;
    this.sources.set(handle, read);
    let model;
    try {
      this.check(this.fn.mwb_model_open_source(handle, size, memoryLimit, expertCache, this.outPtr(0)), 'load', { loading: true });
      model = new Model(this, this.outPtrValue(0));
    } catch (e) {
      this.sources.delete(handle);
      throw e;
    }
    model.onFree = () => { this.sources.delete(handle); onFree(); };
    return model;
  }
  /** The C source's read (boundary.c mwb_source_read): bytes written at dst, < 0 on error (the
   *  core reports MW_ERR_IO; the reason is kept in sourceError). */
  sourceRead(handle, offset, dst, size) {
    const read = this.sources.get(handle);
    if (!read) return -1;
    try { return read(offset, new Uint8Array(this.buffer, dst, size)); } catch (e) {
      this.sourceError = e;
      return -1;
    }
  }

  /** JSON written by a boundary.c *_json adapter into a growing buffer. */
  json(fn) {
    for (let cap = 1024; ; cap *= 4) {
      const p = this.malloc(cap);
      try {
        const n = fn(p, cap);
        if (n === MW_ERR_BUFFER_TOO_SMALL && cap < (1 << 24)) continue;
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
    const c = this.core;
    for (let off = 0; off < bytes.length; off += CHUNK) {
      const part = bytes.subarray(off, Math.min(bytes.length, off + CHUNK));
      c.u8().set(part, c.chunkPtr);
      c.check(c.fn.mw_loader_feed(this.h, c.chunkPtr, part.length), 'load', { loading: true });
      this.fed += part.length;
    }
  }
  /** Announce the source's total size before feeding (a Content-Length, a File's size): the
   * core refuses a header that needs more (truncated) before it allocates any tensor data. */
  setSize(bytes) { this.core.check(this.core.fn.mwb_loader_set_size(this.h, bytes), 'load', { loading: true }); }
  /** Announce, before feeding, the session that will be created ({ nCtx (0 = default), threads,
   *  nBatch (0 = default), kvType }): the core's budget check as the header parses counts it, so
   *  a model + context over the budget is refused before any tensor data is allocated. */
  setSession({ nCtx = 0, threads = 1, nBatch = 0, kvType = 'f32' } = {}) {
    this.core.check(this.core.fn.mwb_loader_set_session(this.h, nCtx, threads, nBatch, kvTypeId(kvType)), 'load', { loading: true });
  }
  /** Total file size once the header has been parsed, else null. */
  headerReady() {
    const size = this.core.fn.mwb_loader_file_size(this.h);
    return size >= 0 ? size : null;
  }
  info() { return this.core.json((p, cap) => this.core.fn.mwb_loader_info_json(this.h, p, cap)); }
  /** The core's memory rule (mw_memory_check) for this model's header and the session that will
   *  be created ({ nCtx (0 = default), threads, nBatch (0 = default), kvType }) within
   *  memoryLimit bytes (0 = the address space): { fits, message (why not), weightBytes,
   *  sessionBytes, reserveBytes, totalBytes, limitBytes }. */
  memoryCheck({ nCtx = 0, threads = 1, nBatch = 0, kvType = 'f32' } = {}, memoryLimit = 0) {
    const c = this.core, sizes = c.outPtr(2);   // 6 doubles: slots 2..7
    const st = c.fn.mwb_loader_memory_check(this.h, nCtx, threads, nBatch, kvTypeId(kvType), memoryLimit, sizes);
    if (st < 0 && st !== MW_ERR_TOO_LARGE) c.check(st, 'load', { loading: true });
    const v = new Float64Array(c.buffer.slice(sizes, sizes + 48));
    return { fits: st === 0, message: st ? c.lastError() : '', weightBytes: v[0], sessionBytes: v[1],
             reserveBytes: v[2], totalBytes: v[3], limitBytes: v[4], nCtx: v[5] };
  }
  /** Build the model (the loader is consumed whatever the outcome). */
  finish() {
    const c = this.core, h = this.h;
    this.h = 0;
    c.check(c.fn.mw_loader_finish(h, c.outPtr(0)), 'load', { loading: true });
    return new Model(c, c.outPtrValue(0));
  }
  free() { if (this.h) this.core.fn.mw_loader_free(this.h); this.h = 0; }
}

/** Chat formats by name (mw.h mw_chat_format). */
export const CHAT_FORMATS = Object.freeze({ auto: MW_CHAT_AUTO, mistral_v1: MW_CHAT_MISTRAL_V1,
                                            mistral_v3: MW_CHAT_MISTRAL_V3, raw: MW_CHAT_RAW });
/** KV cache element types (mw.h MW_KV_F32 / MW_KV_F16): 'f16' halves the cache. */
export const KV_TYPES = Object.freeze({ f32: MW_KV_F32, f16: MW_KV_F16 });
function kvTypeId(kvType) {
  if (typeof kvType !== 'string' || !Object.hasOwn(KV_TYPES, kvType))
    throw new InvalidArgumentError(`kvType must be 'f32' or 'f16', not ${JSON.stringify(kvType)}`);
  return KV_TYPES[kvType];
}
export const TOKENIZE = Object.freeze({ ADD_BOS: MW_TOKENIZE_ADD_BOS, ADD_EOS: MW_TOKENIZE_ADD_EOS,
                                        PARSE_SPECIAL: MW_TOKENIZE_PARSE_SPECIAL });

export class Model {
  constructor(core, h) {
    this.core = core;
    this.h = h;
    this.info = core.json((p, cap) => core.fn.mwb_model_info_json(h, p, cap));
  }
  get nVocab() { return this.info.n_vocab; }
  get nEmbd() { return this.info.n_embd; }
  bos() { return this.core.fn.mw_token_bos(this.h); }
  eos() { return this.core.fn.mw_token_eos(this.h); }
  isEog(id) { return this.core.fn.mw_token_is_eog(this.h, id) !== 0; }
  tokenText(id) { const p = this.core.fn.mw_token_text(this.h, id); return p ? this.core.cstr(p) : null; }
  chatFormat() { return this.core.fn.mw_chat_format_detect(this.h); }

  /** ids of text; flags: MW_TOKENIZE_* bits. */
  tokenize(text, flags = TOKENIZE.ADD_BOS) {
    const c = this.core;
    const [tp, len] = c.putString(text);
    try {
      return this.#readIds(len + 8, (out, cap) => c.fn.mw_tokenize(this.h, tp, len, flags, out, cap, c.outPtr(2)));
    } finally { c.free(tp); }
  }

  /** ids of a conversation formatted with the model's chat template (format: CHAT_FORMATS).
   *  Messages may carry tool_calls (OpenAI's array) and tool_call_id; tools: OpenAI's tools
   *  array, or null. Tools need a format that renders them natively (toolCallsToken >= 0). */
  chatTokenize(messages, format = CHAT_FORMATS.auto, tools = null) {
    const c = this.core;
    const packed = messages.map((m) => `${m.role}\0${m.content ?? ''}\0` +
      `${m.tool_calls ? JSON.stringify(m.tool_calls) : ''}\0${m.tool_call_id ?? ''}\0`).join('');
    const [pp, len] = c.putString(packed);
    const [tp] = tools ? c.putString(JSON.stringify(tools)) : [0];
    try {
      return this.#readIds(len + 16 * messages.length + 16,
        (out, cap) => c.fn.mwb_chat_tokenize(this.h, format, pp, messages.length, tp, out, cap, c.outPtr(2)));
    } finally { c.free(pp); if (tp) c.free(tp); }
  }

  /** The [TOOL_CALLS] control id when format renders tools natively (Mistral v3), else -1. */
  toolCallsToken(format = CHAT_FORMATS.auto) { return this.core.fn.mw_chat_tool_calls_token(this.h, format); }

  #readIds(cap, call) {
    const c = this.core;
    for (;;) {
      const out = c.malloc(4 * cap);
      try {
        const st = call(out, cap);
        if (st === MW_ERR_BUFFER_TOO_SMALL) { cap = Math.max(c.outI32(2), cap * 2); continue; }
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
          const st = c.fn.mw_detokenize(this.h, ip, ids.length, out, cap, c.outPtr(2));
          if (st === MW_ERR_BUFFER_TOO_SMALL) { cap = Math.max(c.outPtrValue(2) + 1, cap * 2); continue; }
          c.check(st, 'detokenize');
          return dec.decode(c.u8().slice(out, out + c.outPtrValue(2)));
        } finally { c.free(out); }
      }
    } finally { c.free(ip); }
  }

  tensors() {
    const c = this.core, n = c.fn.mw_model_tensor_count(this.h);
    const list = [];
    for (let i = 0; i < n; i++) list.push(c.json((p, cap) => c.fn.mwb_tensor_info_json(this.h, i, p, cap)));
    return list;
  }

  /** Streamed experts' counters (mw_model_expert_stats), zeros when they are resident:
   *  { expert_hits, expert_misses, expert_bytes_read, expert_cache_bytes, expert_cache_budget,
   *    expert_predicted, expert_predicted_used } (the picks made ahead by the next layer's router). */
  expertStats() {
    const c = this.core;
    const e = c.json((p, cap) => c.fn.mwb_expert_stats_json(this.h, p, cap));
    return { expert_hits: e.hits, expert_misses: e.misses, expert_bytes_read: e.bytes_read, expert_cache_bytes: e.cache_bytes,
             expert_cache_budget: e.budget_bytes, expert_predicted: e.predicted, expert_predicted_used: e.predicted_used };
  }
  free() {
    if (this.h) this.core.fn.mw_model_free(this.h);
    this.h = 0;
    if (this.onFree) { const f = this.onFree; this.onFree = null; f(); }
  }
}

export class Session {
  /** nCtx tokens of context (0 = the engine's default); threads incl. the caller; window: 0 =
   *  model's, <0 off; nBatch; kvType 'f32' | 'f16' (KV_TYPES). */
  constructor(model, { nCtx = 0, threads = 1, window = 0, nBatch = 0, kvType = 'f32' } = {}) {
    const c = model.core;
    this.core = c;
    this.model = model;
    this.kvType = kvType;
    c.check(c.fn.mwb_session_create(model.h, nCtx, threads, window, nBatch, kvTypeId(kvType), c.outPtr(0)), 'session',
            { loading: true });
    this.h = c.outPtrValue(0);
    this.nCtx = c.fn.mw_session_n_ctx(this.h);
    /** the sliding window in effect: 0 = the cache holds the whole context (it fills) */
    this.window = c.fn.mw_session_window(this.h);
  }
  get nPast() { return this.core.fn.mw_session_n_past(this.h); }
  /** bytes of this session's KV cache (both K and V, every layer) */
  get kvBytes() { return this.core.fn.mwb_session_kv_bytes(this.h); }
  tokens() {
    const n = this.nPast;
    const p = this.core.fn.mw_session_tokens(this.h);
    return n && p ? this.core.readI32(p, n) : [];
  }
  /** Evaluate ids; returns { status } with 0, MW_ERR_ABORTED or MW_ERR_CONTEXT_FULL (throws on
   *  others). out: 'logits' → data: Float32Array [n][n_vocab]; 'embd' → [n][n_embd]. */
  eval(ids, out) {
    const c = this.core;
    if (!ids.length) return { status: 0 };
    const ip = c.putI32(ids);
    const width = out === 'embd' ? this.model.nEmbd : out === 'logits' ? this.model.nVocab : 0;
    const op = width ? c.malloc(4 * width * ids.length) : 0;
    try {
      const st = out === 'embd' ? c.fn.mw_session_eval_embd(this.h, ip, ids.length, op)
                                : c.fn.mw_session_eval(this.h, ip, ids.length, op);
      if (st !== MW_ERR_ABORTED && st !== MW_ERR_CONTEXT_FULL) c.check(st, 'eval');
      const res = { status: st, message: st ? c.lastError() : '' };
      if (!st && op) res.data = c.f32().slice(op / 4, (op / 4) + width * ids.length);
      return res;
    } finally { c.free(ip); c.free(op); }
  }
  logits() {
    const p = this.core.fn.mw_session_logits(this.h);
    return this.core.f32().slice(p / 4, (p / 4) + this.model.nVocab);
  }
  /** Add bias[i][1] to the last logits row at id bias[i][0] in place (-100 bans: -Infinity). */
  biasLogits(bias) {
    const base = this.core.fn.mw_session_logits(this.h) >> 2, f = this.core.f32();
    for (const [id, b] of bias) f[base + id] = b <= -100 ? -Infinity : f[base + id] + b;
  }
  truncate(nKeep) { this.core.check(this.core.fn.mw_session_truncate(this.h, nKeep), 'truncate'); }
  reset() { this.core.fn.mw_session_reset(this.h); }
  free() { if (this.h) this.core.fn.mw_session_free(this.h); this.h = 0; }
}

export class Sampler {
  /** Options as mw_sampler_params; any left out (or null) take the engine's default
   *  (mw_sampler_params_default). No seed: a random one. */
  constructor(model, opts = {}) {
    const c = model.core;
    this.core = c;
    const o = { ...c.defaults.sampler };
    for (const [k, v] of Object.entries(opts)) if (v !== undefined && v !== null && k in o) o[k] = v;
    const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 32);
    c.check(c.fn.mwb_sampler_create(o.temperature, o.top_k, o.top_p, o.min_p, o.repeat_penalty, o.frequency_penalty,
                                    o.presence_penalty, o.penalty_last_n, seed, model.nVocab, c.outPtr(0)), 'sampler');
    this.h = c.outPtrValue(0);
  }
  /** The next id from the session's last logits row. */
  sample(session) { return this.core.fn.mw_sampler_sample(this.h, this.core.fn.mw_session_logits(session.h)); }
  accept(id) { this.core.fn.mw_sampler_accept(this.h, id); }
  /** Mask with a Constraint from now on (null detaches); the sampler does not own it. */
  setConstraint(c) { this.core.check(this.core.fn.mw_sampler_set_constraint(this.h, c ? c.h : 0), 'constraint'); }
  reset() { this.core.fn.mw_sampler_reset(this.h); }
  free() { if (this.h) this.core.fn.mw_sampler_free(this.h); this.h = 0; }
}

/** A JSON constraint (mw_constraint_create_json): schema text, or null for any JSON object;
 *  maxBytes bounds the document. A bad schema throws InvalidArgumentError with the C message. */
export class Constraint {
  constructor(model, schema, maxBytes) {
    const c = model.core;
    this.core = c;
    const [sp, len] = schema == null ? [0, 0] : c.putString(schema);
    try {
      const st = c.fn.mw_constraint_create_json(model.h, sp, len, maxBytes, c.outPtr(0));
      // an unenforceable keyword is the request's fault too, not the model's
      if (st < 0 && st !== MW_ERR_NO_MEMORY) throw new InvalidArgumentError(`schema: ${c.lastError()}`);
    } finally { c.free(sp); }
    this.h = c.outPtrValue(0);
  }
  /** Advance past a sampled id; returns true once the document is complete. */
  accept(id) {
    this.core.check(this.core.fn.mw_constraint_accept(this.h, id), 'constraint');
    return this.core.fn.mw_constraint_done(this.h) !== 0;
  }
  free() { if (this.h) this.core.fn.mw_constraint_free(this.h); this.h = 0; }
}

/** Streaming detokenizer: push ids, get only complete UTF-8 text back. */
export class Detok {
  constructor(model) {
    const c = model.core;
    this.core = c;
    c.check(c.fn.mw_detok_create(model.h, c.outPtr(0)), 'detok');
    this.h = c.outPtrValue(0);
    this.cap = 256;
    this.buf = c.malloc(this.cap);
  }
  #call(fn) {
    const c = this.core;
    for (;;) {
      const st = fn(this.buf, this.cap);
      if (st === MW_ERR_BUFFER_TOO_SMALL) {
        c.free(this.buf);
        this.cap = Math.max(this.cap * 2, c.outPtrValue(3) + 1);
        this.buf = c.malloc(this.cap);
        continue;
      }
      c.check(st, 'detok');
      return dec.decode(c.u8().slice(this.buf, this.buf + c.outPtrValue(3)));
    }
  }
  push(id) { return this.#call((b, cap) => this.core.fn.mw_detok_push(this.h, id, b, cap, this.core.outPtr(3))); }
  flush() { return this.#call((b, cap) => this.core.fn.mw_detok_flush(this.h, b, cap, this.core.outPtr(3))); }
  reset() { this.core.fn.mw_detok_reset(this.h); }
  free() { if (this.h) { this.core.fn.mw_detok_free(this.h); this.core.free(this.buf); } this.h = 0; }
}

export { MwError };
