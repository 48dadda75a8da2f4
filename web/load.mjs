// load.mjs — stream a model source (download.mjs) into the wasm push loader (core.mjs),
// rejecting a model that cannot fit as soon as its GGUF header has arrived, before the rest is
// downloaded or read: the core's one memory rule (mw_memory_check: weights + the session that
// will be created + the core's reserve, within the budget) decides; this file only chooses
// which budget (defaultBudget: the module's memory) and adds what the caller can do about it.
// Shared by the engine worker and the benchmark page.
import { isWasm64 } from './variants.mjs';
import { AbortError, DownloadError, InvalidArgumentError, ModelTooLargeError, MwError, NotGgufError, UnsupportedModelError } from './errors.mjs';

const GiB = 1024 ** 3;
/** wasm32: the 4 GiB a 32-bit module addresses (the core keeps its reserve inside it). */
export const DEFAULT_BUDGET = 4 * GiB;
/** wasm64 where the device's memory is unknown (Firefox and Safari have no navigator.deviceMemory). */
export const WASM64_DEFAULT_BUDGET = 8 * GiB;
/** wasm64: 16 GiB, the module's --max-memory (browsers' memory64 limit). */
const WASM64_MAX_BUDGET = 16 * GiB;

/**
 * The memory budget of a module when the caller gives no memoryLimit: which limit, not how
 * much room to keep under it (the core's MW_MEMORY_RESERVE). ramBytes: the device's memory if
 * known (0 = unknown). wasm32 ('mt', 'st'): its 4 GiB, lowered to 3/4 of the RAM on small
 * machines. wasm64: 3/4 of the RAM, else WASM64_DEFAULT_BUDGET, at most its 16 GiB. In browsers
 * the RAM is navigator.deviceMemory, which Chromium rounds down to a power of two and caps at 8
 * (GiB): there the automatic wasm64 budget tops out at 6 GiB, and a larger model needs an
 * explicit memoryLimit.
 */
export function defaultBudget(variant, ramBytes = 0) {
  const wide = isWasm64(variant);
  const cap = wide ? WASM64_MAX_BUDGET : DEFAULT_BUDGET;
  if (ramBytes > 0) return Math.min(cap, Math.floor(ramBytes * 0.75));
  return wide ? WASM64_DEFAULT_BUDGET : DEFAULT_BUDGET;
}

/** The core's refusal (its message has the sizes and the limit), with the module and what to do. */
function tooLarge(message, core, budget) {
  const hint = isWasm64(core.variant)
    ? 'raise memoryLimit, or use a smaller quantization or contextSize'
    : "use the 64-bit module (variant 'wasm64': Chromium, Firefox), a smaller quantization or a smaller contextSize";
  return new ModelTooLargeError(`${message} [the ${core.variant || 'wasm'} module, memoryLimit ${budget} bytes]; ${hint}`);
}

/** kvType 'auto': an F16 cache for models of 1 GiB of weights or more (where the cache's size
 * decides the context that fits, and its ~1e-2 logit noise is far below the quantization's),
 * F32 for smaller ones. 'f32' / 'f16' stay as they are. */
export function resolveKvType(kvType, info) {
  return kvType === 'auto' ? (info.weight_bytes >= GiB ? 'f16' : 'f32') : kvType;
}

/** A stored copy that produced this error is no usable model: it is deleted, not kept for
 *  next time (aborts, network failures and budget refusals keep it). */
const isBadCopy = (e) => e instanceof NotGgufError || e instanceof UnsupportedModelError;

/**
 * Feed src (openModelSource result) into a new push loader and build the model. A stored
 * download is marked complete (src.commit) only once the model has been built from it, and
 * deleted (src.drop) when it is not a usable model. The source is read no further than the
 * chunk that completes a header the budget refuses: the download is cancelled there.
 * opts: { nCtx (0 = default), kvType ('f32' | 'f16' | 'auto'), threads, nBatch (0 = the core's
 * default): the session that will be created, which the budget must hold; budget (bytes, see
 * defaultBudget), isAborted(), onHeader(info, fileSize) }.
 * Returns { model, nCtx (the context to create: the fitted default when not given), kvType }
 * (kvType resolved).
 */
export async function loadModel(core, src, { nCtx = 0, kvType = 'f32', threads = 1, nBatch = 0, budget = DEFAULT_BUDGET,
                                            isAborted = () => false, onHeader } = {}) {
  const loader = core.createLoader({ memoryLimit: budget });
  const early = (e) => (e instanceof MwError && e.code === 'truncated' && src.fromNetwork
    ? new DownloadError(`the download ended early: ${e.message}`) : e);
  let checked = false;
  try {
    // a source shorter than its header says (a short Content-Length or file) is refused by the
    // core as soon as the header parses (truncated), before memory grows for the tensor data
    if (src.size != null) loader.setSize(src.size);
    // the session to come, for the core's check as the header parses ('auto' is resolved from
    // the header: until then the smaller f16 cache stands for it, and the check below follows)
    loader.setSession({ nCtx, threads, nBatch, kvType: kvType === 'auto' ? 'f16' : kvType });
    for await (const chunk of src.chunks()) {
      if (isAborted()) throw new AbortError('the model load was aborted');
      // the core refuses weights + that session over the budget as the header parses
      try { loader.feed(chunk); } catch (e) {
        throw e instanceof ModelTooLargeError ? tooLarge(e.message, core, budget) : e;
      }
      if (!checked && loader.headerReady() !== null) {
        checked = true;
        const fileSize = loader.headerReady();
        src.impliedSize = fileSize;
        const info = loader.info();
        const askedCtx = nCtx;
        kvType = resolveKvType(kvType, info);
        // the same rule for the resolved session (mw_session_create applies it again); no
        // contextSize: the engine's default, shrunk to fit the budget (mw_session_n_ctx_fit)
        const fit = loader.memoryCheck({ nCtx, threads, nBatch, kvType }, budget);
        if (!fit.fits) throw tooLarge(fit.message, core, budget);
        if (!nCtx) nCtx = fit.nCtx;
        // the core's rule (mw_session_create: n_ctx beyond context_length is MW_ERR_INVALID_ARG),
        // applied here too so the refusal comes before the weights download and names the option
        if (askedCtx && info.n_ctx_train > 0 && askedCtx > info.n_ctx_train)
          throw new InvalidArgumentError(`contextSize ${askedCtx} exceeds the model's training context (${info.n_ctx_train} tokens)`);
        if (onHeader) onHeader(info, loader.headerReady());
      }
    }
  } catch (e) {
    loader.free();
    if (isBadCopy(e) && src.drop) await src.drop();
    throw early(e);
  }
  let model;
  try { model = loader.finish(); } catch (e) {
    // a copy read from storage that does not build is bad; a download that ended early can resume
    if ((isBadCopy(e) && !(e.code === 'truncated' && src.fromNetwork)) && src.drop) await src.drop();
    throw early(e);
  }
  if (src.commit) await src.commit();
  // nCtx still 0 (no header check ran): the session gets the core's fitted default
  return { model, nCtx, kvType: resolveKvType(kvType, model.info) };
}

/**
 * Node: the model file at path (a path or a file: URL) as a positional source for
 * loadModelFromSource: { name, size, read(offset, dst), close() } over fs.readSync.
 */
export async function openFileSource(path) {
  const fs = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  const file = /^file:/i.test(path) ? fileURLToPath(path) : path;
  let fd;
  try { fd = fs.openSync(file, 'r'); } catch (e) {
    throw new MwError(`cannot open ${file}: ${e.message}`, { code: 'io' });
  }
  return { name: file, size: fs.fstatSync(fd).size,
           read: (offset, dst) => fs.readSync(fd, dst, 0, dst.length, offset), close: () => fs.closeSync(fd) };
}

/**
 * Open a model over a positional source (core.openSource) so a Mixtral's experts can stay in
 * the file and be read into a cache of expertCache bytes as tokens need them (createEngine's
 * expertCache; the core decides what is resident and counts it in its memory rule: resident
 * weights + the cache). Only the resident weights are read at load. src: { size, read(offset,
 * dst), close(), drop() (optional: a stored copy that is no usable model is deleted) }: Node's
 * openFileSource, or opfs.mjs's openOpfsModel in a browser's worker. The source stays open
 * until the model is freed; on failure it is closed.
 * opts: { expertCache (bytes), budget, nCtx, kvType, onHeader(info, fileSize) }.
 * Returns { model, nCtx (0 when not given), kvType, size } (kvType resolved).
 */
export async function loadModelFromSource(core, src, { expertCache = 0, budget = DEFAULT_BUDGET, nCtx = 0, kvType = 'f32', onHeader } = {}) {
  let model;
  try {
    model = core.openSource({ size: src.size, memoryLimit: budget, expertCache, read: src.read, onFree: src.close });
  } catch (e) {
    if (isBadCopy(e) && src.drop) await src.drop();
    else src.close();
    throw e instanceof ModelTooLargeError ? tooLarge(e.message, core, budget) : e;
  }
  const info = model.info;
  if (onHeader) onHeader(info, src.size);
  // nCtx 0: the session gets the core's default, shrunk to fit (resident weights + the cache)
  return { model, nCtx, kvType: resolveKvType(kvType, info), size: src.size };
}
