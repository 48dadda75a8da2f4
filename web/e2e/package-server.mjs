// package-server.mjs — a small node:http server for the package's own browser tests (not the
// chat page's tools/serve.mjs): serves web/ and build-web/ (no COOP/COEP: the single-thread
// module), a test page that loads a model with createEngine, and the routes a test adds (a
// model served slowly, or served wrong), logging the Range header of every model request.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { REPO } from './harness.mjs';
import { BUILD_WEB, BUILD_WASM64 } from '../test-support/helpers.mjs';

const TYPES = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };

// /load.html?model=URL&engines=N loads the model in N engines at once, greedy-completes 48
// tokens with each and reports [{ ok, text, phases } | { ok: false, error }] in window.__result;
// with #wait it only defines window.__go() (to start two tabs in the same moment)
const LOAD_PAGE = `<!doctype html><meta charset="utf-8"><title>load</title><script type="module">
import { createEngine } from '/web/index.mjs';
const q = new URLSearchParams(location.search);
const n = Number(q.get('engines') || 1);
const run = async () => {
  const phases = new Set();
  const e = await createEngine({ model: q.get('model'), onProgress: (p) => phases.add(p.phase) });
  try {
    const r = await e.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 48 });
    return { ok: true, text: r.choices[0].text, phases: [...phases] };
  } finally { await e.dispose(); }
};
const settle = (p) => p.then((v) => v, (err) => ({ ok: false, error: err.name + ': ' + err.message }));
const go = () => Promise.all(Array.from({ length: n }, () => settle(run()))).then((r) => { window.__result = r; });
if (location.hash === '#wait') window.__go = go; else go();
</script>`;

/** Start the server; models: { '/path': route(req, res) }. Resolves { origin, log, close() };
 *  log: the Range header (or null) of each model request, in order. isolation: COOP/COEP on
 *  every response (cross-origin isolated pages: the threaded and wasm64 modules) and
 *  build-wasm64/'s modules served too. */
export function startPackageServer(models = {}, { isolation = false } = {}) {
  const log = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (isolation) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    if (url.pathname === '/load.html') { res.writeHead(200, { 'content-type': 'text/html' }).end(LOAD_PAGE); return; }
    if (models[url.pathname]) { log.push(req.headers.range || null); models[url.pathname](req, res); return; }
    let file = null;
    if (url.pathname.startsWith('/web/')) file = path.join(REPO, url.pathname);
    else if (url.pathname.startsWith('/build-web/')) file = path.join(BUILD_WEB, url.pathname.slice('/build-web/'.length));
    else if (isolation && /^\/build-wasm64\/mw64(-relaxed)?\.wasm$/.test(url.pathname))
      file = path.join(BUILD_WASM64, url.pathname.slice('/build-wasm64/'.length));
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

/** The load page's report, once it has one. */
export async function loadResult(page, timeout = 90_000) {
  await page.waitForFunction(() => window.__result !== undefined, null, { timeout });
  return page.evaluate(() => window.__result);
}
