/*
 * wasm_simd.h — the one place that picks where the WebAssembly SIMD128 intrinsics come from:
 * the compiler's <wasm_simd128.h> in wasm builds (-msimd128), SIMDe's portable implementation
 * of the same API in native builds with MW_SIMDE (so the SIMD kernels also run natively, under
 * sanitizers). Kernel files include this and write plain wasm_* code.
 */
#ifndef MW_WASM_SIMD_H
#define MW_WASM_SIMD_H

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#elif defined(MW_SIMDE)
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/wasm/simd128.h>
#else
#error "wasm_simd.h needs -msimd128 (wasm) or MW_SIMDE (native through SIMDe)"
#endif

#endif
