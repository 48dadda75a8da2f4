// opfs.test.mjs — opfs.mjs (a model put into OPFS and read in place, for expertCache in
// browsers) against an in-memory OPFS with FileSystemSyncAccessHandle's API: a picked File is
// copied in slices of at most 4 MiB with 'copy' progress, reads into a buffer go through the
// handle in reads of at most 4 MiB and give the file's bytes, an identical file's complete copy
// is reused ('cache', nothing written), drop() deletes it; a missing or refused OPFS, an origin
// quota too small and a write that hits the quota are StorageErrors with their codes, a
// failed copy leaves nothing behind, and a copy another engine holds open (Firefox's handles
// are exclusive) is waited for, then refused as storage_busy. The real browsers' OPFS:
// web/e2e/expert-cache.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openOpfsModel, CHUNK } from '../opfs.mjs';
import { InvalidArgumentError, StorageError } from '../errors.mjs';

const MiB = 1 << 20;

/** navigator.storage over memory: { storage, files (name → Uint8Array), log (ops), quota }. */
function fakeStorage({ quota = Infinity, usage = 0, sync = true, exclusive = false } = {}) {
  const files = new Map(), log = [], open = new Map();   // open: name → handles open (exclusive: at most 1)
  const fileHandle = (name) => {
    const h = {
      async getFile() { return new Blob([files.get(name) || new Uint8Array(0)]); },
      async createSyncAccessHandle() {
        if (exclusive && open.get(name)) throw new DOMException('No modification allowed', 'NoModificationAllowedError');
        open.set(name, (open.get(name) || 0) + 1);
        log.push(['open', name]);
        const grow = (n) => {
          if (n > quota) throw new DOMException('quota', 'QuotaExceededError');
          const old = files.get(name) || new Uint8Array(0);
          if (n !== old.length) { const b = new Uint8Array(n); b.set(old.subarray(0, Math.min(n, old.length))); files.set(name, b); }
        };
        return {
          truncate: (n) => { log.push(['truncate', name, n]); grow(n); },
          getSize: () => (files.get(name) || []).length,
          write(view, { at }) {
            log.push(['write', name, view.length]);
            if (at + view.length > (files.get(name) || []).length) grow(at + view.length);
            files.get(name).set(view, at);
            return view.length;
          },
          read(view, { at }) {
            log.push(['read', name, view.length]);
            const src = (files.get(name) || new Uint8Array(0)).subarray(at, at + view.length);
            view.set(src);
            return src.length;
          },
          flush() {}, close() { open.set(name, open.get(name) - 1); log.push(['close', name]); },
        };
      },
    };
    if (!sync) delete h.createSyncAccessHandle;
    return h;
  };
  const dir = {
    async getFileHandle(name, { create = false } = {}) {
      if (!files.has(name)) {
        if (!create) throw new DOMException('no such file', 'NotFoundError');
        files.set(name, new Uint8Array(0));
      }
      return fileHandle(name);
    },
    async removeEntry(name) {
      if (!files.delete(name)) throw new DOMException('no such file', 'NotFoundError');
    },
  };
  const storage = {
    async getDirectory() { return { getDirectoryHandle: async () => dir }; },
    async estimate() { return { quota, usage }; },
  };
  return { storage, files, log };
}

const bytes = (n) => { const b = new Uint8Array(n); for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >> 13)) & 255; return b; };
const SIZE = 9 * MiB + 123;
const FILE = new File([bytes(SIZE)], 'mixtral.gguf', { lastModified: 1700000000000 });
const blobSpec = (f = FILE) => ({ kind: 'blob', blob: f, name: f.name, size: f.size });

test('a File is copied into OPFS in <= 4 MiB slices with copy progress; reads are <= 4 MiB and give its bytes; a second open reuses the copy', async () => {
  const fake = fakeStorage();
  const progress = [];
  const m = await openOpfsModel(blobSpec(), { storage: fake.storage, onProgress: (p) => progress.push(p) });
  assert.equal(m.size, SIZE);
  assert.equal(m.fromCache, false);
  const writes = fake.log.filter((o) => o[0] === 'write' && o[1].endsWith('.gguf'));
  assert.equal(writes.length, Math.ceil(SIZE / CHUNK));
  assert.ok(writes.every((w) => w[2] <= 4 * MiB));
  assert.ok(progress.every((p) => p.phase === 'copy' && p.total === SIZE));
  assert.deepEqual(progress.map((p) => p.loaded), [0, 4 * MiB, 8 * MiB, SIZE]);
  assert.equal(progress.at(-1).fraction, 1);

  fake.log.length = 0;
  const dst = new Uint8Array(new SharedArrayBuffer(SIZE - 5), 0);
  assert.equal(m.read(5, dst), SIZE - 5);
  assert.ok(Buffer.from(dst).equals(Buffer.from(bytes(SIZE).subarray(5))), 'the bytes of the file from offset 5');
  const reads = fake.log.filter((o) => o[0] === 'read');
  assert.equal(reads.length, 3);
  assert.ok(reads.every((r) => r[2] <= 4 * MiB));
  assert.equal(m.read(SIZE - 2, new Uint8Array(10)), 2, 'a read past the end stops there');
  m.close();
  m.close();   // twice is harmless

  fake.log.length = 0;
  progress.length = 0;
  const again = await openOpfsModel(blobSpec(), { storage: fake.storage, onProgress: (p) => progress.push(p) });
  assert.equal(again.fromCache, true);
  assert.deepEqual(progress.map((p) => p.phase), ['cache']);
  assert.equal(fake.log.filter((o) => o[0] === 'write').length, 0, 'nothing copied again');
  await again.drop();
  assert.deepEqual([...fake.files.keys()], [], 'drop() deletes the copy and its record');

  // another file of the same name (changed since: another lastModified) is copied anew
  const m2 = await openOpfsModel(blobSpec(new File([bytes(1000)], 'mixtral.gguf', { lastModified: 2 })), { storage: fake.storage });
  assert.equal(m2.fromCache, false);
  assert.equal(m2.size, 1000);
});

test('no OPFS, a refused OPFS, no sync access: StorageError storage_unavailable; bytes: InvalidArgumentError', async () => {
  const unavailable = (re) => (e) => e instanceof StorageError && e.code === 'storage_unavailable' && re.test(e.message);
  await assert.rejects(openOpfsModel(blobSpec(), { storage: null }), unavailable(/Origin Private File System/));
  await assert.rejects(openOpfsModel(blobSpec(), { storage: { getDirectory: async () => { throw new DOMException('denied', 'SecurityError'); } } }),
                       unavailable(/refused.*SecurityError/));
  await assert.rejects(openOpfsModel(blobSpec(), { storage: fakeStorage({ sync: false }).storage }), unavailable(/dedicated Worker/));
  await assert.rejects(openOpfsModel({ kind: 'pull', size: 4 }, { storage: fakeStorage().storage }),
                       (e) => e instanceof InvalidArgumentError && /URL or a File/.test(e.message));
});

test('quota: too little room is refused before any write; a write that hits the quota is storage_quota and leaves nothing', async () => {
  const early = fakeStorage({ quota: 10 * MiB, usage: 2 * MiB });
  await assert.rejects(openOpfsModel(blobSpec(), { storage: early.storage }),
                       (e) => e instanceof StorageError && e.code === 'storage_quota' && /do not fit/.test(e.message));
  assert.equal(early.log.filter((o) => o[0] === 'write' || o[0] === 'truncate').length, 0);

  // the estimate says it fits, the disk does not (estimate is a hint)
  const late = fakeStorage({ quota: 5 * MiB });
  late.storage.estimate = async () => ({ quota: 1e12, usage: 0 });
  await assert.rejects(openOpfsModel(blobSpec(), { storage: late.storage }),
                       (e) => e instanceof StorageError && e.code === 'storage_quota' && /QuotaExceededError/.test(e.message));
  assert.deepEqual([...late.files.keys()], [], 'the partial copy is deleted');
});

test('an aborted copy is an AbortError and leaves nothing', async () => {
  const fake = fakeStorage();
  const ac = new AbortController();
  await assert.rejects(openOpfsModel(blobSpec(), { storage: fake.storage, signal: ac.signal,
                                                   onProgress: (p) => { if (p.loaded >= 4 * MiB) ac.abort(); } }),
                       (e) => e.name === 'AbortError' && e.code === 'aborted');
  assert.deepEqual([...fake.files.keys()], []);
});

test('a copy another engine holds open (Firefox: one reader at a time) is waited for, then storage_busy', async () => {
  const fake = fakeStorage({ exclusive: true });
  const first = await openOpfsModel(blobSpec(), { storage: fake.storage });
  setTimeout(() => first.close(), 300);   // an engine being disposed lets go a moment later
  const second = await openOpfsModel(blobSpec(), { storage: fake.storage });
  assert.equal(second.fromCache, true);
  const t0 = Date.now();
  await assert.rejects(openOpfsModel(blobSpec(), { storage: fake.storage }),
                       (e) => e instanceof StorageError && e.code === 'storage_busy' && /dispose that engine first/.test(e.message));
  assert.ok(Date.now() - t0 >= 2500, 'waited before giving up');
  second.close();
});
