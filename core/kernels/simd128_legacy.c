/*
 * simd128_legacy.c — SIMD128 kernels of the 32-value block types: the dot products of Q4_0,
 * Q5_0, Q8_0 (against Q8_0) and Q4_1, Q5_1 (against Q8_1), and the Q8_0 / Q8_1 activation
 * quantizers, and the multi-row versions of the dots: 4 rows (one activation row against four
 * weight rows, y unpacked once) and 4 columns (one weight row against four activation rows,
 * x unpacked once). Every result is bit-identical to the scalar reference: the same
 * exact integer block sums, the same float block terms added in the same order.
 */
#if defined(__wasm_simd128__) || defined(MW_SIMDE)

#include <string.h>

#include "kernels/simd128.h"
#include "quant/quant_util.h"

/* ---- unpacking one block into two i8x16 (values 0..15 and 16..31) ---- */

static inline void nibbles(const uint8_t qs[16], v128_t *lo, v128_t *hi)
{
    v128_t q = wasm_v128_load(qs);
    *lo = wasm_v128_and(q, wasm_i8x16_splat(0x0f));
    *hi = simd_hi_nibbles(q);
}

/* The 5th bits: bit j of the little-endian u32 qh is 16 added to value j. Each byte of qh is
 * copied to 8 lanes, and lane j keeps bit j%8 of it. */
static inline void high_bits(const uint8_t qh_bytes[4], v128_t *lo, v128_t *hi)
{
    uint32_t qh;
    memcpy(&qh, qh_bytes, 4);   /* little-endian on wasm and x86, as the scalar reads it */
    const v128_t v = wasm_i32x4_splat((int32_t)qh);
    const v128_t bit = wasm_i8x16_make(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
    const v128_t sixteen = wasm_i8x16_splat(16);
    v128_t b0 = wasm_i8x16_shuffle(v, v, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
    v128_t b1 = wasm_i8x16_shuffle(v, v, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    *lo = wasm_v128_and(wasm_i8x16_eq(wasm_v128_and(b0, bit), bit), sixteen);
    *hi = wasm_v128_and(wasm_i8x16_eq(wasm_v128_and(b1, bit), bit), sixteen);
}

/* Integer dot of one block's 32 quants (lo: values 0..15, hi: 16..31) with 32 int8 y. */
static inline v128_t block_idot(v128_t lo, v128_t hi, const int8_t y[32])
{
    return wasm_i32x4_add(simd_dot_i8x16(lo, wasm_v128_load(y)),
                          simd_dot_i8x16(hi, wasm_v128_load(y + 16)));
}

static inline v128_t idot_q4_0(const block_q4_0 *x, const int8_t *y)
{
    v128_t lo, hi;
    nibbles(x->qs, &lo, &hi);
    const v128_t eight = wasm_i8x16_splat(8);
    return block_idot(wasm_i8x16_sub(lo, eight), wasm_i8x16_sub(hi, eight), y);
}

/* Q4_0 for vec_dot_4rows, without widening x: in 16-bit lanes, byte pair (2k, 2k+1) of qs holds values 2k, 2k+1
 * (low nibbles) and 2k+16, 2k+17 (high), so masks and 16-bit shifts give them as i16 directly;
 * y is split into even and odd bytes to match. The -8 of every quant is taken out once as
 * 8 * sum(y): all of y's work is shared by the four rows (per row: 7 ops + 4 dots, against
 * 12 + 4 with widening). Slower than idot_q4_0 for one row, where y is not shared. */
static inline v128_t idot_q4_0_shared_y(const block_q4_0 *x, const int8_t *y)
{
    const v128_t m4 = wasm_i16x8_splat(0x0f);
    const v128_t q = wasm_v128_load(x->qs);
    const v128_t a = wasm_v128_load(y), b = wasm_v128_load(y + 16);
    const v128_t ya_even = wasm_i16x8_shr(wasm_i16x8_shl(a, 8), 8), ya_odd = wasm_i16x8_shr(a, 8);
    const v128_t yb_even = wasm_i16x8_shr(wasm_i16x8_shl(b, 8), 8), yb_odd = wasm_i16x8_shr(b, 8);
    v128_t dot = wasm_i32x4_add(
        wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_v128_and(q, m4), ya_even),
                       wasm_i32x4_dot_i16x8(wasm_v128_and(wasm_u16x8_shr(q, 8), m4), ya_odd)),
        wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_v128_and(wasm_u16x8_shr(q, 4), m4), yb_even),
                       wasm_i32x4_dot_i16x8(wasm_u16x8_shr(q, 12), yb_odd)));
    v128_t ysum = wasm_i16x8_add(wasm_i16x8_add(ya_even, ya_odd), wasm_i16x8_add(yb_even, yb_odd));
    return wasm_i32x4_sub(dot, wasm_i32x4_dot_i16x8(ysum, wasm_i16x8_splat(8)));
}

static inline v128_t idot_q5_0(const block_q5_0 *x, const int8_t *y)
{
    v128_t lo, hi, h_lo, h_hi;
    nibbles(x->qs, &lo, &hi);
    high_bits(x->qh, &h_lo, &h_hi);
    const v128_t sixteen = wasm_i8x16_splat(16);
    return block_idot(wasm_i8x16_sub(wasm_v128_or(lo, h_lo), sixteen),
                      wasm_i8x16_sub(wasm_v128_or(hi, h_hi), sixteen), y);
}

static inline v128_t idot_q8_0(const block_q8_0 *x, const int8_t *y)
{
    return block_idot(wasm_v128_load(x->qs), wasm_v128_load(x->qs + 16), y);
}

static inline v128_t idot_q4_1(const block_q4_1 *x, const int8_t *y)
{
    v128_t lo, hi;
    nibbles(x->qs, &lo, &hi);
    return block_idot(lo, hi, y);
}

static inline v128_t idot_q5_1(const block_q5_1 *x, const int8_t *y)
{
    v128_t lo, hi, h_lo, h_hi;
    nibbles(x->qs, &lo, &hi);
    high_bits(x->qh, &h_lo, &h_hi);
    return block_idot(wasm_v128_or(lo, h_lo), wasm_v128_or(hi, h_hi), y);
}

/* ---- dot products ----
 * Four block terms at a time: the four blocks' integer sums gathered into one i32x4 and their
 * scales dx*dy into one f32x4, so lane k is exactly the scalar's block term (f32)isum*(dx*dy)
 * (+ m*s for the "_1" types). One row (vec_dot) takes four consecutive blocks and adds the
 * lanes to its sum in block order; four rows (vec_dot_4rows) take block i of each row and add
 * lane r to row r's sum (vec_dot_4cols: lane t to token t's sum). Either way every sum is
 * built term by term in the scalar's order, so all are bit-identical to the scalar reference. */

/* block terms of the "_0" types; the "_1" types add m*s (x = d*q + m, y.s = dy*sum(qy)) */
#define TERM_0(t, x0, x1, x2, x3, y0, y1, y2, y3) (t)
#define TERM_1(t, x0, x1, x2, x3, y0, y1, y2, y3) \
    wasm_f32x4_add(t, wasm_f32x4_mul(simd_f16x4_make(x0->m, x1->m, x2->m, x3->m), \
                                     simd_f16x4_make(y0->s, y1->s, y2->s, y3->s)))

/* Index i of blocks 0..nb-1, or the last block past the end (the 4-block loops' tail repeats it) */
static inline int last_block(int i, int nb)
{
    return i < nb ? i : nb - 1;
}

/* sum += the first k lanes of t, in lane order */
static inline float add_lanes(float sum, v128_t t, int k)
{
    sum += wasm_f32x4_extract_lane(t, 0);
    if (k > 1) sum += wasm_f32x4_extract_lane(t, 1);
    if (k > 2) sum += wasm_f32x4_extract_lane(t, 2);
    if (k > 3) sum += wasm_f32x4_extract_lane(t, 3);
    return sum;
}

/* The four block terms of any four (x, y) block pairs, with IDOT for the sums (the body of the
 * terms_* functions below) */
#define LEGACY_TERMS_BODY(IDOT, TERM) \
    v128_t isum = simd_hsum4_i32(IDOT(x0, y0->qs), IDOT(x1, y1->qs), IDOT(x2, y2->qs), IDOT(x3, y3->qs)); \
    v128_t d = wasm_f32x4_mul(simd_f16x4_make(x0->d, x1->d, x2->d, x3->d), \
                              simd_f16x4_make(y0->d, y1->d, y2->d, y3->d)); \
    return TERM(wasm_f32x4_mul(wasm_f32x4_convert_i32x4(isum), d), x0, x1, x2, x3, y0, y1, y2, y3);

static inline v128_t terms_q4_0(const block_q4_0 *x0, const block_q4_0 *x1, const block_q4_0 *x2,
                                const block_q4_0 *x3, const block_q8_0 *y0, const block_q8_0 *y1,
                                const block_q8_0 *y2, const block_q8_0 *y3)
{
    LEGACY_TERMS_BODY(idot_q4_0, TERM_0)
}

/* Q4_0 with the four y blocks the same one (4 rows): idot_q4_0_shared_y moves work to y */
static inline v128_t terms_q4_0_shared_y(const block_q4_0 *x0, const block_q4_0 *x1, const block_q4_0 *x2,
                                         const block_q4_0 *x3, const block_q8_0 *y0, const block_q8_0 *y1,
                                         const block_q8_0 *y2, const block_q8_0 *y3)
{
    LEGACY_TERMS_BODY(idot_q4_0_shared_y, TERM_0)
}

static inline v128_t terms_q5_0(const block_q5_0 *x0, const block_q5_0 *x1, const block_q5_0 *x2,
                                const block_q5_0 *x3, const block_q8_0 *y0, const block_q8_0 *y1,
                                const block_q8_0 *y2, const block_q8_0 *y3)
{
    LEGACY_TERMS_BODY(idot_q5_0, TERM_0)
}

static inline v128_t terms_q8_0(const block_q8_0 *x0, const block_q8_0 *x1, const block_q8_0 *x2,
                                const block_q8_0 *x3, const block_q8_0 *y0, const block_q8_0 *y1,
                                const block_q8_0 *y2, const block_q8_0 *y3)
{
    LEGACY_TERMS_BODY(idot_q8_0, TERM_0)
}

static inline v128_t terms_q4_1(const block_q4_1 *x0, const block_q4_1 *x1, const block_q4_1 *x2,
                                const block_q4_1 *x3, const block_q8_1 *y0, const block_q8_1 *y1,
                                const block_q8_1 *y2, const block_q8_1 *y3)
{
    LEGACY_TERMS_BODY(idot_q4_1, TERM_1)
}

static inline v128_t terms_q5_1(const block_q5_1 *x0, const block_q5_1 *x1, const block_q5_1 *x2,
                                const block_q5_1 *x3, const block_q8_1 *y0, const block_q8_1 *y1,
                                const block_q8_1 *y2, const block_q8_1 *y3)
{
    LEGACY_TERMS_BODY(idot_q5_1, TERM_1)
}

/* vec_dot over the block terms: the last nb%4 blocks repeat the last block in the unused lanes
 * (never added), so there is no scalar tail loop. */
#define LEGACY_VEC_DOT_BODY(XT, YT, TERMS) \
    const XT *x = vx; \
    const YT *y = vy; \
    const int nb = n / 32; \
    float sum = 0.0f; \
    for (int i = 0; i < nb; i += 4) { \
        const int i1 = last_block(i + 1, nb), i2 = last_block(i + 2, nb), i3 = last_block(i + 3, nb); \
        sum = add_lanes(sum, TERMS(&x[i], &x[i1], &x[i2], &x[i3], &y[i], &y[i1], &y[i2], &y[i3]), nb - i); \
    } \
    *s = sum;

static void vec_dot_q4_0(int n, float *s, const void *vx, const void *vy)
{
    LEGACY_VEC_DOT_BODY(block_q4_0, block_q8_0, terms_q4_0)
}

static void vec_dot_q5_0(int n, float *s, const void *vx, const void *vy)
{
    LEGACY_VEC_DOT_BODY(block_q5_0, block_q8_0, terms_q5_0)
}

static void vec_dot_q8_0(int n, float *s, const void *vx, const void *vy)
{
    LEGACY_VEC_DOT_BODY(block_q8_0, block_q8_0, terms_q8_0)
}

static void vec_dot_q4_1(int n, float *s, const void *vx, const void *vy)
{
    LEGACY_VEC_DOT_BODY(block_q4_1, block_q8_1, terms_q4_1)
}

static void vec_dot_q5_1(int n, float *s, const void *vx, const void *vy)
{
    LEGACY_VEC_DOT_BODY(block_q5_1, block_q8_1, terms_q5_1)
}

/* 4 rows: the four y blocks are the same one, so the compiler loads and widens y once for the
 * four rows (TERMS may move work to the y side for that) */
#define LEGACY_4ROWS_BODY(XT, YT, TERMS) \
    const XT *x0 = vx; \
    const XT *x1 = (const XT *)((const uint8_t *)vx + x_stride); \
    const XT *x2 = (const XT *)((const uint8_t *)vx + 2 * x_stride); \
    const XT *x3 = (const XT *)((const uint8_t *)vx + 3 * x_stride); \
    const YT *y = vy; \
    const int nb = n / 32; \
    v128_t acc = wasm_f32x4_splat(0.0f); \
    for (int i = 0; i < nb; i++) \
        acc = wasm_f32x4_add(acc, TERMS(&x0[i], &x1[i], &x2[i], &x3[i], &y[i], &y[i], &y[i], &y[i])); \
    wasm_v128_store(s, acc);

static void vec_dot_4rows_q4_0(int n, float *s, const void *vx, size_t x_stride, const void *vy)
{
    LEGACY_4ROWS_BODY(block_q4_0, block_q8_0, terms_q4_0_shared_y)
}

static void vec_dot_4rows_q5_0(int n, float *s, const void *vx, size_t x_stride, const void *vy)
{
    LEGACY_4ROWS_BODY(block_q5_0, block_q8_0, terms_q5_0)
}

static void vec_dot_4rows_q8_0(int n, float *s, const void *vx, size_t x_stride, const void *vy)
{
    LEGACY_4ROWS_BODY(block_q8_0, block_q8_0, terms_q8_0)
}

static void vec_dot_4rows_q4_1(int n, float *s, const void *vx, size_t x_stride, const void *vy)
{
    LEGACY_4ROWS_BODY(block_q4_1, block_q8_1, terms_q4_1)
}

static void vec_dot_4rows_q5_1(int n, float *s, const void *vx, size_t x_stride, const void *vy)
{
    LEGACY_4ROWS_BODY(block_q5_1, block_q8_1, terms_q5_1)
}

/* 4 columns: four activation rows (prefill), the x block unpacked once for the four (for the
 * types where that pays; see the fill) */
#define LEGACY_4COLS_BODY(XT, YT, TERMS) \
    const XT *x = vx; \
    const YT *y0 = vy; \
    const YT *y1 = (const YT *)((const uint8_t *)vy + y_stride); \
    const YT *y2 = (const YT *)((const uint8_t *)vy + 2 * y_stride); \
    const YT *y3 = (const YT *)((const uint8_t *)vy + 3 * y_stride); \
    const int nb = n / 32; \
    v128_t acc = wasm_f32x4_splat(0.0f); \
    for (int i = 0; i < nb; i++) \
        acc = wasm_f32x4_add(acc, TERMS(&x[i], &x[i], &x[i], &x[i], &y0[i], &y1[i], &y2[i], &y3[i])); \
    wasm_v128_store(s, acc);

static void vec_dot_4cols_q4_0(int n, float *s, const void *vx, const void *vy, size_t y_stride)
{
    LEGACY_4COLS_BODY(block_q4_0, block_q8_0, terms_q4_0)
}

static void vec_dot_4cols_q8_0(int n, float *s, const void *vx, const void *vy, size_t y_stride)
{
    LEGACY_4COLS_BODY(block_q8_0, block_q8_0, terms_q8_0)
}

static void vec_dot_4cols_q4_1(int n, float *s, const void *vx, const void *vy, size_t y_stride)
{
    LEGACY_4COLS_BODY(block_q4_1, block_q8_1, terms_q4_1)
}

/* ---- activation quantizers: byte-identical to mw_quantize_row_q8_0 / q8_1 ---- */

/* One Q8 block as the scalar q8_block: amax = max|x| (NaN ignored, as fmaxf), d = amax/127,
 * id = 127/amax, q = round-half-even(x*id) saturated to int8, NaN -> -128 (as cvtps + packs).
 * f32x4.nearest is round-half-even; pmax(-128, v) both clamps and maps NaN to -128. */
static float q8_block(const float *x, int8_t qs[32], int *qsum)
{
    v128_t v[8];
    v128_t amax4 = wasm_f32x4_splat(0.0f);
    for (int k = 0; k < 8; k++) {
        v[k] = wasm_v128_load(x + 4 * k);
        amax4 = wasm_f32x4_pmax(amax4, wasm_f32x4_abs(v[k]));
    }
    const float amax = simd_hmax_f32(amax4);
    const float d = amax / 127.f;
    const v128_t id = wasm_f32x4_splat(amax != 0.0f ? 127.f / amax : 0.0f);
    const v128_t lo = wasm_f32x4_splat(-128.0f), hi = wasm_f32x4_splat(127.0f);
    v128_t q32[8], sum = wasm_i32x4_splat(0);
    for (int k = 0; k < 8; k++) {
        v128_t r = wasm_f32x4_nearest(wasm_f32x4_mul(v[k], id));
        r = wasm_f32x4_pmin(wasm_f32x4_pmax(lo, r), hi);
        q32[k] = wasm_i32x4_trunc_sat_f32x4(r);
        sum = wasm_i32x4_add(sum, q32[k]);
    }
    for (int k = 0; k < 8; k += 4) {
        v128_t q16a = wasm_i16x8_narrow_i32x4(q32[k], q32[k + 1]);
        v128_t q16b = wasm_i16x8_narrow_i32x4(q32[k + 2], q32[k + 3]);
        wasm_v128_store(qs + 4 * k, wasm_i8x16_narrow_i16x8(q16a, q16b));
    }
    *qsum = simd_hsum_i32(sum);
    return d;
}

static void quantize_row_q8_0(const float *x, void *vy, int64_t n)
{
    block_q8_0 *y = vy;
    int qsum;
    for (int64_t i = 0; i < n / QK8_0; i++, x += 32)
        y[i].d = mw_f32_to_fp16(q8_block(x, y[i].qs, &qsum));
}

static void quantize_row_q8_1(const float *x, void *vy, int64_t n)
{
    block_q8_1 *y = vy;
    int qsum;
    for (int64_t i = 0; i < n / QK8_1; i++, x += 32) {
        float d = q8_block(x, y[i].qs, &qsum);
        y[i].d = mw_f32_to_fp16(d);
        y[i].s = mw_f32_to_fp16(d * (float)qsum);
    }
}

void mw_simd128_fill_legacy(mw_kernels *k, simd128_tiles *tiles, const mw_kernels *scalar)
{
    (void)scalar;
    k->vec_dot[MW_TYPE_Q4_0] = vec_dot_q4_0;
    k->vec_dot[MW_TYPE_Q5_0] = vec_dot_q5_0;
    k->vec_dot[MW_TYPE_Q8_0] = vec_dot_q8_0;
    k->vec_dot[MW_TYPE_Q4_1] = vec_dot_q4_1;
    k->vec_dot[MW_TYPE_Q5_1] = vec_dot_q5_1;
    tiles[MW_TYPE_Q4_0].dot_4rows = vec_dot_4rows_q4_0;
    tiles[MW_TYPE_Q5_0].dot_4rows = vec_dot_4rows_q5_0;
    tiles[MW_TYPE_Q8_0].dot_4rows = vec_dot_4rows_q8_0;
    tiles[MW_TYPE_Q4_1].dot_4rows = vec_dot_4rows_q4_1;
    tiles[MW_TYPE_Q5_1].dot_4rows = vec_dot_4rows_q5_1;
    /* 4 columns only where measured faster with weights streaming from DRAM (wasm, Node 20):
     * Q5_0 / Q5_1 were not (the wider x state costs more than the shared unpacking saves) */
    tiles[MW_TYPE_Q4_0].dot_4cols = vec_dot_4cols_q4_0;
    tiles[MW_TYPE_Q8_0].dot_4cols = vec_dot_4cols_q8_0;
    tiles[MW_TYPE_Q4_1].dot_4cols = vec_dot_4cols_q4_1;
    k->quantize_row[MW_TYPE_Q8_0] = quantize_row_q8_0;
    k->quantize_row[MW_TYPE_Q8_1] = quantize_row_q8_1;
}

#endif
