// download-cache.test.mjs — the OPFS store against a misbehaving server in headless Chromium
// (the Node cacheDir cases are in web/test/download-cache.test.mjs): an HTML page served with
// 200 at the model URL is not stored, so once the server serves the model the next load
// downloads it and works (it used to be cached as a complete model: every later load failed
// without a request). Skipped (never passed) when Chromium or playwright-core is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { skipReason, launchBrowser } from './harness.mjs';
import { startPackageServer, loadResult } from './package-server.mjs';
import { GREEDY_48, MODEL_BYTES, requireModules, modelRoute } from '../test-support/helpers.mjs';

const HTML = Buffer.from('<!doctype html><html><head><title>Sign in</title></head><body>please log in</body></html>\n');

test('OPFS: a 200 HTML page is not stored; the next load downloads the model',
     { skip: skipReason || false, timeout: 150_000 }, async () => {
  requireModules();
  let body = HTML, type = 'text/html';
  const server = await startPackageServer({ '/m.gguf': (req, res) => modelRoute(body, { type })(req, res) });
  const browser = await launchBrowser();
  try {
    await browser.page.goto(`${server.origin}/load.html?model=/m.gguf`);
    const [first] = await loadResult(browser.page);
    assert.equal(first.ok, false);
    assert.match(first.error, /^NotGgufError: /);
    body = MODEL_BYTES; type = 'application/octet-stream';
    await browser.page.reload();
    const [second] = await loadResult(browser.page);
    assert.ok(second.ok, `${second.error}\n${browser.logs.join('\n')}`);
    assert.equal(second.text, GREEDY_48);
    assert.ok(second.phases.includes('download'), second.phases.join());
    assert.deepEqual(server.log, [null, null]);
    assert.match(first.error, /not a GGUF file.*text\/html/, 'the error names what came instead');
  } finally {
    await browser.close();
    await server.close();
  }
});
