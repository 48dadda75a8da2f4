/*
 * simd128_repack_q45k.c — Q4_K and Q5_K weights repacked at load for the SIMD128 matmul (the
 * design: simd128_repack_kquants.h): repack, rows8 / rows8x2 (decode) and rows8xn (prefill),
 * SIMD128 and relaxed SIMD.
 */
#if defined(__wasm_simd128__) || defined(MW_SIMDE)

#include "kernels/simd128_repack_kquants.h"

/* Q4_K x 8 rows. qs[g][r]: group g (values 32g..32g+31) of row r, nibble j (bits 4j..4j+3) of
 * u16 lane k being value 32g + 8j + k. scales: the 64 scales and the 64 mins (6 bits each)
 * packed by pack6 below; unpacked, scale vector p (row pair) is [row 2p groups 0-3, row 2p+1
 * groups 0-3, row 2p groups 4-7, row 2p+1 groups 4-7] and min vector p (group pair) is
 * [(row r, group 2p), (row r, group 2p+1) for r = 0..7]. */
typedef struct {
    uint16_t d[8], dmin[8];
    uint8_t scales[96];
    uint8_t qs[QK_K / 32][8][16];
} block_q4_Kx8;
/* Q5_K x 8 rows: Q4_K's layout (the low 4 bits), then the 5th bits: u16 lane k of qh[g][h]
 * holds in bit 4r+j that of value 32g + 8j + k of row 4h + r. */
typedef struct {
    uint16_t d[8], dmin[8];
    uint8_t scales[96];
    uint8_t qs[QK_K / 32][8][16];
    uint8_t qh[QK_K / 32][2][16];
} block_q5_Kx8;
_Static_assert(sizeof(block_q4_Kx8) == 8 * sizeof(block_q4_K), "in-place repack");
_Static_assert(sizeof(block_q5_Kx8) == 8 * sizeof(block_q5_K), "in-place repack");

/* The 12-byte Q4_K / Q5_K scale field as [scale 0..7, min 0..7] (get_scale_min_k4 for all 16:
 * j < 4 the low 6 bits of one byte; j >= 4 a nibble of bytes 8..11 and the top 2 bits of the
 * byte the j < 4 value came from) */
SIMD_INLINE v128_t scales_mins_k4(const uint8_t *scales)
{
    uint8_t b[16] = { 0 };
    memcpy(b, scales, 12);
    const v128_t q = wasm_v128_load(b);
    const v128_t lo = wasm_i8x16_shuffle(q, q, 0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 8, 9, 10, 11);
    const v128_t hi = wasm_i8x16_shuffle(q, q, 0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 6, 7, 4, 5, 6, 7);
    const v128_t m_lo = wasm_i8x16_make(63, 63, 63, 63, 15, 15, 15, 15, 63, 63, 63, 63, 0, 0, 0, 0);
    const v128_t m_nib = wasm_i8x16_make(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 15, 15, 15, 15);
    const v128_t m_top = wasm_i8x16_make(0, 0, 0, 0, 0x30, 0x30, 0x30, 0x30, 0, 0, 0, 0, 0x30, 0x30, 0x30, 0x30);
    return wasm_v128_or(wasm_v128_or(wasm_v128_and(lo, m_lo), wasm_v128_and(wasm_u16x8_shr(lo, 4), m_nib)),
                        wasm_v128_and(wasm_u16x8_shr(hi, 2), m_top));
}

/* The fields of one Q4_K / Q5_K super-block (qh NULL for Q4_K) */
typedef struct {
    uint16_t d, dmin;
    const uint8_t *scales, *qs, *qh;
} q45_view;

/* Q4_K / Q5_K 5th bits of rows 4h..4h+3 (each qh[l]: bit g that of value 32g + l) into qh[g][h]:
 * for u16 lane k the 16 bits wanted (bit 4r+j: row 4h+r, value 32g + 8j + k) are bit g of 16
 * source bytes. Those bytes gathered into one vector in bit order, i8x16.bitmask reads bit 7
 * of each at once; doubling the bytes brings the next lower g to bit 7. */
SIMD_INLINE void repack_qh_4rows(const q45_view v[4], uint8_t qh[QK_K / 32][2][16], int h)
{
    v128_t lo[4], hi[4];   /* row r: u32 lane k = the bytes of values 8j + k (j = 0..3), k < 4 / k >= 4 */
    for (int r = 0; r < 4; r++) {
        const v128_t q0 = wasm_v128_load(v[r].qh), q1 = wasm_v128_load(v[r].qh + 16);
        lo[r] = wasm_i8x16_shuffle(q0, q1, 0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27);
        hi[r] = wasm_i8x16_shuffle(q0, q1, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31);
    }
    for (int half = 0; half < 2; half++) {
        const v128_t *a = half ? hi : lo;
        /* 4x4 transpose of u32 lanes: vector k of bytes 4r + j */
        const v128_t t0 = wasm_i32x4_shuffle(a[0], a[1], 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(a[0], a[1], 2, 6, 3, 7);
        const v128_t t2 = wasm_i32x4_shuffle(a[2], a[3], 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(a[2], a[3], 2, 6, 3, 7);
        v128_t x[4] = { wasm_i64x2_shuffle(t0, t2, 0, 2), wasm_i64x2_shuffle(t0, t2, 1, 3),
                        wasm_i64x2_shuffle(t1, t3, 0, 2), wasm_i64x2_shuffle(t1, t3, 1, 3) };
        for (int k = 0; k < 4; k++)
            for (int g = QK_K / 32 - 1; g >= 0; g--) {
                const uint16_t bits = (uint16_t)wasm_i8x16_bitmask(x[k]);
                memcpy(&qh[g][h][2 * (4 * half + k)], &bits, 2);
                x[k] = wasm_i8x16_add(x[k], x[k]);
            }
    }
}

/* Q4_K / Q5_K: the eight rows' super-blocks v into the fields of their repacked group (qh
 * NULL for Q4_K) */
static void repack_q45_K(const q45_view v[8], uint16_t d[8], uint16_t dmin[8], uint8_t scales[96],
                         uint8_t qs[QK_K / 32][8][16], uint8_t (*qh)[2][16])
{
    v128_t sm[8];   /* row r: [scale 0..7, min 0..7] */
    for (int r = 0; r < 8; r++) {
        d[r] = v[r].d;
        dmin[r] = v[r].dmin;
        sm[r] = scales_mins_k4(v[r].scales);
        /* source byte l of each 32 holds value l (low nibble) and 32 + l (high nibble): bytes
         * l, l + 8, l + 16, l + 24 of it side by side make a group's u16 lanes */
        for (int j = 0; j < 4; j++) {
            const v128_t a = wasm_v128_load(v[r].qs + 32 * j), b = wasm_v128_load(v[r].qs + 32 * j + 16);
            const v128_t x = wasm_i8x16_shuffle(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
            const v128_t y = wasm_i8x16_shuffle(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
            wasm_v128_store(qs[2 * j][r], wasm_v128_or(bytes_and(x, 0x0f), bytes_and(wasm_i16x8_shl(y, 4), 0xf0)));
            wasm_v128_store(qs[2 * j + 1][r], wasm_v128_or(bytes_and(wasm_u16x8_shr(x, 4), 0x0f), bytes_and(y, 0xf0)));
        }
    }
    if (qh) {
        repack_qh_4rows(v, qh, 0);
        repack_qh_4rows(v + 4, qh, 1);
    }
    /* scale vector p: rows 2p, 2p+1 (four scales each, twice); min vector p: u16 lane r = the
     * mins of groups 2p, 2p+1 of row r (u16 lane 4 + p of sm[r]), a transpose */
    v128_t sc[4], mn[4], t[4];
    for (int p = 0; p < 4; p++) {
        sc[p] = wasm_i8x16_shuffle(sm[2 * p], sm[2 * p + 1], 0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
        t[p] = wasm_i16x8_shuffle(sm[2 * p], sm[2 * p + 1], 4, 12, 5, 13, 6, 14, 7, 15);
    }
    const v128_t u0 = wasm_i32x4_shuffle(t[0], t[1], 0, 4, 1, 5), u1 = wasm_i32x4_shuffle(t[0], t[1], 2, 6, 3, 7);
    const v128_t w0 = wasm_i32x4_shuffle(t[2], t[3], 0, 4, 1, 5), w1 = wasm_i32x4_shuffle(t[2], t[3], 2, 6, 3, 7);
    mn[0] = wasm_i64x2_shuffle(u0, w0, 0, 2);
    mn[1] = wasm_i64x2_shuffle(u0, w0, 1, 3);
    mn[2] = wasm_i64x2_shuffle(u1, w1, 0, 2);
    mn[3] = wasm_i64x2_shuffle(u1, w1, 1, 3);
    /* scales, then mins, then the scales' and the mins' top bits */
    pack6(sc, scales, scales + 64);
    pack6(mn, scales + 32, scales + 80);
}

static void repack_q4_K_block(const block_q4_K *src[8], block_q4_Kx8 *o)
{
    q45_view v[8];
    for (int r = 0; r < 8; r++) v[r] = (q45_view){ src[r]->d, src[r]->dmin, src[r]->scales, src[r]->qs, NULL };
    repack_q45_K(v, o->d, o->dmin, o->scales, o->qs, NULL);
}

static void repack_q5_K_block(const block_q5_K *src[8], block_q5_Kx8 *o)
{
    q45_view v[8];
    for (int r = 0; r < 8; r++) v[r] = (q45_view){ src[r]->d, src[r]->dmin, src[r]->scales, src[r]->qs, src[r]->qh };
    repack_q45_K(v, o->d, o->dmin, o->scales, o->qs, o->qh);
}

static void repack_q4_K(int64_t n_rows, int n, const void *src, void *dst)
{
    REPACK_K_BODY(block_q4_K, block_q4_Kx8, repack_q4_K_block)
}

static void repack_q5_K(int64_t n_rows, int n, const void *src, void *dst)
{
    REPACK_K_BODY(block_q5_K, block_q5_Kx8, repack_q5_K_block)
}

/* ---- Q4_K ---- */

/* The four i16 vectors of one group of a row (16 bytes of qs; values 8j..8j+7 in vector j),
 * with_qh: + 16 * bit j of each lane of hr (Q5_K: the row's 5th bits moved to bits 0-3) */
SIMD_INLINE void x_q45_K(const uint8_t *qs, int with_qh, v128_t hr, v128_t x[4])
{
    const v128_t m = wasm_i16x8_splat(0x000f);
    const v128_t q = wasm_v128_load(qs);
    x[0] = wasm_v128_and(q, m);
    x[1] = wasm_v128_and(wasm_u16x8_shr(q, 4), m);
    x[2] = wasm_v128_and(wasm_u16x8_shr(q, 8), m);
    x[3] = wasm_u16x8_shr(q, 12);
    if (with_qh) {
        const v128_t b4 = wasm_i16x8_splat(0x0010);
        x[0] = wasm_v128_or(x[0], wasm_v128_and(wasm_i16x8_shl(hr, 4), b4));
        x[1] = wasm_v128_or(x[1], wasm_v128_and(wasm_i16x8_shl(hr, 3), b4));
        x[2] = wasm_v128_or(x[2], wasm_v128_and(wasm_i16x8_shl(hr, 2), b4));
        x[3] = wasm_v128_or(x[3], wasm_v128_and(wasm_i16x8_shl(hr, 1), b4));
    }
}

/* Dot of one group of a row with the group's activations y: i32x4 partial sums, each of 8
 * products of at most 31 * 128: |lane| <= 31744, within i16. */
SIMD_INLINE v128_t group_dot_q45_K(const uint8_t *qs, int with_qh, v128_t hr, const v128_t y[4])
{
    v128_t x[4];
    x_q45_K(qs, with_qh, hr, x);
    const v128_t d0 = wasm_i32x4_dot_i16x8(x[0], y[0]);
    const v128_t d1 = wasm_i32x4_dot_i16x8(x[1], y[1]);
    const v128_t d2 = wasm_i32x4_dot_i16x8(x[2], y[2]);
    const v128_t d3 = wasm_i32x4_dot_i16x8(x[3], y[3]);
    return wasm_i32x4_add(wasm_i32x4_add(d0, d1), wasm_i32x4_add(d2, d3));
}

/* summ of the eight rows (rows 0-3, 4-7: sum_g m*ysum_g, exact) from the unpacked min vectors:
 * the group sums of y (32 values: two bsums; |sum| <= 4096, within i16), then each min vector
 * p against [ysum 2p, ysum 2p+1] in every i32 lane: lanes are rows. */
SIMD_INLINE void mins_q4_K(const v128_t mn[4], const int16_t *bsums, v128_t summ[2])
{
    const v128_t b0 = wasm_v128_load(bsums), b1 = wasm_v128_load(bsums + 8);
    const v128_t ys = wasm_i16x8_narrow_i32x4(wasm_i32x4_extadd_pairwise_i16x8(b0),
                                              wasm_i32x4_extadd_pairwise_i16x8(b1));
    summ[0] = summ[1] = wasm_i32x4_splat(0);
    SIMD_UNROLL
    for (int p = 0; p < 4; p++) {
        v128_t ysp;
        switch (p) {
        case 0: ysp = wasm_i32x4_shuffle(ys, ys, 0, 0, 0, 0); break;
        case 1: ysp = wasm_i32x4_shuffle(ys, ys, 1, 1, 1, 1); break;
        case 2: ysp = wasm_i32x4_shuffle(ys, ys, 2, 2, 2, 2); break;
        default: ysp = wasm_i32x4_shuffle(ys, ys, 3, 3, 3, 3); break;
        }
        summ[0] = wasm_i32x4_add(summ[0], wasm_i32x4_dot_i16x8(wasm_u16x8_extend_low_u8x16(mn[p]), ysp));
        summ[1] = wasm_i32x4_add(summ[1], wasm_i32x4_dot_i16x8(wasm_u16x8_extend_high_u8x16(mn[p]), ysp));
    }
}

/* Relaxed SIMD (wasm_simd.h: MW_RELAXED): a group's nibbles stay unsigned bytes 0..15 (Q5_K:
 * 0..31), the
 * second operand of i32x4.relaxed_dot_i8x16_i7x16_add (so every engine computes the same: a
 * pair of products is at most 2 * 15 * 128 = 3840, no i16 saturation), the signed Q8_K values
 * the first. The low nibbles of the 16 qs bytes are values k, 16 + k (bytes 2k, 2k + 1), the high
 * ones 8 + k, 24 + k; the activations are shuffled to match once per group for all 8 rows. Lane
 * sums are the group dot, each lane at most 8 * 15 * 128 (add_scaled_pair narrows exactly). */
SIMD_INLINE void y_group_q4_K_relaxed(const int8_t *qs, v128_t v[4])
{
    const v128_t a = wasm_v128_load(qs), b = wasm_v128_load(qs + 16);
    v[0] = wasm_i8x16_shuffle(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    v[1] = wasm_i8x16_shuffle(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    v[2] = v[3] = wasm_i32x4_splat(0);
}

#if defined(MW_RELAXED)
/* A group's bytes of one row as the i7 operand: lo, hi the low and high nibbles (0..15), with_qh:
 * + 16 * bit j of lane k of hr (Q5_K, values 0..31: pairs <= 2 * 31 * 128) */
SIMD_INLINE void nibbles_q45_K_relaxed(const uint8_t *qs, int with_qh, v128_t hr, v128_t *lo, v128_t *hi)
{
    const v128_t q = wasm_v128_load(qs);
    *lo = wasm_v128_and(q, wasm_i8x16_splat(0x0f));
    *hi = simd_hi_nibbles(q);
    if (with_qh) {
        const v128_t b4 = wasm_i16x8_splat(0x0010), b12 = wasm_i16x8_splat(0x1000);
        *lo = wasm_v128_or(*lo, wasm_v128_or(wasm_v128_and(wasm_i16x8_shl(hr, 4), b4),
                                             wasm_v128_and(wasm_i16x8_shl(hr, 10), b12)));
        *hi = wasm_v128_or(*hi, wasm_v128_or(wasm_v128_and(wasm_i16x8_shl(hr, 3), b4),
                                             wasm_v128_and(wasm_i16x8_shl(hr, 9), b12)));
    }
}
#endif

SIMD_INLINE v128_t group_dot_q45_K_relaxed(const uint8_t *qs, int with_qh, v128_t hr, const v128_t y[4])
{
#if defined(MW_RELAXED)
    v128_t lo, hi;
    nibbles_q45_K_relaxed(qs, with_qh, hr, &lo, &hi);
    return wasm_i32x4_relaxed_dot_i8x16_i7x16_add(y[1], hi,
                                                  wasm_i32x4_relaxed_dot_i8x16_i7x16_add(y[0], lo, wasm_i32x4_splat(0)));
#else
    (void)qs; (void)with_qh; (void)hr; (void)y;
    return wasm_i32x4_splat(0);   /* never called: relaxed is 0 in these builds */
#endif
}

/* One super-block of the eight rows against NT activation super-blocks: sumi[t] and summ[t]
 * (rows 0-3, 4-7: sum_g sc*dot and sum_g m*ysum_g, exact). Group by group, the activations
 * widened once serve the four row pairs. */
SIMD_INLINE void q45_K_sums(const uint8_t *xscales, const uint8_t (*xqs)[8][16], const uint8_t (*xqh)[2][16],
                            int nt, const block_q8_K *const y[2], v128_t sumi[2][2], v128_t summ[2][2], int relaxed)
{
    const int with_qh = xqh != NULL;
    v128_t sc[4], mn[4];
    unpack6(xscales, xscales + 64, sc);
    unpack6(xscales + 32, xscales + 80, mn);
    /* pair_scales of every group and row pair, for the loop to load */
    v128_t scales[QK_K / 32][4];
    SIMD_UNROLL
    for (int p = 0; p < 4; p++) {
        const v128_t w[2] = { wasm_u16x8_extend_low_u8x16(sc[p]), wasm_u16x8_extend_high_u8x16(sc[p]) };
        SIMD_UNROLL
        for (int g = 0; g < QK_K / 32; g++) scales[g][p] = pair_scales(w[g / 4], g % 4);
    }
    v128_t acc[2][4];
    for (int t = 0; t < nt; t++)
        for (int p = 0; p < 4; p++) acc[t][p] = wasm_i32x4_splat(0);
    KEEP_LOOP
    for (int g = 0; g < QK_K / 32; g++) {
        v128_t yv[2][4];
        for (int t = 0; t < nt; t++) {
            if (relaxed) y_group_q4_K_relaxed(y[t]->qs + 32 * g, yv[t]);
            else y_group(y[t]->qs + 32 * g, yv[t]);
        }
        KEEP_LOOP
        for (int p = 0; p < 4; p++)
            for (int t = 0; t < nt; t++)
            {
                /* Q5_K: the 5th bits of rows 2p, 2p+1 moved to bits 0-3 */
                v128_t h0 = wasm_i32x4_splat(0), h1 = h0;
                if (with_qh) {
                    const v128_t h = wasm_v128_load(xqh[g][p / 2]);
                    h0 = wasm_u16x8_shr(h, 8 * (p % 2));
                    h1 = wasm_u16x8_shr(h, 8 * (p % 2) + 4);
                }
                if (relaxed) {
                    acc[t][p] = add_scaled_pair(acc[t][p], group_dot_q45_K_relaxed(xqs[g][2 * p], with_qh, h0, yv[t]),
                                                group_dot_q45_K_relaxed(xqs[g][2 * p + 1], with_qh, h1, yv[t]),
                                                scales[g][p]);
                    continue;
                }
                acc[t][p] = add_scaled_pair(acc[t][p], group_dot_q45_K(xqs[g][2 * p], with_qh, h0, yv[t]),
                                            group_dot_q45_K(xqs[g][2 * p + 1], with_qh, h1, yv[t]), scales[g][p]);
            }
    }
    for (int t = 0; t < nt; t++) {
        sumi[t][0] = rows_of_pairs(acc[t][0], acc[t][1]);
        sumi[t][1] = rows_of_pairs(acc[t][2], acc[t][3]);
        mins_q4_K(mn, y[t]->bsums, summ[t]);
    }
}

SIMD_INLINE void block8_q4_K(const void *vx, int i, int nt, const block_q8_K *const y[2], v128_t acc[2][2])
{
    const block_q4_Kx8 *x = (const block_q4_Kx8 *)vx + i;
    v128_t sumi[2][2], summ[2][2];
    q45_K_sums(x->scales, x->qs, NULL, nt, y, sumi, summ, 0);
    for (int t = 0; t < nt; t++) finish8(acc[t], sumi[t], summ[t], x->d, x->dmin, y[t]->d);
}

#if defined(MW_RELAXED)
SIMD_INLINE void block8_q4_K_relaxed(const void *vx, int i, int nt, const block_q8_K *const y[2], v128_t acc[2][2])
{
    const block_q4_Kx8 *x = (const block_q4_Kx8 *)vx + i;
    v128_t sumi[2][2], summ[2][2];
    q45_K_sums(x->scales, x->qs, NULL, nt, y, sumi, summ, 1);
    for (int t = 0; t < nt; t++) finish8(acc[t], sumi[t], summ[t], x->d, x->dmin, y[t]->d);
}
#endif

SIMD_INLINE void block8_q5_K(const void *vx, int i, int nt, const block_q8_K *const y[2], v128_t acc[2][2])
{
    const block_q5_Kx8 *x = (const block_q5_Kx8 *)vx + i;
    v128_t sumi[2][2], summ[2][2];
    q45_K_sums(x->scales, x->qs, x->qh, nt, y, sumi, summ, 0);
    for (int t = 0; t < nt; t++) finish8(acc[t], sumi[t], summ[t], x->d, x->dmin, y[t]->d);
}

#if defined(MW_RELAXED)
SIMD_INLINE void block8_q5_K_relaxed(const void *vx, int i, int nt, const block_q8_K *const y[2], v128_t acc[2][2])
{
    const block_q5_Kx8 *x = (const block_q5_Kx8 *)vx + i;
    v128_t sumi[2][2], summ[2][2];
    q45_K_sums(x->scales, x->qs, x->qh, nt, y, sumi, summ, 1);
    for (int t = 0; t < nt; t++) finish8(acc[t], sumi[t], summ[t], x->d, x->dmin, y[t]->d);
}

static void vec_dot_rows8_q5_K_relaxed(int n, float *s, const void *vx, const void *vy)
{
    rows8_k(n, s, vx, vy, 0, 1, block8_q5_K_relaxed);
}

static void vec_dot_rows8x2_q5_K_relaxed(int n, float *s, const void *vx, const void *vy, size_t y_stride)
{
    rows8_k(n, s, vx, vy, y_stride, 2, block8_q5_K_relaxed);
}
#endif

static void vec_dot_rows8_q4_K(int n, float *s, const void *vx, const void *vy)
{
    rows8_k(n, s, vx, vy, 0, 1, block8_q4_K);
}

static void vec_dot_rows8x2_q4_K(int n, float *s, const void *vx, const void *vy, size_t y_stride)
{
    rows8_k(n, s, vx, vy, y_stride, 2, block8_q4_K);
}

#if defined(MW_RELAXED)
static void vec_dot_rows8_q4_K_relaxed(int n, float *s, const void *vx, const void *vy)
{
    rows8_k(n, s, vx, vy, 0, 1, block8_q4_K_relaxed);
}

static void vec_dot_rows8x2_q4_K_relaxed(int n, float *s, const void *vx, const void *vy, size_t y_stride)
{
    rows8_k(n, s, vx, vy, y_stride, 2, block8_q4_K_relaxed);
}
#endif

static void vec_dot_rows8_q5_K(int n, float *s, const void *vx, const void *vy)
{
    rows8_k(n, s, vx, vy, 0, 1, block8_q5_K);
}

static void vec_dot_rows8x2_q5_K(int n, float *s, const void *vx, const void *vy, size_t y_stride)
{
    rows8_k(n, s, vx, vy, y_stride, 2, block8_q5_K);
}

/* Q4_K / Q5_K: xs (scales multiplied in: <= 31 * 63) and the min vectors mn for mins_q4_K */
SIMD_INLINE void unpack_xs_q45_K(const uint8_t *xscales, const uint8_t (*xqs)[8][16], const uint8_t (*xqh)[2][16],
                                 xs_block *xs, v128_t mn[4])
{
    v128_t sc[4];
    unpack6(xscales, xscales + 64, sc);
    unpack6(xscales + 32, xscales + 80, mn);
    int16_t sc16[4][16];   /* row pair p: [row 2p groups 0-3, row 2p+1 groups 0-3, then 4-7] */
    for (int p = 0; p < 4; p++) {
        wasm_v128_store(sc16[p], wasm_u16x8_extend_low_u8x16(sc[p]));
        wasm_v128_store(sc16[p] + 8, wasm_u16x8_extend_high_u8x16(sc[p]));
    }
    KEEP_LOOP
    for (int g = 0; g < QK_K / 32; g++)
        for (int r = 0; r < 8; r++) {
            const v128_t scale = wasm_v128_load16_splat(&sc16[r / 2][8 * (g / 4) + 4 * (r % 2) + g % 4]);
            const v128_t hr = xqh ? wasm_u16x8_shr(wasm_v128_load(xqh[g][r / 4]), 4 * (r % 4)) : wasm_i32x4_splat(0);
            v128_t xv[4];
            x_q45_K(xqs[g][r], xqh != NULL, hr, xv);
            for (int k = 0; k < 4; k++) xs->v[g][r][k] = wasm_i16x8_mul(xv[k], scale);
        }
}

static void summ_q45_K(const void *mn, const int16_t *bsums, v128_t summ[2])
{
    mins_q4_K(mn, bsums, summ);
}

/* The body of rows8xn of Q4_K (QH: NULL) and Q5_K (QH: x[i].qh) */
#define ROWS8XN_Q45_BODY(XT, QH) \
    const XT *x = vx; \
    xs_block xs; \
    v128_t mn[4]; \
    for (int k = 0; k < 8 * n_tok; k++) s[k] = 0.0f; \
    for (int i = 0; i < n / QK_K; i++) { \
        unpack_xs_q45_K(x[i].scales, x[i].qs, QH, &xs, mn); \
        mw_simd128_xs_finish_tokens(&xs, summ_q45_K, mn, x[i].d, x[i].dmin, (const uint8_t *)vy + (size_t)i * sizeof(block_q8_K), \
                                    y_stride, n_tok, s); \
    }

static void vec_dot_rows8xn_q4_K(int n, float *s, const void *vx, const void *vy, size_t y_stride, int n_tok)
{
    ROWS8XN_Q45_BODY(block_q4_Kx8, NULL)
}

static void vec_dot_rows8xn_q5_K(int n, float *s, const void *vx, const void *vy, size_t y_stride, int n_tok)
{
    ROWS8XN_Q45_BODY(block_q5_Kx8, x[i].qh)
}

#if defined(MW_RELAXED)
/* ---- relaxed rows8xn (Q4_K, Q5_K): a super-block unpacked once per tile of tokens ----
 * The i7 bytes of every group and row (nibbles_q45_K_relaxed), the pair_scales and the min
 * vectors, 2.5 KiB in L1; then each pair of tokens costs q45_K_sums' relaxed dots and scale
 * pairs only (no unpacking, no unpack6): the same exact integer sums, the same finish8. */
typedef struct {
    v128_t q[QK_K / 32][8][2];     /* group g, row r: the low and the high nibbles (Q5_K: + 16 * 5th bit) */
    v128_t scales[QK_K / 32][4];   /* pair_scales of group g, row pair p */
    v128_t mn[4];                  /* the min vectors (mins_q4_K) */
} xs_q45_K_relaxed;

/* xqh NULL for Q4_K */
static void unpack_xs_q45_K_relaxed(const uint8_t *xscales, const uint8_t (*xqs)[8][16], const uint8_t (*xqh)[2][16],
                                    xs_q45_K_relaxed *xs)
{
    v128_t sc[4];
    unpack6(xscales, xscales + 64, sc);
    unpack6(xscales + 32, xscales + 80, xs->mn);
    SIMD_UNROLL
    for (int p = 0; p < 4; p++) {
        const v128_t w[2] = { wasm_u16x8_extend_low_u8x16(sc[p]), wasm_u16x8_extend_high_u8x16(sc[p]) };
        SIMD_UNROLL
        for (int g = 0; g < QK_K / 32; g++) xs->scales[g][p] = pair_scales(w[g / 4], g % 4);
    }
    KEEP_LOOP
    for (int g = 0; g < QK_K / 32; g++)
        for (int r = 0; r < 8; r++) {
            const v128_t hr = xqh ? wasm_u16x8_shr(wasm_v128_load(xqh[g][r / 4]), 4 * (r % 4)) : wasm_i32x4_splat(0);
            nibbles_q45_K_relaxed(xqs[g][r], xqh != NULL, hr, &xs->q[g][r][0], &xs->q[g][r][1]);
        }
}

/* sumi and summ (as q45_K_sums) of the eight rows against NT (1 or 2) tokens' super-blocks */
SIMD_INLINE void sums_xs_q45_K_relaxed(const xs_q45_K_relaxed *xs, int nt, const block_q8_K *const y[2],
                                      v128_t sumi[2][2], v128_t summ[2][2])
{
    const v128_t zero = wasm_i32x4_splat(0);
    v128_t acc[2][4];
    for (int t = 0; t < nt; t++)
        for (int p = 0; p < 4; p++) acc[t][p] = zero;
    KEEP_LOOP
    for (int g = 0; g < QK_K / 32; g++) {
        v128_t yv[2][4];
        for (int t = 0; t < nt; t++) y_group_q4_K_relaxed(y[t]->qs + 32 * g, yv[t]);
        KEEP_LOOP
        for (int p = 0; p < 4; p++) {
            const v128_t *a = xs->q[g][2 * p], *b = xs->q[g][2 * p + 1];
            for (int t = 0; t < nt; t++) {
                const v128_t pa = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(
                    yv[t][1], a[1], wasm_i32x4_relaxed_dot_i8x16_i7x16_add(yv[t][0], a[0], zero));
                const v128_t pb = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(
                    yv[t][1], b[1], wasm_i32x4_relaxed_dot_i8x16_i7x16_add(yv[t][0], b[0], zero));
                acc[t][p] = add_scaled_pair(acc[t][p], pa, pb, xs->scales[g][p]);
            }
        }
    }
    for (int t = 0; t < nt; t++) {
        sumi[t][0] = rows_of_pairs(acc[t][0], acc[t][1]);
        sumi[t][1] = rows_of_pairs(acc[t][2], acc[t][3]);
        mins_q4_K(xs->mn, y[t]->bsums, summ[t]);
    }
}

/* The body of relaxed rows8xn of Q4_K (QH: NULL) and Q5_K (QH: x[i].qh) */
#define ROWS8XN_Q45_RELAXED_BODY(XT, QH) \
    const XT *x = vx; \
    xs_q45_K_relaxed xs; \
    for (int k = 0; k < 8 * n_tok; k++) s[k] = 0.0f; \
    for (int i = 0; i < n / QK_K; i++) { \
        unpack_xs_q45_K_relaxed(x[i].scales, x[i].qs, QH, &xs); \
        tokens_xs_q45_K_relaxed(&xs, x[i].d, x[i].dmin, (const uint8_t *)vy + (size_t)i * sizeof(block_q8_K), \
                                y_stride, n_tok, s); \
    }

/* s[8t + r] += the super-block's term for row r and token t (y: token 0's super-block), tokens
 * two at a time */
static void tokens_xs_q45_K_relaxed(const xs_q45_K_relaxed *xs, const uint16_t d[8], const uint16_t dmin[8],
                                    const uint8_t *y, size_t y_stride, int n_tok, float *s)
{
    v128_t dx[2], dm[2];   /* converted once for all the tokens */
    scales8_f32(d, dx);
    scales8_f32(dmin, dm);
    for (int t0 = 0; t0 < n_tok; t0 += 2) {
        const int nt = n_tok - t0 >= 2 ? 2 : 1;
        const block_q8_K *yt[2] = { (const block_q8_K *)(y + (size_t)t0 * y_stride),
                                    (const block_q8_K *)(y + (size_t)(t0 + nt - 1) * y_stride) };
        v128_t sumi[2][2], summ[2][2];
        if (nt == 2)
            sums_xs_q45_K_relaxed(xs, 2, yt, sumi, summ);
        else
            sums_xs_q45_K_relaxed(xs, 1, yt, sumi, summ);
        for (int t = 0; t < nt; t++) {
            float *st = s + 8 * (t0 + t);
            v128_t acc[2] = { wasm_v128_load(st), wasm_v128_load(st + 4) };
            finish8_f32(acc, sumi[t], summ[t], dx, dm, yt[t]->d);
            wasm_v128_store(st, acc[0]);
            wasm_v128_store(st + 4, acc[1]);
        }
    }
}

static void vec_dot_rows8xn_q4_K_relaxed(int n, float *s, const void *vx, const void *vy, size_t y_stride, int n_tok)
{
    ROWS8XN_Q45_RELAXED_BODY(block_q4_Kx8, NULL)
}

static void vec_dot_rows8xn_q5_K_relaxed(int n, float *s, const void *vx, const void *vy, size_t y_stride, int n_tok)
{
    ROWS8XN_Q45_RELAXED_BODY(block_q5_Kx8, x[i].qh)
}
#endif

void mw_simd128_fill_repack_q45k(mw_kernels *k, simd128_tiles *tiles)
{
    k->repack[MW_TYPE_Q4_K] = repack_q4_K;
    tiles[MW_TYPE_Q4_K].rows8 = vec_dot_rows8_q4_K;
    tiles[MW_TYPE_Q4_K].rows8x2 = vec_dot_rows8x2_q4_K;
    tiles[MW_TYPE_Q4_K].rows8xn = vec_dot_rows8xn_q4_K;
    k->repack_group_bytes[MW_TYPE_Q4_K] = sizeof(block_q4_Kx8) / (QK_K / 32);
    k->repack[MW_TYPE_Q5_K] = repack_q5_K;
    tiles[MW_TYPE_Q5_K].rows8 = vec_dot_rows8_q5_K;
    tiles[MW_TYPE_Q5_K].rows8x2 = vec_dot_rows8x2_q5_K;
    tiles[MW_TYPE_Q5_K].rows8xn = vec_dot_rows8xn_q5_K;
    k->repack_group_bytes[MW_TYPE_Q5_K] = sizeof(block_q5_Kx8) / (QK_K / 32);
}

#if defined(MW_RELAXED)
void mw_simd128_fill_repack_q45k_relaxed(simd128_tiles *tiles)
{
    tiles[MW_TYPE_Q4_K].rows8 = vec_dot_rows8_q4_K_relaxed;
    tiles[MW_TYPE_Q4_K].rows8x2 = vec_dot_rows8x2_q4_K_relaxed;
    tiles[MW_TYPE_Q4_K].rows8xn = vec_dot_rows8xn_q4_K_relaxed;
    tiles[MW_TYPE_Q5_K].rows8 = vec_dot_rows8_q5_K_relaxed;
    tiles[MW_TYPE_Q5_K].rows8x2 = vec_dot_rows8x2_q5_K_relaxed;
    tiles[MW_TYPE_Q5_K].rows8xn = vec_dot_rows8xn_q5_K_relaxed;
}
#endif

#endif
