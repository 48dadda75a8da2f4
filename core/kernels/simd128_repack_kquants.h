/*
 * simd128_repack_kquants.h — the shared part of the K-quant weights (Q2_K to Q6_K) repacked at
 * load for the SIMD128 matmul, one file per type family: simd128_repack_q23k.c (Q2_K, Q3_K),
 * simd128_repack_q45k.c (Q4_K, Q5_K), simd128_repack_q6k.c (Q6_K). Here: the repack helpers
 * and the pieces of the dot kernels every family uses.
 *
 * The design, for all of them: eight consecutive rows interleaved super-block by super-block, each
 * group exactly the size of the eight rows it replaces (the loader repacks in place). Inside a
 * group the bits are rearranged so one v128 load and a few 16-bit shifts/masks give eight-value i16
 * vectors that line up with eight consecutive activation values: each 32 (Q2_K, Q3_K: 16)
 * activations are widened to i16 once and serve all eight rows. The per-group scales are applied to
 * the exact integer group dots of a row pair by narrowing the two rows' i32 partial sums to i16
 * (they fit: see the bounds below) and one i32x4.dot_i16x8 against their two scales, instead of an
 * i32 multiply per row and group. rows8xn (prefill) unpacks a super-block once per tile of tokens,
 * scales multiplied in. Every integer sum is exact and the float finish per super-block is kq_dot's
 * expression lane by lane (d*yd*sumi - dmin*yd*summ, added in block order), so results are
 * bit-identical to the scalar reference. Activation values are in -128..127 (Q8_K). The group loops are
 * kept rolled (KEEP_LOOP): V8 schedules the pure SIMD operations of one long unrolled block freely
 * and spilled most of them (the unrolled version ran at 0.4-0.7x the single-row kernels under Node;
 * rolled, 1.5-2.2x, in Chromium too).
 */
#ifndef MW_SIMD128_REPACK_KQUANTS_H
#define MW_SIMD128_REPACK_KQUANTS_H

#include "kernels/simd128.h"
#include "quant/quant_util.h"

/* ---- repack (load time) ----
 * Straight-line vector code per source block, every output written as whole 16-byte lanes: the
 * loader repacks every K-quant weight of the model, so this runs over gigabytes (the scalar
 * bit-by-bit version ran at ~0.2 GB/s under Node). 16-bit shifts plus a byte mask stand in for
 * 8-bit shifts (one native instruction on x86, an 8-bit shift is not; see simd_hi_nibbles). */

SIMD_INLINE v128_t bytes_and(v128_t v, int mask) { return wasm_v128_and(v, wasm_i8x16_splat((int8_t)mask)); }

/* Bytes k and 8+k of v side by side (bytes 2k, 2k+1): the u16-lane order of the layouts */
SIMD_INLINE v128_t pair_halves(v128_t v)
{
    return wasm_i8x16_shuffle(v, v, 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15);
}

/* 64 6-bit values v[a] (a < 4, byte b of each) into 48 bytes: the low 4 bits of v[0], v[1] as
 * the low and high nibbles of bytes 0..15, of v[2], v[3] in bytes 16..31 (at n); their top 2
 * bits as bits 2a..2a+1 of byte 32 + b (at c). unpack6 reads it back. */
SIMD_INLINE void pack6(const v128_t v[4], uint8_t *n, uint8_t *c)
{
    wasm_v128_store(n, wasm_v128_or(bytes_and(v[0], 0x0f), bytes_and(wasm_i16x8_shl(v[1], 4), 0xf0)));
    wasm_v128_store(n + 16, wasm_v128_or(bytes_and(v[2], 0x0f), bytes_and(wasm_i16x8_shl(v[3], 4), 0xf0)));
    wasm_v128_store(c, wasm_v128_or(wasm_v128_or(bytes_and(wasm_u16x8_shr(v[0], 4), 0x03),
                                                 bytes_and(wasm_u16x8_shr(v[1], 2), 0x0c)),
                                    wasm_v128_or(bytes_and(v[2], 0x30), bytes_and(wasm_i16x8_shl(v[3], 2), 0xc0))));
}

/* Row r of group g is source row 8g+r. */
/* The body of every repack_*: each super-block column of each group through BLOCK_FN */
#define REPACK_K_BODY(SRC_T, DST_T, BLOCK_FN) \
    const int nb = n / QK_K; \
    const SRC_T *x = src; \
    DST_T *out = dst; \
    for (int64_t g = 0; g < n_rows / 8; g++) \
        for (int i = 0; i < nb; i++) { \
            const SRC_T *rows[8]; \
            for (int r = 0; r < 8; r++) rows[r] = &x[(g * 8 + r) * nb + i]; \
            BLOCK_FN(rows, &out[g * nb + i]); \
        }

/* ---- shared pieces of the dot kernels ---- */

/* A loop left rolled (see the header) */
#if defined(__clang__)
#define KEEP_LOOP _Pragma("clang loop unroll(disable)")
#else
#define KEEP_LOOP
#endif

/* 32 activation quants widened to four i16x8 (values 8j..8j+7 in vector j) */
SIMD_INLINE void y_group(const int8_t *qs, v128_t v[4])
{
    const v128_t a = wasm_v128_load(qs), b = wasm_v128_load(qs + 16);
    v[0] = wasm_i16x8_extend_low_i8x16(a);
    v[1] = wasm_i16x8_extend_high_i8x16(a);
    v[2] = wasm_i16x8_extend_low_i8x16(b);
    v[3] = wasm_i16x8_extend_high_i8x16(b);
}

/* [w[j] x4, w[4+j] x4] of eight i16 scales [row a: 4 groups, row b: the same 4 groups]: the
 * scales of group j of a row pair whose partial dots were narrowed together */
SIMD_INLINE v128_t pair_scales(v128_t w, int j)
{
    switch (j) {
    case 0: return wasm_i16x8_shuffle(w, w, 0, 0, 0, 0, 4, 4, 4, 4);
    case 1: return wasm_i16x8_shuffle(w, w, 1, 1, 1, 1, 5, 5, 5, 5);
    case 2: return wasm_i16x8_shuffle(w, w, 2, 2, 2, 2, 6, 6, 6, 6);
    default: return wasm_i16x8_shuffle(w, w, 3, 3, 3, 3, 7, 7, 7, 7);
    }
}

/* acc += sc_a * dot_a + sc_b * dot_b as [a, a, b, b] partial sums: pa, pb are the i32x4 partial
 * dots of one group of rows a and b (every lane within i16, so narrowing is exact), scales
 * pair_scales' [sc_a x4, sc_b x4]. */
SIMD_INLINE v128_t add_scaled_pair(v128_t acc, v128_t pa, v128_t pb, v128_t scales)
{
    return wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_i16x8_narrow_i32x4(pa, pb), scales));
}

/* Rows 0-3 (4-7) from the row-pair sums [a, a, b, b] of pairs 0, 1 (2, 3): lane sums */
SIMD_INLINE v128_t rows_of_pairs(v128_t p0, v128_t p1)
{
    return wasm_i32x4_add(wasm_i32x4_shuffle(p0, p1, 0, 2, 4, 6), wasm_i32x4_shuffle(p0, p1, 1, 3, 5, 7));
}

/* The eight rows' fp16 scales d (dmin) as f32 vectors, rows 0-3 and 4-7, converted exactly */
SIMD_INLINE void scales8_f32(const uint16_t h8[8], v128_t out[2])
{
    const v128_t h = wasm_v128_load(h8);
    out[0] = simd_f16x4_to_f32(wasm_u32x4_extend_low_u16x8(h));
    out[1] = simd_f16x4_to_f32(wasm_u32x4_extend_high_u16x8(h));
}

/* acc (rows 0-3 / 4-7) += dx*yd*sumi [- dm*yd*summ]: kq_dot's finish for eight rows (sumi,
 * summ: one i32 per row; summ unused without dm), dx and dm the rows' scales (scales8_f32;
 * a prefill converts them once per super-block for all its tokens). */
SIMD_INLINE void finish8_f32(v128_t acc[2], const v128_t sumi[2], const v128_t summ[2], const v128_t dx[2],
                             const v128_t *dm, float yd)
{
    const v128_t dy = wasm_f32x4_splat(yd);
    for (int h = 0; h < 2; h++) {
        v128_t r = wasm_f32x4_mul(wasm_f32x4_mul(dx[h], dy), wasm_f32x4_convert_i32x4(sumi[h]));
        if (dm)
            r = wasm_f32x4_sub(r, wasm_f32x4_mul(wasm_f32x4_mul(dm[h], dy), wasm_f32x4_convert_i32x4(summ[h])));
        acc[h] = wasm_f32x4_add(acc[h], r);
    }
}

/* finish8_f32 from the fp16 scales d_h (dmin_h NULL: no mins) */
SIMD_INLINE void finish8(v128_t acc[2], const v128_t sumi[2], const v128_t summ[2],
                         const uint16_t d_h[8], const uint16_t *dmin_h, float yd)
{
    v128_t dx[2], dm[2];
    scales8_f32(d_h, dx);
    if (dmin_h)
        scales8_f32(dmin_h, dm);
    finish8_f32(acc, sumi, summ, dx, dmin_h ? dm : NULL, yd);
}

/* acc[t] (rows 0-3, 4-7) += the terms of super-block i of a group (vx: its first) for token t
 * < nt (y[t]: that token's super-block): one per type, below */
typedef void (*block8_fn)(const void *vx, int i, int nt, const block_q8_K *const y[2], v128_t acc[2][2]);

/* rows8 (nt 1) and rows8x2 (nt 2, s[8t + r]) of every K type, over its block8 */
SIMD_INLINE void rows8_k(int n, float *s, const void *vx, const void *vy, size_t y_stride, int nt, block8_fn block8)
{
    const block_q8_K *y0 = vy, *y1 = (const block_q8_K *)((const uint8_t *)vy + (nt == 2 ? y_stride : 0));
    v128_t acc[2][2];
    for (int t = 0; t < 2; t++) acc[t][0] = acc[t][1] = wasm_f32x4_splat(0.0f);
    for (int i = 0; i < n / QK_K; i++) {
        const block_q8_K *yi[2] = { &y0[i], &y1[i] };
        block8(vx, i, nt, yi, acc);
    }
    for (int t = 0; t < nt; t++) {
        wasm_v128_store(s + 8 * t, acc[t][0]);
        wasm_v128_store(s + 8 * t + 4, acc[t][1]);
    }
}

/* The 64 6-bit values pack6 stored (nibbles at n, top bits at c) as four u8x16 vectors */
SIMD_INLINE void unpack6(const uint8_t *n, const uint8_t *c, v128_t v[4])
{
    const v128_t m4 = wasm_i8x16_splat(0x0f), m30 = wasm_i8x16_splat(0x30);
    const v128_t n0 = wasm_v128_load(n), n1 = wasm_v128_load(n + 16), hi = wasm_v128_load(c);
    v[0] = wasm_v128_or(wasm_v128_and(n0, m4), wasm_v128_and(wasm_i16x8_shl(hi, 4), m30));
    v[1] = wasm_v128_or(simd_hi_nibbles(n0), wasm_v128_and(wasm_i16x8_shl(hi, 2), m30));
    v[2] = wasm_v128_or(wasm_v128_and(n1, m4), wasm_v128_and(hi, m30));
    v[3] = wasm_v128_or(simd_hi_nibbles(n1), wasm_v128_and(wasm_u16x8_shr(hi, 2), m30));
}

/* ---- rows8xn (prefill): each super-block unpacked once for all the tokens ----
 * xs_block: the eight rows' super-block as i16, unit u (values 32u..32u+31) of row r in four
 * vectors, every value already times its group's scale (Q6_K: (q-32) * sc). Then a token's
 * sumi is plain dots: |lane| <= 64 products of 945 * 128 (Q4_K) or 4096 * 128 (Q6_K), <= 2^25,
 * exact in i32. 4 KiB, it stays in L1 while the tile's tokens pass over it. */
typedef struct {
    v128_t v[QK_K / 32][8][4];
} xs_block;

/* dot of one unit of a row (four vectors) with the unit's activations */
SIMD_INLINE v128_t unit_dot(const v128_t x[4], const v128_t y[4])
{
    return wasm_i32x4_add(wasm_i32x4_add(wasm_i32x4_dot_i16x8(x[0], y[0]), wasm_i32x4_dot_i16x8(x[1], y[1])),
                          wasm_i32x4_add(wasm_i32x4_dot_i16x8(x[2], y[2]), wasm_i32x4_dot_i16x8(x[3], y[3])));
}

/* sumi of the eight rows (rows 0-3, 4-7) against NT (1 or 2) activation super-blocks (quants
 * yq[t]): each unit of xs loaded once for both */
SIMD_INLINE void xs_sumi(const xs_block *xs, int nt, const int8_t *const yq[2], v128_t sumi[2][2])
{
    v128_t acc[2][8];
    for (int t = 0; t < nt; t++)
        for (int r = 0; r < 8; r++) acc[t][r] = wasm_i32x4_splat(0);
    KEEP_LOOP
    for (int u = 0; u < QK_K / 32; u++) {
        v128_t yv[2][4];
        for (int t = 0; t < nt; t++) y_group(yq[t] + 32 * u, yv[t]);
        KEEP_LOOP
        for (int r = 0; r < 8; r++)
            for (int t = 0; t < nt; t++) acc[t][r] = wasm_i32x4_add(acc[t][r], unit_dot(xs->v[u][r], yv[t]));
    }
    for (int t = 0; t < nt; t++) {
        sumi[t][0] = simd_hsum4_i32(acc[t][0], acc[t][1], acc[t][2], acc[t][3]);
        sumi[t][1] = simd_hsum4_i32(acc[t][4], acc[t][5], acc[t][6], acc[t][7]);
    }
}

/* summ of the eight rows (rows 0-3, 4-7) against one token's bsums, from what the type's
 * unpacking kept in mins (Q4_K / Q5_K: the min vectors; Q2_K: the group scale bytes) */
typedef void (*xs_summ_fn)(const void *mins, const int16_t *bsums, v128_t summ[2]);

/* s[8t + r] += the super-block's term for row r and token t (y: token 0's super-block), in
 * block order as rows8; tokens two at a time. summ_of NULL: a type without mins.
 * (simd128_repack_kquants.c) */
void mw_simd128_xs_finish_tokens(const xs_block *xs, xs_summ_fn summ_of, const void *mins, const uint16_t d[8],
                                 const uint16_t *dmin, const uint8_t *y, size_t y_stride, int n_tok, float *s);

#endif
