// helpers.mjs — shared pieces of the JS package's node --test suites: where the Emscripten
// modules and the test model are, a loopback HTTP server with scripted behaviour (slow bodies,
// stalls, 404s, Range requests), and GGUF byte patching for the error tests.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** build-web/ (or $MW_BUILD_WEB): the mw-mt / mw-st modules the tests load. */
export const BUILD_WEB = path.resolve(REPO, process.env.MW_BUILD_WEB || 'build-web');
export const MODULE_BASE = pathToFileURL(BUILD_WEB + '/').href;
/** build-wasm64/ (or $MW_BUILD_WASM64): mw64.wasm and mw64-relaxed.wasm (web/wasm64/). */
export const BUILD_WASM64 = path.resolve(REPO, process.env.MW_BUILD_WASM64 || 'build-wasm64');
/** The module the package runs in a cross-origin-isolated page of Chromium or Firefox (both
 *  validate memory64 and relaxed SIMD): the best wasm64 module built (variants.mjs order; a
 *  missing mw64-relaxed.wasm falls back to mw64.wasm), else the threaded Emscripten one. */
export function isolatedVariant() {
  if (fs.existsSync(path.join(BUILD_WASM64, 'mw64-relaxed.wasm'))) return 'wasm64-relaxed';
  return fs.existsSync(path.join(BUILD_WASM64, 'mw64.wasm')) ? 'wasm64' : 'mt';
}
export const MODEL = path.join(REPO, 'models/stories260K.gguf');
export const MODEL_BYTES = fs.readFileSync(MODEL);
// llama.cpp's greedy continuation of "Once upon a time" (../shared/models/README.md), 48 tokens
export const GREEDY_48 = ', there was a little girl named Lily. She loved to play outside in the park. ' +
  'One day, she saw a big, red ball. She wanted to play with it,';
export const GREEDY_IDS = [432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337, 410, 408,
  419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394, 261, 370, 432, 352, 266, 268, 388, 426, 338,
  391, 266, 267, 337, 335, 312, 432];

export function modulesBuilt() {
  return ['mw-mt.mjs', 'mw-mt.wasm', 'mw-st.mjs', 'mw-st.wasm'].every((f) => fs.existsSync(path.join(BUILD_WEB, f)));
}
export function requireModules() {
  if (!modulesBuilt())
    throw new Error(`the Emscripten modules are missing in ${BUILD_WEB}: run ` +
      '`emcmake cmake -S . -B build-web && cmake --build build-web -j2` first (or set MW_BUILD_WEB)');
}

/**
 * Start a loopback server. routes: { '/path': (req, res, ctx) => void } or the default file
 * server with options { body, stallAfter, delayMs, ranges }. Returns { url(p), close(), log }.
 */
export async function startServer(routes = {}) {
  const log = [];
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    const entry = { url: req.url, range: req.headers.range || null, ifRange: req.headers['if-range'] || null, sent: 0, closed: false };
    log.push(entry);
    res.on('close', () => { entry.closed = true; });
    const route = routes[new URL(req.url, 'http://x').pathname];
    if (!route) { res.writeHead(404, { 'content-type': 'text/plain' }).end('not found'); return; }
    route(req, res, entry);
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    url: (p) => `http://127.0.0.1:${port}${p}`,
    log,
    close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(r); }),
  };
}

/** A route serving bytes with ETag and single Range support; stallAfter: send that many bytes
 *  of a full response, then nothing (the connection stays open until the client gives up). */
export function fileRoute(bytes, { stallAfter = null, etag = '"v1"' } = {}) {
  return (req, res, entry) => {
    let start = 0, status = 200;
    const headers = { 'content-type': 'application/octet-stream', etag, 'accept-ranges': 'bytes' };
    const m = /bytes=(\d+)-$/.exec(req.headers.range || '');
    if (m && (!req.headers['if-range'] || req.headers['if-range'] === etag)) {
      start = Number(m[1]);
      status = 206;
      headers['content-range'] = `bytes ${start}-${bytes.length - 1}/${bytes.length}`;
    }
    headers['content-length'] = String(bytes.length - start);
    res.writeHead(status, headers);
    const body = bytes.subarray(start);
    if (stallAfter == null || status === 206) { entry.sent = body.length; res.end(body); return; }
    const first = body.subarray(0, stallAfter);
    entry.sent = first.length;
    res.write(first);   // …and then nothing
  };
}

function findBytes(buf, needle, from = 0) {
  return Buffer.from(buf.buffer, buf.byteOffset, buf.length).indexOf(Buffer.from(needle), from);
}

/** A copy of the model whose general.architecture is "gpt2" ("llama" is one byte longer, so
 *  general.name gains one byte to keep every later offset where it was). */
export function ggufWithArch(bytes, arch = 'gpt2') {
  const out = Buffer.from(bytes);
  const key = findBytes(out, 'general.architecture');
  // key, then value type u32 (8 = string), u64 length, bytes
  const lenAt = key + 'general.architecture'.length + 4;
  const oldLen = Number(out.readBigUInt64LE(lenAt));
  const old = out.subarray(lenAt + 8, lenAt + 8 + oldLen).toString();
  if (old !== 'llama' || arch.length !== 4) throw new Error(`unexpected layout: ${old}`);
  const nameKey = findBytes(out, 'general.name');
  const nameLenAt = nameKey + 'general.name'.length + 4;
  const nameLen = Number(out.readBigUInt64LE(nameLenAt));
  if (nameKey < key) throw new Error('general.name before general.architecture');
  // rebuild [archLen][arch] ... [nameLen][name+'X'] in place: shift the bytes in between left by one
  const a = Buffer.concat([
    out.subarray(0, lenAt), u64(4), Buffer.from(arch),
    out.subarray(lenAt + 8 + oldLen, nameLenAt), u64(nameLen + 1),
    out.subarray(nameLenAt + 8, nameLenAt + 8 + nameLen), Buffer.from('X'),
    out.subarray(nameLenAt + 8 + nameLen),
  ]);
  if (a.length !== out.length) throw new Error('length changed');
  return new Uint8Array(a);
}

/** A copy whose tensor `name` claims `rows` rows (a header promising a huge model). */
export function ggufWithHugeTensor(bytes, name = 'output.weight', rows = 2 ** 28) {
  const out = Buffer.from(bytes);
  const at = findBytes(out, name);
  // name bytes, then n_dims u32, ne[0] u64, ne[1] u64
  const nDims = out.readUInt32LE(at + name.length);
  if (nDims < 2) throw new Error('expected a matrix');
  out.writeBigUInt64LE(BigInt(rows), at + name.length + 4 + 8);
  return new Uint8Array(out);
}

/** What the core's one memory rule (mw_memory_check, via Loader.memoryCheck) says the bundled
 *  model + a session ({ nCtx, threads, nBatch, kvType }) need, with no limit:
 *  { fits, weightBytes, sessionBytes, reserveBytes, totalBytes, limitBytes }. */
export async function modelNeed(session, { variant = 'st' } = {}) {
  const { loadCore } = await import('../core.mjs');
  const core = await loadCore({ variant, moduleBase: MODULE_BASE });
  try {
    const loader = core.createLoader();
    try {
      loader.feed(MODEL_BYTES);
      return loader.memoryCheck(session);
    } finally { loader.free(); }
  } finally { core.dispose(); }
}

function u64(n) { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(n)); return b; }

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A route serving a model the way real (and misbehaving) servers do, for the download tests:
 * `bytes` (or a function returning the bytes of the moment, for a file replaced on the server)
 * with a validator (`etag`), `bytes=N-` ranges (416 past the end; If-Range ignored when
 * honourIfRange is false), optionally a Content-Length `extraLength` bytes too large (the
 * connection then breaks after the real bytes), a content `type`, and throttling (`chunkMs`:
 * 64 KiB every that many ms, so that two loads overlap), and a first answer that breaks off
 * after `breakFirstAt` bytes.
 */
export function modelRoute(bytes, { etag = '"v1"', honourIfRange = true, extraLength = 0,
                                    type = 'application/octet-stream', chunkMs = 0, breakFirstAt = 0 } = {}) {
  let requests = 0;
  return (req, res) => {
    const body = typeof bytes === 'function' ? bytes() : bytes;
    if (breakFirstAt && requests++ === 0) {   // the first answer breaks off after breakFirstAt bytes
      res.writeHead(200, { 'content-type': type, etag, 'accept-ranges': 'bytes', 'content-length': String(body.length) });
      res.write(body.subarray(0, breakFirstAt), () => setTimeout(() => res.destroy(), 50));
      return;
    }
    const headers = { 'content-type': type, etag, 'accept-ranges': 'bytes', 'cache-control': 'no-store' };
    const m = /bytes=(\d+)-$/.exec(req.headers.range || '');
    let start = 0, status = 200;
    if (m && (!honourIfRange || !req.headers['if-range'] || req.headers['if-range'] === etag)) {
      start = Number(m[1]);
      if (start >= body.length) { res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end(); return; }
      status = 206;
      headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    }
    headers['content-length'] = String(body.length - start + extraLength);
    res.writeHead(status, headers);
    const finish = () => (extraLength ? res.destroy() : res.end());   // too large: the promised rest never comes
    if (!chunkMs) { res.write(body.subarray(start), finish); return; }
    let off = start;
    const timer = setInterval(() => {
      const end = Math.min(body.length, off + 65536);
      res.write(body.subarray(off, end));
      off = end;
      if (off >= body.length) { clearInterval(timer); finish(); }
    }, chunkMs);
    res.on('close', () => clearInterval(timer));
  };
}
