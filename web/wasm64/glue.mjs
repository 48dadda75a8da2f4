// glue.mjs — what is specific to the freestanding memory64 module build-wasm64/mw64.wasm
// (web/wasm64/CMakeLists.txt), which has no Emscripten runtime: one shared 64-bit
// WebAssembly.Memory, the module instantiated on it here and in threads-1 Web Workers
// (worker.mjs) that run the core's thread pool (web/freestanding/pool_wasm.c), each with its
// own stack and thread-locals (../shared/TOOLCHAIN.md §13.1). Everything else — models,
// loaders, sessions, samplers — is web/core.mjs's WasmCore, the one JS binding of every module.
// Needs shared memory (a cross-origin-isolated page, or a worker of one) and memory64
// (Chromium 133+, Firefox 134+); Node 20 cannot run it.
//
//   const core = await createMw64({ url: '/build-wasm64/mw64.wasm', threads: 2 });  // a WasmCore
//   (variant: 'wasm64-relaxed' names the core of mw64-relaxed.wasm: core.variant, engine.variant)
//   core.dispose()     stops the pool workers
//
// Pool threads must have their workers started before a session asks for them, so `threads`
// is the most any session of this instance may use. Calls from a page's main thread work (the
// caller never atomic.waits), but block it: the package runs the engine in a Worker, and this
// glue starts the pool workers from there (nested workers).
import { readModuleShape } from './signatures.mjs';
import { makeAbi, WasmCore } from '../core.mjs';

const PAGE = 65536;
const WORKER_STACK = 4 << 20;          // each pool worker's own stack (the engine thread has 8 MiB)
/** Chromium's and Firefox's memory64 limit, the module's --max-memory. */
export const MAX_MEMORY_BYTES = 16 * 2 ** 30;

export async function createMw64({ bytes, url, threads = 1, variant = 'wasm64', maximumBytes = MAX_MEMORY_BYTES, startTimeoutMs = 20000 } = {}) {
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
  let core = null;
  const env = { memory, mwb_abort_poll: () => (core ? core.pollAbort() : 0),
                mwb_source_read: (h, offset, dst, size) => (core ? core.sourceRead(h, offset, Number(dst), size) : -1) };
  const instance = await WebAssembly.instantiate(module, { env });
  const x = instance.exports;
  // the engine thread runs on the linker's stack; its thread-locals need a block of their own
  initTls(x);

  const workers = [];
  const terminate = () => { for (const w of workers) w.terminate(); workers.length = 0; };
  try {
    for (let tid = 1; tid < threads; tid++) {
      const stack = Number(x.mwb_alloc(BigInt(WORKER_STACK)));
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
    while (x.mw_wasm_workers_ready() < threads - 1) {
      if (Date.now() - t0 > startTimeoutMs) throw new Error('createMw64: pool workers did not start');
      await new Promise((r) => setTimeout(r, 2));
    }
  } catch (e) {
    terminate();
    throw e;
  }
  core = new WasmCore(makeAbi({ exports: x, memory, ptrBits: 64, dispose: terminate }), variant, threads);
  /** Task shares the pool workers have run (a test's proof that they took part). */
  core.poolWorkerRuns = () => x.mw_wasm_worker_runs();
  /** Shares the workers ran in one task of n shares that each wait for the others: n - 1 when
   *  every pool worker takes part (mw_wasm_pool_probe). */
  core.poolProbe = (n) => x.mw_wasm_pool_probe(n);
  /** The pool's counters since the module started (pool_wasm.c's mw_wasm_pool_counts): tasks,
   *  shares, worker_shares, seats_empty (a worker came late), caller_spins (the caller's wait
   *  loops after its own shares), worker_sleeps. */
  const countNames = (() => {   // pool_wasm.c's names, a C string
    const bytes = new Uint8Array(memory.buffer);
    const start = Number(x.mw_wasm_pool_count_names());
    return new TextDecoder().decode(bytes.slice(start, bytes.indexOf(0, start))).split(' ');
  })();
  core.poolCounts = () => {
    const p = x.mwb_alloc(BigInt(8 * countNames.length));
    try {
      const n = x.mw_wasm_pool_counts(p);
      const v = new BigInt64Array(memory.buffer, Number(p), n);
      return Object.fromEntries(countNames.map((k, i) => [k, Number(v[i])]));
    } finally { x.mwb_free(p); }
  };
  return core;
}

/** Give the calling instance its thread-locals (also used by worker.mjs). */
export function initTls(x) {
  const size = Number(x.__tls_size.value), align = Number(x.__tls_align.value);
  const block = Number(x.mwb_alloc(BigInt(size + align)));
  if (!block) throw new Error('out of memory for thread-locals');
  x.__wasm_init_tls(BigInt(Math.ceil(block / align) * align));
}
