// relaxed.page.mjs — the in-page half of relaxed.test.mjs: window.mwKernelCheck(opts)
// instantiates one wasm64 module (mw64.wasm or mw64-relaxed.wasm) on the main thread with the
// least it needs (a shared 64-bit memory, every imported function a no-op returning 0, the
// engine thread's thread-locals; one thread, so no workers), runs web/wasm64/kernels_selftest.c's
// mw_kernels_selftest (matmul_rows of every quantized type against the scalar oracle: the
// number of results that differ) and, when asked, times mw_kernels_bench (decode matvecs,
// nTok 1; prefill matmuls, nTok > 1).
const PAGE = 65536;

async function instantiate(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  const module = await WebAssembly.compile(await r.arrayBuffer());
  const memory = new WebAssembly.Memory({ initial: BigInt((64 << 20) / PAGE), maximum: BigInt((16 * 2 ** 30) / PAGE),
                                          shared: true, address: 'i64' });
  const imports = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    imports[imp.module] ??= {};
    imports[imp.module][imp.name] = imp.kind === 'memory' ? memory : () => 0;
  }
  const { exports } = await WebAssembly.instantiate(module, imports);
  const size = Number(exports.__tls_size.value), align = Number(exports.__tls_align.value);
  const block = Number(exports.mwb_alloc(BigInt(size + align)));
  exports.__wasm_init_tls(BigInt(Math.ceil(block / align) * align));
  const cstring = (ptr) => {
    const u8 = new Uint8Array(memory.buffer, Number(ptr));
    return new TextDecoder().decode(u8.slice(0, u8.indexOf(0)));
  };
  return { exports, cstring };
}

// One instance per module, kept: calls after the first run the optimized code (V8 tiers a
// function up for its next call, so a fresh instance would time Liftoff's baseline code).
const instances = new Map();

// skipSelftest: timing only (tools/bench/kernels_ab.mjs)
window.mwKernelCheck = async ({ moduleUrl, bench = [], skipSelftest = false }) => {
  if (!instances.has(moduleUrl)) instances.set(moduleUrl, await instantiate(moduleUrl));
  const { exports, cstring } = instances.get(moduleUrl);
  const out = { kernels: cstring(exports.mw_kernels_selftest_set()), bench: [] };
  const t0 = performance.now();
  if (!skipSelftest) out.mismatches = exports.mw_kernels_selftest();
  out.selftestMs = performance.now() - t0;
  // each case: best of `rounds` calls of `reps` matmuls against nTok tokens; GB/s of weight
  // bytes streamed (per pass over the weight) and G multiply-adds per second
  for (const { type, name, rowBytes, nRows, n, nTok = 1, reps, rounds } of bench) {
    // first, untimed: the weight and activations are made and kept for the timed calls
    if (exports.mw_kernels_bench(type, nRows, n, nTok, 0) === -1) throw new Error('mw_kernels_bench: out of memory');
    let best = Infinity;
    for (let k = 0; k < rounds; k++) {
      const t1 = performance.now();
      const sum = exports.mw_kernels_bench(type, nRows, n, nTok, reps);
      if (sum === -1) throw new Error('mw_kernels_bench: out of memory');
      best = Math.min(best, performance.now() - t1);
    }
    const seconds = best / 1000;
    out.bench.push({ name, nTok, gbPerS: (rowBytes * nRows * reps) / seconds / 1e9,
                     gmacPerS: (nRows * n * nTok * reps) / seconds / 1e9 });
  }
  return out;
};
window.mwKernelPageReady = true;
