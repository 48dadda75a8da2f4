// concurrent-load.test.mjs — two tabs of one origin (and two engines in one page) loading the
// same model URL at once in headless Chromium and Firefox: both load and give llama.cpp's greedy text, the
// model is downloaded once and the other load reads the OPFS copy (no "416 Range Not
// Satisfiable", no "another open Access Handle"). The model is served slowly (64 KiB every
// 20 ms) so the loads overlap. Skipped (never passed) in a browser that is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BROWSERS, launchBrowser } from './harness.mjs';
import { startPackageServer, loadResult } from './package-server.mjs';
import { GREEDY_48, MODEL_BYTES, requireModules, modelRoute } from '../test-support/helpers.mjs';

const MODEL = '/slow/m.gguf';
const serve = () => startPackageServer({ [MODEL]: modelRoute(MODEL_BYTES, { chunkMs: 20 }) });

for (const { engine, skipReason } of BROWSERS)
test(`${engine}: two tabs loading the same model URL at once both load (one download, one OPFS read)`,
     { skip: skipReason || false, timeout: 150_000 }, async () => {
  requireModules();
  const server = await serve();
  const browser = await launchBrowser({ engine });
  try {
    const tab1 = browser.page, tab2 = await browser.context.newPage();
    tab2.on('console', (m) => browser.logs.push(`[tab2 ${m.type()}] ${m.text()}`));
    // both pages are ready first, then both loads start in the same moment
    const page = `${server.origin}/load.html?model=${MODEL}#wait`;
    await Promise.all([tab1.goto(page), tab2.goto(page)]);
    await Promise.all([tab1.waitForFunction(() => !!window.__go), tab2.waitForFunction(() => !!window.__go)]);
    await Promise.all([tab1.evaluate(() => { window.__go(); }), tab2.evaluate(() => { window.__go(); })]);
    const [[a], [b]] = await Promise.all([loadResult(tab1), loadResult(tab2)]);
    const logs = browser.logs.join('\n');
    assert.ok(a.ok, `tab 1: ${a.error}\n${logs}`);
    assert.ok(b.ok, `tab 2: ${b.error}\n${logs}`);
    assert.equal(a.text, GREEDY_48);
    assert.equal(b.text, GREEDY_48);
    assert.deepEqual(server.log, [null], 'one download, no Range requests');
    assert.deepEqual([a, b].map((r) => r.phases.includes('download') ? 'download' : 'cache').sort(), ['cache', 'download']);
  } finally {
    await browser.close();
    await server.close();
  }
});

for (const { engine, skipReason } of BROWSERS)
test(`${engine}: two engines in one page loading the same model URL at once both load`,
     { skip: skipReason || false, timeout: 150_000 }, async () => {
  requireModules();
  const server = await serve();
  const browser = await launchBrowser({ engine });
  try {
    await browser.page.goto(`${server.origin}/load.html?model=${MODEL}&engines=2`);
    const r = await loadResult(browser.page);
    const logs = browser.logs.join('\n');
    for (const x of r) assert.ok(x.ok, `${x.error}\n${logs}`);
    assert.deepEqual(r.map((x) => x.text), [GREEDY_48, GREEDY_48]);
    assert.deepEqual(server.log, [null], 'one download, no Range requests');
  } finally {
    await browser.close();
    await server.close();
  }
});
