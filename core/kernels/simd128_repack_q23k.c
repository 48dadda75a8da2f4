/*
 * simd128_repack_q23k.c — Q2_K and Q3_K weights repacked at load for the SIMD128 matmul (the
 * design: simd128_repack_kquants.h): repack, rows8 / rows8x2 (decode) and rows8xn (prefill),
 * SIMD128 and relaxed SIMD.
 */
#if defined(__wasm_simd128__) || defined(MW_SIMDE)

#include "kernels/simd128_repack_kquants.h"

/* Q2_K x 8 rows. qs[r][c]: values 64c..64c+63 of row r, 2 bits each: bits 2j..2j+1 of byte
 * 2k+e are value 64c + 16j + 8e + k (group 4c + j: one shift and mask give a whole group, its
 * bytes already the u16 lanes of values 8e + k). scales[p][c]: [row 2p groups 4c..4c+3, row
 * 2p+1 the same], the source bytes (scale | min << 4).
 * Q3_K x 8 rows. q[r][w]: groups 8w..8w+7 of row r (values 128w..128w+127) as their 3-bit
 * values q + 4 (0..7: low bits + 4 * high bit), byte 2k+e of each of the three vectors V0..V2
 * holding value 8e + k of eight groups b (as Q2_K's byte order): bits 0-2 group 2i of Vi, bits
 * 3-5 group 2i+1; group 6 in bits 6-7 of V0 (its low 2 bits) and bit 6 of V1 (bit 2), group 7
 * in bit 7 of V1 (bit 0) and bits 6-7 of V2 (bits 1-2). So six of the eight groups are one
 * shift and one mask, the other two a shift, mask and or more (x_q3_K_bytes), instead of the
 * low bits and the high bit each shifted and masked out of two vectors and merged: Q3_K decode
 * is bound by these unpacking instructions, not by memory. scales: the 128 biased 6-bit scales
 * packed by pack6 (twice) as vectors 2p + h = [row 2p groups 8h..8h+3, row 2p+1 the same, row
 * 2p groups 8h+4..8h+7, row 2p+1 the same]. */
typedef struct {
    uint16_t d[8], dmin[8];
    uint8_t scales[4][4][8];
    uint8_t qs[8][4][16];
} block_q2_Kx8;
typedef struct {
    uint16_t d[8];
    uint8_t scales[96];
    uint8_t q[8][2][3][16];
} block_q3_Kx8;
_Static_assert(sizeof(block_q2_Kx8) == 8 * sizeof(block_q2_K), "in-place repack");
_Static_assert(sizeof(block_q3_Kx8) == 8 * sizeof(block_q3_K), "in-place repack");

/* Group 4c + j of a Q2_K row (qs: its unit c) as bytes, byte 2k + e value 8e + k of the group */
SIMD_INLINE v128_t x_q2_K_bytes(const uint8_t *qs, int j)
{
    return bytes_and(wasm_u16x8_shr(wasm_v128_load(qs), 2 * j), 0x03);
}

/* Group 8w + b of a Q3_K row (q: its q[w], the layout above) as bytes q + 4, as x_q2_K_bytes */
SIMD_INLINE v128_t x_q3_K_bytes(const uint8_t *q, int b)
{
    const v128_t v = wasm_v128_load(q + 16 * (b < 6 ? b / 2 : 1));
    if (b < 6)
        return bytes_and(b % 2 ? wasm_u16x8_shr(v, 3) : v, 0x07);
    if (b == 6)
        return wasm_v128_or(bytes_and(wasm_u16x8_shr(wasm_v128_load(q), 6), 0x03), bytes_and(wasm_u16x8_shr(v, 4), 0x04));
    return wasm_v128_or(bytes_and(wasm_u16x8_shr(v, 7), 0x01), bytes_and(wasm_u16x8_shr(wasm_v128_load(q + 32), 5), 0x06));
}

/* Q2_K / Q3_K: source byte 32c' + 16h + l holds in bits 2j'..2j'+1 value 128c' + 32j' + 16h + l
 * (group 8c' + 2j' + h). Group 4c + j of the layout is thus crumb 2(c%2) + j/2 of source bytes
 * 32(c/2) + 16(j%2) + l: per unit c the two 16-byte halves, their bytes l and 8 + l side by
 * side (pair_halves), give groups 4c, 4c+2 (first half) and 4c+1, 4c+3 (second). */
SIMD_INLINE void repack_qs_q23_K(const uint8_t *src, uint8_t out[4][16])
{
    for (int c = 0; c < 4; c++) {
        const v128_t a0 = pair_halves(wasm_v128_load(src + 32 * (c / 2)));
        const v128_t b0 = pair_halves(wasm_v128_load(src + 32 * (c / 2) + 16));
        const v128_t a = c % 2 ? wasm_u16x8_shr(a0, 4) : a0, b = c % 2 ? wasm_u16x8_shr(b0, 4) : b0;
        wasm_v128_store(out[c], wasm_v128_or(wasm_v128_or(bytes_and(a, 0x03), wasm_i16x8_shl(bytes_and(b, 0x03), 2)),
                                             wasm_v128_or(wasm_i16x8_shl(bytes_and(a, 0x0c), 2),
                                                          wasm_i16x8_shl(bytes_and(b, 0x0c), 4))));
    }
}

/* Q3_K high bits: that of value 128w + 16b + l (l < 16) is bit 4w + b/2 of source byte
 * 16(b%2) + l, so bit b of an out byte (in Q2_K's byte order: value 128w + 16b + 8e + k at
 * byte 2k+e of out[w]) comes from the first (b even) or second half. */
SIMD_INLINE void repack_hm_q3_K(const uint8_t *hmask, uint8_t out[2][16])
{
    const v128_t p0 = pair_halves(wasm_v128_load(hmask)), q0 = pair_halves(wasm_v128_load(hmask + 16));
    for (int w = 0; w < 2; w++) {
        const v128_t p = w ? wasm_u16x8_shr(p0, 4) : p0, q = w ? wasm_u16x8_shr(q0, 4) : q0;
        v128_t v = wasm_i32x4_splat(0);
        for (int i = 0; i < 4; i++)   /* bit i of p to bit 2i, of q to bit 2i + 1 */
            v = wasm_v128_or(v, wasm_v128_or(bytes_and(wasm_i16x8_shl(p, i), 1 << (2 * i)),
                                             bytes_and(wasm_i16x8_shl(q, i + 1), 2 << (2 * i))));
        wasm_v128_store(out[w], v);
    }
}

/* The 16 biased 6-bit Q3_K scales as bytes (q3_K_scale in quant/kquants_q2q3.c without the
 * bias): low 4 bits from bytes 0..7 (low nibbles, then high), top 2 bits from bits 2(g/4) of
 * byte 8 + g%4 moved to bits 4-5 */
SIMD_INLINE v128_t scales_q3_K(const uint8_t *scales)
{
    uint8_t b[16] = { 0 };
    memcpy(b, scales, 12);
    const v128_t q = wasm_v128_load(b);
    const v128_t lo = wasm_i8x16_shuffle(q, q, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7);
    const v128_t hi = wasm_i8x16_shuffle(q, q, 8, 9, 10, 11, 8, 9, 10, 11, 8, 9, 10, 11, 8, 9, 10, 11);
    const v128_t m_first = wasm_i8x16_make(15, 15, 15, 15, 15, 15, 15, 15, 0, 0, 0, 0, 0, 0, 0, 0);
    const v128_t m_second = wasm_i8x16_make(0, 0, 0, 0, 0, 0, 0, 0, 15, 15, 15, 15, 15, 15, 15, 15);
    const v128_t top = wasm_v128_or(
        wasm_v128_or(wasm_v128_and(wasm_i16x8_shl(hi, 4), wasm_i32x4_make(0x30303030, 0, 0, 0)),
                     wasm_v128_and(wasm_i16x8_shl(hi, 2), wasm_i32x4_make(0, 0x30303030, 0, 0))),
        wasm_v128_or(wasm_v128_and(hi, wasm_i32x4_make(0, 0, 0x30303030, 0)),
                     wasm_v128_and(wasm_u16x8_shr(hi, 2), wasm_i32x4_make(0, 0, 0, 0x30303030))));
    return wasm_v128_or(wasm_v128_or(wasm_v128_and(lo, m_first), wasm_v128_and(wasm_u16x8_shr(lo, 4), m_second)), top);
}

/* [row 2p groups 8h..8h+3, row 2p+1 the same, row 2p groups 8h+4..8h+7, row 2p+1 the same] of
 * the per-row group vectors a (row 2p), b (row 2p+1): u32 interleave */
SIMD_INLINE v128_t row_pair_units(v128_t a, v128_t b, int h)
{
    return h ? wasm_i32x4_shuffle(a, b, 2, 6, 3, 7) : wasm_i32x4_shuffle(a, b, 0, 4, 1, 5);
}

static void repack_q2_K_block(const block_q2_K *src[8], block_q2_Kx8 *o)
{
    for (int r = 0; r < 8; r++) {
        o->d[r] = src[r]->d;
        o->dmin[r] = src[r]->dmin;
        repack_qs_q23_K(src[r]->qs, o->qs[r]);
    }
    for (int p = 0; p < 4; p++)
        for (int h = 0; h < 2; h++)
            wasm_v128_store(o->scales[p][2 * h], row_pair_units(wasm_v128_load(src[2 * p]->scales),
                                                                wasm_v128_load(src[2 * p + 1]->scales), h));
}

/* One Q3_K row's 256 values (qs and hm in Q2_K's layout, repack_qs_q23_K and repack_hm_q3_K)
 * into q[w][3] of block_q3_Kx8 */
SIMD_INLINE void repack_q_q3_K(const uint8_t qs[4][16], const uint8_t hm[2][16], uint8_t out[2][3][16])
{
    for (int w = 0; w < 2; w++) {
        v128_t x[8];   /* q + 4 of group 8w + b, one byte each */
        const v128_t h = wasm_v128_load(hm[w]);
        for (int b = 0; b < 8; b++)
            x[b] = wasm_v128_or(x_q2_K_bytes(qs[2 * w + b / 4], b % 4),
                                bytes_and(b >= 2 ? wasm_u16x8_shr(h, b - 2) : wasm_i16x8_shl(h, 2 - b), 0x04));
        wasm_v128_store(out[w][0], wasm_v128_or(wasm_v128_or(x[0], wasm_i16x8_shl(x[1], 3)),
                                                bytes_and(wasm_i16x8_shl(x[6], 6), 0xc0)));
        wasm_v128_store(out[w][1], wasm_v128_or(wasm_v128_or(x[2], wasm_i16x8_shl(x[3], 3)),
                                                wasm_v128_or(bytes_and(wasm_i16x8_shl(x[6], 4), 0x40),
                                                             bytes_and(wasm_i16x8_shl(x[7], 7), 0x80))));
        wasm_v128_store(out[w][2], wasm_v128_or(wasm_v128_or(x[4], wasm_i16x8_shl(x[5], 3)),
                                                bytes_and(wasm_i16x8_shl(x[7], 5), 0xc0)));
    }
}

static void repack_q3_K_block(const block_q3_K *src[8], block_q3_Kx8 *o)
{
    v128_t sm[8];
    for (int r = 0; r < 8; r++) {
        uint8_t qs[4][16], hm[2][16];
        o->d[r] = src[r]->d;
        repack_qs_q23_K(src[r]->qs, qs);
        repack_hm_q3_K(src[r]->hmask, hm);
        repack_q_q3_K(qs, hm, o->q[r]);
        sm[r] = scales_q3_K(src[r]->scales);
    }
    v128_t v[8];   /* 2p + h */
    for (int p = 0; p < 4; p++)
        for (int h = 0; h < 2; h++) v[2 * p + h] = row_pair_units(sm[2 * p], sm[2 * p + 1], h);
    pack6(v, o->scales, o->scales + 32);
    pack6(v + 4, o->scales + 48, o->scales + 80);
}

static void repack_q2_K(int64_t n_rows, int n, const void *src, void *dst)
{
    REPACK_K_BODY(block_q2_K, block_q2_Kx8, repack_q2_K_block)
}

static void repack_q3_K(int64_t n_rows, int n, const void *src, void *dst)
{
    REPACK_K_BODY(block_q3_K, block_q3_Kx8, repack_q3_K_block)
}

/* ---- Q2_K, Q3_K ---- */

/* Group g of one row (row: its qs (Q2_K) or q (Q3_K)) as bytes, byte 2k + e value 8e + k of
 * the group: 0..3 (Q2_K) or 0..7 (Q3_K: q + 4, the -4 applied through bsums). All shifts are
 * constants once the group loop is unrolled. */
SIMD_INLINE v128_t x_q23_K_bytes(const uint8_t *row, int is_q3, int g)
{
    return is_q3 ? x_q3_K_bytes(row + 48 * (g / 8), g % 8) : x_q2_K_bytes(row + 16 * (g / 4), g % 4);
}

/* x_q23_K_bytes as two i16 vectors: values 0-7 (lo) and 8-15 (hi) of the group */
SIMD_INLINE void x_q23_K(const uint8_t *row, int is_q3, int g, v128_t *lo, v128_t *hi)
{
    const v128_t x = x_q23_K_bytes(row, is_q3, g);
    *lo = wasm_v128_and(x, wasm_i16x8_splat(0x00ff));
    *hi = wasm_u16x8_shr(x, 8);
}

/* One super-block of the eight rows against NT activation super-blocks: acc[t][p], the
 * row-pair sums [a, a, b, b] of sum_g sc*dot(x, y_g) (x as x_q23_K gives it; exact). sc[p][c]:
 * the i16 scales [row 2p groups 4c..4c+3, row 2p+1 the same]. Group by group, the activations
 * widened once serve the four row pairs; partial dots of a group: |lane| <= 4 * 7 * 128,
 * within i16 for add_scaled_pair. */
/* Relaxed SIMD (as group_dot_q4_K_relaxed): the group's values, bytes 0..7, are the i7
 * operand (a pair of products at most 2 * 7 * 128), the activations shuffled to its byte order
 * once for all rows; lanes of 4 products, as below. */
SIMD_INLINE v128_t group_dot_q23_K_relaxed(v128_t x, v128_t y)
{
#if defined(MW_RELAXED)
    return wasm_i32x4_relaxed_dot_i8x16_i7x16_add(y, x, wasm_i32x4_splat(0));
#else
    (void)x; (void)y;
    return wasm_i32x4_splat(0);   /* never called: relaxed is 0 in these builds */
#endif
}

/* Row r of a group's values (xq: row 0's qs (Q2_K) or q (Q3_K)) */
SIMD_INLINE const uint8_t *q23_K_row(const uint8_t *xq, int is_q3, int r)
{
    return xq + r * (is_q3 ? sizeof(((block_q3_Kx8 *)0)->q[0]) : sizeof(((block_q2_Kx8 *)0)->qs[0]));
}

SIMD_INLINE void q23_K_sums(const uint8_t *xq, int is_q3, const v128_t sc[4][4], int nt,
                            const block_q8_K *const y[2], v128_t acc[2][4], int relaxed)
{
    for (int t = 0; t < nt; t++)
        for (int p = 0; p < 4; p++) acc[t][p] = wasm_i32x4_splat(0);
    KEEP_LOOP
    for (int w = 0; w < 2; w++) {
        SIMD_UNROLL
        for (int b = 0; b < 8; b++) {
            const int c = 2 * w + b / 4, j = b % 4, g = 8 * w + b;
            v128_t yv[2][2];
            for (int t = 0; t < nt; t++) {
                const v128_t a = wasm_v128_load(y[t]->qs + 16 * g);
                if (relaxed) {
                    yv[t][0] = wasm_i8x16_shuffle(a, a, 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15);
                    continue;
                }
                yv[t][0] = wasm_i16x8_extend_low_i8x16(a);
                yv[t][1] = wasm_i16x8_extend_high_i8x16(a);
            }
            KEEP_LOOP
            for (int p = 0; p < 4; p++) {
                const v128_t s = pair_scales(sc[p][c], j);
                if (relaxed) {
                    const v128_t xa = x_q23_K_bytes(q23_K_row(xq, is_q3, 2 * p), is_q3, g);
                    const v128_t xb = x_q23_K_bytes(q23_K_row(xq, is_q3, 2 * p + 1), is_q3, g);
                    for (int t = 0; t < nt; t++)
                        acc[t][p] = add_scaled_pair(acc[t][p], group_dot_q23_K_relaxed(xa, yv[t][0]),
                                                    group_dot_q23_K_relaxed(xb, yv[t][0]), s);
                    continue;
                }
                v128_t a0, a1, b0, b1;
                x_q23_K(q23_K_row(xq, is_q3, 2 * p), is_q3, g, &a0, &a1);
                x_q23_K(q23_K_row(xq, is_q3, 2 * p + 1), is_q3, g, &b0, &b1);
                for (int t = 0; t < nt; t++) {
                    const v128_t pa = wasm_i32x4_add(wasm_i32x4_dot_i16x8(a0, yv[t][0]), wasm_i32x4_dot_i16x8(a1, yv[t][1]));
                    const v128_t pb = wasm_i32x4_add(wasm_i32x4_dot_i16x8(b0, yv[t][0]), wasm_i32x4_dot_i16x8(b1, yv[t][1]));
                    acc[t][p] = add_scaled_pair(acc[t][p], pa, pb, s);
                }
            }
        }
    }
}

/* sum over (row pair p, unit c) of dot(v[p][c], [bsums 4c..4c+3] twice) as rows 0-3, 4-7: the
 * rows' sum_g v_g * bsum_g (Q2_K mins, Q3_K's -4 correction) */
SIMD_INLINE void rows_bsum_dots(const v128_t v[4][4], const int16_t *bsums, v128_t out[2])
{
    v128_t acc[4];
    SIMD_UNROLL
    for (int p = 0; p < 4; p++) {
        acc[p] = wasm_i32x4_splat(0);
        SIMD_UNROLL
        for (int c = 0; c < 4; c++)
            acc[p] = wasm_i32x4_add(acc[p], wasm_i32x4_dot_i16x8(v[p][c], wasm_v128_load64_splat(bsums + 4 * c)));
    }
    out[0] = rows_of_pairs(acc[0], acc[1]);
    out[1] = rows_of_pairs(acc[2], acc[3]);
}

/* Q2_K's scales (sc) and mins (mn) per row pair and unit as rows_bsum_dots takes them */
SIMD_INLINE void scales_mins_q2_K(const uint8_t scales[4][4][8], v128_t sc[4][4], v128_t mn[4][4])
{
    for (int p = 0; p < 4; p++)
        for (int c = 0; c < 4; c++) {
            const v128_t v = wasm_u16x8_load8x8(scales[p][c]);
            sc[p][c] = wasm_v128_and(v, wasm_i16x8_splat(0x000f));
            mn[p][c] = wasm_u16x8_shr(v, 4);
        }
}

/* Q3_K's signed scales per row pair and unit */
SIMD_INLINE void scales_q3_Kx8(const uint8_t *scales, v128_t sc[4][4])
{
    v128_t v[8];
    unpack6(scales, scales + 32, v);
    unpack6(scales + 48, scales + 80, v + 4);
    const v128_t bias = wasm_i16x8_splat(32);
    for (int p = 0; p < 4; p++)
        for (int h = 0; h < 2; h++) {
            sc[p][2 * h] = wasm_i16x8_sub(wasm_u16x8_extend_low_u8x16(v[2 * p + h]), bias);
            sc[p][2 * h + 1] = wasm_i16x8_sub(wasm_u16x8_extend_high_u8x16(v[2 * p + h]), bias);
        }
}

/* One Q2_K super-block of the eight rows against NT activation super-blocks: sumi[t], summ[t] */
SIMD_INLINE void q2_K_sums(const block_q2_Kx8 *x, int nt, const block_q8_K *const y[2], v128_t sumi[2][2],
                           v128_t summ[2][2], int relaxed)
{
    v128_t sc[4][4], mn[4][4], acc[2][4];
    scales_mins_q2_K(x->scales, sc, mn);
    q23_K_sums(x->qs[0][0], 0, sc, nt, y, acc, relaxed);
    for (int t = 0; t < nt; t++) {
        sumi[t][0] = rows_of_pairs(acc[t][0], acc[t][1]);
        sumi[t][1] = rows_of_pairs(acc[t][2], acc[t][3]);
        rows_bsum_dots(mn, y[t]->bsums, summ[t]);
    }
}

/* One Q3_K super-block: sumi[t] = sum_g sc*dot(x, y_g) - 4 * sum_g sc*bsum_g (x = q + 4) */
SIMD_INLINE void q3_K_sums(const block_q3_Kx8 *x, int nt, const block_q8_K *const y[2], v128_t sumi[2][2],
                           int relaxed)
{
    v128_t sc[4][4], acc[2][4];
    scales_q3_Kx8(x->scales, sc);
    q23_K_sums(x->q[0][0][0], 1, sc, nt, y, acc, relaxed);
    for (int t = 0; t < nt; t++) {
        v128_t corr[2];
        rows_bsum_dots(sc, y[t]->bsums, corr);
        sumi[t][0] = wasm_i32x4_sub(rows_of_pairs(acc[t][0], acc[t][1]), wasm_i32x4_shl(corr[0], 2));
        sumi[t][1] = wasm_i32x4_sub(rows_of_pairs(acc[t][2], acc[t][3]), wasm_i32x4_shl(corr[1], 2));
    }
}

/* block8 of Q2_K and Q3_K, SIMD128 (relaxed 0) or relaxed SIMD (1) */
SIMD_INLINE void block8_q23_K(const void *vx, int i, int nt, const block_q8_K *const y[2], v128_t acc[2][2],
                              int is_q3, int relaxed)
{
    v128_t sumi[2][2], summ[2][2];
    if (is_q3) {
        const block_q3_Kx8 *x = (const block_q3_Kx8 *)vx + i;
        q3_K_sums(x, nt, y, sumi, relaxed);
        for (int t = 0; t < nt; t++) finish8(acc[t], sumi[t], NULL, x->d, NULL, y[t]->d);
    } else {
        const block_q2_Kx8 *x = (const block_q2_Kx8 *)vx + i;
        q2_K_sums(x, nt, y, sumi, summ, relaxed);
        for (int t = 0; t < nt; t++) finish8(acc[t], sumi[t], summ[t], x->d, x->dmin, y[t]->d);
    }
}

SIMD_INLINE void block8_q2_K(const void *vx, int i, int nt, const block_q8_K *const y[2], v128_t acc[2][2])
{
    block8_q23_K(vx, i, nt, y, acc, 0, 0);
}

SIMD_INLINE void block8_q3_K(const void *vx, int i, int nt, const block_q8_K *const y[2], v128_t acc[2][2])
{
    block8_q23_K(vx, i, nt, y, acc, 1, 0);
}

#if defined(MW_RELAXED)
SIMD_INLINE void block8_q2_K_relaxed(const void *vx, int i, int nt, const block_q8_K *const y[2], v128_t acc[2][2])
{
    block8_q23_K(vx, i, nt, y, acc, 0, 1);
}

SIMD_INLINE void block8_q3_K_relaxed(const void *vx, int i, int nt, const block_q8_K *const y[2], v128_t acc[2][2])
{
    block8_q23_K(vx, i, nt, y, acc, 1, 1);
}

static void vec_dot_rows8_q2_K_relaxed(int n, float *s, const void *vx, const void *vy)
{
    rows8_k(n, s, vx, vy, 0, 1, block8_q2_K_relaxed);
}

static void vec_dot_rows8x2_q2_K_relaxed(int n, float *s, const void *vx, const void *vy, size_t y_stride)
{
    rows8_k(n, s, vx, vy, y_stride, 2, block8_q2_K_relaxed);
}

static void vec_dot_rows8_q3_K_relaxed(int n, float *s, const void *vx, const void *vy)
{
    rows8_k(n, s, vx, vy, 0, 1, block8_q3_K_relaxed);
}

static void vec_dot_rows8x2_q3_K_relaxed(int n, float *s, const void *vx, const void *vy, size_t y_stride)
{
    rows8_k(n, s, vx, vy, y_stride, 2, block8_q3_K_relaxed);
}
#endif

static void vec_dot_rows8_q2_K(int n, float *s, const void *vx, const void *vy)
{
    rows8_k(n, s, vx, vy, 0, 1, block8_q2_K);
}

static void vec_dot_rows8x2_q2_K(int n, float *s, const void *vx, const void *vy, size_t y_stride)
{
    rows8_k(n, s, vx, vy, y_stride, 2, block8_q2_K);
}

static void vec_dot_rows8_q3_K(int n, float *s, const void *vx, const void *vy)
{
    rows8_k(n, s, vx, vy, 0, 1, block8_q3_K);
}

static void vec_dot_rows8x2_q3_K(int n, float *s, const void *vx, const void *vy, size_t y_stride)
{
    rows8_k(n, s, vx, vy, y_stride, 2, block8_q3_K);
}

/* Q2_K / Q3_K: xs (Q2_K: q * sc <= 45; Q3_K: (q - 4) * sc, |.| <= 128); sc as q23_K_sums */
SIMD_INLINE void unpack_xs_q23_K(const uint8_t *xq, int is_q3, const v128_t sc[4][4], xs_block *xs)
{
    int16_t sc16[4][4][8];
    for (int p = 0; p < 4; p++)
        for (int c = 0; c < 4; c++) wasm_v128_store(sc16[p][c], sc[p][c]);
    const v128_t bias = wasm_i16x8_splat(4);   /* Q3_K */
    KEEP_LOOP
    for (int w = 0; w < 2; w++) {
        SIMD_UNROLL
        for (int b = 0; b < 8; b++) {
            const int c = 2 * w + b / 4, j = b % 4, g = 8 * w + b;
            KEEP_LOOP
            for (int r = 0; r < 8; r++) {
                v128_t lo, hi;
                x_q23_K(q23_K_row(xq, is_q3, r), is_q3, g, &lo, &hi);
                const v128_t scale = wasm_v128_load16_splat(&sc16[r / 2][c][4 * (r % 2) + j]);
                if (is_q3) {
                    lo = wasm_i16x8_sub(lo, bias);
                    hi = wasm_i16x8_sub(hi, bias);
                }
                xs->v[g / 2][r][2 * (g % 2)] = wasm_i16x8_mul(lo, scale);
                xs->v[g / 2][r][2 * (g % 2) + 1] = wasm_i16x8_mul(hi, scale);
            }
        }
    }
}

/* Q2_K's summ from its mins (v128_t[4][4] of scales_mins_q2_K) */
static void summ_q2_K(const void *mn, const int16_t *bsums, v128_t summ[2])
{
    rows_bsum_dots(mn, bsums, summ);
}

static void vec_dot_rows8xn_q2_K(int n, float *s, const void *vx, const void *vy, size_t y_stride, int n_tok)
{
    const block_q2_Kx8 *x = vx;
    xs_block xs;
    v128_t sc[4][4], mn[4][4];
    for (int k = 0; k < 8 * n_tok; k++) s[k] = 0.0f;
    for (int i = 0; i < n / QK_K; i++) {
        scales_mins_q2_K(x[i].scales, sc, mn);
        unpack_xs_q23_K(x[i].qs[0][0], 0, sc, &xs);
        mw_simd128_xs_finish_tokens(&xs, summ_q2_K, mn, x[i].d, x[i].dmin, (const uint8_t *)vy + (size_t)i * sizeof(block_q8_K),
                                    y_stride, n_tok, s);
    }
}

static void vec_dot_rows8xn_q3_K(int n, float *s, const void *vx, const void *vy, size_t y_stride, int n_tok)
{
    const block_q3_Kx8 *x = vx;
    xs_block xs;
    v128_t sc[4][4];
    for (int k = 0; k < 8 * n_tok; k++) s[k] = 0.0f;
    for (int i = 0; i < n / QK_K; i++) {
        scales_q3_Kx8(x[i].scales, sc);
        unpack_xs_q23_K(x[i].q[0][0][0], 1, sc, &xs);
        mw_simd128_xs_finish_tokens(&xs, NULL, NULL, x[i].d, NULL, (const uint8_t *)vy + (size_t)i * sizeof(block_q8_K),
                                    y_stride, n_tok, s);
    }
}

#if defined(MW_RELAXED)
/* ---- relaxed rows8xn (Q2_K, Q3_K): a super-block unpacked once per tile of tokens ----
 * The groups of the eight rows as i7 bytes in value order (byte k: value k of the group; Q2_K
 * 0..3, Q3_K 0..7 = q + 4), the pair_scales of every group and row pair, and the rows' d (dmin)
 * as f32: 3.1 KiB in L1. A token then loads each 16 activations once, unshuffled, for the
 * eight rows, and costs the relaxed dots and scale pairs only (as q23_K_sums, two tokens per
 * pass); Q2_K's mins and Q3_K's -4 go through bsums. Integer sums exact, the float finish
 * finish8's: bit-identical to vec_dot. (Q2_K's scales multiplied into the bytes, q * sc <= 45,
 * one relaxed dot per group and row into per-row accumulators, measured 0.76x this in
 * Chromium: one token per pass, as its eight accumulators fill the registers.) */
enum { Q23_XN_TOK = 2 };   /* tokens per pass over the super-block */
typedef struct {
    v128_t q[QK_K / 16][8];        /* group g, row r */
    v128_t scales[QK_K / 16][4];   /* pair_scales of group g, row pair p */
    v128_t sc[4][4];               /* rows_bsum_dots' vectors: Q2_K the mins, Q3_K the scales */
    v128_t d[2], dmin[2];          /* scales8_f32 of d (and Q2_K's dmin) */
} xs_q23_K_relaxed;

/* x_q23_K_bytes' order (byte 2k + e: value 8e + k) to value order */
SIMD_INLINE v128_t value_order(v128_t x)
{
    return wasm_i8x16_shuffle(x, x, 0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
}

static void unpack_xs_q2_K_relaxed(const block_q2_Kx8 *x, xs_q23_K_relaxed *xs)
{
    v128_t sc[4][4];
    scales_mins_q2_K(x->scales, sc, xs->sc);
    scales8_f32(x->d, xs->d);
    scales8_f32(x->dmin, xs->dmin);
    KEEP_LOOP
    for (int w = 0; w < 2; w++) {
        SIMD_UNROLL
        for (int b = 0; b < 8; b++) {
            const int c = 2 * w + b / 4, j = b % 4, g = 8 * w + b;
            for (int p = 0; p < 4; p++) xs->scales[g][p] = pair_scales(sc[p][c], j);
            KEEP_LOOP
            for (int r = 0; r < 8; r++) xs->q[g][r] = value_order(x_q2_K_bytes(x->qs[r][c], j));
        }
    }
}

static void unpack_xs_q3_K_relaxed(const block_q3_Kx8 *x, xs_q23_K_relaxed *xs)
{
    scales_q3_Kx8(x->scales, xs->sc);
    scales8_f32(x->d, xs->d);
    KEEP_LOOP
    for (int w = 0; w < 2; w++) {
        SIMD_UNROLL
        for (int b = 0; b < 8; b++) {
            const int c = 2 * w + b / 4, j = b % 4, g = 8 * w + b;
            for (int p = 0; p < 4; p++) xs->scales[g][p] = pair_scales(xs->sc[p][c], j);
            KEEP_LOOP
            for (int r = 0; r < 8; r++) xs->q[g][r] = value_order(x_q3_K_bytes(x->q[r][w][0], b));
        }
    }
}

/* sumi of the eight rows against NT (1 or 2) tokens' super-blocks (is_q3: minus Q3_K's 4 * sum sc*bsum) */
SIMD_INLINE void sums_xs_q23_K_relaxed(const xs_q23_K_relaxed *xs, int nt, const block_q8_K *const y[2],
                                     v128_t sumi[2][2], int is_q3)
{
    const v128_t zero = wasm_i32x4_splat(0);
    v128_t acc[2][4];
    for (int t = 0; t < nt; t++)
        for (int p = 0; p < 4; p++) acc[t][p] = zero;
    KEEP_LOOP
    for (int g = 0; g < QK_K / 16; g++) {
        v128_t yv[2];
        for (int t = 0; t < nt; t++) yv[t] = wasm_v128_load(y[t]->qs + 16 * g);
        SIMD_UNROLL
        for (int p = 0; p < 4; p++) {
            const v128_t xa = xs->q[g][2 * p], xb = xs->q[g][2 * p + 1], sc = xs->scales[g][p];
            for (int t = 0; t < nt; t++)
                acc[t][p] = add_scaled_pair(acc[t][p], wasm_i32x4_relaxed_dot_i8x16_i7x16_add(yv[t], xa, zero),
                                            wasm_i32x4_relaxed_dot_i8x16_i7x16_add(yv[t], xb, zero), sc);
        }
    }
    for (int t = 0; t < nt; t++) {
        sumi[t][0] = rows_of_pairs(acc[t][0], acc[t][1]);
        sumi[t][1] = rows_of_pairs(acc[t][2], acc[t][3]);
        if (is_q3) {
            v128_t corr[2];
            rows_bsum_dots(xs->sc, y[t]->bsums, corr);
            sumi[t][0] = wasm_i32x4_sub(sumi[t][0], wasm_i32x4_shl(corr[0], 2));
            sumi[t][1] = wasm_i32x4_sub(sumi[t][1], wasm_i32x4_shl(corr[1], 2));
        }
    }
}

/* s[8t + r] += the super-block's term for row r and token t (y: token 0's super-block) */
SIMD_INLINE void tokens_xs_q23_K_relaxed(const xs_q23_K_relaxed *xs, const uint8_t *y, size_t y_stride, int n_tok,
                                        float *s, int is_q3)
{
    for (int t0 = 0; t0 < n_tok; t0 += Q23_XN_TOK) {
        const int nt = n_tok - t0 >= Q23_XN_TOK ? Q23_XN_TOK : 1;
        const block_q8_K *yt[2] = { (const block_q8_K *)(y + (size_t)t0 * y_stride),
                                    (const block_q8_K *)(y + (size_t)(t0 + nt - 1) * y_stride) };
        v128_t sumi[2][2];
        if (nt == 2)
            sums_xs_q23_K_relaxed(xs, 2, yt, sumi, is_q3);
        else
            sums_xs_q23_K_relaxed(xs, 1, yt, sumi, is_q3);
        for (int t = 0; t < nt; t++) {
            float *st = s + 8 * (t0 + t);
            v128_t acc[2] = { wasm_v128_load(st), wasm_v128_load(st + 4) };
            v128_t summ[2];
            if (!is_q3)
                rows_bsum_dots(xs->sc, yt[t]->bsums, summ);
            finish8_f32(acc, sumi[t], summ, xs->d, is_q3 ? NULL : xs->dmin, yt[t]->d);
            wasm_v128_store(st, acc[0]);
            wasm_v128_store(st + 4, acc[1]);
        }
    }
}

static void vec_dot_rows8xn_q2_K_relaxed(int n, float *s, const void *vx, const void *vy, size_t y_stride, int n_tok)
{
    const block_q2_Kx8 *x = vx;
    xs_q23_K_relaxed xs;
    for (int k = 0; k < 8 * n_tok; k++) s[k] = 0.0f;
    for (int i = 0; i < n / QK_K; i++) {
        unpack_xs_q2_K_relaxed(&x[i], &xs);
        tokens_xs_q23_K_relaxed(&xs, (const uint8_t *)vy + (size_t)i * sizeof(block_q8_K), y_stride, n_tok, s, 0);
    }
}

static void vec_dot_rows8xn_q3_K_relaxed(int n, float *s, const void *vx, const void *vy, size_t y_stride, int n_tok)
{
    const block_q3_Kx8 *x = vx;
    xs_q23_K_relaxed xs;
    for (int k = 0; k < 8 * n_tok; k++) s[k] = 0.0f;
    for (int i = 0; i < n / QK_K; i++) {
        unpack_xs_q3_K_relaxed(&x[i], &xs);
        tokens_xs_q23_K_relaxed(&xs, (const uint8_t *)vy + (size_t)i * sizeof(block_q8_K), y_stride, n_tok, s, 1);
    }
}
#endif

void mw_simd128_fill_repack_q23k(mw_kernels *k, simd128_tiles *tiles)
{
    k->repack[MW_TYPE_Q2_K] = repack_q2_K;
    tiles[MW_TYPE_Q2_K].rows8 = vec_dot_rows8_q2_K;
    tiles[MW_TYPE_Q2_K].rows8x2 = vec_dot_rows8x2_q2_K;
    tiles[MW_TYPE_Q2_K].rows8xn = vec_dot_rows8xn_q2_K;
    k->repack_group_bytes[MW_TYPE_Q2_K] = sizeof(block_q2_Kx8) / (QK_K / 32);
    k->repack[MW_TYPE_Q3_K] = repack_q3_K;
    tiles[MW_TYPE_Q3_K].rows8 = vec_dot_rows8_q3_K;
    tiles[MW_TYPE_Q3_K].rows8x2 = vec_dot_rows8x2_q3_K;
    tiles[MW_TYPE_Q3_K].rows8xn = vec_dot_rows8xn_q3_K;
    k->repack_group_bytes[MW_TYPE_Q3_K] = sizeof(block_q3_Kx8) / (QK_K / 32);
}

#if defined(MW_RELAXED)
void mw_simd128_fill_repack_q23k_relaxed(simd128_tiles *tiles)
{
    tiles[MW_TYPE_Q3_K].rows8 = vec_dot_rows8_q3_K_relaxed;
    tiles[MW_TYPE_Q3_K].rows8x2 = vec_dot_rows8x2_q3_K_relaxed;
    tiles[MW_TYPE_Q3_K].rows8xn = vec_dot_rows8xn_q3_K_relaxed;
    tiles[MW_TYPE_Q2_K].rows8 = vec_dot_rows8_q2_K_relaxed;
    tiles[MW_TYPE_Q2_K].rows8x2 = vec_dot_rows8x2_q2_K_relaxed;
    tiles[MW_TYPE_Q2_K].rows8xn = vec_dot_rows8xn_q2_K_relaxed;
}
#endif

#endif
