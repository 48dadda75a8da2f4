/*
 * simd128_repack_kquants.c — K-quant weights (Q2_K to Q6_K) repacked at load for the SIMD128 matmul:
 * eight consecutive rows interleaved super-block by super-block, each group exactly the size
 * of the eight rows it replaces (the loader repacks in place). Inside a group the bits are
 * rearranged so one v128 load and a few 16-bit shifts/masks give eight-value i16 vectors that
 * line up with eight consecutive activation values: each 32 (Q2_K, Q3_K: 16) activations are
 * widened to i16 once and serve all eight rows. The per-group scales are applied to the exact integer group
 * dots of a row pair by narrowing the two rows' i32 partial sums to i16 (they fit: see the
 * bounds below) and one i32x4.dot_i16x8 against their two scales, instead of an i32 multiply
 * per row and group. rows8xn (prefill) unpacks a super-block once per tile of tokens, scales
 * multiplied in. Every integer sum is exact and the float finish per super-block is kq_dot's
 * expression lane by lane (d*yd*sumi - dmin*yd*summ, added in block order), so results are
 * bit-identical to the scalar reference. Activation values are in -128..127 (Q8_K).
 * The group loops are kept rolled (KEEP_LOOP): V8 schedules the pure SIMD operations of one
 * long unrolled block freely and spilled most of them (the unrolled version ran at 0.4-0.7x
 * the single-row kernels under Node; rolled, 1.5-2.2x, in Chromium too).
 */
#if defined(__wasm_simd128__) || defined(MW_SIMDE)

#include "kernels/simd128.h"
#include "quant/quant_util.h"

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
_Static_assert(sizeof(block_q6_Kx8) == 8 * sizeof(block_q6_K), "in-place repack");
/* Q2_K / Q3_K x 8 rows. qs[r][c]: values 64c..64c+63 of row r, 2 bits each: bits 2j..2j+1 of
 * byte 2k+e are value 64c + 16j + 8e + k (group 4c + j: one shift and mask give a whole group,
 * its bytes already the u16 lanes of values 8e + k). Q2_K scales[p][c]: [row 2p groups
 * 4c..4c+3, row 2p+1 the same], the source bytes (scale | min << 4). Q3_K: the high bits
 * hm[r][w]: bit b of byte 2k+e is that of value 128w + 16b + 8e + k; scales: the 128 biased
 * 6-bit scales packed by pack6 (twice) as vectors 2p + h = [row 2p groups 8h..8h+3, row 2p+1
 * the same, row 2p groups 8h+4..8h+7, row 2p+1 the same]. */
typedef struct {
    uint16_t d[8], dmin[8];
    uint8_t scales[4][4][8];
    uint8_t qs[8][4][16];
} block_q2_Kx8;
typedef struct {
    uint16_t d[8];
    uint8_t scales[96];
    uint8_t hm[8][2][16];
    uint8_t qs[8][4][16];
} block_q3_Kx8;
_Static_assert(sizeof(block_q2_Kx8) == 8 * sizeof(block_q2_K), "in-place repack");
_Static_assert(sizeof(block_q3_Kx8) == 8 * sizeof(block_q3_K), "in-place repack");

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

static void repack_q4_K(int64_t n_rows, int n, const void *src, void *dst)
{
    REPACK_K_BODY(block_q4_K, block_q4_Kx8, repack_q4_K_block)
}

static void repack_q5_K(int64_t n_rows, int n, const void *src, void *dst)
{
    REPACK_K_BODY(block_q5_K, block_q5_Kx8, repack_q5_K_block)
}

static void repack_q6_K(int64_t n_rows, int n, const void *src, void *dst)
{
    REPACK_K_BODY(block_q6_K, block_q6_Kx8, repack_q6_K_block)
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
 * 16(b%2) + l, so bit b of a layout byte comes from the first (b even) or second half. */
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

static void repack_q3_K_block(const block_q3_K *src[8], block_q3_Kx8 *o)
{
    v128_t sm[8];
    for (int r = 0; r < 8; r++) {
        o->d[r] = src[r]->d;
        repack_qs_q23_K(src[r]->qs, o->qs[r]);
        repack_hm_q3_K(src[r]->hmask, o->hm[r]);
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

/* ---- Q4_K ---- */

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

/* ---- Q6_K ---- */

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
        /* the top 2 bits of each byte of V0, V1, V2 are bits 0-1, 2-3, 4-5 of one more value */
        const v128_t e = wasm_v128_or(
            wasm_v128_or(wasm_v128_and(wasm_u16x8_shr(v0, 6), wasm_i16x8_splat(0x0303)),
                         wasm_v128_and(wasm_u16x8_shr(v1, 4), wasm_i16x8_splat(0x0c0c))),
            wasm_v128_and(wasm_u16x8_shr(v2, 2), wasm_i16x8_splat(0x3030)));
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
        xb = wasm_v128_or(wasm_v128_or(wasm_v128_and(wasm_u16x8_shr(v0, 6), wasm_i16x8_splat(0x0303)),
                                       wasm_v128_and(wasm_u16x8_shr(v1, 4), wasm_i16x8_splat(0x0c0c))),
                          wasm_v128_and(wasm_u16x8_shr(v2, 2), wasm_i16x8_splat(0x3030)));
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

/* ---- Q2_K, Q3_K ---- */

/* Group 4c + j of one row (qs: its unit c; Q3_K: hm its high bits of 128 values, b the
 * group's place among those 8, b % 4 == j) as two i16 vectors: values 0-7 (lo) and 8-15 (hi)
 * of the group, 0..3 (Q2_K) or 0..7 (Q3_K: low bits + 4 * high bit, the -4 applied through
 * bsums). All shifts are constants once the group loop is unrolled. */
SIMD_INLINE v128_t x_q23_K_bytes(const uint8_t *qs, const uint8_t *hm, int b, int j)
{
    v128_t x = bytes_and(wasm_u16x8_shr(wasm_v128_load(qs), 2 * j), 0x03);
    if (hm) {
        const v128_t h = wasm_v128_load(hm);
        x = wasm_v128_or(x, bytes_and(b >= 2 ? wasm_u16x8_shr(h, b - 2) : wasm_i16x8_shl(h, 2 - b), 0x04));
    }
    return x;   /* byte 2k + e: value 8e + k of the group */
}

SIMD_INLINE void x_q23_K(const uint8_t *qs, const uint8_t *hm, int b, int j, v128_t *lo, v128_t *hi)
{
    const v128_t x = x_q23_K_bytes(qs, hm, b, j);
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

SIMD_INLINE void q23_K_sums(const uint8_t (*qs)[4][16], const uint8_t (*hm)[2][16], const v128_t sc[4][4], int nt,
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
                    const v128_t xa = x_q23_K_bytes(qs[2 * p][c], hm ? hm[2 * p][w] : NULL, b, j);
                    const v128_t xb = x_q23_K_bytes(qs[2 * p + 1][c], hm ? hm[2 * p + 1][w] : NULL, b, j);
                    for (int t = 0; t < nt; t++)
                        acc[t][p] = add_scaled_pair(acc[t][p], group_dot_q23_K_relaxed(xa, yv[t][0]),
                                                    group_dot_q23_K_relaxed(xb, yv[t][0]), s);
                    continue;
                }
                v128_t a0, a1, b0, b1;
                x_q23_K(qs[2 * p][c], hm ? hm[2 * p][w] : NULL, b, j, &a0, &a1);
                x_q23_K(qs[2 * p + 1][c], hm ? hm[2 * p + 1][w] : NULL, b, j, &b0, &b1);
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
    q23_K_sums(x->qs, NULL, sc, nt, y, acc, relaxed);
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
    q23_K_sums(x->qs, x->hm, sc, nt, y, acc, relaxed);
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

/* summ of the eight rows (rows 0-3, 4-7) against one token's bsums, from what the type's
 * unpacking kept in mins (Q4_K / Q5_K: the min vectors; Q2_K: the group scale bytes) */
typedef void (*xs_summ_fn)(const void *mins, const int16_t *bsums, v128_t summ[2]);

/* s[8t + r] += the super-block's term for row r and token t (y: token 0's super-block), in
 * block order as rows8; tokens two at a time. summ_of NULL: a type without mins. */
static void xs_finish_tokens(const xs_block *xs, xs_summ_fn summ_of, const void *mins, const uint16_t d[8],
                             const uint16_t *dmin, const uint8_t *y, size_t y_stride, int n_tok, float *s)
{
    v128_t dx[2], dm[2];   /* converted once for all the tokens */
    scales8_f32(d, dx);
    if (dmin)
        scales8_f32(dmin, dm);
    for (int t0 = 0; t0 < n_tok; t0 += 2) {
        const int nt = n_tok - t0 >= 2 ? 2 : 1;
        const block_q8_K *yt[2] = { (const block_q8_K *)(y + (size_t)t0 * y_stride),
                                    (const block_q8_K *)(y + (size_t)(t0 + nt - 1) * y_stride) };
        const int8_t *yq[2] = { yt[0]->qs, yt[1]->qs };
        v128_t sumi[2][2];
        if (nt == 2)
            xs_sumi(xs, 2, yq, sumi);
        else
            xs_sumi(xs, 1, yq, sumi);
        for (int t = 0; t < nt; t++) {
            float *st = s + 8 * (t0 + t);
            v128_t summ[2] = { wasm_i32x4_splat(0), wasm_i32x4_splat(0) };
            if (summ_of)
                summ_of(mins, yt[t]->bsums, summ);
            v128_t acc[2] = { wasm_v128_load(st), wasm_v128_load(st + 4) };
            finish8_f32(acc, sumi[t], summ, dx, dmin ? dm : NULL, yt[t]->d);
            wasm_v128_store(st, acc[0]);
            wasm_v128_store(st + 4, acc[1]);
        }
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
        xs_finish_tokens(&xs, summ_q45_K, mn, x[i].d, x[i].dmin, (const uint8_t *)vy + (size_t)i * sizeof(block_q8_K), \
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

static void vec_dot_rows8xn_q6_K(int n, float *s, const void *vx, const void *vy, size_t y_stride, int n_tok)
{
    const block_q6_Kx8 *x = vx;
    xs_block xs;
    for (int k = 0; k < 8 * n_tok; k++) s[k] = 0.0f;
    for (int i = 0; i < n / QK_K; i++) {
        unpack_xs_q6_K(&x[i], &xs);
        xs_finish_tokens(&xs, NULL, NULL, x[i].d, NULL, (const uint8_t *)vy + (size_t)i * sizeof(block_q8_K),
                         y_stride, n_tok, s);
    }
}

/* Q2_K / Q3_K: xs (Q2_K: q * sc <= 45; Q3_K: (q - 4) * sc, |.| <= 128); sc as q23_K_sums */
SIMD_INLINE void unpack_xs_q23_K(const uint8_t (*qs)[4][16], const uint8_t (*hm)[2][16], const v128_t sc[4][4],
                                 xs_block *xs)
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
                x_q23_K(qs[r][c], hm ? hm[r][w] : NULL, b, j, &lo, &hi);
                const v128_t scale = wasm_v128_load16_splat(&sc16[r / 2][c][4 * (r % 2) + j]);
                if (hm) {
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
        unpack_xs_q23_K(x[i].qs, NULL, sc, &xs);
        xs_finish_tokens(&xs, summ_q2_K, mn, x[i].d, x[i].dmin, (const uint8_t *)vy + (size_t)i * sizeof(block_q8_K),
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
        unpack_xs_q23_K(x[i].qs, x[i].hm, sc, &xs);
        xs_finish_tokens(&xs, NULL, NULL, x[i].d, NULL, (const uint8_t *)vy + (size_t)i * sizeof(block_q8_K),
                         y_stride, n_tok, s);
    }
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
            xs->q[c][1][r][1] = wasm_v128_or(wasm_v128_or(wasm_v128_and(wasm_u16x8_shr(v0, 6), wasm_i16x8_splat(0x0303)),
                                                          wasm_v128_and(wasm_u16x8_shr(v1, 4), wasm_i16x8_splat(0x0c0c))),
                                             wasm_v128_and(wasm_u16x8_shr(v2, 2), wasm_i16x8_splat(0x3030)));
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
            for (int r = 0; r < 8; r++) xs->q[g][r] = value_order(x_q23_K_bytes(x->qs[r][c], NULL, b, j));
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
            for (int r = 0; r < 8; r++) xs->q[g][r] = value_order(x_q23_K_bytes(x->qs[r][c], x->hm[r][w], b, j));
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

void mw_simd128_fill_repack_kquants(mw_kernels *k, simd128_tiles *tiles, const mw_kernels *scalar)
{
    (void)scalar;
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
    k->repack[MW_TYPE_Q6_K] = repack_q6_K;
    tiles[MW_TYPE_Q6_K].rows8 = vec_dot_rows8_q6_K;
    tiles[MW_TYPE_Q6_K].rows8x2 = vec_dot_rows8x2_q6_K;
    tiles[MW_TYPE_Q6_K].rows8xn = vec_dot_rows8xn_q6_K;
    k->repack_group_bytes[MW_TYPE_Q6_K] = sizeof(block_q6_Kx8) / (QK_K / 32);
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
void mw_simd128_fill_repack_kquants_relaxed(simd128_tiles *tiles)
{
    tiles[MW_TYPE_Q4_K].rows8 = vec_dot_rows8_q4_K_relaxed;
    tiles[MW_TYPE_Q4_K].rows8x2 = vec_dot_rows8x2_q4_K_relaxed;
    tiles[MW_TYPE_Q4_K].rows8xn = vec_dot_rows8xn_q4_K_relaxed;
    tiles[MW_TYPE_Q6_K].rows8 = vec_dot_rows8_q6_K_relaxed;
    tiles[MW_TYPE_Q6_K].rows8x2 = vec_dot_rows8x2_q6_K_relaxed;
    tiles[MW_TYPE_Q6_K].rows8xn = vec_dot_rows8xn_q6_K_relaxed;
    tiles[MW_TYPE_Q3_K].rows8 = vec_dot_rows8_q3_K_relaxed;
    tiles[MW_TYPE_Q3_K].rows8x2 = vec_dot_rows8x2_q3_K_relaxed;
    tiles[MW_TYPE_Q3_K].rows8xn = vec_dot_rows8xn_q3_K_relaxed;
    tiles[MW_TYPE_Q2_K].rows8 = vec_dot_rows8_q2_K_relaxed;
    tiles[MW_TYPE_Q2_K].rows8x2 = vec_dot_rows8x2_q2_K_relaxed;
    tiles[MW_TYPE_Q2_K].rows8xn = vec_dot_rows8xn_q2_K_relaxed;
    tiles[MW_TYPE_Q5_K].rows8 = vec_dot_rows8_q5_K_relaxed;
    tiles[MW_TYPE_Q5_K].rows8x2 = vec_dot_rows8x2_q5_K_relaxed;
    tiles[MW_TYPE_Q5_K].rows8xn = vec_dot_rows8xn_q5_K_relaxed;
}
#endif

#endif
