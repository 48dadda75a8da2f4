// load.mjs — stream a model source (download.mjs) into the wasm push loader (core.mjs),
// rejecting a model that cannot fit as soon as its GGUF header has arrived: weights + the KV
// cache of the requested context against the memory budget of a wasm32 engine. Shared by the
// engine worker and the Node CLI.
import { AbortError, DownloadError, ModelTooLargeError, MwError } from './errors.mjs';

const GiB = 1024 ** 3, MiB = 1024 ** 2;
/** wasm32 addresses 4 GiB; keep room for the runtime, stacks, tokenizer and allocator slack. */
export const DEFAULT_BUDGET = 4 * GiB - 160 * MiB;
const SESSION_SLACK = 16 * MiB;

/** kvType 'auto': an F16 cache for models of 1 GiB of weights or more (where the cache's size
 * decides the context that fits, and its ~1e-2 logit noise is far below the quantization's),
 * F32 for smaller ones. 'f32' / 'f16' stay as they are. */
export function resolveKvType(kvType, info) {
  return kvType === 'auto' ? (info.weight_bytes >= GiB ? 'f16' : 'f32') : kvType;
}

/**
 * Feed src (openModelSource result) into a new push loader and build the model.
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
    for await (const chunk of src.chunks()) {
      if (isAborted()) throw new AbortError('the model load was aborted');
      loader.feed(chunk);
      if (!checked && loader.headerReady() !== null) {
        checked = true;
        const info = loader.info();
        if (!nCtx) nCtx = info.n_ctx_default;   // the engine's default (mw_session_n_ctx_default)
        kvType = resolveKvType(kvType, info);
        const kv = loader.sessionBytes(nCtx, kvType);
        if (kv < 0 || info.weight_bytes + kv + SESSION_SLACK > budget)
          throw new ModelTooLargeError(`${info.name || info.arch}: ${(info.weight_bytes / MiB).toFixed(0)} MiB of weights + ` +
            `${(kv / MiB).toFixed(0)} MiB for a ${nCtx}-token context (${kvType} KV cache) exceed the ${(budget / MiB).toFixed(0)} MiB ` +
            `a wasm32 engine can use`);
        if (onHeader) onHeader(info, loader.headerReady());
      }
    }
  } catch (e) {
    loader.free();
    throw early(e);
  }
  let model;
  try { model = loader.finish(); } catch (e) { throw early(e); }
  if (!nCtx) nCtx = model.info.n_ctx_default;
  return { model, nCtx, kvType: resolveKvType(kvType, model.info) };
}
