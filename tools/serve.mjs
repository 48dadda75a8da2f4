#!/usr/bin/env node
// Tiny static server for the private chat page: `node tools/serve.mjs [--port 8080]`.
// Binds to 127.0.0.1 only and serves three folders of the repository under their own
// names, so relative paths work the same in the page as in the source tree:
//   /web/...        the page and the JS package      (/ redirects to /web/chat/)
//   /build-web/...  the Emscripten modules (.mjs + .wasm + worker)
//   /models/...     the bundled default model
// Every response carries COOP/COEP (so the page is cross-origin isolated and can use
// threads; --no-isolation or MW_NO_ISOLATION=1 leaves them out to test the single-thread
// path) and one strict Content-Security-Policy: scripts, workers, styles, images and
// connections are same-origin only. A model URL on another host is refused by the browser
// unless that origin is named with --allow-origin (MW_ALLOW_ORIGINS, comma separated):
// the page can then talk to exactly the hosts the user chose when starting the server.
// Not a general web server: GET/HEAD only, no directory listings, no symlinks out of
// the tree, single byte ranges (for resumable model downloads).
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8', '.wasm': 'application/wasm',
  '.png': 'image/png', '.svg': 'image/svg+xml', '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8', '.md': 'text/plain; charset=utf-8',
  '.gguf': 'application/octet-stream',
};

// Origins accepted by --allow-origin: scheme://host[:port], nothing else (a CSP source
// list must not be injectable from the command line).
export function parseOrigin(s) {
  const u = new URL(s);
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(`not an http(s) origin: ${s}`);
  return u.origin;
}

export function contentSecurityPolicy(allowOrigins = []) {
  const connect = ["'self'", ...allowOrigins].join(' ');
  return [
    "default-src 'self'",
    // wasm-unsafe-eval lets WebAssembly compile; it does not allow eval() of JS.
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self'",
    `connect-src ${connect}`,
    "img-src 'self' data: blob:",
    "style-src 'self'",
    "font-src 'self'",
    "media-src 'none'",
    "object-src 'none'",
    "frame-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

// Map a request path to a file inside one of the mounts, or null. Rejects anything that
// is not plainly inside: encoded separators, NULs, dot segments, symlinks pointing out.
// mounts: { web: dir, 'build-web': dir, models: dir }.
export function resolvePath(mounts, urlPath) {
  let p;
  try { p = decodeURIComponent(urlPath); } catch { return null; }
  if (p.includes('\0') || p.includes('\\')) return null;
  const parts = p.split('/').filter(Boolean);
  if (parts.some(s => s === '.' || s === '..')) return null;
  if (parts.length === 0 || !Object.hasOwn(mounts, parts[0])) return null;
  const mount = mounts[parts[0]];
  const file = path.join(mount, ...parts.slice(1));
  let real, realMount;
  try { real = fs.realpathSync(file); realMount = fs.realpathSync(mount); } catch { return null; }
  if (real !== realMount && !real.startsWith(realMount + path.sep)) return null;
  return real;
}

function parseRange(header, size) {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header || '');
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start, end;
  if (m[1] === '') { start = Math.max(0, size - Number(m[2])); end = size - 1; }
  else { start = Number(m[1]); end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1); }
  if (start > end || start >= size) return 'bad';
  return { start, end };
}

export function createServer({ root = REPO, buildWeb = null, isolation = true, allowOrigins = [], log = null } = {}) {
  const mounts = { web: path.join(root, 'web'), 'build-web': path.resolve(buildWeb || path.join(root, 'build-web')),
                   models: path.join(root, 'models') };
  const csp = contentSecurityPolicy(allowOrigins);
  return http.createServer((req, res) => {
    const h = {
      'Content-Security-Policy': csp,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-cache',
    };
    if (isolation) {
      h['Cross-Origin-Opener-Policy'] = 'same-origin';
      h['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    const done = (status, extra = {}, body = '') => {
      if (log) log(`${status} ${req.method} ${req.url}`);
      res.writeHead(status, { ...h, 'Content-Type': 'text/plain; charset=utf-8', ...extra });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return done(405, { Allow: 'GET, HEAD' }, 'method not allowed\n');
    let url;
    try { url = new URL(req.url, 'http://127.0.0.1'); } catch { return done(400, {}, 'bad request\n'); }
    if (url.pathname === '/' || url.pathname === '/chat' || url.pathname === '/chat/') return done(302, { Location: '/web/chat/' });
    let file = resolvePath(mounts, url.pathname);
    if (!file) return done(404, {}, 'not found\n');
    let st = fs.statSync(file);
    if (st.isDirectory()) {
      if (!url.pathname.endsWith('/')) return done(301, { Location: url.pathname + '/' + url.search });
      file = path.join(file, 'index.html');
      try { st = fs.statSync(file); } catch { return done(404, {}, 'not found\n'); }
    }
    if (!st.isFile()) return done(404, {}, 'not found\n');
    const type = TYPES[path.extname(file).toLowerCase()] || 'application/octet-stream';
    const fileHeaders = { 'Content-Type': type, 'Accept-Ranges': 'bytes', 'Last-Modified': st.mtime.toUTCString() };
    const range = req.headers.range ? parseRange(req.headers.range, st.size) : null;
    if (range === 'bad') return done(416, { 'Content-Range': `bytes */${st.size}` }, 'range not satisfiable\n');
    const { start, end } = range || { start: 0, end: st.size - 1 };
    const status = range ? 206 : 200;
    if (range) fileHeaders['Content-Range'] = `bytes ${start}-${end}/${st.size}`;
    fileHeaders['Content-Length'] = String(st.size === 0 ? 0 : end - start + 1);
    if (log) log(`${status} ${req.method} ${req.url}`);
    res.writeHead(status, { ...h, ...fileHeaders });
    if (req.method === 'HEAD' || st.size === 0) return res.end();
    const stream = fs.createReadStream(file, { start, end });
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  });
}

function usage() {
  return `usage: node tools/serve.mjs [--port N] [--no-isolation] [--allow-origin ORIGIN]... [--quiet]
  --port N              port on 127.0.0.1 (default 8080, env PORT; 0 picks a free one)
  --no-isolation        omit COOP/COEP (env MW_NO_ISOLATION=1): the page runs single-threaded
  --allow-origin ORIGIN let the page fetch models from ORIGIN, e.g. https://huggingface.co
                        (env MW_ALLOW_ORIGINS=a,b); without it only same-origin URLs load
  --build-web DIR       serve DIR as /build-web/ (env MW_BUILD_WEB; default build-web/)
  --quiet               do not log requests`;
}

export function parseArgs(argv, env = process.env) {
  const o = {
    port: Number(env.PORT ?? 8080),
    isolation: !(env.MW_NO_ISOLATION && env.MW_NO_ISOLATION !== '0'),
    allowOrigins: (env.MW_ALLOW_ORIGINS || '').split(',').map(s => s.trim()).filter(Boolean),
    buildWeb: env.MW_BUILD_WEB || null,
    quiet: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port') o.port = Number(argv[++i]);
    else if (a.startsWith('--port=')) o.port = Number(a.slice(7));
    else if (a === '--no-isolation') o.isolation = false;
    else if (a === '--allow-origin') o.allowOrigins.push(argv[++i]);
    else if (a.startsWith('--allow-origin=')) o.allowOrigins.push(a.slice(15));
    else if (a === '--build-web') o.buildWeb = argv[++i];
    else if (a.startsWith('--build-web=')) o.buildWeb = a.slice(12);
    else if (a === '--quiet') o.quiet = true;
    else if (a === '-h' || a === '--help') { o.help = true; }
    else throw new Error(`unknown argument: ${a}\n${usage()}`);
  }
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new Error(`bad port\n${usage()}`);
  o.allowOrigins = o.allowOrigins.map(parseOrigin);
  return o;
}

async function main() {
  let o;
  try { o = parseArgs(process.argv.slice(2)); } catch (e) { console.error(e.message); process.exit(2); }
  if (o.help) { console.log(usage()); return; }
  const server = createServer({ buildWeb: o.buildWeb, isolation: o.isolation, allowOrigins: o.allowOrigins,
                                log: o.quiet ? null : (s) => console.log(s) });
  server.on('error', (e) => { console.error(`serve.mjs: ${e.message}`); process.exit(1); });
  server.listen(o.port, '127.0.0.1', () => {
    const { port } = server.address();
    console.log(`serving ${REPO} (web/, ${o.buildWeb ? o.buildWeb + ' as build-web/' : 'build-web/'}, models/) on 127.0.0.1 only`);
    console.log(`cross-origin isolation: ${o.isolation ? 'on (threads)' : 'off (single thread)'}; ` +
                `connect-src: 'self'${o.allowOrigins.length ? ' ' + o.allowOrigins.join(' ') : ''}`);
    console.log(`chat page: http://127.0.0.1:${port}/web/chat/`);
  });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { server.close(); process.exit(0); });
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();
