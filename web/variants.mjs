// variants.mjs — which engine module this runtime can run, and the best of them. The package
// picks automatically, best first:
//   'wasm64'  freestanding memory64 module (build-wasm64/mw64.wasm, web/wasm64/): models and
//             caches past 4 GiB, threads; needs memory64 + shared memory (a cross-origin-isolated
//             page in Chromium 133+ / Firefox 134+) and Workers (its pool threads are nested
//             workers of the engine worker). Never in Node: Node 20 has no memory64 and computes
//             relaxed SIMD wrongly (../shared/TOOLCHAIN.md §7).
//   'mt'      Emscripten, SIMD128 + threads (shared memory: Node, or an isolated page)
//   'st'      Emscripten, SIMD128, one thread (everywhere else)
// A relaxed-SIMD wasm64 build ('wasm64-relaxed') slots in first once it exists; hasRelaxedSimd()
// is its detection.
import { isNode } from './env.mjs';

/** Every module the package knows, best first. */
export const VARIANTS = Object.freeze(['wasm64', 'mt', 'st']);

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
/** true when this runtime validates relaxed-SIMD code (for the coming 'wasm64-relaxed'). */
export function hasRelaxedSimd() { return validates(RELAXED_SIMD_PROBE); }
/** true when memory can be shared between threads: Node, or a cross-origin-isolated page. */
export function canShareMemory() {
  if (typeof SharedArrayBuffer !== 'function') return false;
  return isNode || globalThis.crossOriginIsolated === true;
}

/** Why this runtime cannot run variant, or null when it can. */
export function unsupportedReason(variant) {
  if (variant === 'wasm64') {
    if (isNode) return "variant 'wasm64' needs WebAssembly memory64, which Node 20 does not have: use 'mt' or 'st' in Node";
    if (!hasMemory64()) return "variant 'wasm64' needs WebAssembly memory64 with shared memory (Chromium 133+, Firefox 134+)";
    if (!canShareMemory()) return "variant 'wasm64' needs shared memory: serve the page cross-origin isolated (COOP/COEP headers)";
    if (typeof Worker !== 'function') return "variant 'wasm64' needs Web Workers for its threads";
  }
  if (variant === 'mt' && !canShareMemory())
    return "variant 'mt' needs shared memory: serve the page cross-origin isolated (COOP/COEP headers)";
  return null;
}

/** The best module this runtime can run: 'wasm64', then 'mt', then 'st'. */
export function chooseVariant() {
  return VARIANTS.find((v) => !unsupportedReason(v));
}
