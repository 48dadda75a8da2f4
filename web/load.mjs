// load.mjs — stream a model source (download.mjs) into the wasm push loader (core.mjs),
// rejecting a model that cannot fit as soon as its GGUF header has arrived: weights + the KV
// cache of the requested context against the memory budget of the module (defaultBudget).
// Shared by the engine worker and the Node CLI.
import { isWasm64 } from './variants.mjs';
import { AbortError, DownloadError, InvalidArgumentError, ModelTooLargeError, MwError, NotGgufError, UnsupportedModelError } from './errors.mjs';

const GiB = 1024 ** 3, MiB = 1024 ** 2;
/** wasm32 addresses 4 GiB; keep room for the runtime, stacks, tokenizer and allocator slack. */
export const DEFAULT_BUDGET = 4 * GiB - 160 * MiB;
/** wasm64 where the device's memory is unknown (Firefox and Safari have no navigator.deviceMemory). */
export const WASM64_DEFAULT_BUDGET = 8 * GiB;
/** wasm64 addresses 16 GiB (the module's --max-memory, browsers' memory64 limit), same room. */
const WASM64_MAX_BUDGET = 16 * GiB - 160 * MiB;

/**
 * The memory budget of a module when the caller gives no memoryLimit. ramBytes: the device's
 * memory if known (0 = unknown). wasm32 ('mt', 'st'): DEFAULT_BUDGET, lowered to 3/4 of the
 * RAM on small machines. wasm64 (and wasm64-relaxed): 3/4 of the RAM, else WASM64_DEFAULT_BUDGET, at most 16 GiB
 * minus runtime room. In browsers the RAM is navigator.deviceMemory, which Chromium rounds
 * down to a power of two and caps at 8 (GiB): there the automatic wasm64 budget tops out at
 * 6 GiB, and a larger model needs an explicit memoryLimit.
 */
export function defaultBudget(variant, ramBytes = 0) {
  const wide = isWasm64(variant);
  const cap = wide ? WASM64_MAX_BUDGET : DEFAULT_BUDGET;
  if (ramBytes > 0) return Math.min(cap, Math.floor(ramBytes * 0.75));
  return wide ? WASM64_DEFAULT_BUDGET : DEFAULT_BUDGET;
}
const SESSION_SLACK = 16 * MiB;

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
 * deleted (src.drop) when it is not a usable model.
 * opts: { nCtx (0 = default), kvType ('f32' | 'f16' | 'auto': the KV cache the budget counts),
 * budget, isAborted(), onHeader(info, fileSize) }.
 * Returns { model, nCtx, kvType } (kvType resolved).
 */
export async function loadModel(core, src, { nCtx = 0, kvType = 'f32', budget = DEFAULT_BUDGET, isAborted = () => false, onHeader } = {}) {
  const loader = core.createLoader({ memoryLimit: budget });
  const early = (e) => (e instanceof MwError && e.code === 'truncated' && src.fromNetwork
    ? new DownloadError(`the download ended early: ${e.message}`) : e);
  let checked = false;
  try {
    // a source shorter than its header says (a short Content-Length or file) is refused by the
    // core as soon as the header parses (truncated), before memory grows for the tensor data
    if (src.size != null) loader.setSize(src.size);
    for await (const chunk of src.chunks()) {
      if (isAborted()) throw new AbortError('the model load was aborted');
      loader.feed(chunk);
      if (!checked && loader.headerReady() !== null) {
        checked = true;
        const fileSize = loader.headerReady();
        src.impliedSize = fileSize;
        const info = loader.info();
        const askedCtx = nCtx;
        if (!nCtx) nCtx = info.n_ctx_default;   // the engine's default (mw_session_n_ctx_default)
        kvType = resolveKvType(kvType, info);
        const kv = loader.sessionBytes(nCtx, kvType);
        if (kv < 0 || info.weight_bytes + kv + SESSION_SLACK > budget)
          throw new ModelTooLargeError(`${info.name || info.arch}: ${(info.weight_bytes / MiB).toFixed(0)} MiB of weights + ` +
            `${(kv / MiB).toFixed(0)} MiB for a ${nCtx}-token context (${kvType} KV cache) exceed the ${(budget / MiB).toFixed(0)} MiB ` +
            `the ${core.variant || 'wasm'} engine may use (memoryLimit)`);
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
  if (!nCtx) nCtx = model.info.n_ctx_default;
  return { model, nCtx, kvType: resolveKvType(kvType, model.info) };
}
