// expert-cache.test.mjs — streamed Mixtral experts in headless Chromium and Firefox
// (createEngine's expertCache in a browser; the Node runs are in web/test/expert-cache.test.mjs):
// the model is put into OPFS (a picked File copied in, phase 'copy'; a URL downloaded into it,
// phase 'download'; later loads reuse the copy, phase 'cache') and the engine worker reads the
// experts through a FileSystemSyncAccessHandle into its cache. For the Mixtral reference models
// at three budgets (one expert = info.expert_max_bytes, one layer's experts, all of them), in
// the threaded wasm32 module and (when built) both wasm64 modules: the greedy text and the
// top-5 logprobs of every generated token equal the resident load's bit for bit, and
// engine.stats's counters are consistent (the same expert uses at every budget; one expert:
// every use a miss; all: the warm run only hits; bytes read = misses x the expert's bytes).
// Refusals: bytes or an unstored download with expertCache, a budget below one expert, and a
// picked file that is no GGUF (its copy is deleted). Skipped (never passed) where a browser is
// missing; the wasm64 part where build-wasm64/ is not built.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BROWSERS, launchBrowser } from './harness.mjs';
import { startPackageServer } from './package-server.mjs';
import { REPO, BUILD_WASM64, requireModules } from '../test-support/helpers.mjs';

const REF_DIR = path.join(REPO, 'tests/data/reference');
const MODELS = ['F32', 'Q8_0', 'Q4_0', 'Q4_K_M'].map((q) => `mixtral-s.${q}`);
// skipped when not built, unless MW_REQUIRE_WASM64 (then the load fails the test)
const wasm64Missing = !process.env.MW_REQUIRE_WASM64 &&
  !['mw64.wasm', 'mw64-relaxed.wasm'].every((f) => fs.existsSync(path.join(BUILD_WASM64, f))) &&
  `${BUILD_WASM64}/mw64.wasm and mw64-relaxed.wasm not built (bash tools/test.sh wasm64)`;
if (wasm64Missing) console.log(`# SKIPPING the wasm64 expert-cache test: ${wasm64Missing}`);
const ref = (name, kind) => JSON.parse(fs.readFileSync(path.join(REF_DIR, `${name}.${kind}.json`), 'utf8'));

const PAGE = '<!doctype html><meta charset="utf-8"><title>expert cache</title>' +
  '<script type="module" src="/web/e2e/expert-cache.page.mjs"></script>';
const routes = { '/expert.html': (req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE) };
for (const name of MODELS) {
  const body = fs.readFileSync(path.join(REF_DIR, `${name}.gguf`));
  routes[`/ref/${name}.gguf`] = (req, res) => res.writeHead(200, {
    'content-type': 'application/octet-stream', 'content-length': body.length, etag: `"${name}"` }).end(body);
}

/** The checks of one model's expertRun result; first: the phase the first streamed load shows
 *  ('copy' for a File, 'download' for a URL, 'cache' when an earlier test stored it). */
function check(name, r, { variant, first }) {
  const label = `${variant} ${name}`;
  assert.ok(!r.error, `${label}: ${r.error}`);
  const { resident, streamed } = r;
  assert.equal(resident.variant, variant);
  const want = resident.runs[0];
  assert.equal(resident.runs[1].text, want.text, `${label}: resident runs agree`);
  const z = resident.runs[1].stats;
  assert.deepEqual([z.expert_hits, z.expert_misses, z.expert_bytes_read, z.expert_cache_bytes], [0, 0, 0, 0], `${label}: resident counts nothing`);
  const greedy = ref(name, 'greedy');
  console.log(`${label}: ${JSON.stringify(want.text.slice(0, 24))}..., llama.cpp's greedy text ${want.text === greedy.text ? 'equal' : 'differs (quantized kernels)'}`);
  if (name.endsWith('F32')) assert.equal(want.text, greedy.text, `${label}: llama.cpp's greedy text`);

  const { expert_max_bytes: one, n_expert: nExpert, n_layer: nLayer, expert_bytes: all } = resident.info;
  const slots = nLayer * nExpert, uniform = all === slots * one;
  let uses = null;
  for (const s of streamed) {
    const at = `${label} budget ${s.budget} (${s.expertCache} bytes)`;
    assert.equal(s.variant, variant);
    for (const [i, run] of s.runs.entries()) {
      assert.equal(run.text, want.text, `${at} run ${i}: the resident text`);
      assert.deepEqual(run.logprobs, want.logprobs, `${at} run ${i}: the resident logprobs, bit for bit`);
    }
    const [a, b] = s.runs.map((x) => x.stats);
    console.log(`${at}: cold ${a.expert_hits} hits ${a.expert_misses} misses ${a.expert_bytes_read} bytes, ` +
                `warm ${b.expert_hits - a.expert_hits} hits ${b.expert_misses - a.expert_misses} misses; phases ${s.phases}`);
    uses ??= a.expert_hits + a.expert_misses;
    assert.ok(uses > 0, at);
    assert.equal(a.expert_hits + a.expert_misses, uses, `${at}: the same expert uses at every budget`);
    assert.equal(b.expert_hits + b.expert_misses, 2 * uses, `${at}: the second run uses them again`);
    for (const st of [a, b]) {
      assert.equal(st.expert_cache_budget, s.expertCache, at);
      assert.ok(st.expert_cache_bytes > 0 && st.expert_cache_bytes <= s.expertCache, `${at}: ${JSON.stringify(st)}`);
      // each miss reads one expert's three slices
      if (uniform) assert.equal(st.expert_bytes_read, st.expert_misses * one, `${at}: bytes read = misses x ${one}`);
      else assert.ok(st.expert_bytes_read > 0 && st.expert_bytes_read <= st.expert_misses * one, `${at}: ${JSON.stringify(st)}`);
    }
    if (s.budget === 'one') {
      assert.equal(b.expert_hits, 0, `${at}: one expert's room: every use reads`);
    } else if (s.budget === 'layer') {
      assert.ok(a.expert_misses > 0 && a.expert_misses <= uses, at);
    } else {
      assert.ok(a.expert_misses > 0 && a.expert_misses <= slots, `${at}: each expert read at most once`);
      assert.equal(b.expert_misses, a.expert_misses, `${at}: warm: no more reads`);
      assert.equal(b.expert_hits, a.expert_hits + uses, `${at}: warm: every use hits`);
      if (a.expert_misses === slots) assert.equal(a.expert_bytes_read, all, `${at}: every expert read once: info.expert_bytes`);
    }
  }
  // the model went into OPFS once: the first streamed load stored it, the others reused it
  assert.ok(streamed[0].phases.includes(first), `${label}: ${streamed[0].phases}`);
  for (const s of streamed.slice(1)) {
    assert.ok(s.phases.includes('cache') && !s.phases.includes('copy') && !s.phases.includes('download'), `${label}: ${s.phases}`);
  }
  if (first === 'copy') {
    const c = streamed[0].copied;
    assert.ok(c.length >= 2 && c.at(-1)[0] === c.at(-1)[1] && c.at(-1)[1] === fs.statSync(path.join(REF_DIR, `${name}.gguf`)).size,
              `${label}: copy progress to the file's size: ${JSON.stringify(c)}`);
  }
}

/** window[fn](arg) in the page, polled rather than awaited in one protocol call, so a call that
 *  does not come back within ms fails with the page's last steps (expertTrace) and console
 *  instead of a bare protocol timeout. That trace found the Firefox hang of this file (one run
 *  in 4–7): createEngine's start of the threaded module in a new engine worker never answered,
 *  which createEngine now detects and retries in a new worker. */
async function pageCall(browser, fn, arg, ms = 150_000) {
  const { page } = browser;
  await page.evaluate(([f, a]) => { window.expertDone = null; window[f](a).then((r) => { window.expertDone = { r }; }); }, [fn, arg]);
  for (const t0 = Date.now(); Date.now() - t0 < ms;) {
    const done = await page.evaluate(() => window.expertDone);
    if (done) return done.r;
    await new Promise((r) => setTimeout(r, 200));
  }
  const steps = await page.evaluate(() => window.expertTrace.slice(-12));
  throw new Error(`${fn} did not come back in ${ms} ms; the page's last steps:\n${steps.join('\n')}\n` +
                  `console:\n${browser.logs.slice(-20).join('\n')}`);
}

const runModel = (browser, name, o) => pageCall(browser, 'expertRun', {
  url: `/ref/${name}.gguf`, prompt: ref(name, 'prompt').text, maxTokens: ref(name, 'greedy').n_gen, ...o });

for (const { engine, skipReason } of BROWSERS) describe(engine, () => {
const skip = skipReason || false;
let server, browser;
before(async () => {
  if (skip) return;
  requireModules();
  server = await startPackageServer(routes, { isolation: true });
  browser = await launchBrowser({ engine, network: false });
  await browser.page.goto(`${server.origin}/expert.html`);
  await browser.page.waitForFunction(() => window.expertPageReady === true, null, { timeout: 20000 });
});
after(async () => {
  if (browser) await browser.close();
  if (server) await server.close();
});

test('mt module: every Mixtral reference model picked as a File, copied into OPFS, three budgets', { skip, timeout: 600_000 }, async () => {
  for (const name of MODELS) {
    const r = await runModel(browser, name, { asFile: true, variant: 'mt', threads: 2 });
    if (r.error) console.log(browser.logs.join('\n'));
    check(name, r, { variant: 'mt', first: 'copy' });
  }
});

test('wasm64 modules: Q4_K_M and F32 by URL, downloaded into OPFS, three budgets', { skip: skip || wasm64Missing, timeout: 600_000 }, async () => {
  for (const [variant, name, first] of [['wasm64-relaxed', 'mixtral-s.Q4_K_M', 'download'], ['wasm64-relaxed', 'mixtral-s.F32', 'download'],
                                        ['wasm64', 'mixtral-s.Q4_K_M', 'cache']]) {
    const r = await runModel(browser, name, { variant, threads: 2 });
    if (r.error) console.log(browser.logs.join('\n'));
    check(name, r, { variant, first });
  }
});

test('refused: bytes, a download kept out of OPFS, a budget below one expert, a picked file that is no GGUF (its copy deleted)', { skip, timeout: 120_000 }, async () => {
  const err = (o) => pageCall(browser, 'expertError', { variant: 'mt', ...o }, 60_000);
  const url = '/ref/mixtral-s.Q4_0.gguf';
  let r = await err({ url, bytes: true, expertCache: 1 << 20 });
  assert.equal(r.name, 'InvalidArgumentError', JSON.stringify(r));
  assert.match(r.error, /expertCache needs the model as a URL or a File\/Blob/);
  r = await err({ url, cache: false, expertCache: 1 << 20 });
  assert.equal(r.name, 'InvalidArgumentError', JSON.stringify(r));
  assert.match(r.error, /stored in OPFS/);
  r = await err({ url, asFile: true, expertCache: 1000 });
  assert.equal(r.name, 'InvalidArgumentError', JSON.stringify(r));
  assert.match(r.error, /cannot hold one expert/);
  const before = await browser.page.evaluate(() => window.storedCopies());
  r = await err({ text: 'just some notes, not a model\n'.repeat(100), expertCache: 1 << 20 });
  assert.equal(r.name, 'NotGgufError', JSON.stringify(r));
  assert.deepEqual(await browser.page.evaluate(() => window.storedCopies()), before, 'the copy of the bad file was deleted');
});
});
