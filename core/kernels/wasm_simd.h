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

/* Relaxed SIMD (i32x4.relaxed_dot_i8x16_i7x16_add): wasm builds with -mrelaxed-simd, native
 * builds with MW_SIMDE_RELAXED. SIMDe has no relaxed dot, so the native one below is what x86
 * engines compute (pmaddubsw: the second operand read as UNSIGNED bytes, each pair of
 * products saturated to i16, then the pairs added): kernels that ever pass a second operand
 * above 127 or let a pair sum saturate differ from the scalar oracle natively too. */
#if defined(__wasm_relaxed_simd__) || (defined(MW_SIMDE) && defined(MW_SIMDE_RELAXED))
#define MW_RELAXED 1
#endif
#if defined(MW_RELAXED) && !defined(__wasm_relaxed_simd__)
static inline v128_t wasm_i32x4_relaxed_dot_i8x16_i7x16_add(v128_t a, v128_t b, v128_t c)
{
    int8_t av[16];
    uint8_t bv[16];
    int32_t cv[4];
    wasm_v128_store(av, a);
    wasm_v128_store(bv, b);
    wasm_v128_store(cv, c);
    for (int lane = 0; lane < 4; lane++)
        for (int pair = 0; pair < 2; pair++) {
            const int j = 4 * lane + 2 * pair;
            int32_t p = (int32_t)av[j] * bv[j] + (int32_t)av[j + 1] * bv[j + 1];
            p = p > 32767 ? 32767 : p < -32768 ? -32768 : p;
            cv[lane] = (int32_t)((uint32_t)cv[lane] + (uint32_t)p);
        }
    return wasm_v128_load(cv);
}
#endif

#endif
