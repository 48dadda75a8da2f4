// errors.mjs — the typed errors of the mistral-wasm package.
//
// Every error the package throws is an MwError with a stable string `.code` (and, when it
// comes from the C engine, the numeric mw_status in `.status`). Subclasses let callers branch
// with instanceof; AbortError also has name 'AbortError' so code written for fetch() and
// AbortSignal (`err.name === 'AbortError'`) keeps working. Errors cross the Worker boundary as
// plain objects (toWire / fromWire) and are rebuilt as the same class on the caller's side.

import * as C from './boundary.generated.mjs';

export class MwError extends Error {
  constructor(message, { code = 'internal', status, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
    if (status !== undefined) this.status = status;
  }
}

/** The bytes are not a (well-formed) GGUF file. */
export class NotGgufError extends MwError {
  constructor(message, opts = {}) { super(message, { code: 'not_gguf', ...opts }); }
}
/** A well-formed GGUF of an architecture, tensor type or version the engine does not run. */
export class UnsupportedModelError extends MwError {
  constructor(message, opts = {}) { super(message, { code: 'unsupported_model', ...opts }); }
}
/** Weights + KV cache for the requested context exceed the wasm32 4 GiB limit or the budget. */
export class ModelTooLargeError extends MwError {
  constructor(message, opts = {}) { super(message, { code: 'model_too_large', ...opts }); }
}
/** This WebAssembly runtime has no SIMD128 (every build of the engine needs it). */
export class NoSimdError extends MwError {
  constructor(message = 'this WebAssembly runtime does not support SIMD128', opts = {}) {
    super(message, { code: 'no_simd', ...opts });
  }
}
/** This runtime cannot run what was asked for (a variant it lacks the features of). */
export class UnsupportedError extends MwError {
  constructor(message, opts = {}) { super(message, { code: 'unsupported', ...opts }); }
}
/** An AbortSignal fired. name is 'AbortError', like the DOMException fetch() throws. */
export class AbortError extends MwError {
  constructor(message = 'the operation was aborted', opts = {}) {
    super(message, { code: 'aborted', ...opts });
    this.name = 'AbortError';
  }
}
/** The model could not be fetched: HTTP error, network failure, size or sha256 mismatch. */
export class DownloadError extends MwError {
  constructor(message, opts = {}) { super(message, { code: 'download_failed', ...opts }); }
}
/** The engine's Worker died (uncaught error, out of memory, terminated). The engine is unusable. */
export class WorkerCrashedError extends MwError {
  constructor(message = 'the engine worker crashed', opts = {}) {
    super(message, { code: 'worker_crashed', ...opts });
  }
}
/** The prompt does not fit the context and context shifting is off (kvShift: false). */
export class ContextFullError extends MwError {
  constructor(message, opts = {}) { super(message, { code: 'context_full', ...opts }); }
}
/** A bad argument (unknown option value, wrong type, disposed engine). */
export class InvalidArgumentError extends MwError {
  constructor(message, opts = {}) { super(message, { code: 'invalid_argument', ...opts }); }
}

/** The browser's storage (OPFS) cannot hold or serve the model: code 'storage_unavailable' (no
 *  OPFS, or no synchronous access to it: private browsing, a non-worker context),
 *  'storage_quota' (the origin's quota or the disk is too small for the model) or
 *  'storage_busy' (the stored copy is open in another engine, where the browser allows one). */
export class StorageError extends MwError {
  constructor(message, opts = {}) { super(message, { code: 'storage_unavailable', ...opts }); }
}

const CLASSES = {
  MwError, NotGgufError, UnsupportedModelError, ModelTooLargeError, NoSimdError, AbortError,
  DownloadError, WorkerCrashedError, ContextFullError, InvalidArgumentError, UnsupportedError, StorageError,
};

/** mw_status values by name without the MW_ / MW_ERR_ prefix ({ OK: 0, ABORTED: -7, ... }),
 *  from the constants generated out of core/include/mw.h. */
export const MW_STATUS = Object.freeze(Object.fromEntries(Object.entries(C)
  .filter(([k]) => k === 'MW_OK' || k.startsWith('MW_ERR_')).map(([k, v]) => [k.replace(/^MW_(ERR_)?/, ''), v])));

/** The error class for an mw_status returned by the C engine. */
export function errorFromStatus(status, message, { loading = false } = {}) {
  const o = { status };
  switch (status) {
    case MW_STATUS.BAD_FORMAT: return new NotGgufError(message, o);
    case MW_STATUS.TRUNCATED: return new NotGgufError(message, { ...o, code: 'truncated' });
    case MW_STATUS.UNSUPPORTED: return new UnsupportedModelError(message, o);
    case MW_STATUS.TOO_LARGE: return new ModelTooLargeError(message, o);
    case MW_STATUS.NO_MEMORY:
      // running out of wasm memory while loading means the model does not fit
      return loading ? new ModelTooLargeError(message, o) : new MwError(message, { ...o, code: 'no_memory' });
    case MW_STATUS.ABORTED: return new AbortError(message, o);
    case MW_STATUS.CONTEXT_FULL: return new ContextFullError(message, o);
    case MW_STATUS.INVALID_ARG: return new InvalidArgumentError(message, o);
    case MW_STATUS.IO: return new MwError(message, { ...o, code: 'io' });
    default: return new MwError(message, { ...o, code: 'internal' });
  }
}

/** A plain, structured-cloneable form of any thrown value (for postMessage). */
export function toWire(err) {
  if (err instanceof MwError)
    return { name: err.name, cls: err.constructor.name, message: err.message, code: err.code, status: err.status };
  if (err && err.name === 'AbortError')
    return { name: 'AbortError', cls: 'AbortError', message: err.message, code: 'aborted' };
  return { name: (err && err.name) || 'Error', cls: 'MwError', message: String((err && err.message) || err),
           code: 'internal', stack: err && err.stack };
}

/** Rebuild an error sent with toWire as its original class. */
export function fromWire(w) {
  const Cls = CLASSES[w.cls] || MwError;
  const opts = { code: w.code };
  if (w.status !== undefined) opts.status = w.status;
  return Cls === MwError ? new MwError(w.message, opts) : new Cls(w.message, opts);
}
