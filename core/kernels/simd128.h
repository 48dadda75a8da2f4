/*
 * simd128.h — private to the SIMD128 kernel files (simd128*.c): the fill function of each
 * file and the few vector helpers they share. Only compiled into SIMD builds (see the guard
 * in each file); the scalar table entries stay the reference every kernel is tested against.
 */
#ifndef MW_SIMD128_H
#define MW_SIMD128_H

#include "kernels/kernels.h"
#include "kernels/wasm_simd.h"

/* Each file overrides the entries it implements; `scalar` is the table before any override
 * (tails and rare cases call into it instead of repeating a scalar loop). */
void mw_simd128_fill_legacy(mw_kernels *k, const mw_kernels *scalar);
void mw_simd128_fill_kquants(mw_kernels *k, const mw_kernels *scalar);
void mw_simd128_fill_f32(mw_kernels *k, const mw_kernels *scalar);

/* Sum of the four i32 lanes (exact). */
static inline int32_t simd_hsum_i32(v128_t v)
{
    v = wasm_i32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
    v = wasm_i32x4_add(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
    return wasm_i32x4_extract_lane(v, 0);
}

/* (v0 + v2) + (v1 + v3): the pairwise order a horizontal vector add gives. */
static inline float simd_hsum_f32(v128_t v)
{
    v = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
    return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1);
}

/* Largest of the four f32 lanes (NaN lanes never win, as with fmaxf). */
static inline float simd_hmax_f32(v128_t v)
{
    v = wasm_f32x4_pmax(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
    v = wasm_f32x4_pmax(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
    return wasm_f32x4_extract_lane(v, 0);
}

/* Dot product of 16 int8 pairs as four i32 partial sums: widen to i16, multiply-add pairs
 * (i32x4.dot_i16x8 is one pmaddwd on x86). Exact for any int8 inputs. */
static inline v128_t simd_dot_i8x16(v128_t a, v128_t b)
{
    v128_t lo = wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(a), wasm_i16x8_extend_low_i8x16(b));
    v128_t hi = wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(a), wasm_i16x8_extend_high_i8x16(b));
    return wasm_i32x4_add(lo, hi);
}

#endif
