// glue.mjs — loads the freestanding memory64 module build-wasm64/mw64.wasm (web/wasm64/
// CMakeLists.txt) without any Emscripten runtime: one shared 64-bit WebAssembly.Memory, the
// module instantiated on it here and in threads-1 Web Workers (worker.mjs) that run the core's
// thread pool (web/freestanding/pool_wasm.c), each with its own stack and thread-locals
// (../shared/TOOLCHAIN.md §13.1). Needs a cross-origin-isolated page and a browser with
// memory64 (Chromium 133+, Firefox 134+); Node 20 cannot run it.
//
//   const mw = await createMw64({ bytes, threads: 2 });
//   mw.fn.mwj_loader_create(0, out)     every export; pointers / size_t as plain Numbers
//   const model = await mw.loadModel(chunks)      Uint8Array or (async) iterable of them
//
// Pool threads must have their workers started before a session asks for them, so `threads`
// is the most any session of this instance may use. Calls from the page's main thread work
// (the caller never atomic.waits), but block it: run the engine in a Worker in real use.
import { readModuleShape } from './signatures.mjs';

const PAGE = 65536;
const CHUNK = 4 << 20;                 // bytes copied into wasm memory per mw_loader_feed call
const WORKER_STACK = 4 << 20;          // each pool worker's own stack (the engine thread has 8 MiB)

export async function createMw64({ bytes, url, threads = 1, maximumBytes = 16 * 2 ** 30,
                                   abortPoll = () => false, startTimeoutMs = 20000 } = {}) {
  if (typeof WebAssembly.Memory !== 'function') throw new Error('no WebAssembly');
  if (!bytes) {
    if (!url) throw new Error('createMw64: pass bytes or url of mw64.wasm');
    const r = await fetch(url);
    if (!r.ok) throw new Error(`createMw64: ${url}: HTTP ${r.status}`);
    bytes = new Uint8Array(await r.arrayBuffer());
  }
  if (typeof SharedArrayBuffer === 'undefined')
    throw new Error('createMw64: SharedArrayBuffer is unavailable (the page must be cross-origin isolated: COOP/COEP)');
  const shape = readModuleShape(bytes);
  const module = await WebAssembly.compile(bytes);
  const initialPages = Math.max(1, shape.memoryPages); // the module's --initial-memory
  let memory;
  try {
    memory = new WebAssembly.Memory({ initial: BigInt(initialPages), maximum: BigInt(Math.floor(maximumBytes / PAGE)),
                                      shared: true, address: 'i64' });
  } catch (e) {
    throw new Error(`createMw64: this browser has no shared 64-bit memory (memory64): ${e.message}`);
  }
  const env = { memory, js_abort_poll: () => (abortPoll() ? 1 : 0) };
  const instance = await WebAssembly.instantiate(module, { env });
  const fn = wrapExports(instance.exports, shape.functions);
  const g = (name) => Number(instance.exports[name].value);
  // the engine thread runs on the linker's stack; its thread-locals need a block of their own
  initTls(fn, g('__tls_size'), g('__tls_align'));

  const workers = [];
  const terminate = () => { for (const w of workers) w.terminate(); workers.length = 0; };
  try {
    for (let tid = 1; tid < threads; tid++) {
      const stack = fn.malloc(WORKER_STACK);
      if (!stack) throw new Error('createMw64: out of memory for worker stacks');
      const w = new Worker(new URL('./worker.mjs', import.meta.url), { type: 'module', name: `mw64-pool-${tid}` });
      workers.push(w);
      const ready = new Promise((resolve, reject) => {
        w.onmessage = (e) => (e.data && e.data.error ? reject(new Error(`worker ${tid}: ${e.data.error}`)) : resolve());
        w.onerror = (e) => reject(new Error(`worker ${tid}: ${e.message || 'failed to start'}`));
      });
      w.postMessage({ module, memory, tid, stackTop: stack + WORKER_STACK });
      await ready;
    }
    const t0 = Date.now();
    while (fn.mw_wasm_workers_ready() < threads - 1) {
      if (Date.now() - t0 > startTimeoutMs) throw new Error('createMw64: pool workers did not start');
      await new Promise((r) => setTimeout(r, 2));
    }
  } catch (e) {
    terminate();
    throw e;
  }
  return new Mw64(instance, memory, fn, threads, terminate);
}

/** Every exported function, taking and returning Numbers where the wasm type is i64. */
export function wrapExports(exports, signatures) {
  const fn = {};
  for (const [name, sig] of signatures) {
    const f = exports[name];
    if (typeof f !== 'function') continue;
    if (!sig.i64Params.some(Boolean) && !sig.i64Result) { fn[name] = f; continue; }
    fn[name] = (...args) => {
      for (let i = 0; i < sig.i64Params.length; i++)
        if (sig.i64Params[i] && typeof args[i] !== 'bigint') args[i] = BigInt(args[i] ?? 0);
      const r = f(...args);
      return sig.i64Result ? Number(r) : r;
    };
  }
  return fn;
}

/** Give the calling instance its thread-locals (also used by worker.mjs). */
export function initTls(fn, size, align) {
  const block = fn.malloc(size + align);
  if (!block) throw new Error('out of memory for thread-locals');
  fn.__wasm_init_tls(Math.ceil(block / align) * align);
}

class Mw64 {
  constructor(instance, memory, fn, threads, terminate) {
    Object.assign(this, { instance, memory, fn, threads, terminate });
  }
  /** Bytes of wasm memory (grows as the allocator asks). */
  get byteLength() { return this.memory.buffer.byteLength; }
  /** Views are made per call: the shared buffer object is replaced when memory grows. */
  u8(ptr, n) { return new Uint8Array(this.memory.buffer, ptr, n); }
  i32(ptr, n) { return new Int32Array(this.memory.buffer, ptr, n); }
  f32(ptr, n) { return new Float32Array(this.memory.buffer, ptr, n); }
  u64(ptr) { return Number(new BigUint64Array(this.memory.buffer, ptr, 1)[0]); }
  malloc(n) {
    const p = this.fn.malloc(Math.max(1, n));
    if (!p) throw new Error(`wasm64: out of memory allocating ${n} bytes`);
    return p;
  }
  free(p) { this.fn.free(p); }
  cstring(ptr) {
    if (!ptr) return '';
    // windows, not one view of the whole memory: typed arrays past 2^32 elements are not
    // guaranteed in every engine
    const parts = [];
    for (let at = ptr; ; at += 4096) {
      const view = this.u8(at, Math.min(4096, this.byteLength - at));
      const end = view.indexOf(0);
      parts.push(view.slice(0, end < 0 ? view.length : end));
      if (end >= 0 || at + view.length >= this.byteLength) break;
    }
    return new TextDecoder().decode(parts.length === 1 ? parts[0] : new Uint8Array(parts.flatMap((p) => [...p])));
  }
  /** A NUL-terminated copy of s in wasm memory: { ptr, len } (free ptr when done). */
  string(s) {
    const b = new TextEncoder().encode(s);
    const ptr = this.malloc(b.length + 1);
    this.u8(ptr, b.length).set(b);
    this.u8(ptr + b.length, 1)[0] = 0;
    return { ptr, len: b.length };
  }
  /** Throw with mw_last_error() when a call returned a negative status. */
  check(status, what) {
    if (status < 0) throw new Error(`${what}: ${this.cstring(this.fn.mwj_status_name(status))}: ${this.cstring(this.fn.mwj_last_error())}`);
    return status;
  }
  /** Build a model from GGUF bytes: a Uint8Array or an (async) iterable of them (a download
   *  stream), copied into wasm memory in CHUNK pieces and fed to the push loader. Returns the
   *  mw_model pointer. */
  async loadModel(source, { memoryLimit = 0 } = {}) {
    const out = this.malloc(8), chunk = this.malloc(CHUNK);
    let loader = 0;
    try {
      this.check(this.fn.mwj_loader_create(memoryLimit, out), 'loader');
      loader = this.u64(out);
      const parts = source instanceof Uint8Array ? [source] : source;
      for await (const part of parts) {
        for (let off = 0; off < part.length; off += CHUNK) {
          const piece = part.subarray(off, Math.min(part.length, off + CHUNK));
          this.u8(chunk, piece.length).set(piece);
          this.check(this.fn.mwj_loader_feed(loader, chunk, piece.length), 'load');
        }
      }
      const l = loader;
      loader = 0; // finish frees it whatever happens
      this.check(this.fn.mwj_loader_finish(l, out), 'load');
      return this.u64(out);
    } finally {
      if (loader) this.fn.mwj_loader_free(loader);
      this.free(chunk);
      this.free(out);
    }
  }
  /** The model's mw_model_info as an object (web/api.c's JSON). */
  modelInfo(model) {
    const buf = this.malloc(4096);
    try {
      const len = this.check(this.fn.mwj_model_info_json(model, buf, 4096), 'model info');
      return JSON.parse(new TextDecoder().decode(this.u8(buf, len).slice()));
    } finally { this.free(buf); }
  }
  /** An mw_session pointer (kvType 0 = F32, 1 = F16; window 0 = the model's). */
  createSession(model, { nCtx = 0, threads = 1, window = 0, nBatch = 0, kvType = 0 } = {}) {
    const out = this.malloc(8);
    try {
      this.check(this.fn.mwj_session_create(model, nCtx, threads, window, nBatch, kvType, out), 'session');
      return this.u64(out);
    } finally { this.free(out); }
  }
  /** Token ids of text (MW_TOKENIZE_ADD_BOS = 1 by default). */
  tokenize(model, text, flags = 1) {
    const s = this.string(text), cap = s.len + 8, ids = this.malloc(4 * cap), n = this.malloc(4);
    try {
      this.check(this.fn.mwj_tokenize(model, s.ptr, s.len, flags, ids, cap, n), 'tokenize');
      return Array.from(this.i32(ids, this.i32(n, 1)[0]));
    } finally { this.free(s.ptr); this.free(ids); this.free(n); }
  }
}
