/*
 * simd128_repack_q6k.c — Q6_K weights repacked at load for the SIMD128 matmul (the design:
 * simd128_repack_kquants.h): repack, rows8 / rows8x2 (decode) and rows8xn (prefill), SIMD128
 * and relaxed SIMD.
 */
#if defined(__wasm_simd128__) || defined(MW_SIMDE)

#include "kernels/simd128_repack_kquants.h"

/* Q6_K x 8 rows. q[r][c]: values 64c..64c+63 of row r (stored 0..63, the -32 is applied
 * through bsums) in three vectors V0..V2: byte 2k of Vi holds value 64c+16i+k in its low 6
 * bits, byte 2k+1 value 64c+16i+8+k; the top 2 bits of byte 2k (2k+1) of Vi are bits 2i..2i+1
 * of value 64c+48+k (64c+56+k). scales[p][h]: [row 2p groups 4h..4h+3, row 2p+1 groups
 * 4h..4h+3] (row pair p). */
typedef struct {
    uint16_t d[8];
    int8_t scales[4][4][8];
    uint8_t q[8][4][48];
} block_q6_Kx8;
_Static_assert(sizeof(block_q6_Kx8) == 8 * sizeof(block_q6_K), "in-place repack");

/* Q6_K: per 128 values c, ql byte 64c + m holds the low 4 bits of chunk values m (low nibble,
 * chunk 2c) and of chunk 2c+1 (high nibble); qh byte 32c + l their top 2 bits, bits 2k..2k+1
 * for value 32k + l of the 128. Each chunk's four 16-value vectors p0..p3 are built with bytes
 * k, 8+k already side by side (pair_halves), so Vi = pi with p3's bits 2i..2i+1 on top. */
static void repack_q6_K_block(const block_q6_K *src[8], block_q6_Kx8 *o)
{
    for (int r = 0; r < 8; r++) {
        const block_q6_K *b = src[r];
        o->d[r] = b->d;
        for (int c = 0; c < 2; c++) {
            v128_t ql[4], qh[2];
            for (int i = 0; i < 4; i++) ql[i] = pair_halves(wasm_v128_load(b->ql + 64 * c + 16 * i));
            for (int i = 0; i < 2; i++) qh[i] = pair_halves(wasm_v128_load(b->qh + 32 * c + 16 * i));
            for (int e = 0; e < 2; e++) {   /* chunk 2c + e: values 32k + l with k = 2e, 2e + 1 */
                v128_t p[4];
                for (int i = 0; i < 4; i++) {
                    const v128_t lo = e ? wasm_u16x8_shr(ql[i], 4) : ql[i];
                    /* top bits 4e + 2*(i/2) of qh[i % 2] to bits 4-5 */
                    const int s = 4 * e + 2 * (i / 2);
                    const v128_t h = s < 4 ? wasm_i16x8_shl(qh[i % 2], 4 - s) : wasm_u16x8_shr(qh[i % 2], s - 4);
                    p[i] = wasm_v128_or(bytes_and(lo, 0x0f), bytes_and(h, 0x30));
                }
                uint8_t *out = o->q[r][2 * c + e];
                for (int i = 0; i < 3; i++)
                    wasm_v128_store(out + 16 * i, wasm_v128_or(p[i], bytes_and(wasm_i16x8_shl(p[3], 6 - 2 * i), 0xc0)));
            }
        }
    }
    /* row pair p: [row 2p groups 4h..4h+3, row 2p+1 the same] for h = 0..3, u32 interleave */
    for (int p = 0; p < 4; p++) {
        const v128_t a = wasm_v128_load(src[2 * p]->scales), b = wasm_v128_load(src[2 * p + 1]->scales);
        wasm_v128_store(o->scales[p][0], wasm_i32x4_shuffle(a, b, 0, 4, 1, 5));
        wasm_v128_store(o->scales[p][2], wasm_i32x4_shuffle(a, b, 2, 6, 3, 7));
    }
}

static void repack_q6_K(int64_t n_rows, int n, const void *src, void *dst)
{
    REPACK_K_BODY(block_q6_K, block_q6_Kx8, repack_q6_K_block)
}

/* ---- Q6_K ---- */

/* The fourth value of each byte position of V0..V2: their top 2 bits as its bits 0-1, 2-3, 4-5
 * (16-bit shifts, each byte's bits masked back to its own) */
SIMD_INLINE v128_t top_bits_q6_K(v128_t v0, v128_t v1, v128_t v2)
{
    return wasm_v128_or(wasm_v128_or(wasm_v128_and(wasm_u16x8_shr(v0, 6), wasm_i16x8_splat(0x0303)),
                                     wasm_v128_and(wasm_u16x8_shr(v1, 4), wasm_i16x8_splat(0x0c0c))),
                        wasm_v128_and(wasm_u16x8_shr(v2, 2), wasm_i16x8_splat(0x3030)));
}

/* Half `half` of one row's values 64c.. as four i16 vectors of values 0..63 (0: groups 4c,
 * 4c+1 from V0, V1; 1: groups 4c+2, 4c+3 from V2 and the top bits of V0..V2); half_dots_q6_K:
 * their dots with that half's 32 activations widened (y). pa, pb: the two groups' i32x4
 * partial dots, lanes of 4 products of at most 63 * 128: |lane| <= 32256, within i16. */
SIMD_INLINE void x_q6_K_half(const uint8_t *q, int half, v128_t x[4])
{
    const v128_t m6 = wasm_i16x8_splat(0x003f);
    const v128_t v0 = wasm_v128_load(q), v1 = wasm_v128_load(q + 16);
    if (!half) {
        x[0] = wasm_v128_and(v0, m6);
        x[1] = wasm_v128_and(wasm_u16x8_shr(v0, 8), m6);
        x[2] = wasm_v128_and(v1, m6);
        x[3] = wasm_v128_and(wasm_u16x8_shr(v1, 8), m6);
    } else {
        const v128_t v2 = wasm_v128_load(q + 32);
        x[0] = wasm_v128_and(v2, m6);
        x[1] = wasm_v128_and(wasm_u16x8_shr(v2, 8), m6);
        const v128_t e = top_bits_q6_K(v0, v1, v2);
        x[2] = wasm_v128_and(e, wasm_i16x8_splat(0x00ff));
        x[3] = wasm_u16x8_shr(e, 8);
    }
}

SIMD_INLINE void half_dots_q6_K(const uint8_t *q, int half, const v128_t y[4], v128_t *pa, v128_t *pb)
{
    v128_t x[4];
    x_q6_K_half(q, half, x);
    *pa = wasm_i32x4_add(wasm_i32x4_dot_i16x8(x[0], y[0]), wasm_i32x4_dot_i16x8(x[1], y[1]));
    *pb = wasm_i32x4_add(wasm_i32x4_dot_i16x8(x[2], y[2]), wasm_i32x4_dot_i16x8(x[3], y[3]));
}

/* Relaxed SIMD (as group_dot_q4_K_relaxed): the 6-bit values as unsigned bytes 0..63 are the
 * i7 operand (a pair of products at most 2 * 63 * 128 = 16128, no i16 saturation). Byte 2k of
 * a group's vector is its value k, byte 2k + 1 value 8 + k: each 16 activations are shuffled to
 * match once for all rows. Lanes of 4 products: |lane| <= 32256, as half_dots_q6_K. */
SIMD_INLINE void y_half_q6_K_relaxed(const int8_t *qs, v128_t v[4])
{
    const v128_t a = wasm_v128_load(qs), b = wasm_v128_load(qs + 16);
    v[0] = wasm_i8x16_shuffle(a, a, 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15);
    v[1] = wasm_i8x16_shuffle(b, b, 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15);
    v[2] = v[3] = wasm_i32x4_splat(0);
}

SIMD_INLINE void half_dots_q6_K_relaxed(const uint8_t *q, int half, const v128_t y[4], v128_t *pa, v128_t *pb)
{
#if defined(MW_RELAXED)
    const v128_t m6 = wasm_i8x16_splat(0x3f), zero = wasm_i32x4_splat(0);
    const v128_t v0 = wasm_v128_load(q), v1 = wasm_v128_load(q + 16);
    v128_t xa, xb;
    if (!half) {
        xa = wasm_v128_and(v0, m6);
        xb = wasm_v128_and(v1, m6);
    } else {
        const v128_t v2 = wasm_v128_load(q + 32);
        xa = wasm_v128_and(v2, m6);
        xb = top_bits_q6_K(v0, v1, v2);
    }
    *pa = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(y[0], xa, zero);
    *pb = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(y[1], xb, zero);
#else
    (void)q; (void)half; (void)y;
    *pa = *pb = wasm_i32x4_splat(0);   /* never called: relaxed is 0 in these builds */
#endif
}

/* One super-block of the eight rows against NT activation super-blocks: sumi[t] (rows 0-3,
 * 4-7: sum_g sc*dot(q-32, y_g), the -32 as 32 * sum_g sc*bsum_g; exact). Half-chunk by
 * half-chunk (32 values), the activations widened once serve the four row pairs (loops kept
 * rolled). */
SIMD_INLINE void q6_K_sums(const block_q6_Kx8 *x, int nt, const block_q8_K *const y[2], v128_t sumi[2][2],
                           int relaxed)
{
    v128_t acc[2][4];
    for (int t = 0; t < nt; t++)
        for (int p = 0; p < 4; p++) acc[t][p] = wasm_i32x4_splat(0);
    KEEP_LOOP
    for (int c = 0; c < 4; c++) {
        SIMD_UNROLL
        for (int half = 0; half < 2; half++) {   /* groups g, g+1 */
            const int g = 4 * c + 2 * half;
            v128_t yv[2][4];
            for (int t = 0; t < nt; t++) {
                if (relaxed) y_half_q6_K_relaxed(y[t]->qs + 16 * g, yv[t]);
                else y_group(y[t]->qs + 16 * g, yv[t]);
            }
            KEEP_LOOP
            for (int p = 0; p < 4; p++) {
                const v128_t w = wasm_i16x8_load8x8(x->scales[p][c]);
                const v128_t sa = pair_scales(w, 2 * half), sb = pair_scales(w, 2 * half + 1);
                for (int t = 0; t < nt; t++) {
                    v128_t a0, b0, a1, b1;
                    if (relaxed) {
                        half_dots_q6_K_relaxed(x->q[2 * p][c], half, yv[t], &a0, &b0);
                        half_dots_q6_K_relaxed(x->q[2 * p + 1][c], half, yv[t], &a1, &b1);
                    } else {
                        half_dots_q6_K(x->q[2 * p][c], half, yv[t], &a0, &b0);
                        half_dots_q6_K(x->q[2 * p + 1][c], half, yv[t], &a1, &b1);
                    }
                    acc[t][p] = add_scaled_pair(acc[t][p], a0, a1, sa);
                    acc[t][p] = add_scaled_pair(acc[t][p], b0, b1, sb);
                }
            }
        }
    }
    for (int t = 0; t < nt; t++) {
        SIMD_UNROLL
        for (int p = 0; p < 4; p++) {
            /* [row 2p, row 2p+1] scales of 4 groups against those groups' bsums, twice */
            v128_t corr = wasm_i32x4_splat(0);
            SIMD_UNROLL
            for (int h = 0; h < 4; h++)
                corr = wasm_i32x4_add(corr, wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(x->scales[p][h]),
                                                                 wasm_v128_load64_splat(y[t]->bsums + 4 * h)));
            acc[t][p] = wasm_i32x4_sub(acc[t][p], wasm_i32x4_shl(corr, 5));
        }
        sumi[t][0] = rows_of_pairs(acc[t][0], acc[t][1]);
        sumi[t][1] = rows_of_pairs(acc[t][2], acc[t][3]);
    }
}

SIMD_INLINE void block8_q6_K(const void *vx, int i, int nt, const block_q8_K *const y[2], v128_t acc[2][2])
{
    const block_q6_Kx8 *x = (const block_q6_Kx8 *)vx + i;
    v128_t sumi[2][2];
    q6_K_sums(x, nt, y, sumi, 0);
    for (int t = 0; t < nt; t++) finish8(acc[t], sumi[t], NULL, x->d, NULL, y[t]->d);
}

#if defined(MW_RELAXED)
SIMD_INLINE void block8_q6_K_relaxed(const void *vx, int i, int nt, const block_q8_K *const y[2], v128_t acc[2][2])
{
    const block_q6_Kx8 *x = (const block_q6_Kx8 *)vx + i;
    v128_t sumi[2][2];
    q6_K_sums(x, nt, y, sumi, 1);
    for (int t = 0; t < nt; t++) finish8(acc[t], sumi[t], NULL, x->d, NULL, y[t]->d);
}

static void vec_dot_rows8_q6_K_relaxed(int n, float *s, const void *vx, const void *vy)
{
    rows8_k(n, s, vx, vy, 0, 1, block8_q6_K_relaxed);
}

static void vec_dot_rows8x2_q6_K_relaxed(int n, float *s, const void *vx, const void *vy, size_t y_stride)
{
    rows8_k(n, s, vx, vy, y_stride, 2, block8_q6_K_relaxed);
}
#endif

static void vec_dot_rows8_q6_K(int n, float *s, const void *vx, const void *vy)
{
    rows8_k(n, s, vx, vy, 0, 1, block8_q6_K);
}

static void vec_dot_rows8x2_q6_K(int n, float *s, const void *vx, const void *vy, size_t y_stride)
{
    rows8_k(n, s, vx, vy, y_stride, 2, block8_q6_K);
}

/* Q6_K: xs ((q-32) * sc, |.| <= 4096) */
static void unpack_xs_q6_K(const block_q6_Kx8 *x, xs_block *xs)
{
    const v128_t bias = wasm_i16x8_splat(32);
    KEEP_LOOP
    for (int c = 0; c < 4; c++)
        for (int r = 0; r < 8; r++)
            for (int half = 0; half < 2; half++) {
                v128_t xv[4];
                x_q6_K_half(x->q[r][c], half, xv);
                v128_t *o = xs->v[2 * c + half][r];
                for (int k = 0; k < 4; k++) {   /* group 4c + 2*half + k/2 */
                    const int8_t sc = x->scales[r / 2][c][4 * (r % 2) + 2 * half + k / 2];
                    o[k] = wasm_i16x8_mul(wasm_i16x8_sub(xv[k], bias), wasm_i16x8_splat(sc));
                }
            }
}

static void vec_dot_rows8xn_q6_K(int n, float *s, const void *vx, const void *vy, size_t y_stride, int n_tok)
{
    const block_q6_Kx8 *x = vx;
    xs_block xs;
    for (int k = 0; k < 8 * n_tok; k++) s[k] = 0.0f;
    for (int i = 0; i < n / QK_K; i++) {
        unpack_xs_q6_K(&x[i], &xs);
        mw_simd128_xs_finish_tokens(&xs, NULL, NULL, x[i].d, NULL, (const uint8_t *)vy + (size_t)i * sizeof(block_q8_K),
                                    y_stride, n_tok, s);
    }
}

#if defined(MW_RELAXED)
/* ---- relaxed rows8xn (Q6_K): as Q4_K's, a super-block unpacked once per tile of tokens ----
 * The i7 bytes (0..63) of both groups of every half-chunk and row as half_dots_q6_K_relaxed
 * makes them, the pair_scales and the scale rows for the -32 correction: 3.3 KiB in L1. */
typedef struct {
    v128_t q[4][2][8][2];       /* chunk c, half, row r: groups 4c + 2 half, + 1 */
    v128_t scales[4][2][4][2];  /* chunk c, half, row pair p: pair_scales of the two groups */
    v128_t w[4][4];             /* row pair p, unit h: the i16 scales for the bsum correction */
} xs_q6_K_relaxed;

static void unpack_xs_q6_K_relaxed(const block_q6_Kx8 *x, xs_q6_K_relaxed *xs)
{
    const v128_t m6 = wasm_i8x16_splat(0x3f);
    KEEP_LOOP
    for (int c = 0; c < 4; c++)
        for (int r = 0; r < 8; r++) {
            const uint8_t *q = x->q[r][c];
            const v128_t v0 = wasm_v128_load(q), v1 = wasm_v128_load(q + 16), v2 = wasm_v128_load(q + 32);
            xs->q[c][0][r][0] = wasm_v128_and(v0, m6);
            xs->q[c][0][r][1] = wasm_v128_and(v1, m6);
            xs->q[c][1][r][0] = wasm_v128_and(v2, m6);
            xs->q[c][1][r][1] = top_bits_q6_K(v0, v1, v2);
        }
    for (int p = 0; p < 4; p++)
        for (int c = 0; c < 4; c++) {
            const v128_t w = wasm_i16x8_load8x8(x->scales[p][c]);
            xs->w[p][c] = w;
            SIMD_UNROLL
            for (int half = 0; half < 2; half++) {
                xs->scales[c][half][p][0] = pair_scales(w, 2 * half);
                xs->scales[c][half][p][1] = pair_scales(w, 2 * half + 1);
            }
        }
}

/* sumi (as q6_K_sums) of the eight rows against NT (1 or 2) tokens' super-blocks */
SIMD_INLINE void sums_xs_q6_K_relaxed(const xs_q6_K_relaxed *xs, int nt, const block_q8_K *const y[2],
                                     v128_t sumi[2][2])
{
    const v128_t zero = wasm_i32x4_splat(0);
    v128_t acc[2][4];
    for (int t = 0; t < nt; t++)
        for (int p = 0; p < 4; p++) acc[t][p] = zero;
    KEEP_LOOP
    for (int c = 0; c < 4; c++) {
        SIMD_UNROLL
        for (int half = 0; half < 2; half++) {
            v128_t yv[2][4];
            for (int t = 0; t < nt; t++) y_half_q6_K_relaxed(y[t]->qs + 16 * (4 * c + 2 * half), yv[t]);
            KEEP_LOOP
            for (int p = 0; p < 4; p++) {
                const v128_t *a = xs->q[c][half][2 * p], *b = xs->q[c][half][2 * p + 1];
                const v128_t *sc = xs->scales[c][half][p];
                for (int t = 0; t < nt; t++) {
                    const v128_t a0 = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(yv[t][0], a[0], zero);
                    const v128_t b0 = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(yv[t][1], a[1], zero);
                    const v128_t a1 = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(yv[t][0], b[0], zero);
                    const v128_t b1 = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(yv[t][1], b[1], zero);
                    acc[t][p] = add_scaled_pair(acc[t][p], a0, a1, sc[0]);
                    acc[t][p] = add_scaled_pair(acc[t][p], b0, b1, sc[1]);
                }
            }
        }
    }
    for (int t = 0; t < nt; t++) {
        SIMD_UNROLL
        for (int p = 0; p < 4; p++) {
            v128_t corr = zero;
            SIMD_UNROLL
            for (int h = 0; h < 4; h++)
                corr = wasm_i32x4_add(corr, wasm_i32x4_dot_i16x8(xs->w[p][h], wasm_v128_load64_splat(y[t]->bsums + 4 * h)));
            acc[t][p] = wasm_i32x4_sub(acc[t][p], wasm_i32x4_shl(corr, 5));
        }
        sumi[t][0] = rows_of_pairs(acc[t][0], acc[t][1]);
        sumi[t][1] = rows_of_pairs(acc[t][2], acc[t][3]);
    }
}

static void vec_dot_rows8xn_q6_K_relaxed(int n, float *s, const void *vx, const void *vy, size_t y_stride, int n_tok)
{
    const block_q6_Kx8 *x = vx;
    xs_q6_K_relaxed xs;
    for (int k = 0; k < 8 * n_tok; k++) s[k] = 0.0f;
    for (int i = 0; i < n / QK_K; i++) {
        unpack_xs_q6_K_relaxed(&x[i], &xs);
        v128_t dx[2];   /* converted once for all the tokens */
        scales8_f32(x[i].d, dx);
        const uint8_t *y = (const uint8_t *)vy + (size_t)i * sizeof(block_q8_K);
        for (int t0 = 0; t0 < n_tok; t0 += 2) {
            const int nt = n_tok - t0 >= 2 ? 2 : 1;
            const block_q8_K *yt[2] = { (const block_q8_K *)(y + (size_t)t0 * y_stride),
                                        (const block_q8_K *)(y + (size_t)(t0 + nt - 1) * y_stride) };
            v128_t sumi[2][2];
            if (nt == 2)
                sums_xs_q6_K_relaxed(&xs, 2, yt, sumi);
            else
                sums_xs_q6_K_relaxed(&xs, 1, yt, sumi);
            for (int t = 0; t < nt; t++) {
                float *st = s + 8 * (t0 + t);
                v128_t acc[2] = { wasm_v128_load(st), wasm_v128_load(st + 4) };
                finish8_f32(acc, sumi[t], NULL, dx, NULL, yt[t]->d);
                wasm_v128_store(st, acc[0]);
                wasm_v128_store(st + 4, acc[1]);
            }
        }
    }
}
#endif

void mw_simd128_fill_repack_q6k(mw_kernels *k, simd128_tiles *tiles)
{
    k->repack[MW_TYPE_Q6_K] = repack_q6_K;
    tiles[MW_TYPE_Q6_K].rows8 = vec_dot_rows8_q6_K;
    tiles[MW_TYPE_Q6_K].rows8x2 = vec_dot_rows8x2_q6_K;
    tiles[MW_TYPE_Q6_K].rows8xn = vec_dot_rows8xn_q6_K;
    k->repack_group_bytes[MW_TYPE_Q6_K] = sizeof(block_q6_Kx8) / (QK_K / 32);
}

#if defined(MW_RELAXED)
void mw_simd128_fill_repack_q6k_relaxed(simd128_tiles *tiles)
{
    tiles[MW_TYPE_Q6_K].rows8 = vec_dot_rows8_q6_K_relaxed;
    tiles[MW_TYPE_Q6_K].rows8x2 = vec_dot_rows8x2_q6_K_relaxed;
    tiles[MW_TYPE_Q6_K].rows8xn = vec_dot_rows8xn_q6_K_relaxed;
}
#endif

#endif
