// worker.mjs — one thread of the wasm64 module's pool (glue.mjs starts threads-1 of them):
// instantiate the shared module on the shared memory, take the stack the glue allocated and
// thread-locals of its own, say ready, then run pool tasks forever (mw_wasm_worker_run sleeps
// in memory.atomic.wait32 between them). The glue terminates the worker.
import { initTls } from './glue.mjs';

self.onmessage = async (e) => {
  const { module, memory, tid, stackTop } = e.data;
  try {
    // pool threads never run a session, so the abort hook is never asked here
    const instance = await WebAssembly.instantiate(module, { env: { memory, mwb_abort_poll: () => 0, mwb_source_read: () => -1 } });
    const x = instance.exports;
    x.__stack_pointer.value = BigInt(stackTop);
    initTls(x);
    self.postMessage({ ready: tid });
    x.mw_wasm_worker_run(tid); // never returns
  } catch (err) {
    self.postMessage({ error: String(err && err.message || err) });
  }
};
