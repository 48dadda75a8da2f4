// serve.test.mjs — tools/serve.mjs over real HTTP on 127.0.0.1 (no browser needed): the mounts,
// MIME types, COOP/COEP on and off, the CSP, byte ranges, and refusal of traversal, other
// methods and files outside web/, build-web/, models/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createServer, parseArgs, contentSecurityPolicy } from '../../tools/serve.mjs';

let root, servers = [], iso, noiso;
const listen = (srv) => new Promise((r) => srv.listen(0, '127.0.0.1', () => { servers.push(srv); r(srv.address().port); }));

// Raw request (fetch would normalise '..' and refuse some paths before sending them).
function get(port, rawPath, { method = 'GET', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: rawPath, method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-serve-'));
  for (const d of ['web/chat', 'build-web', 'models', 'secret']) fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.writeFileSync(path.join(root, 'web/chat/index.html'), '<!doctype html><title>t</title>');
  fs.writeFileSync(path.join(root, 'web/index.mjs'), 'export {};');
  fs.writeFileSync(path.join(root, 'build-web/mw-st.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  fs.writeFileSync(path.join(root, 'build-web/mw-st.worker.js'), '');
  fs.writeFileSync(path.join(root, 'models/m.gguf'), Buffer.from('GGUF0123456789'));
  fs.writeFileSync(path.join(root, 'secret/key.txt'), 'secret');
  fs.symlinkSync(path.join(root, 'secret'), path.join(root, 'web/link'));
  iso = await listen(createServer({ root }));
  noiso = await listen(createServer({ root, isolation: false, allowOrigins: ['https://huggingface.co'] }));
});
after(() => { for (const s of servers) s.close(); fs.rmSync(root, { recursive: true, force: true }); });

test('/ redirects to the chat page, which is served as HTML with COOP/COEP and the CSP', async () => {
  const r = await get(iso, '/');
  assert.equal(r.status, 302);
  assert.equal(r.headers.location, '/web/chat/');
  const p = await get(iso, '/web/chat/');
  assert.equal(p.status, 200);
  assert.equal(p.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(p.headers['cross-origin-opener-policy'], 'same-origin');
  assert.equal(p.headers['cross-origin-embedder-policy'], 'require-corp');
  assert.equal(p.headers['content-security-policy'], contentSecurityPolicy([]));
  assert.match(p.headers['content-security-policy'], /default-src 'self'/);
  assert.match(p.headers['content-security-policy'], /connect-src 'self';/);
  const d = await get(iso, '/web/chat');
  assert.equal(d.status, 301);
  assert.equal(d.headers.location, '/web/chat/');
});

test('MIME types of modules, wasm and models', async () => {
  assert.equal((await get(iso, '/web/index.mjs')).headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal((await get(iso, '/build-web/mw-st.worker.js')).headers['content-type'], 'text/javascript; charset=utf-8');
  const w = await get(iso, '/build-web/mw-st.wasm');
  assert.equal(w.headers['content-type'], 'application/wasm');
  assert.equal(w.body.length, 8);
  const m = await get(iso, '/models/m.gguf');
  assert.equal(m.headers['content-type'], 'application/octet-stream');
  assert.equal(m.body.toString(), 'GGUF0123456789');
});

test('--no-isolation omits COOP/COEP; --allow-origin extends connect-src only', async () => {
  const p = await get(noiso, '/web/chat/');
  assert.equal(p.status, 200);
  assert.equal(p.headers['cross-origin-opener-policy'], undefined);
  assert.equal(p.headers['cross-origin-embedder-policy'], undefined);
  assert.match(p.headers['content-security-policy'], /connect-src 'self' https:\/\/huggingface\.co;/);
  assert.match(p.headers['content-security-policy'], /script-src 'self' 'wasm-unsafe-eval';/);
});

test('traversal, files outside the mounts and symlinks out of them are 404', async () => {
  for (const p of ['/secret/key.txt', '/web/../secret/key.txt', '/web/%2e%2e/secret/key.txt',
                   '/web/..%2fsecret/key.txt', '/models/..%5csecret%5ckey.txt', '/web/link/key.txt',
                   '/%2e%2e/%2e%2e/etc/passwd', '/web/%00', '/web/%zz', '/package.json']) {
    const r = await get(iso, p);
    assert.equal(r.status, 404, p);
    assert.ok(!r.body.toString().includes('secret'), p);
  }
});

test('byte ranges (resumable downloads) and bad ranges', async () => {
  const r = await get(iso, '/models/m.gguf', { headers: { Range: 'bytes=4-7' } });
  assert.equal(r.status, 206);
  assert.equal(r.headers['content-range'], 'bytes 4-7/14');
  assert.equal(r.body.toString(), '0123');
  const tail = await get(iso, '/models/m.gguf', { headers: { Range: 'bytes=10-' } });
  assert.equal(tail.body.toString(), '6789');
  const suffix = await get(iso, '/models/m.gguf', { headers: { Range: 'bytes=-2' } });
  assert.equal(suffix.body.toString(), '89');
  assert.equal((await get(iso, '/models/m.gguf', { headers: { Range: 'bytes=20-30' } })).status, 416);
});

test('only GET and HEAD', async () => {
  const h = await get(iso, '/models/m.gguf', { method: 'HEAD' });
  assert.equal(h.status, 200);
  assert.equal(h.headers['content-length'], '14');
  assert.equal(h.body.length, 0);
  const p = await get(iso, '/models/m.gguf', { method: 'POST' });
  assert.equal(p.status, 405);
  assert.equal(p.headers.allow, 'GET, HEAD');
});

test('arguments: port, isolation, origins (no CSP injection)', () => {
  const o = parseArgs(['--port', '0', '--no-isolation', '--allow-origin', 'https://example.com/path?x'], {});
  assert.equal(o.port, 0);
  assert.equal(o.isolation, false);
  assert.deepEqual(o.allowOrigins, ['https://example.com']);
  assert.equal(parseArgs([], { MW_NO_ISOLATION: '1', PORT: '9000' }).port, 9000);
  assert.equal(parseArgs([], { MW_NO_ISOLATION: '1' }).isolation, false);
  assert.deepEqual(parseArgs([], { MW_ALLOW_ORIGINS: 'https://a.example, http://b.example:8000' }).allowOrigins,
                   ['https://a.example', 'http://b.example:8000']);
  assert.throws(() => parseArgs(['--allow-origin', "https://x; script-src *"], {}));
  assert.throws(() => parseArgs(['--allow-origin', 'javascript:alert(1)'], {}));
  assert.throws(() => parseArgs(['--port', '99999'], {}));
  assert.throws(() => parseArgs(['--bogus'], {}));
});
