/*
 * simd128_legacy.c — SIMD128 kernels of the 32-value block types: the dot products of Q4_0,
 * Q5_0, Q8_0 (against Q8_0) and Q4_1, Q5_1 (against Q8_1), and the Q8_0 / Q8_1 activation
 * quantizers. Each block's integer sum is exact (the same integers as the scalar reference);
 * the per-block float terms are summed in f32x4 lanes, so a row's result differs from the
 * scalar one only by float summation order. The quantizers are byte-identical to the scalar.
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

static const mw_kernels *scalar_k;   /* tails: the scalar kernel on the last nb%4 blocks */

/* ---- dot products: four blocks per step ----
 * The four blocks' integer sums are gathered into one i32x4 and their scales dx*dy into one
 * f32x4, so lane k holds exactly the scalar's block term (f32)isum * (dx*dy) (+ m*s for the
 * "_1" types); the lanes are summed at the end. IDOT unpacks and multiplies one block; a
 * macro, not a function pointer, so each kernel is one flat loop for the compiler. */
#define DOT_LOOP(TYPE, IDOT, TERM) do { \
    v128_t acc = wasm_f32x4_splat(0.0f); \
    int i = 0; \
    for (; i + 4 <= nb; i += 4) { \
        v128_t isum = simd_hsum4_i32(IDOT(&x[i], y[i].qs), IDOT(&x[i + 1], y[i + 1].qs), \
                                     IDOT(&x[i + 2], y[i + 2].qs), IDOT(&x[i + 3], y[i + 3].qs)); \
        v128_t dx = simd_f16x4_make(x[i].d, x[i + 1].d, x[i + 2].d, x[i + 3].d); \
        v128_t dy = simd_f16x4_make(y[i].d, y[i + 1].d, y[i + 2].d, y[i + 3].d); \
        acc = wasm_f32x4_add(acc, TERM(i, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(isum), wasm_f32x4_mul(dx, dy)))); \
    } \
    float sum = simd_hsum_f32(acc); \
    if (i < nb) { \
        float tail; \
        scalar_k->vec_dot[TYPE]((nb - i) * 32, &tail, x + i, y + i); \
        sum += tail; \
    } \
    *s = sum; \
} while (0)

/* the block terms of the "_0" types; the "_1" types add m*s (x = d*q + m, y.s = dy*sum(qy)) */
#define TERM_0(i, t) (t)
#define TERM_1(i, t) wasm_f32x4_add(t, wasm_f32x4_mul(simd_f16x4_make(x[i].m, x[i + 1].m, x[i + 2].m, x[i + 3].m), \
                                   simd_f16x4_make(y[i].s, y[i + 1].s, y[i + 2].s, y[i + 3].s)))

static void vec_dot_q4_0(int n, float *s, const void *vx, const void *vy)
{
    const block_q4_0 *x = vx;
    const block_q8_0 *y = vy;
    const int nb = n / QK4_0;
    DOT_LOOP(MW_TYPE_Q4_0, idot_q4_0, TERM_0);
}

static void vec_dot_q5_0(int n, float *s, const void *vx, const void *vy)
{
    const block_q5_0 *x = vx;
    const block_q8_0 *y = vy;
    const int nb = n / QK5_0;
    DOT_LOOP(MW_TYPE_Q5_0, idot_q5_0, TERM_0);
}

static void vec_dot_q8_0(int n, float *s, const void *vx, const void *vy)
{
    const block_q8_0 *x = vx;
    const block_q8_0 *y = vy;
    const int nb = n / QK8_0;
    DOT_LOOP(MW_TYPE_Q8_0, idot_q8_0, TERM_0);
}

static void vec_dot_q4_1(int n, float *s, const void *vx, const void *vy)
{
    const block_q4_1 *x = vx;
    const block_q8_1 *y = vy;
    const int nb = n / QK4_1;
    DOT_LOOP(MW_TYPE_Q4_1, idot_q4_1, TERM_1);
}

static void vec_dot_q5_1(int n, float *s, const void *vx, const void *vy)
{
    const block_q5_1 *x = vx;
    const block_q8_1 *y = vy;
    const int nb = n / QK5_1;
    DOT_LOOP(MW_TYPE_Q5_1, idot_q5_1, TERM_1);
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

void mw_simd128_fill_legacy(mw_kernels *k, const mw_kernels *scalar)
{
    scalar_k = scalar;
    k->vec_dot[MW_TYPE_Q4_0] = vec_dot_q4_0;
    k->vec_dot[MW_TYPE_Q5_0] = vec_dot_q5_0;
    k->vec_dot[MW_TYPE_Q8_0] = vec_dot_q8_0;
    k->vec_dot[MW_TYPE_Q4_1] = vec_dot_q4_1;
    k->vec_dot[MW_TYPE_Q5_1] = vec_dot_q5_1;
    k->quantize_row[MW_TYPE_Q8_0] = quantize_row_q8_0;
    k->quantize_row[MW_TYPE_Q8_1] = quantize_row_q8_1;
}

#endif
