#!/usr/bin/env node
// Tiny static server for the private chat page: `node tools/serve.mjs [--port 8080]`.
// Binds to 127.0.0.1 only and serves three folders of the repository under their own
// names, so relative paths work the same in the page as in the source tree:
//   /web/...        the page and the JS package      (/ redirects to /web/chat/)
//   /build-web/...  the Emscripten modules (.mjs + .wasm + worker)
//   /build-wasm64/... the memory64 modules mw64.wasm and mw64-relaxed.wasm (web/wasm64/)
//   /models/...     the bundled default model
//   /vendor/...     the browser builds of the page's two libraries (marked, DOMPurify), each
//                   named once in VENDOR and read from web/node_modules (nothing else of it)
//   /csp.json       the connect-src origins of this server, so the page can tell whether a hub
//                   is allowed before it asks (it cannot read its own CSP)
// Every response carries COOP/COEP (so the page is cross-origin isolated and can use
// threads; --no-isolation or MW_NO_ISOLATION=1 leaves them out to test the single-thread
// path) and one strict Content-Security-Policy: scripts, workers, styles, images and
// connections are same-origin only. A model URL on another host is refused by the browser
// unless that origin is named with --allow-origin (MW_ALLOW_ORIGINS, comma separated):
// the page can then talk to exactly the hosts the user chose when starting the server.
// Not a general web server: GET/HEAD only, Host must be a loopback name with this port (no DNS
// rebinding), only the files the page needs (no dotfiles, nothing of build-web/ but the
// modules), no directory listings, no symlinks out of the tree, single byte ranges with
// If-Range on the ETag / Last-Modified (for resumable model downloads).
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

// The path segments of a request path, or null. Rejects anything that is not plainly a
// path inside the tree: backslashes, NULs, dot segments (also encoded), dotfiles (.git, .env) and
// empty segments (so '//x' can never reach a Location header as a protocol-relative URL). A
// trailing '/' gives a final '' segment: "the directory itself".
export function pathSegments(urlPath) {
  let p;
  try { p = decodeURIComponent(urlPath); } catch { return null; }
  if (!p.startsWith('/') || p.includes('\0') || p.includes('\\')) return null;
  const parts = p.slice(1).split('/');
  if (parts.slice(0, -1).some(s => s === '')) return null;
  if (parts.some(s => s.startsWith('.'))) return null;
  return parts;
}

const insideDir = (real, realDir) => real === realDir || real.startsWith(realDir + path.sep);

// Map a request path to the real path of a file or directory inside one of the mounts, or
// null (see pathSegments; symlinks pointing out of the mount are refused: the check is on the
// final real path). mounts: { web: dir, 'build-web': dir, models: dir }.
export function resolvePath(mounts, urlPath) {
  const parts = pathSegments(urlPath);
  if (!parts || !Object.hasOwn(mounts, parts[0])) return null;
  const mount = mounts[parts[0]];
  let real, realMount;
  try { real = fs.realpathSync(path.join(mount, ...parts.slice(1))); realMount = fs.realpathSync(mount); } catch { return null; }
  return insideDir(real, realMount) ? real : null;
}

// What the page needs from each mount, by the real path relative to the mount; everything
// else is 404: build-web/ holds CMakeCache.txt, logs and object files that name local paths,
// web/ has node_modules. (resolvePath has already refused dotfiles.)
const SERVED = {
  // catalogue.json is the chat page's model list; no other JSON (package.json ...) is served.
  web: (rel) => (/\.(html|css|mjs|js|svg|png|ico)$/i.test(rel) || rel === path.join('chat', 'catalogue.json')) &&
               !rel.split(path.sep).includes('node_modules'),
  'build-web': (rel) => /^mw-(mt|st)(\.worker)?\.(mjs|js|wasm)$/.test(rel),
  'build-wasm64': (rel) => /^mw64(-relaxed)?\.wasm$/.test(rel),
  models: (rel) => /\.gguf$/i.test(rel),
};

// The vendored libraries, an explicit allow-list: request path -> file under web/node_modules
// (versions pinned exactly in web/package.json; tools/chat.sh runs npm ci when they are missing).
export const VENDOR = Object.freeze({
  '/vendor/marked.esm.js': 'marked/lib/marked.esm.js',
  '/vendor/purify.es.mjs': 'dompurify/dist/purify.es.mjs',
});

// A request path -> { file } (real path, allowed), { redirect } (a directory without its
// final '/'), or null (404).
export function lookup(mounts, urlPath) {
  if (Object.hasOwn(VENDOR, urlPath)) {
    // Checked like a mount: the real path must stay inside web/node_modules (no symlink out).
    const dir = path.join(mounts.web, 'node_modules');
    try {
      const real = fs.realpathSync(path.join(dir, VENDOR[urlPath]));
      return insideDir(real, fs.realpathSync(dir)) ? { file: real } : null;
    } catch { return null; }
  }
  const parts = pathSegments(urlPath);
  if (!parts) return null;
  let real = resolvePath(mounts, urlPath);
  if (!real) return null;
  let st;
  try { st = fs.statSync(real); } catch { return null; }      // gone since: not found
  if (st.isDirectory()) {
    // Built from the checked segments: always one leading '/', never '//host'.
    if (parts[parts.length - 1] !== '') return { redirect: '/' + parts.map(encodeURIComponent).join('/') + '/' };
    real = resolvePath(mounts, urlPath + 'index.html');        // the final file is checked too
    if (!real) return null;
  }
  let realMount;
  try { realMount = fs.realpathSync(mounts[parts[0]]); } catch { return null; }
  return SERVED[parts[0]] && SERVED[parts[0]](path.relative(realMount, real)) ? { file: real } : null;
}

// A single byte range of a file of `size` bytes: { start, end }, 'unsatisfiable' (416), or null
// when there is none to honour: no header, another unit, several ranges, or an invalid one such
// as bytes=5-2 (RFC 9110 14.2: an invalid Range is ignored and the whole file is sent).
export function parseRange(header, size) {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header || '');
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start, end;
  if (m[1] === '') {                                   // suffix: the last N bytes
    if (Number(m[2]) === 0) return 'unsatisfiable';
    start = Math.max(0, size - Number(m[2])); end = size - 1;
  } else {
    start = Number(m[1]);
    if (m[2] !== '' && Number(m[2]) < start) return null;
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

// Validators of an open file: a strong ETag (inode, size, mtime in ns) and Last-Modified.
function validators(stBig) {
  const etag = `"${stBig.ino.toString(16)}-${stBig.size.toString(16)}-${stBig.mtimeNs.toString(16)}"`;
  const mtimeMs = Number(stBig.mtimeMs);
  return { etag, mtimeMs, lastModified: new Date(mtimeMs).toUTCString() };
}

// RFC 9110 13.1.5 If-Range: honour the Range only when the validator matches with the strong
// comparison: the same strong ETag (a weak W/ tag never matches), or exactly the Last-Modified
// date when that is itself strong (at least a second older than now, 8.8.2.2).
export function ifRangeMatches(value, { etag, mtimeMs }, now = Date.now()) {
  const v = String(value).trim();
  if (v.startsWith('W/')) return false;
  if (v.startsWith('"')) return v === etag;
  const t = Date.parse(v);
  if (!Number.isFinite(t)) return false;
  return t === Math.floor(mtimeMs / 1000) * 1000 && now - mtimeMs >= 1000;
}

// DNS rebinding: a page on evil.example whose name later resolves to 127.0.0.1 reaches this
// server with its own Host header. Only the loopback names with this port are accepted.
export function hostAllowed(host, port) {
  const h = String(host || '').toLowerCase();
  return ['127.0.0.1', 'localhost', '[::1]'].some(n => h === `${n}:${port}` || (port === 80 && h === n));
}

export function createServer({ root = REPO, buildWeb = null, buildWasm64 = null, isolation = true, allowOrigins = [], log = null } = {}) {
  const mounts = { web: path.join(root, 'web'), 'build-web': path.resolve(buildWeb || path.join(root, 'build-web')),
                   'build-wasm64': path.resolve(buildWasm64 || path.join(root, 'build-wasm64')),
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
    if (!hostAllowed(req.headers.host, req.socket.localPort)) {
      return done(403, {}, `forbidden host: this server answers only to http://127.0.0.1:${req.socket.localPort}/ ` +
                           `(or localhost, [::1]), so that no other site's name can be pointed at it\n`);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return done(405, { Allow: 'GET, HEAD' }, 'method not allowed\n');
    // The raw path, not a URL-normalised one: '/x/..//models' must not become '//models'.
    const urlPath = req.url.split('?')[0];
    if (urlPath === '/' || urlPath === '/chat' || urlPath === '/chat/') return done(302, { Location: '/web/chat/' });
    if (urlPath === '/csp.json') {
      return done(200, { 'Content-Type': 'application/json; charset=utf-8' },
                  JSON.stringify({ connectSrc: ["'self'", ...allowOrigins] }) + '\n');
    }
    const found = lookup(mounts, urlPath);
    if (!found) return done(404, {}, 'not found\n');
    if (found.redirect) return done(301, { Location: found.redirect + (req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '') });
    // Open once and answer from the descriptor: a file deleted or replaced after the check
    // is a 404, never an uncaught error; O_NOFOLLOW refuses a symlink swapped in since.
    let fd, st;
    try {
      fd = fs.openSync(found.file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW || 0));
      st = fs.fstatSync(fd, { bigint: true });
    } catch {
      if (fd !== undefined) fs.closeSync(fd);
      return done(404, {}, 'not found\n');
    }
    if (!st.isFile()) { fs.closeSync(fd); return done(404, {}, 'not found\n'); }
    const size = Number(st.size);
    const v = validators(st);
    const type = TYPES[path.extname(found.file).toLowerCase()] || 'application/octet-stream';
    const fileHeaders = { 'Content-Type': type, 'Accept-Ranges': 'bytes', 'ETag': v.etag, 'Last-Modified': v.lastModified };
    let range = req.headers.range ? parseRange(req.headers.range, size) : null;
    if (range && req.headers['if-range'] !== undefined && !ifRangeMatches(req.headers['if-range'], v)) range = null;
    if (range === 'unsatisfiable') {
      fs.closeSync(fd);
      return done(416, { 'Content-Range': `bytes */${size}` }, 'range not satisfiable\n');
    }
    const { start, end } = range || { start: 0, end: size - 1 };
    const status = range ? 206 : 200;
    if (range) fileHeaders['Content-Range'] = `bytes ${start}-${end}/${size}`;
    fileHeaders['Content-Length'] = String(size === 0 ? 0 : end - start + 1);
    if (log) log(`${status} ${req.method} ${req.url}`);
    res.writeHead(status, { ...h, ...fileHeaders });
    if (req.method === 'HEAD' || size === 0) { fs.closeSync(fd); return res.end(); }
    const stream = fs.createReadStream(null, { fd, start, end });
    stream.on('error', () => res.destroy());
    res.on('close', () => stream.destroy());
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
  --build-wasm64 DIR    serve DIR's mw64.wasm + mw64-relaxed.wasm as /build-wasm64/ (env MW_BUILD_WASM64)
  --quiet               do not log requests`;
}

export function parseArgs(argv, env = process.env) {
  const o = {
    port: Number(env.PORT ?? 8080),
    isolation: !(env.MW_NO_ISOLATION && env.MW_NO_ISOLATION !== '0'),
    allowOrigins: (env.MW_ALLOW_ORIGINS || '').split(',').map(s => s.trim()).filter(Boolean),
    buildWeb: env.MW_BUILD_WEB || null,
    buildWasm64: env.MW_BUILD_WASM64 || null,
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
    else if (a === '--build-wasm64') o.buildWasm64 = argv[++i];
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
  const server = createServer({ buildWeb: o.buildWeb, buildWasm64: o.buildWasm64, isolation: o.isolation, allowOrigins: o.allowOrigins,
                                log: o.quiet ? null : (s) => console.log(s) });
  server.on('error', (e) => { console.error(`serve.mjs: ${e.message}`); process.exit(1); });
  server.listen(o.port, '127.0.0.1', () => {
    const { port } = server.address();
    console.log(`serving ${REPO} (web/, ${o.buildWeb ? o.buildWeb + ' as build-web/' : 'build-web/'}, ` +
                `${o.buildWasm64 ? o.buildWasm64 + ' as build-wasm64/' : 'build-wasm64/'}, models/) on 127.0.0.1 only`);
    console.log(`cross-origin isolation: ${o.isolation ? 'on (threads)' : 'off (single thread)'}; ` +
                `connect-src: 'self'${o.allowOrigins.length ? ' ' + o.allowOrigins.join(' ') : ''}`);
    console.log(`chat page: http://127.0.0.1:${port}/web/chat/`);
  });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { server.close(); process.exit(0); });
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();
