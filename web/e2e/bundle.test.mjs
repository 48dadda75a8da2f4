// bundle.test.mjs — the packed package in a page built by a real bundler: `npm pack`, installed
// into an empty project, a page importing 'mistral-wasm' bundled by esbuild (the app, and the
// package's worker entry as worker.mjs next to it), the package's dist/ copied beside the
// bundle, then headless Chromium loads it and gets llama.cpp's greedy text: with COOP/COEP (the
// threaded module) and without (the single-thread one). Skipped (never passed) when Chromium
// or playwright-core is missing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { BROWSERS, launchBrowser } from './harness.mjs';
import { GREEDY_48, MODEL_BYTES, requireModules } from '../test-support/helpers.mjs';
import { packAndInstall } from '../test-support/pack.mjs';

const APP = `import { createEngine } from 'mistral-wasm';
const engine = await createEngine({ model: '/model.gguf' });
const r = await engine.chat.completions.create({
  messages: [{ role: 'user', content: 'Once upon a time' }], temperature: 0, max_tokens: 48,
});
window.__result = { text: r.choices[0].message.content, variant: engine.variant, isolated: crossOriginIsolated };
await engine.dispose();
`;
const PAGE = '<!doctype html><meta charset="utf-8"><title>bundle</title><script type="module" src="/app.mjs"></script>';
const TYPES = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html', '.json': 'application/json' };

let pkg, out;

// the package is packed and bundled once, when any browser can run
const skipAll = BROWSERS.every((b) => b.skipReason);
before(async () => {
  if (skipAll) return;
  requireModules();
  pkg = packAndInstall();
  const { build } = await import('esbuild');
  fs.writeFileSync(path.join(pkg.project, 'app.mjs'), APP);
  out = path.join(pkg.project, 'out');
  await build({
    absWorkingDir: pkg.project, bundle: true, format: 'esm', platform: 'browser', logLevel: 'error',
    entryPoints: { app: 'app.mjs', worker: 'mistral-wasm/worker' }, outdir: out, outExtension: { '.js': '.mjs' },
    external: ['node:*'],   // the package's Node paths, never taken in a browser
  });
  fs.cpSync(pkg.installed('dist'), path.join(out, 'dist'), { recursive: true });
});
after(() => { if (pkg) pkg.cleanup(); });

/** Serve the bundle (+ /model.gguf), with or without cross-origin isolation. */
function serve(isolated) {
  const server = http.createServer((req, res) => {
    const p = new URL(req.url, 'http://x').pathname;
    const headers = isolated ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } : {};
    if (p === '/') return res.writeHead(200, { ...headers, 'content-type': 'text/html' }).end(PAGE);
    if (p === '/model.gguf') return res.writeHead(200, { ...headers, 'content-type': 'application/octet-stream' }).end(MODEL_BYTES);
    const file = path.join(out, p);
    if (p.includes('..') || !fs.existsSync(file) || !fs.statSync(file).isFile()) return res.writeHead(404, headers).end();
    res.writeHead(200, { ...headers, 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    origin: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  })));
}

for (const { engine, skipReason } of BROWSERS) for (const isolated of [true, false]) {
  test(`a page bundled by esbuild from the packed package runs it in ${engine} (${isolated ? 'COOP/COEP: mt' : 'no isolation: st'})`,
       { skip: skipReason || false, timeout: 240_000 }, async () => {
    const server = await serve(isolated);
    const browser = await launchBrowser({ engine });
    try {
      await browser.page.goto(server.origin + '/');
      await browser.page.waitForFunction(() => window.__result !== undefined, null, { timeout: 180_000 })
        .catch((e) => { throw new Error(`${e.message}\n${browser.logs.join('\n')}`); });
      const r = await browser.page.evaluate(() => window.__result);
      assert.equal(r.isolated, isolated);
      assert.equal(r.variant, isolated ? 'mt' : 'st');
      assert.equal(r.text, GREEDY_48);
    } finally {
      await browser.close();
      await server.close();
    }
  });
}
