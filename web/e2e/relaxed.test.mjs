// relaxed.test.mjs — the kernel sets of both wasm64 modules (build-wasm64/mw64.wasm: SIMD128,
// mw64-relaxed.wasm: relaxed SIMD; built by `bash tools/test.sh wasm64`) checked where they
// run, in headless Chromium and Firefox (harness BROWSERS): each module's mw_kernels_selftest (web/wasm64/kernels_selftest.c:
// matmul_rows of every quantized weight type and F16 / BF16, as loaded and repacked, 1-33 tokens, against
// the scalar oracle) must find 0 differing results. Relaxed SIMD can't be checked in Node 20
// (no memory64, and it computes relaxed_dot wrongly: ../shared/TOOLCHAIN.md §8, §13); natively
// test_kernels checks the same kernels through MW_SIMDE_RELAXED. MW_KERNEL_BENCH=1 also prints decode GB/s and prefill (64 tokens) G multiply-adds/s
// of both modules (informational; tools/bench/kernels_ab.mjs compares two builds). MW_BUILD_WASM64=<dir>
// tests another build.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO, BROWSERS, startServer, launchBrowser } from './harness.mjs';

const buildDir = path.resolve(REPO, process.env.MW_BUILD_WASM64 || 'build-wasm64');
const MODULES = [{ file: 'mw64.wasm', kernels: 'simd128' }, { file: 'mw64-relaxed.wasm', kernels: 'simd128-relaxed' }];
const missing = MODULES.filter((m) => !fs.existsSync(path.join(buildDir, m.file))).map((m) => m.file);
// As wasm64.test.mjs: the wasm64 stage (MW_REQUIRE_WASM64=1) fails on a missing module, elsewhere skipped
const noBuild = missing.length && !process.env.MW_REQUIRE_WASM64 &&
  `${missing.join(', ')} not built in ${buildDir} (bash tools/test.sh wasm64 builds them)`;
if (noBuild) console.log(`# SKIPPING kernel self-tests: ${noBuild}`);

// decode: 4096 x 4096 weights against one token (weight bytes per row for the GB/s); prefill:
// 1024 x 4096 against 64 tokens
const BENCH_TYPES = [
  { type: 2, name: 'Q4_0', rowBytes: 4096 / 32 * 18 },
  { type: 8, name: 'Q8_0', rowBytes: 4096 / 32 * 34 },
  { type: 12, name: 'Q4_K', rowBytes: 4096 / 256 * 144 },
  { type: 14, name: 'Q6_K', rowBytes: 4096 / 256 * 210 },
  { type: 10, name: 'Q2_K', rowBytes: 4096 / 256 * 84 },
  { type: 11, name: 'Q3_K', rowBytes: 4096 / 256 * 110 },
  { type: 13, name: 'Q5_K', rowBytes: 4096 / 256 * 176 },
  { type: 3, name: 'Q4_1', rowBytes: 4096 / 32 * 20 },
  { type: 6, name: 'Q5_0', rowBytes: 4096 / 32 * 22 },
  { type: 7, name: 'Q5_1', rowBytes: 4096 / 32 * 24 },
  { type: 1, name: 'F16', rowBytes: 4096 * 2 },
  { type: 30, name: 'BF16', rowBytes: 4096 * 2 },
];
const BENCH = process.env.MW_KERNEL_BENCH ? [
  ...BENCH_TYPES.map((b) => ({ ...b, nRows: 4096, n: 4096, nTok: 1, reps: 20, rounds: 5 })),
  ...BENCH_TYPES.map((b) => ({ ...b, nRows: 1024, n: 4096, nTok: 64, reps: 2, rounds: 5 })),
] : [];

// one suite per browser (the body is not indented, to keep the diff small)
for (const { engine, skipReason } of BROWSERS) describe(engine, () => {
const skip = skipReason || noBuild || false;
let server, browser;
before(async () => {
  if (skip || missing.length) return;
  server = await startServer();
  browser = await launchBrowser({ engine });
  // serve.mjs serves no build-wasm64/: the page gets the two modules from here
  await browser.context.route('**/kernels-wasm/*', (route) => {
    const file = path.basename(new URL(route.request().url()).pathname);
    if (!MODULES.some((m) => m.file === file)) return route.fulfill({ status: 404, body: 'not found' });
    return route.fulfill({ status: 200, contentType: 'application/wasm', body: fs.readFileSync(path.join(buildDir, file)) });
  });
  await browser.page.goto(`${server.origin}/web/e2e/relaxed.html`);
  await browser.page.waitForFunction(() => window.mwKernelPageReady === true, null, { timeout: 20000 });
});
after(async () => {
  if (browser) {
    if (process.env.MW_E2E_VERBOSE) console.log(browser.logs.join('\n'));
    await browser.close();
  }
  if (server) await server.close();
});

for (const m of MODULES) {
  test(`${m.file}: kernel set '${m.kernels}' bit-identical to the scalar oracle in ${engine}`, { skip, timeout: 300000 },
    async () => {
      assert.ok(!missing.includes(m.file), `${buildDir}/${m.file} missing: build it first (bash tools/test.sh wasm64)`);
      const r = await browser.page.evaluate((o) => window.mwKernelCheck(o),
        { moduleUrl: `/kernels-wasm/${m.file}`, bench: BENCH });
      console.log(`# ${engine} ${m.file}: ${r.kernels}, ${r.mismatches} mismatches, self-test ${r.selftestMs.toFixed(0)} ms` +
        r.bench.map((b) => (b.nTok === 1 ? `; ${b.name} decode ${b.gbPerS.toFixed(1)} GB/s`
          : `; ${b.name} prefill x${b.nTok} ${b.gmacPerS.toFixed(1)} GMAC/s`)).join(''));
      assert.equal(r.kernels, m.kernels);
      assert.equal(r.mismatches, 0, 'matmul_rows results that differ from the scalar oracle');
    });
}
});
