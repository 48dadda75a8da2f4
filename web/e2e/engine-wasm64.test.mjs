// engine-wasm64.test.mjs — module selection and the wasm64 modules through the real package in
// headless Chromium and Firefox (each of the harness's BROWSERS; web/e2e/engine-wasm64.html): in
// a cross-origin-isolated page the package picks 'wasm64-relaxed' by itself (both browsers
// validate memory64 and relaxed SIMD) and loads mw64-relaxed.wasm; createEngine({ variant:
// 'wasm64' }) (the engine in a Worker, its pool threads nested workers of it) streams the bundled
// model in from a URL and from a Blob and gives llama.cpp's greedy text, and so does the relaxed
// module; without isolation it picks 'st' and a forced wasm64 module is an UnsupportedError.
// Needs build-wasm64/mw64.wasm and mw64-relaxed.wasm (bash tools/test.sh wasm64); the 'st'
// engine run also needs build-web/ (the js stage has it; the wasm64 stage skips that part).
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO, BROWSERS, startServer, launchBrowser } from './harness.mjs';
import { BUILD_WEB, GREEDY_48, modulesBuilt } from '../test-support/helpers.mjs';

const buildDir = path.resolve(REPO, process.env.MW_BUILD_WASM64 || 'build-wasm64');
const wasmMissing = !['mw64.wasm', 'mw64-relaxed.wasm'].every((f) => fs.existsSync(path.join(buildDir, f)));
const whyNot = wasmMissing && !process.env.MW_REQUIRE_WASM64 &&
  `${buildDir}/mw64.wasm and mw64-relaxed.wasm not built (bash tools/test.sh wasm64 builds and tests them)`;
if (whyNot) console.log(`# SKIPPING engine-wasm64 tests: ${whyNot}`);

const open = [];
after(async () => { for (const c of open.reverse()) await c.close(); });

async function page(isolation, engine) {
  assert.ok(!wasmMissing, `${buildDir}/mw64.wasm or mw64-relaxed.wasm missing: build them first (bash tools/test.sh wasm64)`);
  const server = await startServer({ isolation, extraArgs: ['--build-web', BUILD_WEB, '--build-wasm64', buildDir] });
  open.push(server);
  const browser = await launchBrowser({ engine });
  open.push(browser);
  // the wasm64 modules the engine worker fetches (worker requests show up at the context)
  browser.modules = [];
  browser.context.on('request', (r) => {
    const m = /\/(mw64(-relaxed)?\.wasm)$/.exec(r.url());
    if (m) browser.modules.push(m[1]);
  });
  await browser.page.goto(`${server.origin}/web/e2e/engine-wasm64.html`);
  await browser.page.waitForFunction(() => window.enginePageReady === true, null, { timeout: 20000 });
  return browser;
}
const MODEL = '/models/stories260K.gguf';

// one suite per browser (the body is not indented, to keep the diff small)
for (const { engine, skipReason } of BROWSERS) describe(engine, () => {
const skip = skipReason || whyNot || false;

test('isolated page: the package picks wasm64-relaxed; it and a forced wasm64 give llama.cpp\'s greedy text from a URL and a Blob', { skip, timeout: 180000 }, async () => {
  const browser = await page(true, engine);
  const sel = await browser.page.evaluate(() => window.selection());
  console.log(`selection: ${JSON.stringify(sel)}`);
  assert.equal(sel.crossOriginIsolated, true);
  assert.equal(sel.memory64, true);
  assert.equal(sel.relaxedSimd, true, 'the browser validates relaxed SIMD (the probe for wasm64-relaxed)');
  assert.equal(sel.chosen, 'wasm64-relaxed');

  const forced = await browser.page.evaluate((o) => window.engineRun(o), { model: MODEL, variant: 'wasm64', threads: 2 });
  assert.ok(!forced.error, `${forced.error}\n${browser.logs.join('\n')}`);
  console.log(`forced: ${forced.variant}, ${forced.threads} threads, kernels ${forced.kernels}, phases ${forced.phases}`);
  assert.equal(forced.variant, 'wasm64');
  assert.equal(forced.threads, 2);
  assert.equal(forced.text, GREEDY_48);

  assert.equal(forced.kernels, 'simd128');

  browser.modules.length = 0;
  const auto = await browser.page.evaluate((o) => window.engineRun(o), { model: MODEL, asBlob: true });
  assert.ok(!auto.error, `${auto.error}\n${browser.logs.join('\n')}`);
  auto.modules = [...new Set(browser.modules)];
  console.log(`auto: ${auto.variant}, ${auto.threads} threads, kernels ${auto.kernels}, modules fetched ${auto.modules}`);
  assert.equal(auto.variant, 'wasm64-relaxed', 'picked without being asked');
  assert.equal(auto.kernels, 'simd128-relaxed', 'the relaxed module\'s kernel set');
  assert.deepEqual(auto.modules, ['mw64-relaxed.wasm'], 'only the relaxed module was fetched (no fallback)');
  assert.equal(auto.text, GREEDY_48);
  assert.ok(auto.phases.includes('read'), auto.phases.join());
});

test('without isolation: the package picks st; a forced wasm64 module is an UnsupportedError', { skip, timeout: 120000 }, async () => {
  const browser = await page(false, engine);
  const sel = await browser.page.evaluate(() => window.selection());
  assert.equal(sel.crossOriginIsolated, false);
  assert.equal(sel.chosen, 'st');
  assert.match(sel.wasm64Reason, /cross-origin isolated/);
  for (const variant of ['wasm64-relaxed', 'wasm64']) {
    const forced = await browser.page.evaluate((o) => window.engineRun(o), { model: MODEL, variant });
    assert.equal(forced.code, 'unsupported', JSON.stringify(forced));
    assert.match(forced.error, /COOP\/COEP/);
  }
  if (!modulesBuilt()) { console.log(`# the st engine run needs ${BUILD_WEB}: skipped`); return; }
  const auto = await browser.page.evaluate((o) => window.engineRun(o), { model: MODEL });
  assert.ok(!auto.error, auto.error);
  assert.equal(auto.variant, 'st');
  assert.equal(auto.text, GREEDY_48);
});
});
