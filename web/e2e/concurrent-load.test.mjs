// concurrent-load.test.mjs — two tabs of one origin (and two engines in one page) loading the
// same model URL at once in headless Chromium: both load and give llama.cpp's greedy text, the
// model is downloaded once and the other load reads the OPFS copy (no "416 Range Not
// Satisfiable", no "another open Access Handle"). The server here is a small node:http one
// that serves the package, build-web/ and the model slowly (64 KiB every 20 ms) so the loads
// overlap. Skipped (never passed) when Chromium or playwright-core is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { skipReason, launchBrowser, REPO } from './harness.mjs';
import { BUILD_WEB, GREEDY_48, MODEL_BYTES, requireModules } from '../test-support/helpers.mjs';

const TYPES = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };

// each page loads the model in `engines` engines at once and reports in window.__result
const PAGE = `<!doctype html><meta charset="utf-8"><title>two loads</title><script type="module">
import { createEngine } from '/web/index.mjs';
const n = Number(new URLSearchParams(location.search).get('engines') || 1);
const run = async () => {
  const phases = new Set();
  const e = await createEngine({ model: '/slow/m.gguf', onProgress: (p) => phases.add(p.phase) });
  try {
    const r = await e.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 48 });
    return { ok: true, text: r.choices[0].text, phases: [...phases] };
  } finally { await e.dispose(); }
};
const settle = (p) => p.then((v) => v, (err) => ({ ok: false, error: err.name + ': ' + err.message }));
const go = () => Promise.all(Array.from({ length: n }, () => settle(run()))).then((r) => { window.__result = r; });
if (location.hash === '#wait') window.__go = go; else go();
</script>`;

function startServer() {
  const log = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/page.html') { res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE); return; }
    if (url.pathname === '/slow/m.gguf') { log.push(req.headers.range || null); slowModel(req, res); return; }
    let file = null;
    if (url.pathname.startsWith('/web/')) file = path.join(REPO, url.pathname);
    else if (url.pathname.startsWith('/build-web/')) file = path.join(BUILD_WEB, url.pathname.slice('/build-web/'.length));
    if (!file || file.includes('..') || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream', 'cache-control': 'no-store' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    origin: `http://127.0.0.1:${server.address().port}`, log,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  })));
}

function slowModel(req, res) {
  const bytes = MODEL_BYTES;
  let start = 0, status = 200;
  const headers = { 'content-type': 'application/octet-stream', etag: '"v1"', 'accept-ranges': 'bytes', 'cache-control': 'no-store' };
  const m = /bytes=(\d+)-$/.exec(req.headers.range || '');
  if (m) {
    start = Number(m[1]);
    if (start >= bytes.length) { res.writeHead(416, { 'content-range': `bytes */${bytes.length}` }).end(); return; }
    status = 206;
    headers['content-range'] = `bytes ${start}-${bytes.length - 1}/${bytes.length}`;
  }
  headers['content-length'] = String(bytes.length - start);
  res.writeHead(status, headers);
  let off = start;
  const timer = setInterval(() => {
    const end = Math.min(bytes.length, off + 65536);
    res.write(bytes.subarray(off, end));
    off = end;
    if (off >= bytes.length) { clearInterval(timer); res.end(); }
  }, 20);
  res.on('close', () => clearInterval(timer));
}

async function results(page) {
  await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 90_000 });
  return page.evaluate(() => window.__result);
}

test('two tabs loading the same model URL at once both load (one download, one OPFS read)',
     { skip: skipReason || false, timeout: 150_000 }, async () => {
  requireModules();
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const tab1 = browser.page, tab2 = await browser.context.newPage();
    tab2.on('console', (m) => browser.logs.push(`[tab2 ${m.type()}] ${m.text()}`));
    // both pages are ready first, then both loads start in the same moment
    await Promise.all([tab1.goto(`${server.origin}/page.html#wait`), tab2.goto(`${server.origin}/page.html#wait`)]);
    await Promise.all([tab1.waitForFunction(() => !!window.__go), tab2.waitForFunction(() => !!window.__go)]);
    await Promise.all([tab1.evaluate(() => { window.__go(); }), tab2.evaluate(() => { window.__go(); })]);
    const [[a], [b]] = await Promise.all([results(tab1), results(tab2)]);
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

test('two engines in one page loading the same model URL at once both load',
     { skip: skipReason || false, timeout: 150_000 }, async () => {
  requireModules();
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    await browser.page.goto(`${server.origin}/page.html?engines=2`);
    const r = await results(browser.page);
    const logs = browser.logs.join('\n');
    for (const x of r) assert.ok(x.ok, `${x.error}\n${logs}`);
    assert.deepEqual(r.map((x) => x.text), [GREEDY_48, GREEDY_48]);
    assert.deepEqual(server.log, [null], 'one download, no Range requests');
  } finally {
    await browser.close();
    await server.close();
  }
});
