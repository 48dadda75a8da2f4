// variants.mjs — which engine module this runtime can run, and the best of them. The package
// picks automatically, best first:
//   'wasm64-relaxed'  the memory64 module built with relaxed SIMD (build-wasm64/mw64-relaxed.wasm):
//             its int8 decode kernels use i32x4.relaxed_dot_i8x16_i7x16_add (2-3x the SIMD128 dot,
//             ../shared/TOOLCHAIN.md §13); everything else as 'wasm64'. Needs relaxed SIMD too.
//   'wasm64'  freestanding memory64 module (build-wasm64/mw64.wasm, web/wasm64/): models and
//             caches past 4 GiB, threads; needs memory64 + shared memory (a cross-origin-isolated
//             page in Chromium 133+ / Firefox 134+) and Workers (its pool threads are nested
//             workers of the engine worker).
//   'mt'      Emscripten, SIMD128 + threads (shared memory: Node, or an isolated page)
//   'st'      Emscripten, SIMD128, one thread (everywhere else)
// Never a wasm64 module in Node: Node 20 has no memory64 and computes relaxed SIMD wrongly
// (../shared/TOOLCHAIN.md §7, §13), so the Emscripten modules stay Node's.
// The choice is a function of the runtime's features (features()), so tests can ask it about
// runtimes they are not running in.
import { isNode } from './env.mjs';

/** Every module the package knows, best first. */
export const VARIANTS = Object.freeze(['wasm64-relaxed', 'wasm64', 'mt', 'st']);

/** The wasm file of each wasm64 variant (served from the package's dist/ or build-wasm64/). */
export const WASM64_FILES = Object.freeze({ 'wasm64-relaxed': 'mw64-relaxed.wasm', wasm64: 'mw64.wasm' });
/** true for the memory64 modules ('wasm64', 'wasm64-relaxed'). */
export const isWasm64 = (variant) => Object.hasOwn(WASM64_FILES, variant);

// (module (memory i64 1 1 shared)): valid only with memory64 and threads (shared memory)
const MEMORY64_SHARED_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 5, 4, 1, 7, 1, 1]);
// (module (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2
//   i32x4.relaxed_dot_i8x16_i7x16_add_s)): valid only with relaxed SIMD
const RELAXED_SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123,
  3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 147, 2, 11]);

const validates = (bytes) => {
  try { return typeof WebAssembly === 'object' && WebAssembly.validate(bytes); } catch { return false; }
};

/** true when this runtime validates a shared 64-bit memory (memory64 + threads). */
export function hasMemory64() { return validates(MEMORY64_SHARED_PROBE); }
/** true when this runtime validates relaxed-SIMD code (what 'wasm64-relaxed' needs). */
export function hasRelaxedSimd() { return validates(RELAXED_SIMD_PROBE); }
/** true when memory can be shared between threads: Node, or a cross-origin-isolated page. */
export function canShareMemory() {
  if (typeof SharedArrayBuffer !== 'function') return false;
  return isNode || globalThis.crossOriginIsolated === true;
}

/** What the choice depends on, detected in this runtime:
 *  { node, memory64, relaxedSimd, shareMemory, workers }. */
export function features() {
  return { node: isNode, memory64: hasMemory64(), relaxedSimd: hasRelaxedSimd(), shareMemory: canShareMemory(),
           workers: typeof Worker === 'function' };
}

/** Why a runtime with these features (default: this one) cannot run variant, or null when it can. */
export function unsupportedReason(variant, f = features()) {
  if (isWasm64(variant)) {
    const v = `variant '${variant}'`;
    if (f.node) return `${v} needs WebAssembly memory64, which Node 20 does not have: use 'mt' or 'st' in Node`;
    if (!f.memory64) return `${v} needs WebAssembly memory64 with shared memory (Chromium 133+, Firefox 134+)`;
    if (!f.shareMemory) return `${v} needs shared memory: serve the page cross-origin isolated (COOP/COEP headers)`;
    if (!f.workers) return `${v} needs Web Workers for its threads`;
    if (variant === 'wasm64-relaxed' && !f.relaxedSimd)
      return `${v} needs WebAssembly relaxed SIMD, which this browser does not validate: use 'wasm64'`;
  }
  if (variant === 'mt' && !f.shareMemory)
    return "variant 'mt' needs shared memory: serve the page cross-origin isolated (COOP/COEP headers)";
  return null;
}

/** The best module a runtime with these features (default: this one) can run: 'wasm64-relaxed',
 *  then 'wasm64', then 'mt', then 'st'. */
export function chooseVariant(f = features()) {
  return VARIANTS.find((v) => !unsupportedReason(v, f));
}
