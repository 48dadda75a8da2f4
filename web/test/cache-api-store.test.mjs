// cache-api-store.test.mjs — the Cache API store of download.mjs (browsers without OPFS) in Node
// with an in-memory stand-in for `caches`: a download streams into the cache while it runs (the
// store holds no copy of the file: a model for the wasm64 module may be larger than any
// ArrayBuffer), becomes the URL's entry only on commit, and an incomplete one leaves nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cacheApiStore } from '../download.mjs';

function fakeCaches() {
  const entries = new Map(), consumed = new Map();
  const cache = {
    async match(k) { const e = entries.get(k); return e ? new Response(e.bytes, { headers: e.headers }) : undefined; },
    async put(k, resp) {
      const reader = resp.body.getReader(), parts = [];
      let n = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value); n += value.length; consumed.set(k, n);
      }
      entries.set(k, { bytes: Buffer.concat(parts), headers: resp.headers });
    },
    async delete(k) { consumed.delete(k); return entries.delete(k); },
  };
  return { entries, consumed, open: async () => cache };
}

const URL_ = 'https://example.test/m.gguf';
const chunk = (i) => new Uint8Array(1000).fill(i);

test('a download streams into the cache as it runs and is the URL\'s entry after commit', async () => {
  const caches = fakeCaches();
  const store = await cacheApiStore(URL_, caches);
  const w = await store.writer(0);
  for (let i = 0; i < 5; i++) await w.write(chunk(i));
  // the cache has taken (nearly) every chunk already: nothing waits in memory for the commit
  const taken = [...caches.consumed.values()].reduce((a, b) => a + b, 0);
  assert.ok(taken >= 4000, `the cache consumed ${taken} of 5000 bytes before the download ended`);
  assert.equal(await store.meta(), null, 'not the URL\'s entry before commit');
  await w.close(true);
  assert.equal(await store.size(), 5000);
  await store.saveMeta({ url: URL_, complete: true, size: 5000 });
  assert.deepEqual(await store.meta(), { url: URL_, complete: true, size: 5000 });
  const got = [];
  for await (const c of store.read()) got.push(...c);
  assert.equal(got.length, 5000);
  assert.equal(got[4999], 4);
  assert.deepEqual([...caches.entries.keys()], [URL_], 'the incomplete entry is gone');
});

test('an incomplete download leaves nothing in the cache', async () => {
  const caches = fakeCaches();
  const store = await cacheApiStore(URL_, caches);
  const w = await store.writer(0);
  await w.write(chunk(1));
  await w.close(false);
  await store.saveMeta({ url: URL_, complete: true, size: 1000 });
  assert.equal(caches.entries.size, 0);
  assert.equal(await store.meta(), null);
});
