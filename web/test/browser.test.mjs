// browser.test.mjs — the JS package in headless Chromium and Firefox ESR (each of the harness's
// BROWSERS, web/e2e/harness.mjs): web/test-support/browser/smoke.html served by tools/serve.mjs, with COOP/COEP
// (the best module: wasm64-relaxed when built, else the threaded one; module Worker + nested pool / pthread
// workers) and without (single-thread module). Isolated with wasm64 built, every source below
// (download, OPFS, Cache API, resume) streams into the 64-bit memory.
// Checks greedy text = llama.cpp's, streaming, abort, the OPFS copy used on the second load, the
// Cache API store, a download resumed from a partial OPFS copy, and DownloadError for a 404. Skipped (never passed) in a browser that is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BROWSERS, startServer, launchBrowser, screenshot } from '../e2e/harness.mjs';
import { BUILD_WEB, GREEDY_48, isolatedVariant, requireModules } from '../test-support/helpers.mjs';

for (const { engine, skipReason } of BROWSERS) for (const isolation of [true, false]) {
  test(`engine in ${engine}, ${isolation ? 'cross-origin isolated (wasm64 or mt)' : 'not isolated (st)'}`,
       { skip: skipReason || false, timeout: 120_000 }, async () => {
    requireModules();
    const server = await startServer({ isolation, extraArgs: ['--build-web', BUILD_WEB] });
    const browser = await launchBrowser({ engine });
    try {
      await browser.page.goto(`${server.origin}/web/test-support/browser/smoke.html`);
      await browser.page.waitForFunction(() => window.__result !== undefined, null, { timeout: 100_000 });
      const r = await browser.page.evaluate(() => window.__result);
      await screenshot(browser.page, `engine-smoke-${isolation ? 'mt' : 'st'}`);
      assert.ok(r.ok, `${r.error}\n${browser.logs.join('\n')}`);
      assert.equal(r.crossOriginIsolated, isolation);
      // isolated: the package's best module, wasm64-relaxed / wasm64 when built (and served)
      assert.equal(r.variant, isolation ? isolatedVariant() : 'st');
      if (!isolation) assert.equal(r.threads, 1);
      assert.equal(r.text, GREEDY_48);
      assert.equal(r.text2, GREEDY_48);
      assert.ok(r.streamedEqual);
      assert.equal(r.abortFinish, 'abort');
      assert.ok(r.phases1.includes('download'), r.phases1.join());
      assert.ok(r.phases2.includes('cache') && !r.phases2.includes('download'), r.phases2.join());
      assert.equal(r.missing, 'DownloadError');
      assert.ok(r.phases3.includes('download'), r.phases3.join());           // Cache API store
      assert.ok(r.phases4.includes('cache') && !r.phases4.includes('download'), r.phases4.join());
      assert.equal(r.text4, GREEDY_48);
      assert.equal(r.storedBytes, 1185792);                                  // OPFS resume
      assert.equal(r.resumedFrom, 300000);
      assert.equal(r.text5, GREEDY_48);
      assert.equal(r.storedAfterResume, 1185792);
    } finally {
      await browser.close();
      await server.close();
    }
  });
}
