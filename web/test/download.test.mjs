// download.test.mjs — the pieces under the model loader: the streaming SHA-256 (FIPS 180-4
// vectors, arbitrary chunking vs node:crypto), model specs, and byte sources (buffer, Blob,
// path, URL) yielding exactly the file's bytes; a Blob model through createEngine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { Sha256 } from '../sha256.mjs';
import { describeModel, openModelSource } from '../download.mjs';
import { createEngine } from '../index.mjs';
import { MODEL, MODEL_BYTES, MODULE_BASE, GREEDY_48, requireModules, startServer, fileRoute } from '../test-support/helpers.mjs';

const hex = (s) => new Sha256().update(new TextEncoder().encode(s)).hex();

test('SHA-256 known vectors', () => {
  assert.equal(hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
               '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  const a = new Sha256();
  const chunk = new Uint8Array(1000).fill(0x61);
  for (let i = 0; i < 1000; i++) a.update(chunk);   // one million 'a'
  assert.equal(a.hex(), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
});

test('SHA-256 over random chunkings equals node:crypto', () => {
  let seed = 7;
  const rnd = (n) => { seed = (seed * 1103515245 + 12345) >>> 0; return seed % n; };
  for (const len of [0, 1, 55, 56, 63, 64, 65, 127, 128, 4097, 100_003]) {
    const data = crypto.randomBytes(len);
    const h = new Sha256();
    for (let i = 0; i < len;) { const k = Math.min(len - i, 1 + rnd(200)); h.update(data.subarray(i, i + k)); i += k; }
    assert.equal(h.hex(), crypto.createHash('sha256').update(data).digest('hex'), `length ${len}`);
  }
});

test('describeModel classifies the model option', () => {
  assert.equal(describeModel('https://example.com/m.gguf').kind, 'url');
  assert.equal(describeModel(new URL('http://127.0.0.1/m.gguf')).kind, 'url');
  assert.equal(describeModel('models/stories260K.gguf').kind, 'path');
  assert.equal(describeModel('file:///tmp/m.gguf').kind, 'path');
  assert.equal(describeModel(new Uint8Array(4)).kind, 'pull');
  assert.equal(describeModel(new ArrayBuffer(4)).size, 4);
  assert.equal(describeModel(new Blob([new Uint8Array(9)])).kind, 'blob');
  assert.throws(() => describeModel(42), (e) => e.code === 'invalid_argument');
});

async function collect(src) {
  const parts = [];
  for await (const c of src.chunks()) parts.push(Buffer.from(c));   // copy: path chunks reuse one buffer
  return Buffer.concat(parts);
}

test('every source yields exactly the file, with progress', async () => {
  const server = await startServer({ '/m.gguf': fileRoute(MODEL_BYTES) });
  try {
    for (const spec of [{ kind: 'path', path: MODEL }, MODEL_BYTES, { kind: 'blob', blob: new Blob([MODEL_BYTES]) },
                        { kind: 'url', url: server.url('/m.gguf') }]) {
      const events = [];
      const src = await openModelSource(spec, { onProgress: (e) => events.push(e) });
      assert.equal(src.size, MODEL_BYTES.length);
      assert.ok((await collect(src)).equals(MODEL_BYTES), spec.kind || 'bytes');
      const last = events[events.length - 1];
      assert.equal(last.loaded, MODEL_BYTES.length);
      assert.equal(last.fraction, 1);
    }
  } finally { await server.close(); }
});

test('a Blob model loads through createEngine', async () => {
  requireModules();
  const e = await createEngine({ model: new Blob([MODEL_BYTES]), moduleBase: MODULE_BASE, variant: 'st' });
  try {
    const r = await e.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 48 });
    assert.equal(r.choices[0].text, GREEDY_48);
  } finally { await e.dispose(); }
});
