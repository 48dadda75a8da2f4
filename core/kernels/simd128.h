/*
 * simd128.h — private to the SIMD128 kernel files (simd128*.c): the fill function of each
 * file and the few vector helpers they share. Only compiled into SIMD builds (see the guard
 * in each file); the scalar table entries stay the reference every kernel is tested against.
 */
#ifndef MW_SIMD128_H
#define MW_SIMD128_H

#include "kernels/kernels.h"
#include "kernels/wasm_simd.h"

/* The multi-row and multi-token kernels of one weight type, each bit-identical to vec_dot per
 * row and token; simd128_matmul.c tiles a matmul_rows job with them (NULL: not there).
 * dot_4rows: s[r] = row r (r < 4; rows x_stride bytes apart) against one activation row y.
 * dot_4cols: s[t] = one row x against activation row t (t < 4; y_stride bytes apart).
 * With repack: rows8: s[r] = row r (r < 8) of one repacked group against y; rows8x2: the same
 * against two activation rows, s[8t + r]; rows8xn: against n_tok >= 1 of them, s[8t + r] (the
 * group's blocks unpacked once for all the tokens). */
typedef void (*simd_dot_4rows_fn)(int n, float *s, const void *x, size_t x_stride, const void *y);
typedef void (*simd_dot_4cols_fn)(int n, float *s, const void *x, const void *y, size_t y_stride);
typedef void (*simd_rows8_fn)(int n, float *s, const void *x, const void *y);
typedef void (*simd_rows8x2_fn)(int n, float *s, const void *x, const void *y, size_t y_stride);
typedef void (*simd_rows8xn_fn)(int n, float *s, const void *x, const void *y, size_t y_stride, int n_tok);
/* rows4xn (as loaded): s[4t + r] = row r (r < 4; rows x_stride bytes apart) against n_tok <=
 * SIMD_ROWS4XN_TOK activation rows (y_stride bytes apart) */
enum { SIMD_ROWS4XN_TOK = 16 };
typedef void (*simd_rows4xn_fn)(int n, float *s, const void *x, size_t x_stride, const void *y, size_t y_stride,
                                int n_tok);
typedef struct simd128_tiles {
    simd_dot_4rows_fn dot_4rows;
    simd_dot_4cols_fn dot_4cols;
    simd_rows8_fn rows8;           /* set with repack[type] */
    simd_rows8x2_fn rows8x2;
    simd_rows8xn_fn rows8xn;
    simd_rows4xn_fn rows4xn;       /* prefill as loaded, preferred to dot_4cols */
} simd128_tiles;

/* Each file overrides the entries it implements and fills tiles[type] for its types; `scalar`
 * is the table before any override (tails and rare cases call into it instead of repeating a
 * scalar loop). fill_matmul comes last: matmul_rows of every type, over the tiles and the
 * final vec_dot / repack_group_bytes. */
void mw_simd128_fill_legacy(mw_kernels *k, simd128_tiles *tiles, const mw_kernels *scalar);
void mw_simd128_fill_kquants(mw_kernels *k, const mw_kernels *scalar);
void mw_simd128_fill_f32(mw_kernels *k, const mw_kernels *scalar);
void mw_simd128_fill_repack(mw_kernels *k, simd128_tiles *tiles, const mw_kernels *scalar);
/* K-quants repacked, one per type family (simd128_repack_q23k.c, _q45k.c, _q6k.c) */
void mw_simd128_fill_repack_q23k(mw_kernels *k, simd128_tiles *tiles);
void mw_simd128_fill_repack_q45k(mw_kernels *k, simd128_tiles *tiles);
void mw_simd128_fill_repack_q6k(mw_kernels *k, simd128_tiles *tiles);
/* Q4_1, Q5_0, Q5_1 repacked (their relaxed tiles in relaxed builds) */
void mw_simd128_fill_repack_legacy(mw_kernels *k, simd128_tiles *tiles);
void mw_simd128_fill_f16(mw_kernels *k, const mw_kernels *scalar);
/* F16 / BF16 weights: vec_dot and dot_4rows */
void mw_simd128_fill_half(mw_kernels *k, simd128_tiles *tiles, const mw_kernels *scalar);
void mw_simd128_fill_matmul(mw_kernels *k, const simd128_tiles *tiles);
/* Relaxed-SIMD builds (wasm_simd.h: MW_RELAXED): the tiles that use
 * i32x4.relaxed_dot_i8x16_i7x16_add replace their SIMD128 ones (same repacked layouts) */
void mw_simd128_fill_repack_relaxed(simd128_tiles *tiles);
void mw_simd128_fill_repack_q23k_relaxed(simd128_tiles *tiles);
void mw_simd128_fill_repack_q45k_relaxed(simd128_tiles *tiles);
void mw_simd128_fill_repack_q6k_relaxed(simd128_tiles *tiles);

/* The multi-row kernels keep one accumulator per row in registers only when their small
 * row/stretch loops are unrolled and their helpers inlined; compilers don't always choose to. */
#if defined(__GNUC__) || defined(__clang__)
#define SIMD_INLINE static inline __attribute__((always_inline))
#else
#define SIMD_INLINE static inline
#endif
#if defined(__clang__)
#define SIMD_UNROLL _Pragma("clang loop unroll(full)")
#elif defined(__GNUC__)
#define SIMD_UNROLL _Pragma("GCC unroll 8")
#else
#define SIMD_UNROLL
#endif

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

/* The high nibble of each byte: a 16-bit lane shift is one native instruction on x86, an
 * 8-bit one is not; the mask drops the bits shifted in from the neighbouring byte. */
static inline v128_t simd_hi_nibbles(v128_t q)
{
    return wasm_v128_and(wasm_u16x8_shr(q, 4), wasm_i8x16_splat(0x0f));
}

/* [sum a, sum b, sum c, sum d]: four horizontal i32 sums at once (exact). */
static inline v128_t simd_hsum4_i32(v128_t a, v128_t b, v128_t c, v128_t d)
{
    v128_t ab = wasm_i32x4_add(wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), wasm_i32x4_shuffle(a, b, 2, 6, 3, 7));
    v128_t cd = wasm_i32x4_add(wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), wasm_i32x4_shuffle(c, d, 2, 6, 3, 7));
    return wasm_i32x4_add(wasm_i32x4_shuffle(ab, cd, 0, 1, 4, 5), wasm_i32x4_shuffle(ab, cd, 2, 3, 6, 7));
}

/* Four halves (in the low 16 bits of u32 lanes) to f32, exactly as fp16_to_f32: the 15
 * magnitude bits shifted into place form a float 2^-112 times the value (subnormal halves
 * become f32 subnormals), so one multiply by 2^112 rebiases exactly; exponent 31 is inf/NaN. */
static inline v128_t simd_f16x4_to_f32(v128_t h)
{
    const v128_t exp_mask = wasm_i32x4_splat(0x7c00);
    v128_t mag = wasm_i32x4_shl(wasm_v128_and(h, wasm_i32x4_splat(0x7fff)), 13);
    v128_t f = wasm_f32x4_mul(mag, wasm_f32x4_splat(0x1p112f));
    v128_t special = wasm_i32x4_eq(wasm_v128_and(h, exp_mask), exp_mask);
    f = wasm_v128_bitselect(wasm_v128_or(mag, wasm_i32x4_splat(0x7f800000)), f, special);
    return wasm_v128_or(f, wasm_i32x4_shl(wasm_v128_and(h, wasm_i32x4_splat(0x8000)), 16));
}

/* Four fp16 fields to f32 lanes (the per-block scales of four blocks). */
static inline v128_t simd_f16x4_make(uint16_t a, uint16_t b, uint16_t c, uint16_t d)
{
    return simd_f16x4_to_f32(wasm_i32x4_make(a, b, c, d));
}

#endif
