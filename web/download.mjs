// download.mjs — model bytes as a stream of chunks, from wherever the model is.
//
// openModelSource(spec) yields Uint8Array chunks in file order, for the wasm push loader:
//   - a URL: fetch with progress; in browsers the bytes are also written to OPFS (Cache API
//     when OPFS is missing) and read from there next time; an interrupted download resumes
//     with an HTTP Range request (If-Range on the ETag / Last-Modified). In Node the same
//     happens under `cacheDir` when one is given, else the bytes just stream through.
//     A stored copy is trusted only as far as it can be checked: bytes that do not start with
//     the GGUF magic are never stored; a copy is marked complete only by commit(), which the
//     loader calls once the model has been built from it (so its header, and the size the
//     header implies, have been checked); a resume needs the validator the copy was saved
//     with, and starts over when the server's validator changed, when it answers 416, or when
//     it answers the Range request with a whole new file.
//   - a Blob/File (read through its stream), a Uint8Array/ArrayBuffer (sliced, no copy),
//   - in Node a file path (read in 4 MiB pieces), or a `pull(offset, size)` callback (the engine
//     pulls a caller's buffer across the Worker boundary one chunk at a time).
// Size (Content-Length / Content-Range) and an optional sha256 are checked as the bytes pass;
// a mismatch throws DownloadError and drops the stored copy. Nothing holds the whole file.
import { AbortError, DownloadError, InvalidArgumentError, MwError, NotGgufError } from './errors.mjs';
import { createSha256, Sha256 } from './sha256.mjs';
import { isNode } from './env.mjs';

const READ_CHUNK = 4 << 20;
const enc = new TextEncoder();

/** Turn the caller's `model` option into a structured-cloneable spec (runs on the caller's
 *  thread). Buffers are not copied: they are pulled chunk by chunk (kind 'pull'). */
export function describeModel(model) {
  if (typeof model === 'string' || model instanceof URL) {
    const s = String(model);
    if (/^(https?|blob|data):/i.test(s)) return { kind: 'url', url: s };
    if (/^file:/i.test(s)) return { kind: 'path', path: s };
    if (isNode) return { kind: 'path', path: s };
    const base = typeof location === 'object' ? location.href : undefined;
    return { kind: 'url', url: new URL(s, base).href };
  }
  if (typeof Blob !== 'undefined' && model instanceof Blob)
    return { kind: 'blob', blob: model, name: model.name || 'model.gguf', size: model.size };
  if (model instanceof ArrayBuffer || ArrayBuffer.isView(model)) {
    const bytes = model instanceof ArrayBuffer ? new Uint8Array(model)
                                                : new Uint8Array(model.buffer, model.byteOffset, model.byteLength);
    return { kind: 'pull', size: bytes.length, name: 'buffer', bytes };
  }
  throw new InvalidArgumentError('model must be a URL, a File/Blob, an ArrayBuffer/Uint8Array or (Node) a file path');
}

function asAbortError(e, signal) {
  if (e instanceof MwError) return e;
  if ((e && e.name === 'AbortError') || (signal && signal.aborted))
    return new AbortError('the model download was aborted');
  return null;
}

function throttled(onProgress, phase, total, extra) {
  let last = 0, lastT = 0;
  return (loaded, force) => {
    if (!onProgress) return;
    const now = Date.now();
    if (force || loaded - last >= (1 << 20) || now - lastT >= 100) {
      last = loaded; lastT = now;
      onProgress({ phase, loaded, total: total ?? null, fraction: total ? loaded / total : null, ...extra });
    }
  };
}

/**
 * Async-iterable source of the model's bytes. spec: from describeModel (or a Uint8Array).
 * opts: { signal, onProgress({phase, loaded, total, fraction}), sha256, cache (default true),
 *         cacheDir (Node), pull(offset, size) → Promise<Uint8Array> for kind 'pull', fetch }.
 * Returns { name, size (null if unknown), fromNetwork, chunks(), commit(), drop() }.
 * The caller sets `impliedSize` (the file size the GGUF header implies) as soon as it knows it:
 * a body that breaks off after that many bytes is then complete (a server whose Content-Length
 * was too large). commit() marks a stored download complete (call it once the model loaded);
 * drop() deletes the stored copy (call it when the bytes turned out not to be a usable model).
 */
export async function openModelSource(spec, opts = {}) {
  if (spec instanceof Uint8Array) spec = { kind: 'pull', size: spec.length, bytes: spec, name: 'buffer' };
  const { signal } = opts;
  if (signal && signal.aborted) throw new AbortError('the model load was aborted');
  let src;
  switch (spec.kind) {
    case 'url': src = await urlSource(spec.url, opts); break;
    case 'path': src = await pathSource(spec.path); break;
    case 'blob': src = blobSource(spec.blob); break;
    case 'pull': src = pullSource(spec, opts.pull); break;
    default: throw new InvalidArgumentError(`unknown model spec ${spec && spec.kind}`);
  }
  const out = { commit: async () => {}, drop: null, impliedSize: null, ...src };
  out.chunks = () => verified(out, opts);
  return out;
}

/** Pass chunks through, checking abort, progress, size and sha256 on the way. */
async function* verified(src, { signal, onProgress, sha256 }) {
  const hasher = sha256 ? await createSha256() : null;
  // a resumed download reports how many bytes came from the stored partial copy
  const progress = throttled(onProgress, src.phase, src.size, src.resumedFrom ? { resumedFrom: src.resumedFrom } : null);
  let loaded = 0;
  const it = src.iterate(src);
  try {
    for await (const chunk of it) {
      if (signal && signal.aborted) throw new AbortError('the model load was aborted');
      if (hasher) hasher.update(chunk);
      loaded += chunk.length;
      progress(loaded);
      yield chunk;
    }
    progress(loaded, true);
    // a body cut short after all the bytes the GGUF header implies (Content-Length too large)
    const expected = src.impliedSize != null && src.size != null && loaded >= src.impliedSize && loaded < src.size
      ? loaded : src.size;
    if (expected != null && loaded !== expected) {
      if (src.drop) await src.drop();
      throw new DownloadError(`${src.name}: got ${loaded} bytes, expected ${src.size}`);
    }
    if (hasher) {
      const got = hasher.hex();
      if (got !== String(sha256).toLowerCase()) {
        if (src.drop) await src.drop();
        throw new DownloadError(`${src.name}: sha256 ${got} does not match the expected ${sha256}`);
      }
    }
    if (src.done) await src.done();
  } catch (e) {
    throw asAbortError(e, signal) || e;
  } finally {
    if (it.return) await it.return();
  }
}

function pullSource(spec, pull) {
  const { size } = spec;
  const bytes = spec.bytes;
  if (!bytes && !pull) throw new InvalidArgumentError('a pull source needs a pull() callback');
  return {
    name: spec.name || 'buffer', size, phase: 'read', fromNetwork: false,
    async *iterate() {
      for (let off = 0; off < size; off += READ_CHUNK) {
        const n = Math.min(READ_CHUNK, size - off);
        yield bytes ? bytes.subarray(off, off + n) : await pull(off, n);
      }
    },
  };
}

function blobSource(blob) {
  return {
    name: blob.name || 'model.gguf', size: blob.size, phase: 'read', fromNetwork: false,
    async *iterate() {
      for (let off = 0; off < blob.size; off += READ_CHUNK) yield await readBlobSlice(blob, off, off + READ_CHUNK);
    },
  };
}

/** Bytes [start, end) of a Blob (end clamped to its size). */
export async function readBlobSlice(blob, start, end) {
  try {
    return new Uint8Array(await blob.slice(start, Math.min(blob.size, end)).arrayBuffer());
  } catch (e) {
    // a picked file moved or deleted since; Firefox names that read error AbortError
    throw new DownloadError(`cannot read ${blob.name || 'the model file'}: ${e.name}: ${String(e.message).trim()} (was it moved or changed?)`);
  }
}

async function pathSource(p) {
  if (!isNode) throw new InvalidArgumentError('file paths work only in Node; pass a URL or a File');
  const fs = await import('node:fs/promises');
  const { fileURLToPath } = await import('node:url');
  const file = /^file:/i.test(p) ? fileURLToPath(p) : p;
  let fh;
  try { fh = await fs.open(file, 'r'); } catch (e) {
    throw new MwError(`cannot open ${file}: ${e.message}`, { code: 'io' });
  }
  const size = (await fh.stat()).size;
  return {
    name: file, size, phase: 'read', fromNetwork: false,
    async *iterate() {
      const buf = new Uint8Array(Math.min(READ_CHUNK, Math.max(1, size)));
      try {
        for (let off = 0; off < size;) {
          const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - off), off);
          if (!bytesRead) break;
          off += bytesRead;
          yield buf.subarray(0, bytesRead);   // consumed (copied into wasm) before the next read
        }
      } finally { await fh.close(); }
    },
  };
}

// ---- URLs: fetch + storage (OPFS, Cache API, or a Node directory) ----

/** The stored copy's file name (without .gguf / .json) for a URL, or any other string. */
export function storeKey(url) { return new Sha256().update(enc.encode(url)).hex().slice(0, 32); }

/** OPFS's directory of stored models (opfsStore; opfs.mjs reads models in place from it). */
export async function opfsModelsDir(storage = navigator.storage) {
  const root = await storage.getDirectory();
  return root.getDirectoryHandle('mistral-wasm-models', { create: true });
}

const localLocks = new Map();   // lock name → the promise the next holder waits for

/**
 * Run fn() while holding the lock of the stored copy of spec's URL, so two loads of one model
 * (two tabs, two engines) never write one file at once: the second waits, then reads the copy
 * the first finished (or resumes / starts over if the first failed). Browsers, and Node when it
 * has navigator.locks: the Web Locks API, shared by every tab and worker of an origin; other
 * Node versions: within this process (not across processes). Without a store there is no lock.
 * opts: { cache, cacheDir, signal } as for openModelSource.
 */
export async function withModelLock(spec, { cache = true, cacheDir, signal } = {}, fn) {
  if (!spec || spec.kind !== 'url' || cache === false || (isNode && !cacheDir)) return fn();
  let name = `mistral-wasm-model:${storeKey(spec.url)}`;
  if (isNode) name += `:${(await import('node:path')).resolve(cacheDir)}`;
  const aborted = () => new AbortError('the model load was aborted');
  const locks = typeof navigator === 'object' && navigator.locks;
  if (locks && typeof locks.request === 'function') {
    try {
      return await locks.request(name, signal ? { signal } : {}, () => fn());
    } catch (e) {
      throw asAbortError(e, signal) || e;
    }
  }
  const prev = localLocks.get(name) || Promise.resolve();
  let release;
  const mine = new Promise((r) => { release = r; });
  const tail = prev.then(() => mine);
  localLocks.set(name, tail);
  try {
    if (signal) {
      if (signal.aborted) throw aborted();
      let onAbort;
      const stop = new Promise((_, reject) => { onAbort = () => reject(aborted()); signal.addEventListener('abort', onAbort, { once: true }); });
      try { await Promise.race([prev, stop]); } finally { signal.removeEventListener('abort', onAbort); }
    } else await prev;
    return await fn();
  } finally {
    release();
    if (localLocks.get(name) === tail) localLocks.delete(name);
  }
}

/** A place to keep downloaded models: { meta(), saveMeta(m), size(), read(n), writer(at), drop() };
 *  meta: { url, etag (the validator: ETag or Last-Modified), size, complete }. */
/** cache: true (OPFS, else the Cache API), 'opfs', 'cache-api', or false. */
async function openStore(url, { cache = true, cacheDir } = {}) {
  if (cache === false) return null;
  const key = storeKey(url);
  if (isNode) return cacheDir ? nodeStore(cacheDir, key) : null;
  if (cache === true || cache === 'opfs') {
    try {
      if (typeof navigator === 'object' && navigator.storage && navigator.storage.getDirectory)
        return await opfsStore(key);
    } catch { /* OPFS refused (private mode, no permission): try the Cache API */ }
  }
  try {
    if (typeof caches === 'object') return await cacheApiStore(url);
  } catch { /* no storage at all: stream only */ }
  return null;
}

async function nodeStore(dir, key) {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  await fs.mkdir(dir, { recursive: true });
  const data = path.join(dir, key + '.gguf'), metaFile = path.join(dir, key + '.json');
  return {
    async meta() { try { return JSON.parse(await fs.readFile(metaFile, 'utf8')); } catch { return null; } },
    async saveMeta(m) { await fs.writeFile(metaFile, JSON.stringify(m)); },
    async size() { try { return (await fs.stat(data)).size; } catch { return 0; } },
    async *read(n) {
      const fh = await fs.open(data, 'r');
      try {
        for (let off = 0; off < n;) {
          const buf = new Uint8Array(Math.min(READ_CHUNK, n - off));
          const { bytesRead } = await fh.read(buf, 0, buf.length, off);
          if (!bytesRead) break;
          off += bytesRead;
          yield buf.subarray(0, bytesRead);
        }
      } finally { await fh.close(); }
    },
    async writer(at) {
      const fh = await fs.open(data, at ? 'r+' : 'w');
      await fh.truncate(at);
      let pos = at;
      return {
        async write(chunk) { await fh.write(chunk, 0, chunk.length, pos); pos += chunk.length; },
        async close() { await fh.close(); },
      };
    },
    async drop() { await fs.rm(data, { force: true }); await fs.rm(metaFile, { force: true }); },
  };
}

async function opfsStore(key) {
  const dir = await opfsModelsDir();
  // looked up for every use: after drop() the old handle names a removed file
  const dataFile = () => dir.getFileHandle(key + '.gguf', { create: true });
  const metaName = key + '.json';
  return {
    async meta() {
      try { return JSON.parse(await (await (await dir.getFileHandle(metaName)).getFile()).text()); } catch { return null; }
    },
    async saveMeta(m) {
      const w = await (await dir.getFileHandle(metaName, { create: true })).createWritable();
      await w.write(JSON.stringify(m));
      await w.close();
    },
    async size() { return (await (await dataFile()).getFile()).size; },
    async *read(n) {
      const file = await (await dataFile()).getFile();
      for (let off = 0; off < n; off += READ_CHUNK)
        yield new Uint8Array(await file.slice(off, Math.min(n, off + READ_CHUNK)).arrayBuffer());
    },
    async writer(at) {
      const fh = await dataFile();
      if (fh.createSyncAccessHandle) {
        // dedicated workers: writes land in place, so a crash still leaves a resumable prefix
        const ah = await fh.createSyncAccessHandle();
        ah.truncate(at);
        let pos = at;
        return {
          async write(chunk) { ah.write(chunk, { at: pos }); pos += chunk.length; },
          async close() { ah.flush(); ah.close(); },
        };
      }
      const w = await fh.createWritable({ keepExistingData: true });
      await w.truncate(at);
      await w.seek(at);
      return { write: (chunk) => w.write(chunk), close: () => w.close() };
    },
    async drop() {
      await dir.removeEntry(key + '.gguf').catch(() => {});
      await dir.removeEntry(metaName).catch(() => {});
    },
  };
}

/** Cache API: whole files only (no resume). The body streams into the cache as it arrives,
 *  under a private incomplete key (no copy of the file is held in memory: a model may be larger
 *  than any ArrayBuffer), and is moved to the URL's entry on commit, disk to disk. */
export async function cacheApiStore(url, storage = globalThis.caches) {   // exported for test/cache-api-store.test.mjs
  const cache = await storage.open('mistral-wasm-models');
  // not a fragment: the Cache API ignores fragments when matching
  const incomplete = `${url}${url.includes('?') ? '&' : '?'}mw-incomplete=1`;
  let doneSize = -1;  // bytes of the finished download waiting for saveMeta({ complete: true })
  return {
    async meta() {
      const r = await cache.match(url);
      return r ? { url, complete: true, size: Number(r.headers.get('content-length')) } : null;
    },
    async saveMeta(m) {
      if (!m.complete || doneSize < 0) return;
      const r = await cache.match(incomplete);
      if (!r) return;
      await cache.put(url, new Response(r.body, { headers: { 'content-length': String(doneSize) } }));
      await cache.delete(incomplete);
      doneSize = -1;
    },
    async size() {
      if (doneSize >= 0) return doneSize;
      const r = await cache.match(url);
      return r ? Number(r.headers.get('content-length')) : 0;
    },
    async *read() {
      const r = await cache.match(url);
      const reader = r.body.getReader();
      for (;;) { const { done, value } = await reader.read(); if (done) return; yield value; }
    },
    async writer(at) {
      if (at) throw new Error('the Cache API store cannot resume');
      const { readable, writable } = new TransformStream();
      const w = writable.getWriter();
      const put = cache.put(incomplete, new Response(readable));
      put.catch(() => {});
      let n = 0;
      return {
        // resolves once the cache has taken the chunk: memory stays bounded by backpressure
        async write(chunk) { n += chunk.length; await w.write(chunk.slice()); },
        async close(complete) {
          if (complete) { await w.close(); await put; doneSize = n; return; }
          await w.abort(new Error('download incomplete')).catch(() => {});
          await put.catch(() => {});
          await cache.delete(incomplete);
        },
      };
    },
    async drop() { doneSize = -1; await cache.delete(url); await cache.delete(incomplete); },
    noResume: true,
  };
}

const GGUF_MAGIC = [0x47, 0x47, 0x55, 0x46];   // "GGUF"

async function startsWithMagic(store) {
  for await (const head of store.read(GGUF_MAGIC.length))
    return head.length >= GGUF_MAGIC.length && GGUF_MAGIC.every((b, i) => head[i] === b);
  return false;
}

function cancelBody(resp) { if (resp.body) resp.body.cancel().catch(() => {}); }

/** The response's validator (ETag, else Last-Modified), null without one. */
const validatorOf = (resp) => resp.headers.get('etag') || resp.headers.get('last-modified') || null;

/** A 206's Content-Range as { start, total } (total null for '*'), null when absent or malformed. */
function contentRange(resp) {
  const m = /bytes\s+(\d+)-(\d+)\/(\d+|\*)/.exec(resp.headers.get('content-range') || '');
  return m ? { start: Number(m[1]), total: m[3] !== '*' ? Number(m[3]) : null } : null;
}

/** Whether resp continues the file of validator etag at byte from (a 206 from there, same validator). */
const resumesAt = (resp, from, etag) => resp.status === 206 && contentRange(resp)?.start === from && validatorOf(resp) === etag;

async function urlSource(url, opts) {
  const { signal } = opts;
  const fetchImpl = opts.fetch || globalThis.fetch;
  const store = await openStore(url, opts);
  const meta = store ? await store.meta() : null;
  if (meta && meta.complete && meta.url === url) {
    const have = await store.size();
    if (have === meta.size)
      return { name: url, size: have, phase: 'cache', fromNetwork: false, fromCache: true,
               iterate: () => store.read(have), drop: () => store.drop() };
  }
  // resume only a copy saved with a validator: without one, the server's file cannot be
  // told apart from the one the copy came from
  let partial = 0;
  if (store && !store.noResume && meta && !meta.complete && meta.url === url && meta.etag) partial = await store.size();
  if (partial >= GGUF_MAGIC.length && !(await startsWithMagic(store))) partial = 0;   // an error page's prefix
  if (store && meta && !meta.complete && !partial) await store.drop();
  for (;;) {
    const headers = {};
    if (partial > 0) {
      headers.Range = `bytes=${partial}-`;
      headers['If-Range'] = meta.etag;
    }
    let resp;
    try {
      resp = await fetchImpl(url, { signal, headers });
    } catch (e) {
      throw asAbortError(e, signal) || new DownloadError(`cannot fetch ${url}: ${e.message}${e.cause ? ` (${e.cause.message || e.cause})` : ''}`);
    }
    const etag = validatorOf(resp);
    let total = null;
    if (partial > 0 && (resp.status === 206 || resp.status === 416)) {
      total = contentRange(resp)?.total ?? null;
      // a resume is only safe onto the same file: same validator, same size, the range asked for
      const sameFile = resumesAt(resp, partial, meta.etag) &&
                       (meta.size == null || total == null || total === meta.size);
      if (!sameFile) {
        cancelBody(resp);
        await store.drop();   // the stored prefix belongs to another file (or is all there is): start over
        partial = 0;
        continue;
      }
    } else if (resp.ok) {
      partial = 0;            // a whole file (a 200 answering a Range request replaces the copy)
      const cl = resp.headers.get('content-length');
      total = cl != null ? Number(cl) : null;
    } else {
      cancelBody(resp);
      throw new DownloadError(`cannot download ${url}: HTTP ${resp.status} ${resp.statusText}`.trim(), { status: resp.status });
    }
    // a break-off resumes from the bytes received (same file only: its validator, the range asked for)
    const refetch = etag ? async (from) => {
      const again = await fetchImpl(url, { signal, headers: { Range: `bytes=${from}-`, 'If-Range': etag } });
      if (resumesAt(again, from, etag)) return again;
      cancelBody(again);
      return null;
    } : null;
    const commit = store
      ? async () => store.saveMeta({ url, etag, size: await store.size(), complete: true })
      : async () => {};
    return {
      name: url, size: total, phase: 'download', fromNetwork: true, resumedFrom: partial,
      drop: store ? () => store.drop() : null, commit,
      iterate: (src) => downloadChunks(resp, store, partial, { url, etag, total, src, refetch }),
    };
  }
}

/** Throws NotGgufError when the first bytes seen are not the GGUF magic. */
function magicChecker(url, resp) {
  let seen = 0;
  return (chunk) => {
    for (let i = 0; i < chunk.length && seen < GGUF_MAGIC.length; i++, seen++) {
      if (chunk[i] !== GGUF_MAGIC[seen]) {
        const head = new TextDecoder().decode(chunk.subarray(0, 16)).replace(/\s+/g, ' ');
        const type = resp.headers.get('content-type');
        throw new NotGgufError(`${url} is not a GGUF file: it starts with "${head}"` +
                               (type ? ` (${type})` : '') + '; check the URL');
      }
    }
  };
}

// How often one download resumes after breaking off (a dropped connection; a stream errored
// before its consumer took every chunk, as fetch does when a server closes early).
const MAX_RESUMES = 3;

async function* downloadChunks(resp, store, partial, { url, etag, total, src, refetch }) {
  const checkMagic = magicChecker(url, resp);
  let writer = null, got = partial, resumes = 0;
  let reader = resp.body.getReader();
  let complete = false;
  try {
    if (partial) {
      for await (const chunk of store.read(partial)) { checkMagic(chunk); yield chunk; }
    }
    if (store) {
      writer = await store.writer(partial);
      await store.saveMeta({ url, etag, size: total, complete: false });
    }
    for (;;) {
      let r;
      try {
        r = await reader.read();
      } catch (e) {
        // a server whose Content-Length was too large breaks off after the real end of the file
        if (src.impliedSize != null && got >= src.impliedSize) break;
        if (!(e instanceof MwError) && !(e && e.name === 'AbortError') && refetch && resumes < MAX_RESUMES) {
          resumes++;
          const again = await refetch(got).catch(() => null);
          if (again) { reader = again.body.getReader(); continue; }
        }
        throw e instanceof MwError || (e && e.name === 'AbortError') ? e
          : new DownloadError(`${url}: the download broke off after ${got} bytes: ${e.message}${e.cause ? ` (${e.cause.message || e.cause})` : ''}`);
      }
      if (r.done) break;
      checkMagic(r.value);
      if (writer) await writer.write(r.value);
      got += r.value.length;
      yield r.value;
    }
    complete = true;
  } catch (e) {
    if (e instanceof NotGgufError && store) {   // never keep (or resume) something that is no model
      if (writer) { await writer.close(false); writer = null; }
      await store.drop();
    }
    throw e;
  } finally {
    if (!complete) reader.cancel().catch(() => {});
    if (writer) await writer.close(complete);
  }
}
