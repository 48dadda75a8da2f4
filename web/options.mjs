// options.mjs — createEngine's options, checked on the caller's thread before a Worker starts:
// every option has a type and a range, and a bad one is an InvalidArgumentError that names it
// (an unknown name too, so a misspelt option is not silently ignored). Options that depend on
// the model (contextSize against the training context) are checked in load.mjs once the GGUF
// header has arrived.
import { InvalidArgumentError } from './errors.mjs';
import { isNode } from './env.mjs';
import { VARIANTS } from './variants.mjs';

/** Largest nBatch: the C session clamps n_batch to 4096 (core/session.c). */
export const MAX_N_BATCH = 4096;
const CHAT_FORMATS = ['auto', 'mistral_v1', 'mistral_v3', 'raw'];
const KV_TYPES = ['f32', 'f16', 'auto'];
const CACHES = [true, false, 'opfs', 'cache-api'];

const KNOWN = new Set(['model', 'threads', 'contextSize', 'onProgress', 'signal', 'modelSha256', 'kvShift',
  'memoryLimit', 'cache', 'cacheDir', 'variant', 'moduleBase', 'chatFormat', 'kvType', 'nBatch', 'expertCache']);

const bad = (name, why) => new InvalidArgumentError(`${name} ${why}`);
const list = (xs) => xs.map((x) => (typeof x === 'string' ? `'${x}'` : String(x))).join(', ');
const isInt = (x) => Number.isInteger(x);

/** Cores this machine offers (what `threads` may ask for). */
export async function hardwareThreads() {
  if (isNode) {
    const os = await import('node:os');
    return os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  }
  return (typeof navigator === 'object' && navigator.hardwareConcurrency) || 1;
}

/** moduleBase as a directory URL: a URL, or a path (Node: the file system; browsers: relative
 *  to the page). */
export async function moduleBaseUrl(base) {
  if (base == null) return undefined;
  if (typeof base !== 'string' && !(base instanceof URL)) throw bad('moduleBase', 'must be a URL or a path string');
  let s = String(base);
  if (!s) throw bad('moduleBase', 'must not be empty');
  if (!s.endsWith('/')) s += '/';
  if (/^[a-z][a-z0-9+.-]*:/i.test(s) && !/^[a-z]:[\\/]/i.test(s)) {   // a URL (not a Windows drive path)
    try { return new URL(s).href; } catch { throw bad('moduleBase', `is not a valid URL: ${s}`); }
  }
  if (isNode) {
    const path = await import('node:path');
    const { pathToFileURL } = await import('node:url');
    return pathToFileURL(path.resolve(s)).href + '/';
  }
  try { return new URL(s, typeof location === 'object' ? location.href : undefined).href; }
  catch { throw bad('moduleBase', `is neither a URL nor a path relative to this page: ${s}`); }
}

/**
 * Check createEngine's options; returns the normalised ones the engine uses:
 * { variant, threads, contextSize, nBatch, memoryLimit, cache, cacheDir, chatFormat, kvType,
 *   kvShift, moduleBase, modelSha256, expertCache }. defaults: { variant, threads, memoryLimit } (async
 * getters, called only when the caller gave none).
 */
export async function checkEngineOptions(o, defaults) {
  if (o === null || typeof o !== 'object') throw new InvalidArgumentError('createEngine needs an options object');
  for (const k of Object.keys(o))
    if (!KNOWN.has(k)) throw new InvalidArgumentError(`unknown option '${k}' (known: ${[...KNOWN].join(', ')})`);
  if (o.model == null) throw new InvalidArgumentError('createEngine needs a model (URL, File/Blob, bytes or path)');

  const variant = o.variant ?? defaults.variant();
  if (!VARIANTS.includes(variant)) throw bad('variant', `must be one of ${list(VARIANTS)}`);

  const cores = await hardwareThreads();
  let threads = 1;
  if (o.threads != null) {
    if (!isInt(o.threads) || o.threads < 1 || o.threads > cores)
      throw bad('threads', `must be an integer from 1 to ${cores} (the cores of this machine), not ${o.threads}`);
    if (variant !== 'st') threads = o.threads;
  } else if (variant !== 'st') threads = cores;

  if (o.contextSize != null && !(isInt(o.contextSize) && o.contextSize > 0))
    throw bad('contextSize', 'must be a positive integer');
  if (o.nBatch != null && !(isInt(o.nBatch) && o.nBatch >= 1 && o.nBatch <= MAX_N_BATCH))
    throw bad('nBatch', `must be an integer from 1 to ${MAX_N_BATCH}, not ${o.nBatch}`);
  if (o.memoryLimit != null && !(typeof o.memoryLimit === 'number' && Number.isFinite(o.memoryLimit) && o.memoryLimit > 0))
    throw bad('memoryLimit', `must be a positive number of bytes, not ${JSON.stringify(o.memoryLimit)}`);
  if (o.expertCache != null && o.expertCache !== 0) {
    if (!(typeof o.expertCache === 'number' && Number.isSafeInteger(o.expertCache) && o.expertCache > 0))
      throw bad('expertCache', `must be a positive integer number of bytes (0 = experts resident), not ${JSON.stringify(o.expertCache)}`);
    // the experts are read in place from a file: in Node a path; in a browser a URL or a
    // File/Blob, put into OPFS first (opfs.mjs), so a download must be stored there
    if (isNode) {
      if (typeof o.model !== 'string' || /^(https?|blob|data):/i.test(o.model))
        throw bad('expertCache', 'needs the model as a file path in Node (streamed experts are read from the file)');
    } else {
      const blob = typeof Blob !== 'undefined' && o.model instanceof Blob;
      if (!blob && typeof o.model !== 'string' && !(o.model instanceof URL))
        throw bad('expertCache', 'needs the model as a URL or a File/Blob in a browser (it is put into OPFS and read from there)');
      if (!blob && (o.cache === false || o.cache === 'cache-api'))
        throw bad('expertCache', `needs the download stored in OPFS: cache ${JSON.stringify(o.cache)} cannot be used with it`);
    }
  }
  if (o.cache != null && !CACHES.includes(o.cache)) throw bad('cache', `must be one of ${list(CACHES)}`);
  if (o.cacheDir != null && (typeof o.cacheDir !== 'string' || !o.cacheDir))
    throw bad('cacheDir', 'must be a directory path (Node)');
  const chatFormat = o.chatFormat ?? 'auto';
  if (!CHAT_FORMATS.includes(chatFormat)) throw bad('chatFormat', `must be one of ${list(CHAT_FORMATS)}`);
  const kvType = o.kvType ?? 'f32';
  if (!KV_TYPES.includes(kvType)) throw bad('kvType', `must be one of ${list(KV_TYPES)}`);
  if (o.kvShift != null && typeof o.kvShift !== 'boolean') throw bad('kvShift', 'must be true or false');
  if (o.modelSha256 != null && !(typeof o.modelSha256 === 'string' && /^[0-9a-f]{64}$/i.test(o.modelSha256)))
    throw bad('modelSha256', 'must be 64 hexadecimal digits');
  if (o.onProgress != null && typeof o.onProgress !== 'function') throw bad('onProgress', 'must be a function');
  if (o.signal != null && !(typeof o.signal === 'object' && 'aborted' in o.signal && typeof o.signal.addEventListener === 'function'))
    throw bad('signal', 'must be an AbortSignal');

  return {
    variant, threads, chatFormat, kvType,
    contextSize: o.contextSize || 0,
    nBatch: o.nBatch,
    memoryLimit: o.memoryLimit ?? (await defaults.memoryLimit(variant)),
    cache: o.cache, cacheDir: o.cacheDir,
    kvShift: o.kvShift !== false,
    moduleBase: await moduleBaseUrl(o.moduleBase),
    modelSha256: o.modelSha256,
    expertCache: o.expertCache || 0,
  };
}
