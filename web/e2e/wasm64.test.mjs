// wasm64.test.mjs — the freestanding memory64 module (build-wasm64/mw64.wasm, built by
// `bash tools/test.sh wasm64` or `cmake -S web/wasm64 -B build-wasm64 && cmake --build
// build-wasm64`) in headless Chromium and Firefox through its own glue (web/wasm64/glue.mjs) and the shared
// binding web/core.mjs (WasmCore over the narrow boundary of web/exports.txt): shared 64-bit memory, pool workers with their own stacks and thread-locals, the bundled
// stories260K streamed in through the push loader. Checks llama.cpp's prompt logits (the
// module's own libm, core/mathf.c, in RoPE/softmax/SwiGLU) and greedy continuation with 1 and
// 2 threads, then the same with the model placed above 4 GiB, then the prompt logits of the
// reference set's small models (every weight type's kernels, MoE) against llama.cpp's in both
// modules, mw64.wasm and mw64-relaxed.wasm. Node 20 has no memory64
// (../shared/TOOLCHAIN.md §7), hence the browser. MW_BUILD_WASM64=<dir> tests another build.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO, BROWSERS, startServer, launchBrowser } from './harness.mjs';
import { GREEDY_IDS } from '../test-support/helpers.mjs';

const buildDir = path.resolve(REPO, process.env.MW_BUILD_WASM64 || 'build-wasm64');
const wasmMissing = !['mw64.wasm', 'mw64-relaxed.wasm'].every((f) => fs.existsSync(path.join(buildDir, f)));
// The wasm64 stage of tools/test.sh builds the module and sets MW_REQUIRE_WASM64=1: there a
// missing module fails. Elsewhere (the js stage without that build) the tests are skipped
// with the reason.
const noBuild = wasmMissing && !process.env.MW_REQUIRE_WASM64 &&
  `${buildDir}/mw64.wasm and mw64-relaxed.wasm not built (bash tools/test.sh wasm64 builds and tests them)`;
if (noBuild) console.log(`# SKIPPING wasm64 tests: ${noBuild}`);
const PROMPT_IDS = [1, 403, 407, 261, 378]; // "Once upon a time" with BOS (tests/cli.cmake)
const N_VOCAB = 512;
const refLogits = Array.from(new Float32Array(fs.readFileSync(
  path.join(REPO, 'tests/data/reference/stories260K.F32.logits.f32')).buffer.slice(0)));
const N_GEN = 48;
const REF_DIR = path.join(REPO, 'tests/data/reference');

// one suite per browser (the body is not indented, to keep the diff small)
for (const { engine, skipReason } of BROWSERS) describe(engine, () => {
const skip = skipReason || noBuild || false;
let server, browser;
before(async () => {
  if (skip || wasmMissing) return;
  server = await startServer({ extraArgs: ['--build-wasm64', buildDir] });
  browser = await launchBrowser({ engine });
  // tests/data/reference is not one of serve.mjs's folders: the browser gets it from here
  await browser.context.route('**/refdata/*', (route) => {
    const file = path.join(REF_DIR, path.basename(new URL(route.request().url()).pathname));
    if (!fs.existsSync(file)) return route.fulfill({ status: 404, body: 'not found' });
    return route.fulfill({ status: 200, contentType: 'application/octet-stream', body: fs.readFileSync(file) });
  });
  await browser.page.goto(`${server.origin}/web/e2e/wasm64.html`);
  await browser.page.waitForFunction(() => window.mw64PageReady === true, null, { timeout: 20000 });
});
after(async () => {
  if (browser) {
    if (process.env.MW_E2E_VERBOSE) console.log(browser.logs.join('\n'));
    await browser.close();
  }
  if (server) await server.close();
});

function requireBuild() {
  assert.ok(!wasmMissing, `${buildDir}/mw64.wasm or mw64-relaxed.wasm missing: build them first (bash tools/test.sh wasm64)`);
}

const check = (opts) => browser.page.evaluate((o) => window.mw64Check(o), {
  moduleUrl: '/build-wasm64/mw64.wasm', modelUrl: '/models/stories260K.gguf', prompt: 'Once upon a time',
  nGen: N_GEN, refLogits, ...opts,
});

function assertRuns(r, label) {
  assert.equal(r.crossOriginIsolated, true);
  assert.deepEqual(r.promptIds, PROMPT_IDS);
  assert.equal(r.info.n_vocab, N_VOCAB);
  assert.equal(r.info.rope_theta, 10000);
  assert.equal(r.info.weight_type_name, 'F32');
  for (const run of r.runs) {
    console.log(`${label}, ${run.threads} thread(s): decode ${run.decodeTokPerS.toFixed(0)} tok/s, prompt ` +
                `${run.promptMs.toFixed(1)} ms, max |logit - llama.cpp| ${run.maxLogitDiff.toExponential(2)}, ` +
                `worker task shares ${run.workerRuns}, probe ${run.probeRuns}`);
    assert.ok(run.maxLogitDiff <= 1e-4, `${run.threads} threads: logits within 1e-4 of llama.cpp (${run.maxLogitDiff})`);
    assert.deepEqual(run.ids, GREEDY_IDS.slice(0, N_GEN), `${run.threads} threads: llama.cpp's greedy ids`);
    // the probe's task cannot finish without every pool worker (the shares a tiny model's
    // matvecs hand out may all be done before a worker asleep in atomic.wait wakes)
    assert.equal(run.probeRuns, run.threads - 1, `${run.threads} threads: each pool worker ran one share of the probe`);
    if (run.threads === 1) assert.equal(run.workerRuns, 0);
    // the pool's counters (the bench harness reads them) saw that one task: inline on one thread
    const c = run.probeCounts;
    if (run.threads === 1) assert.deepEqual([c.tasks, c.shares, c.worker_shares], [0, 0, 0]);
    else assert.deepEqual([c.tasks, c.shares, c.worker_shares, c.seats_empty], [1, run.threads, run.threads - 1, 0], JSON.stringify(c));
  }
  assert.equal(r.tooManyThreads.code, 'invalid_argument');
  assert.match(r.tooManyThreads.error, /workers, but the page started/);
}

test('wasm64 module: llama.cpp logits and greedy ids with 1 and 2 threads', { skip, timeout: 120000 }, async () => {
  requireBuild();
  const r = await check({ threads: [1, 2] });
  console.log(`kernels ${r.kernels}, model streamed in ${r.loadMs.toFixed(0)} ms, memory ${r.memoryBytes} bytes`);
  assertRuns(r, 'low memory');
  assert.ok(r.probePtr < 2 ** 32);
});

test('wasm64 module: the same with the model above 4 GiB (memory grown past 4 GiB)', { skip, timeout: 120000 }, async () => {
  requireBuild();
  const dummyBytes = Math.round(4.1 * 2 ** 30);
  const r = await check({ threads: [1, 2], dummyBytes });
  console.log(`dummy block at ${r.dummyPtr}, allocations after the model at ${r.probePtr}, memory ${r.memoryBytes} bytes`);
  assert.ok(r.memoryBytes > dummyBytes, `memory grew past 4.1 GiB (${r.memoryBytes})`);
  assert.ok(r.probePtr > 2 ** 32, `allocated above 4 GiB (${r.probePtr})`);
  assertRuns(r, 'above 4 GiB');
});

// tolerances of tests/test_reference.c: F32 5e-4, F16/BF16 0.02, quantized 0.5 (llama.cpp
// quantizes activations differently); the last row's argmax must agree
const REF_MODELS = [['mistral-s.F32', 5e-4], ['mistral-s.BF16', 0.02], ['mistral-s.F16', 0.02],
  ['mistral-s.Q8_0', 0.5], ['mistral-s.Q4_0', 0.5], ['mistral-s.Q4_1', 0.5], ['mistral-s.Q5_0', 0.5],
  ['mistral-s.Q5_1', 0.5], ['mistral-s.Q2_K', 0.5], ['mistral-s.Q3_K_M', 0.5], ['mistral-s.Q4_K_M', 0.5],
  ['mistral-s.Q5_K_M', 0.5], ['mistral-s.Q6_K', 0.5], ['mixtral-s.Q4_K_M', 0.5], ['mixtral-s.F32', 5e-4]];

// both modules: mw64.wasm (SIMD128 kernels) and mw64-relaxed.wasm (relaxed-SIMD decode kernels,
// the module the package picks first in both browsers)
for (const [file, kernels] of [['mw64.wasm', 'simd128'], ['mw64-relaxed.wasm', 'simd128-relaxed']]) {
test(`${file}: prompt logits of the reference models (all weight types, MoE) vs llama.cpp, 2 threads`, { skip, timeout: 180000 }, async () => {
  requireBuild();
  const models = REF_MODELS.map(([name]) => ({
    url: `/refdata/${name}.gguf`,
    ids: JSON.parse(fs.readFileSync(path.join(REF_DIR, `${name}.prompt.json`), 'utf8')).ids,
  }));
  const r = await browser.page.evaluate((o) => window.mw64Logits(o), { moduleUrl: `/build-wasm64/${file}`, models, threads: 2 });
  assert.equal(r.kernels, kernels);
  const got = r.results;
  const argmax = (a, off, n) => { let b = 0; for (let i = 1; i < n; i++) if (a[off + i] > a[off + b]) b = i; return b; };
  const bad = [];
  for (let m = 0; m < REF_MODELS.length; m++) {
    const [name, tol] = REF_MODELS[m];
    const ref = new Float32Array(fs.readFileSync(path.join(REF_DIR, `${name}.logits.f32`)).buffer.slice(0));
    const { logits, nVocab } = got[m];
    assert.equal(logits.length, ref.length, `${name}: ${logits.length} logits vs ${ref.length}`);
    let max = 0;
    for (let i = 0; i < ref.length; i++) max = Math.max(max, Math.abs(logits[i] - ref[i]));
    const last = ref.length - nVocab, same = argmax(logits, last, nVocab) === argmax(ref, last, nVocab);
    console.log(`${file} ${name}: max |logit - llama.cpp| ${max.toExponential(2)} (tolerance ${tol}), last argmax ${same ? 'same' : 'DIFFERS'}`);
    if (!(max <= tol) || !same) bad.push(name);
  }
  assert.deepEqual(bad, [], 'every reference model within tolerance with the same argmax');
});
}
});
