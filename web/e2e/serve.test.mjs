// serve.test.mjs — tools/serve.mjs over real HTTP on 127.0.0.1 (no browser needed): the mounts,
// MIME types, COOP/COEP on and off, the CSP, byte ranges with If-Range, and refusal of
// traversal, other methods, files outside web/, build-web/, models/ (also through a symlinked
// index.html), dotfiles and build files, foreign Host headers (DNS rebinding) and
// protocol-relative redirects; a file deleted during a request is a 404, not a crash.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
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
    req.setTimeout(5000, () => req.destroy(new Error(`no answer to ${method} ${rawPath}`)));
    req.end();
  });
}

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-serve-'));
  for (const d of ['web/chat', 'build-web', 'build-wasm64', 'models', 'secret']) fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.writeFileSync(path.join(root, 'web/chat/index.html'), '<!doctype html><title>t</title>');
  fs.writeFileSync(path.join(root, 'web/index.mjs'), 'export {};');
  fs.writeFileSync(path.join(root, 'build-web/mw-st.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  fs.writeFileSync(path.join(root, 'build-web/mw-st.worker.js'), '');
  for (const f of ['mw64.wasm', 'mw64-relaxed.wasm']) fs.writeFileSync(path.join(root, 'build-wasm64', f), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  fs.writeFileSync(path.join(root, 'build-wasm64/CMakeCache.txt'), `CMAKE_HOME_DIRECTORY:INTERNAL=${root}/secret\n`);
  fs.writeFileSync(path.join(root, 'models/m.gguf'), Buffer.from('GGUF0123456789'));
  fs.writeFileSync(path.join(root, 'secret/key.txt'), 'secret');
  fs.symlinkSync(path.join(root, 'secret'), path.join(root, 'web/link'));
  // A directory inside web/ whose index.html is a symlink out of the tree.
  fs.mkdirSync(path.join(root, 'web/sym'));
  fs.symlinkSync(path.join(root, 'secret/key.txt'), path.join(root, 'web/sym/index.html'));
  fs.mkdirSync(path.join(root, 'web/etc'));
  fs.symlinkSync('/etc/passwd', path.join(root, 'web/etc/index.html'));
  // What a build tree and a checkout hold besides what the page needs.
  fs.writeFileSync(path.join(root, 'build-web/CMakeCache.txt'), `CMAKE_HOME_DIRECTORY:INTERNAL=${root}/secret\n`);
  fs.mkdirSync(path.join(root, 'build-web/CMakeFiles'));
  fs.writeFileSync(path.join(root, 'build-web/CMakeFiles/CMakeOutput.log'), `${root}/secret`);
  fs.writeFileSync(path.join(root, 'build-web/configure.log'), `${root}/secret`);
  fs.writeFileSync(path.join(root, 'web/.env'), 'secret');
  fs.mkdirSync(path.join(root, 'web/.git'));
  fs.writeFileSync(path.join(root, 'web/.git/config'), 'secret');
  fs.writeFileSync(path.join(root, 'models/.hidden.gguf'), 'secret');
  fs.writeFileSync(path.join(root, 'web/package.json'), '{"secret":1}');
  fs.mkdirSync(path.join(root, 'web/node_modules/x'), { recursive: true });
  fs.writeFileSync(path.join(root, 'web/node_modules/x/index.js'), '// secret');
  // The two vendored browser builds, a sibling file that is not on the list, and a
  // package.json at web/chat/ (only catalogue.json is served there).
  fs.mkdirSync(path.join(root, 'web/node_modules/marked/lib'), { recursive: true });
  fs.writeFileSync(path.join(root, 'web/node_modules/marked/lib/marked.esm.js'), 'export const marked = 1;');
  fs.writeFileSync(path.join(root, 'web/node_modules/marked/lib/marked.umd.js'), '// not listed');
  fs.mkdirSync(path.join(root, 'web/node_modules/dompurify/dist'), { recursive: true });
  fs.symlinkSync(path.join(root, 'secret/key.txt'), path.join(root, 'web/node_modules/dompurify/dist/purify.es.mjs'));
  fs.writeFileSync(path.join(root, 'web/chat/catalogue.json'), '{"models":[]}');
  fs.writeFileSync(path.join(root, 'web/chat/package.json'), '{"secret":1}');
  fs.writeFileSync(path.join(root, 'models/old.gguf'), Buffer.from('GGUF0123456789'));
  const hourAgo = new Date(Date.now() - 3600e3);
  fs.utimesSync(path.join(root, 'models/old.gguf'), hourAgo, hourAgo);
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
  // both memory64 modules (the package picks mw64-relaxed.wasm first); nothing else of their build tree
  for (const f of ['mw64.wasm', 'mw64-relaxed.wasm']) {
    const w64 = await get(iso, `/build-wasm64/${f}`);
    assert.equal(w64.status, 200, f);
    assert.equal(w64.headers['content-type'], 'application/wasm', f);
    assert.equal(w64.headers['cross-origin-embedder-policy'], 'require-corp', f);
  }
  assert.equal((await get(iso, '/build-wasm64/CMakeCache.txt')).status, 404);
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

test('a symlinked index.html pointing out of the tree is 404', async () => {
  for (const p of ['/web/sym/', '/web/sym/index.html', '/web/etc/', '/web/etc/index.html']) {
    const r = await get(iso, p);
    assert.equal(r.status, 404, p);
    assert.ok(!/secret|root:/.test(r.body.toString()), p);
  }
});

test('only what the page needs: no dotfiles, build files or node_modules', async () => {
  for (const p of ['/build-web/CMakeCache.txt', '/build-web/CMakeFiles/CMakeOutput.log', '/build-web/configure.log',
                   '/web/.env', '/web/.git/config', '/web/%2egit/config', '/models/.hidden.gguf',
                   '/web/package.json', '/web/node_modules/x/index.js']) {
    const r = await get(iso, p);
    assert.equal(r.status, 404, p);
    assert.ok(!r.body.toString().includes('secret'), p);
  }
  for (const p of ['/web/chat/', '/web/index.mjs', '/build-web/mw-st.wasm', '/build-web/mw-st.worker.js', '/models/m.gguf']) {
    assert.equal((await get(iso, p)).status, 200, p);
  }
});

test('/vendor/ serves exactly the listed library files from web/node_modules; /csp.json names the allowed origins', async () => {
  const m = await get(iso, '/vendor/marked.esm.js');
  assert.equal(m.status, 200);
  assert.equal(m.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(m.headers['content-security-policy'], contentSecurityPolicy([]));
  assert.equal(m.body.toString(), 'export const marked = 1;');
  // Not listed, a symlink out of node_modules, traversal, a directory: all 404.
  for (const p of ['/vendor/marked.umd.js', '/vendor/purify.es.mjs', '/vendor/', '/vendor/../web/chat/',
                   '/vendor/%2e%2e/secret/key.txt', '/vendor/marked.esm.js/']) {
    const r = await get(iso, p);
    assert.equal(r.status, 404, p);
    assert.ok(!r.body.toString().includes('secret'), p);
  }
  assert.equal((await get(iso, '/web/chat/catalogue.json')).status, 200);
  assert.equal((await get(iso, '/web/chat/package.json')).status, 404);
  const c0 = await get(iso, '/csp.json');
  assert.equal(c0.status, 200);
  assert.match(c0.headers['content-type'], /^application\/json/);
  assert.deepEqual(JSON.parse(c0.body), { connectSrc: ["'self'"] });
  assert.deepEqual(JSON.parse((await get(noiso, '/csp.json')).body), { connectSrc: ["'self'", 'https://huggingface.co'] });
});

test('a file deleted between the path check and the read is a 404; the server keeps running', async () => {
  const victim = path.join(root, 'models/vanish.gguf');
  fs.writeFileSync(victim, 'GGUF');
  // Delete the file right after the server has resolved it: the race, made deterministic.
  const realpathSync = fs.realpathSync;
  fs.realpathSync = function (p, ...rest) {
    const real = realpathSync.call(this, p, ...rest);
    if (real.endsWith('vanish.gguf') && fs.existsSync(real)) fs.unlinkSync(real);
    return real;
  };
  try {
    const r = await get(iso, '/models/vanish.gguf');
    assert.equal(r.status, 404);
  } finally {
    fs.realpathSync = realpathSync;
  }
  assert.equal((await get(iso, '/models/m.gguf')).status, 200, 'still serving');
});

// One request with exactly the given Host header (or none), over a raw socket.
function rawHost(port, host) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.write(`GET /models/m.gguf HTTP/1.0\r\n${host === null ? '' : `Host: ${host}\r\n`}\r\n`);
    });
    let out = '';
    s.on('data', (d) => { out += d; });
    s.on('end', () => resolve({ status: Number(out.split(' ')[1]), text: out }));
    s.on('error', reject);
  });
}

test('Host must be a loopback name with the port (DNS rebinding)', async () => {
  for (const host of [`127.0.0.1:${iso}`, `localhost:${iso}`, `LOCALHOST:${iso}`, `[::1]:${iso}`]) {
    assert.equal((await rawHost(iso, host)).status, 200, host);
  }
  for (const host of [`evil.example:${iso}`, 'evil.example', `127.0.0.1:${iso + 1}`, '127.0.0.1', 'localhost',
                      `127.0.0.1.evil.example:${iso}`, `localhost:${iso}@evil.example`, '', null]) {
    const r = await rawHost(iso, host);
    assert.equal(r.status, 403, String(host));
    assert.ok(!r.text.includes('GGUF0123'), String(host));
  }
});

test('no protocol-relative redirects: empty segments are 404', async () => {
  for (const p of ['/x/..//models', '/x/..//models/', '//models', '//evil.example/', '/web//chat', '/web/chat//',
                   '/x/../%2fevil.example', '/%2f%2fevil.example/']) {
    const r = await get(iso, p);
    assert.ok(!(r.headers.location || '').startsWith('//'), `${p} -> ${r.headers.location}`);
    assert.equal(r.status, 404, p);
  }
  const d = await get(iso, '/web/chat?x=1');
  assert.equal(d.status, 301);
  assert.equal(d.headers.location, '/web/chat/?x=1');
});

test('an invalid range (last < first) is ignored: 200 with the whole file', async () => {
  const r = await get(iso, '/models/m.gguf', { headers: { Range: 'bytes=5-2' } });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-range'], undefined);
  assert.equal(r.body.toString(), 'GGUF0123456789');
  assert.equal((await get(iso, '/models/m.gguf', { headers: { Range: 'bytes=-0' } })).status, 416);
  assert.equal((await get(iso, '/models/m.gguf', { headers: { Range: 'bytes=0-1,4-5' } })).status, 200);
  assert.equal((await get(iso, '/models/m.gguf', { headers: { Range: 'items=0-1' } })).status, 200);
});

test('ETag, Last-Modified and If-Range (RFC 9110 13.1.5)', async () => {
  const full = await get(iso, '/models/old.gguf');
  const etag = full.headers.etag, lastModified = full.headers['last-modified'];
  assert.match(etag, /^"[^"]+"$/, 'a strong ETag');
  assert.equal(new Date(lastModified).getTime(), Math.floor(fs.statSync(path.join(root, 'models/old.gguf')).mtimeMs / 1000) * 1000);
  assert.equal((await get(iso, '/models/old.gguf', { method: 'HEAD' })).headers.etag, etag);
  const ranged = (ifRange) => get(iso, '/models/old.gguf', { headers: { Range: 'bytes=4-7', 'If-Range': ifRange } });
  let r = await ranged(etag);
  assert.equal(r.status, 206, 'same ETag: the range');
  assert.equal(r.body.toString(), '0123');
  r = await ranged(lastModified);
  assert.equal(r.status, 206, 'same (strong) Last-Modified: the range');
  for (const stale of ['"other"', `W/${etag}`, new Date(Date.parse(lastModified) - 1000).toUTCString(), 'garbage']) {
    r = await ranged(stale);
    assert.equal(r.status, 200, `If-Range ${stale}: the whole file`);
    assert.equal(r.body.toString(), 'GGUF0123456789');
    assert.equal(r.headers['content-range'], undefined);
  }
  // A changed file gets another ETag, so a resumed download restarts from 0.
  fs.writeFileSync(path.join(root, 'models/old.gguf'), 'GGUF0123456789-changed');
  r = await ranged(etag);
  assert.equal(r.status, 200);
  assert.notEqual(r.headers.etag, etag);
  // A Last-Modified within the last second is weak: the date never matches (8.8.2.2).
  const fresh = await get(iso, '/models/m.gguf');
  fs.utimesSync(path.join(root, 'models/m.gguf'), new Date(), new Date());
  const lm = (await get(iso, '/models/m.gguf', { method: 'HEAD' })).headers['last-modified'];
  assert.equal((await get(iso, '/models/m.gguf', { headers: { Range: 'bytes=0-1', 'If-Range': lm } })).status, 200);
  assert.equal(fresh.status, 200);
});
