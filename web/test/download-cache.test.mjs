// download-cache.test.mjs — the download cache (Node's cacheDir; the OPFS store shares the
// logic) against misbehaving servers: an HTML page served with 200, a stored HTML prefix, a
// file replaced on a server that ignores If-Range, a Content-Length larger than the file, a
// 416 for a resume, and a stored copy that does not load. Each must end with a model that
// loads (from the right bytes), never with a copy that poisons every later load.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEngine, NotGgufError } from '../index.mjs';
import { Sha256 } from '../sha256.mjs';
import { MODEL_BYTES, MODULE_BASE, GREEDY_48, requireModules, startServer, modelRoute } from '../test-support/helpers.mjs';

before(() => requireModules());

const SIZE = MODEL_BYTES.length;
const HTML = Buffer.from('<!doctype html><html><head><title>Sign in</title></head><body>please log in</body></html>\n');

/** Run fn(url, cacheDir, server) against a server with `route` at /m.gguf and a fresh cacheDir. */
async function withServer(route, fn) {
  const server = await startServer({ '/m.gguf': route });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-cache-'));
  try { await fn(server.url('/m.gguf'), dir, server); } finally {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
const keyOf = (url) => new Sha256().update(new TextEncoder().encode(url)).hex().slice(0, 32);

/** Leave a copy in cacheDir as an earlier (interrupted or finished) download would have. */
function seed(dir, url, bytes, meta) {
  const key = keyOf(url);
  fs.writeFileSync(path.join(dir, key + '.gguf'), bytes);
  fs.writeFileSync(path.join(dir, key + '.json'), JSON.stringify({ url, ...meta }));
}
function stored(dir, url) {
  const key = keyOf(url);
  const file = path.join(dir, key + '.gguf'), metaFile = path.join(dir, key + '.json');
  return { bytes: fs.existsSync(file) ? fs.readFileSync(file) : null,
           meta: fs.existsSync(metaFile) ? JSON.parse(fs.readFileSync(metaFile, 'utf8')) : null };
}

async function load(url, cacheDir, events = []) {
  return createEngine({ model: url, cacheDir, moduleBase: MODULE_BASE, variant: 'st', onProgress: (p) => events.push(p.phase) });
}
async function greedy(e) {
  try {
    return (await e.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 48 })).choices[0].text;
  } finally { await e.dispose(); }
}

test('a 200 HTML page is not cached as a model: the next load downloads the model', async () => {
  let body = HTML;
  await withServer(modelRoute(() => body, { type: 'text/html' }), async (url, dir, server) => {
    await assert.rejects(load(url, dir), (e) => e instanceof NotGgufError && /not a GGUF file.*text\/html/.test(e.message));
    assert.equal(stored(dir, url).bytes, null, 'the HTML page was stored');
    body = MODEL_BYTES;
    const n = server.log.length;
    assert.equal(await greedy(await load(url, dir)), GREEDY_48);
    assert.equal(server.log.length, n + 1, 'the second load asked the server');
    assert.equal(stored(dir, url).meta.complete, true);
  });
});

test('a stored HTML prefix is not resumed: the download starts over', async () => {
  await withServer(modelRoute(MODEL_BYTES), async (url, dir, server) => {
    seed(dir, url, HTML, { etag: '"v1"', size: SIZE, complete: false });
    assert.equal(await greedy(await load(url, dir)), GREEDY_48);
    assert.equal(server.log.at(-1).range, null, 'asked for the whole file');
    assert.equal(stored(dir, url).bytes.length, SIZE);
  });
});

test('a file replaced on a server that ignores If-Range is downloaded again, not spliced', async () => {
  // the old file: the same model with different weights in its first 300 kB
  const old = Buffer.from(MODEL_BYTES);
  for (let i = 100_000; i < 300_000; i++) old[i] ^= 0x5a;
  await withServer(modelRoute(MODEL_BYTES, { etag: '"v2"', honourIfRange: false }), async (url, dir, server) => {
    seed(dir, url, old.subarray(0, 300_000), { etag: '"v1"', size: SIZE, complete: false });
    assert.equal(await greedy(await load(url, dir)), GREEDY_48);
    assert.ok(Buffer.from(stored(dir, url).bytes).equals(MODEL_BYTES), 'the stored copy is the new file');
    assert.equal(stored(dir, url).meta.etag, '"v2"');
  });
});

test('a partial copy saved without a validator is not resumed', async () => {
  const old = Buffer.from(MODEL_BYTES);
  for (let i = 100_000; i < 300_000; i++) old[i] ^= 0x5a;
  await withServer(modelRoute(MODEL_BYTES, { honourIfRange: false }), async (url, dir, server) => {
    seed(dir, url, old.subarray(0, 300_000), { etag: null, size: SIZE, complete: false });
    assert.equal(await greedy(await load(url, dir)), GREEDY_48);
    assert.equal(server.log.at(-1).range, null);
  });
});

test('a Content-Length larger than the file: the load succeeds and is cached, no 416 loop', async () => {
  await withServer(modelRoute(MODEL_BYTES, { extraLength: 1000 }), async (url, dir, server) => {
    assert.equal(await greedy(await load(url, dir)), GREEDY_48);
    assert.equal(stored(dir, url).meta.complete, true);
    assert.equal(stored(dir, url).bytes.length, SIZE);
    const n = server.log.length, events = [];
    assert.equal(await greedy(await load(url, dir, events)), GREEDY_48);
    assert.equal(server.log.length, n, 'the second load used the stored copy');
    assert.ok(events.includes('cache'), events.join());
  });
});

test('a download that breaks off mid-file resumes from the bytes received, in the same load', async () => {
  const half = Math.floor(SIZE / 2);
  await withServer(modelRoute(MODEL_BYTES, { breakFirstAt: half }), async (url, dir, server) => {
    assert.equal(await greedy(await load(url, dir)), GREEDY_48);
    assert.deepEqual(server.log.map((r) => r.range), [null, `bytes=${half}-`]);
    assert.equal(stored(dir, url).meta.complete, true);
    assert.deepEqual(stored(dir, url).bytes, Buffer.from(MODEL_BYTES));
  });
});

test('a 416 answering a resume starts the download over', async () => {
  await withServer(modelRoute(MODEL_BYTES), async (url, dir, server) => {
    // all the bytes, still marked incomplete (as a download cut after its last byte leaves it)
    seed(dir, url, MODEL_BYTES, { etag: '"v1"', size: SIZE + 1000, complete: false });
    assert.equal(await greedy(await load(url, dir)), GREEDY_48);
    assert.deepEqual(server.log.map((r) => r.range), [`bytes=${SIZE}-`, null]);
    assert.equal(stored(dir, url).meta.complete, true);
  });
});

test('a stored copy that does not load is dropped', async () => {
  await withServer(modelRoute(MODEL_BYTES), async (url, dir, server) => {
    const bad = Buffer.from(MODEL_BYTES);
    bad.write('GGUX', 0);
    seed(dir, url, bad, { etag: '"v1"', size: SIZE, complete: true });
    await assert.rejects(load(url, dir), NotGgufError);
    assert.equal(stored(dir, url).bytes, null, 'the bad copy is gone');
    assert.equal(await greedy(await load(url, dir)), GREEDY_48);
  });
});

test('a resumed download continues the stored prefix (same validator)', async () => {
  await withServer(modelRoute(MODEL_BYTES), async (url, dir, server) => {
    seed(dir, url, MODEL_BYTES.subarray(0, 300_000), { etag: '"v1"', size: SIZE, complete: false });
    assert.equal(await greedy(await load(url, dir)), GREEDY_48);
    assert.deepEqual(server.log.map((r) => [r.range, r.ifRange]), [['bytes=300000-', '"v1"']]);
  });
});
