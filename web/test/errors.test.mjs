// errors.test.mjs — every typed error of createEngine, with real bytes and a real loopback HTTP
// server: not a GGUF, unsupported architecture, too large (huge context; a header claiming huge
// tensors, rejected before the body arrives), aborted download, 404, sha256 mismatch, no SIMD;
// plus HTTP Range resume of an interrupted download into a cache directory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import {
  createEngine, NotGgufError, UnsupportedModelError, ModelTooLargeError, AbortError, DownloadError,
  NoSimdError, MwError,
} from '../index.mjs';
import {
  MODULE_BASE, MODEL, MODEL_BYTES, GREEDY_48, requireModules, startServer, fileRoute,
  ggufWithArch, ggufWithHugeTensor,
} from '../test-support/helpers.mjs';

const base = { moduleBase: MODULE_BASE, variant: 'st' };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-errors-'));
let server;
const huge = ggufWithHugeTensor(MODEL_BYTES);
const routes = {
  '/model.gguf': fileRoute(MODEL_BYTES),
  '/stall.gguf': fileRoute(MODEL_BYTES, { stallAfter: 300_000 }),
  '/huge.gguf': fileRoute(huge, { stallAfter: 65536 }),
  '/gpt2.gguf': fileRoute(ggufWithArch(MODEL_BYTES, 'gpt2'), { stallAfter: 65536 }),
  '/text.gguf': (req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>not a model</html>'),
};

before(async () => { requireModules(); server = await startServer(routes); });
after(async () => { await server.close(); fs.rmSync(tmp, { recursive: true, force: true }); });

test('a file that is not a GGUF → NotGgufError', async () => {
  const f = path.join(tmp, 'readme.gguf');
  fs.writeFileSync(f, 'This is a text file, not a model.\n'.repeat(1000));
  await assert.rejects(createEngine({ ...base, model: f }), (e) => e instanceof NotGgufError && e.code === 'not_gguf');
  await assert.rejects(createEngine({ ...base, model: server.url('/text.gguf') }), NotGgufError);
  // a truncated GGUF is not a usable GGUF either
  await assert.rejects(createEngine({ ...base, model: MODEL_BYTES.subarray(0, 500_000) }),
                       (e) => e instanceof NotGgufError && e.code === 'truncated');
});

test('general.architecture "gpt2" → UnsupportedModelError', async () => {
  const bytes = ggufWithArch(MODEL_BYTES, 'gpt2');
  await assert.rejects(createEngine({ ...base, model: bytes }),
                       (e) => e instanceof UnsupportedModelError && e.code === 'unsupported_model' && /gpt2/.test(e.message));
  // over HTTP the header is enough: the server sends 64 KiB and stalls
  await assert.rejects(createEngine({ ...base, model: server.url('/gpt2.gguf') }), UnsupportedModelError);
});

test('weights + KV cache beyond the wasm32 limit → ModelTooLargeError', async () => {
  await assert.rejects(createEngine({ ...base, model: MODEL, contextSize: 50_000_000 }),
                       (e) => e instanceof ModelTooLargeError && e.code === 'model_too_large');
  await assert.rejects(createEngine({ ...base, model: MODEL, memoryLimit: 1_000_000 }), ModelTooLargeError);
});

test('a header claiming huge tensors is rejected before the download completes', async () => {
  const t0 = Date.now();
  await assert.rejects(createEngine({ ...base, model: server.url('/huge.gguf') }), ModelTooLargeError);
  // the server sent 64 KiB of 1.2 MB and stalled: the rejection came from the header alone
  assert.ok(Date.now() - t0 < 10_000);
  const entry = server.log.find((x) => x.url === '/huge.gguf');
  assert.ok(entry.sent < huge.length);
});

test('aborting a download → AbortError', async () => {
  const ac = new AbortController();
  let seen = 0;
  const p = createEngine({ ...base, model: server.url('/stall.gguf'), signal: ac.signal,
    onProgress: (ev) => { if (ev.phase === 'download' && ev.loaded > 0 && !seen++) ac.abort(); } });
  await assert.rejects(p, (e) => e instanceof AbortError && e.name === 'AbortError' && e.code === 'aborted');
  assert.ok(seen >= 1);
  const pre = new AbortController();
  pre.abort();
  await assert.rejects(createEngine({ ...base, model: MODEL, signal: pre.signal }), AbortError);
});

test('HTTP 404 → DownloadError; unreachable host → DownloadError', async () => {
  await assert.rejects(createEngine({ ...base, model: server.url('/missing.gguf') }),
                       (e) => e instanceof DownloadError && e.code === 'download_failed' && /404/.test(e.message));
  await assert.rejects(createEngine({ ...base, model: 'http://127.0.0.1:1/none.gguf' }), DownloadError);
});

test('sha256: a match loads, a mismatch → DownloadError', async () => {
  const sha = crypto.createHash('sha256').update(MODEL_BYTES).digest('hex');
  const e = await createEngine({ ...base, model: server.url('/model.gguf'), modelSha256: sha });
  const r = await e.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 48 });
  assert.equal(r.choices[0].text, GREEDY_48);
  await e.dispose();
  await assert.rejects(createEngine({ ...base, model: server.url('/model.gguf'), modelSha256: '0'.repeat(64) }),
                       (err) => err instanceof DownloadError && /sha256/.test(err.message));
});

test('an interrupted download resumes with an HTTP Range request', async () => {
  const cacheDir = path.join(tmp, 'cache');
  const url = server.url('/stall.gguf');
  const ac = new AbortController();
  const p = createEngine({ ...base, model: url, cacheDir, signal: ac.signal,
    // the server stalls after 300 kB: give the bytes time to land, then give up
    onProgress: (ev) => { if (ev.phase === 'download' && ev.loaded > 0) setTimeout(() => ac.abort(), 400); } });
  await assert.rejects(p, AbortError);
  const stored = fs.readdirSync(cacheDir).filter((f) => f.endsWith('.gguf'));
  assert.equal(stored.length, 1);
  const partial = fs.statSync(path.join(cacheDir, stored[0])).size;
  assert.ok(partial > 0 && partial < MODEL_BYTES.length, `partial ${partial}`);
  const before = server.log.length;
  const e = await createEngine({ ...base, model: url, cacheDir });
  const req = server.log.slice(before).find((x) => x.url === '/stall.gguf');
  assert.equal(req.range, `bytes=${partial}-`);
  assert.equal(req.ifRange, '"v1"');
  const r = await e.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 48 });
  assert.equal(r.choices[0].text, GREEDY_48);
  await e.dispose();
  // complete now: the next load comes from the cache without touching the network
  const n = server.log.length;
  const e2 = await createEngine({ ...base, model: url, cacheDir });
  assert.equal(server.log.length, n);
  await e2.dispose();
  assert.deepEqual(fs.readFileSync(path.join(cacheDir, stored[0])), MODEL_BYTES);
});

test('no WebAssembly SIMD → NoSimdError', async () => {
  const validate = WebAssembly.validate;
  WebAssembly.validate = () => false;
  try {
    await assert.rejects(createEngine({ ...base, model: MODEL }), (e) => e instanceof NoSimdError && e.code === 'no_simd');
  } finally { WebAssembly.validate = validate; }
});

test('bad arguments → MwError with code invalid_argument', async () => {
  await assert.rejects(createEngine({ ...base }), (e) => e instanceof MwError && e.code === 'invalid_argument');
  await assert.rejects(createEngine({ ...base, model: 42 }), (e) => e.code === 'invalid_argument');
  await assert.rejects(createEngine({ ...base, model: MODEL, contextSize: -1 }), (e) => e.code === 'invalid_argument');
});
