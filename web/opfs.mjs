// opfs.mjs — a model in the browser's Origin Private File System, read in place (the engine
// worker's side of createEngine's expertCache in browsers). Streamed experts need positional
// reads of the whole file at any time, synchronously from inside an eval: neither a picked File
// (async reads only) nor a download gives that, a FileSystemSyncAccessHandle does (dedicated
// workers only). So the model is put into OPFS first:
//   - a picked File/Blob is copied in 4 MiB slices (progress phase 'copy'); a complete copy of
//     the same file (name, size, lastModified) is reused (phase 'cache');
//   - a URL is downloaded into OPFS by download.mjs, as every browser download is stored (phases
//     'download' / 'cache', resumable, size / sha256 / GGUF magic checked on the way).
// Then read(offset, dst) fills views of wasm memory straight from the access handle in reads of
// at most 4 MiB: one huge read is ~10x slower in both Chromium and Firefox (TOOLCHAIN.md §13.2).
import { openModelSource, opfsModelsDir, readBlobSlice, storeKey } from './download.mjs';
import { AbortError, InvalidArgumentError, MwError, StorageError } from './errors.mjs';

/** The largest single read or write on the access handle. */
export const CHUNK = 4 << 20;
const enc = new TextEncoder();

/** A storage failure as a StorageError (QuotaExceededError: code 'storage_quota'); package
 *  errors and aborts pass through. */
function asStorageError(e, what) {
  if (e instanceof MwError) return e;
  if (e && e.name === 'AbortError') return new AbortError(`${what} was aborted`);
  const why = `${(e && e.name) || 'Error'}: ${String((e && e.message) || e).trim()}`;
  if (e && e.name === 'QuotaExceededError')
    return new StorageError(`${what}: the browser's storage for this site is full (${why}); free space or use a smaller model`,
                            { code: 'storage_quota' });
  return new StorageError(`${what}: ${why}`);
}

async function modelsDir(storage) {
  if (!storage || typeof storage.getDirectory !== 'function')
    throw new StorageError('expertCache needs the Origin Private File System (navigator.storage.getDirectory), ' +
                           'which this browser does not offer');
  try { return await opfsModelsDir(storage); } catch (e) {
    throw new StorageError(`expertCache needs the Origin Private File System, which the browser refused ` +
                           `(${e.name}: ${e.message}; private windows often do)`);
  }
}

/** Refuse early (before gigabytes are written) when the origin's quota cannot hold need more bytes. */
async function checkRoom(storage, need, what) {
  if (!(need > 0) || typeof storage.estimate !== 'function') return;
  let est;
  try { est = await storage.estimate(); } catch { return; }
  if (est && Number.isFinite(est.quota) && Number.isFinite(est.usage) && est.quota - est.usage < need)
    throw new StorageError(`${what}: ${need} more bytes do not fit the browser's storage for this site ` +
                           `(${Math.max(0, est.quota - est.usage)} of its ${est.quota}-byte quota free)`, { code: 'storage_quota' });
}

async function syncHandle(fh, what, options) {
  if (typeof fh.createSyncAccessHandle !== 'function')
    throw new StorageError(`${what}: OPFS synchronous access (createSyncAccessHandle) is missing: it needs a dedicated Worker`);
  try { return await fh.createSyncAccessHandle(options); } catch (e) { throw asStorageError(e, what); }
}

async function readJson(dir, name) {
  try { return JSON.parse(await (await (await dir.getFileHandle(name)).getFile()).text()); } catch { return null; }
}
async function writeJson(dir, name, value) {
  const ah = await syncHandle(await dir.getFileHandle(name, { create: true }), `saving ${name}`);
  try {
    const bytes = enc.encode(JSON.stringify(value));
    ah.truncate(0);
    ah.write(bytes, { at: 0 });
    ah.flush();
  } finally { ah.close(); }
}

/** A picked File/Blob copied into OPFS (a complete copy of the same file is reused). */
async function copyBlob(dir, storage, blob, { signal, onProgress }) {
  const name = blob.name || 'model.gguf', size = blob.size;
  const key = 'file-' + storeKey(`${name}\n${size}\n${blob.lastModified ?? ''}`);
  const dataName = key + '.gguf', metaName = key + '.json';
  const what = `copying ${name} into the browser's storage`;
  const progress = (phase, loaded) => onProgress && onProgress({ phase, loaded, total: size, fraction: size ? loaded / size : 1 });
  const drop = async () => {
    await dir.removeEntry(metaName).catch(() => {});
    await dir.removeEntry(dataName).catch(() => {});
  };
  let file;
  try { file = await dir.getFileHandle(dataName, { create: true }); } catch (e) { throw asStorageError(e, what); }
  const meta = await readJson(dir, metaName);
  const have = (await file.getFile()).size;
  if (meta && meta.complete && meta.size === size && have === size) {
    progress('cache', size);
    return { name, file, fromCache: true, drop };
  }
  await dir.removeEntry(metaName).catch(() => {});   // incomplete until the last byte is in
  await checkRoom(storage, size - have, what);
  const ah = await syncHandle(file, what);
  try {
    ah.truncate(size);   // the room up front: a quota too small fails here, not after gigabytes
    progress('copy', 0);
    for (let off = 0; off < size; off += CHUNK) {
      if (signal && signal.aborted) throw new AbortError('the model copy was aborted');
      ah.write(await readBlobSlice(blob, off, off + CHUNK), { at: off });
      progress('copy', Math.min(size, off + CHUNK));
    }
    ah.flush();
  } catch (e) {
    ah.close();
    await drop();
    throw asStorageError(e, what);
  }
  ah.close();
  await writeJson(dir, metaName, { name, size, lastModified: blob.lastModified ?? null, complete: true });
  return { name, file, fromCache: false, drop };
}

/** A URL downloaded into OPFS by download.mjs's store (a complete stored copy is used as is). */
async function downloadUrl(dir, storage, url, opts) {
  const what = `downloading ${url} into the browser's storage`;
  const src = await openModelSource({ kind: 'url', url }, { ...opts, cache: 'opfs' });
  if (!src.fromCache) {
    if (src.size) await checkRoom(storage, src.size - (src.resumedFrom || 0), what);
    // each chunk is written to OPFS as it passes (download.mjs); nothing else needs it here
    try { for await (const chunk of src.chunks()) void chunk; } catch (e) { throw asStorageError(e, what); }
  } else if (opts.onProgress) {
    opts.onProgress({ phase: 'cache', loaded: src.size, total: src.size, fraction: 1 });   // nothing to read: used in place
  }
  let file;
  try { file = await dir.getFileHandle(storeKey(url) + '.gguf'); } catch (e) { throw asStorageError(e, what); }
  return { name: url, file, fromCache: !!src.fromCache, commit: src.commit, drop: src.drop || (async () => {}) };
}

/** A read handle on the stored copy. Read-only: other engines of this origin may read the same
 * copy at once in Chromium; Firefox (153) knows no modes, its handle is exclusive. One still
 * held (an engine being disposed: its worker's handle closes a moment later) is waited for a
 * little, then it is a StorageError 'storage_busy'. */
async function openForReading(stored, waitMs = 3000) {
  const what = `opening the stored copy of ${stored.name}`;
  for (const t0 = Date.now(); ;) {
    try {
      return await syncHandle(stored.file, what, { mode: 'read-only' });
    } catch (e) {
      if (!/NoModificationAllowedError/.test(e.message)) throw e;
      if (Date.now() - t0 < waitMs) { await new Promise((r) => setTimeout(r, 100)); continue; }
      throw new StorageError(`${what}: another engine of this site has it open (in Firefox one engine at a time ` +
                             'can read a stored model): dispose that engine first', { code: 'storage_busy' });
    }
  }
}

/**
 * Put the model of spec (describeModel: kind 'blob' or 'url') into OPFS and open it for reads.
 * opts: { signal, onProgress({ phase, loaded, total, fraction }), sha256 (URLs), fetch,
 * storage (navigator.storage) }. Returns { name, size, fromCache, read(offset, dst) → bytes
 * read into the Uint8Array dst, close(), commit() (a download is complete: call once the model
 * is built), drop() (closes and deletes the stored copy: it is no usable model) }.
 * StorageError when OPFS is missing, refused or too small.
 */
export async function openOpfsModel(spec, opts = {}) {
  const storage = opts.storage ?? (typeof navigator === 'object' ? navigator.storage : undefined);
  if (opts.signal && opts.signal.aborted) throw new AbortError('the model load was aborted');
  if (spec.kind !== 'blob' && spec.kind !== 'url')
    throw new InvalidArgumentError('expertCache in a browser needs the model as a URL or a File/Blob');
  const dir = await modelsDir(storage);
  const stored = spec.kind === 'blob' ? await copyBlob(dir, storage, spec.blob, opts)
                                      : await downloadUrl(dir, storage, spec.url, opts);
  const ah = await openForReading(stored);
  let open = true;
  const close = () => { if (open) { open = false; ah.close(); } };
  return {
    name: stored.name, size: ah.getSize(), fromCache: stored.fromCache,
    read(offset, dst) {
      let done = 0;
      while (done < dst.length) {
        const n = ah.read(dst.subarray(done, Math.min(dst.length, done + CHUNK)), { at: offset + done });
        if (!(n > 0)) break;
        done += n;
      }
      return done;
    },
    close,
    commit: stored.commit || (async () => {}),
    drop: async () => { close(); await stored.drop(); },
  };
}
