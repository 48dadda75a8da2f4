// download-cache.test.mjs — the OPFS store against a misbehaving server in headless Chromium and Firefox
// (the Node cacheDir cases are in web/test/download-cache.test.mjs): an HTML page served with
// 200 at the model URL is not stored, so once the server serves the model the next load
// downloads it and works (it used to be cached as a complete model: every later load failed
// without a request); a stored prefix of a file since replaced on a server that ignores
// If-Range is dropped and the new file downloaded whole (not spliced). Skipped (never passed) in a browser that is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BROWSERS, launchBrowser } from './harness.mjs';
import { startPackageServer, loadResult } from './package-server.mjs';
import { GREEDY_48, MODEL_BYTES, requireModules, modelRoute } from '../test-support/helpers.mjs';

const HTML = Buffer.from('<!doctype html><html><head><title>Sign in</title></head><body>please log in</body></html>\n');

for (const { engine, skipReason } of BROWSERS)
test(`${engine}: OPFS: a 200 HTML page is not stored; the next load downloads the model`,
     { skip: skipReason || false, timeout: 150_000 }, async () => {
  requireModules();
  let body = HTML, type = 'text/html';
  const server = await startPackageServer({ '/m.gguf': (req, res) => modelRoute(body, { type })(req, res) });
  const browser = await launchBrowser({ engine });
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

/** Leave `bytes` in OPFS with `meta` as the stored copy of `url` (as an earlier download would). */
async function seedOpfs(page, url, bytes, meta) {
  await page.evaluate(async ({ url, data, meta }) => {
    const { Sha256 } = await import('/web/sha256.mjs');
    const key = new Sha256().update(new TextEncoder().encode(url)).hex().slice(0, 32);
    const root = await navigator.storage.getDirectory();
    const dir = await root.getDirectoryHandle('mistral-wasm-models', { create: true });
    const put = async (name, body) => {
      const w = await (await dir.getFileHandle(name, { create: true })).createWritable();
      await w.write(body);
      await w.close();
    };
    await put(key + '.gguf', new Uint8Array(data));
    await put(key + '.json', JSON.stringify({ url, ...meta }));
  }, { url, data: [...bytes], meta });
}

for (const { engine, skipReason } of BROWSERS)
test(`${engine}: OPFS: a prefix of a file replaced on a server that ignores If-Range is not spliced`,
     { skip: skipReason || false, timeout: 150_000 }, async () => {
  requireModules();
  const old = Buffer.from(MODEL_BYTES.subarray(0, 300_000));
  for (let i = 100_000; i < old.length; i++) old[i] ^= 0x5a;
  const server = await startPackageServer({ '/m.gguf': modelRoute(MODEL_BYTES, { etag: '"v2"', honourIfRange: false }) });
  const browser = await launchBrowser({ engine });
  try {
    await browser.page.goto(`${server.origin}/load.html?model=/m.gguf#wait`);
    await seedOpfs(browser.page, `${server.origin}/m.gguf`, old, { etag: '"v1"', size: MODEL_BYTES.length, complete: false });
    await browser.page.evaluate(() => { window.__go(); });
    const [r] = await loadResult(browser.page);
    assert.ok(r.ok, `${r.error}\n${browser.logs.join('\n')}`);
    assert.equal(r.text, GREEDY_48);
    assert.deepEqual(server.log, ['bytes=300000-', null], 'the resume was refused, then the whole file fetched');
  } finally {
    await browser.close();
    await server.close();
  }
});
