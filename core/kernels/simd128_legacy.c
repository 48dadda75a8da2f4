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
    *hi = wasm_u8x16_shr(q, 4);
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

/* acc += (f32)isum * (dx*dy), lane-wise (the scalar's per-block product, in four lanes) */
static inline v128_t acc_block(v128_t acc, v128_t isum, float dxdy)
{
    return wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(isum), wasm_f32x4_splat(dxdy)));
}

/* ---- dot products: two blocks per step in two accumulators (independent add chains) ---- */

/* The loop of the "_0" types against Q8_0; IDOT unpacks and multiplies one block. A macro,
 * not a function pointer, so each kernel is one flat loop for the compiler. */
#define DOT_0_LOOP(IDOT) do { \
    v128_t acc0 = wasm_f32x4_splat(0.0f), acc1 = acc0; \
    int i = 0; \
    for (; i + 1 < nb; i += 2) { \
        acc0 = acc_block(acc0, IDOT(&x[i], y[i].qs), FP16(x[i].d) * FP16(y[i].d)); \
        acc1 = acc_block(acc1, IDOT(&x[i + 1], y[i + 1].qs), FP16(x[i + 1].d) * FP16(y[i + 1].d)); \
    } \
    if (i < nb) acc0 = acc_block(acc0, IDOT(&x[i], y[i].qs), FP16(x[i].d) * FP16(y[i].d)); \
    *s = simd_hsum_f32(wasm_f32x4_add(acc0, acc1)); \
} while (0)

/* The "_1" types against Q8_1 add m*s per block: x = d*q + m, y.s = dy*sum(qy). */
#define DOT_1_LOOP(IDOT) do { \
    v128_t acc0 = wasm_f32x4_splat(0.0f), acc1 = acc0; \
    float summ = 0.0f; \
    int i = 0; \
    for (; i + 1 < nb; i += 2) { \
        acc0 = acc_block(acc0, IDOT(&x[i], y[i].qs), FP16(x[i].d) * FP16(y[i].d)); \
        acc1 = acc_block(acc1, IDOT(&x[i + 1], y[i + 1].qs), FP16(x[i + 1].d) * FP16(y[i + 1].d)); \
        summ += FP16(x[i].m) * FP16(y[i].s) + FP16(x[i + 1].m) * FP16(y[i + 1].s); \
    } \
    if (i < nb) { \
        acc0 = acc_block(acc0, IDOT(&x[i], y[i].qs), FP16(x[i].d) * FP16(y[i].d)); \
        summ += FP16(x[i].m) * FP16(y[i].s); \
    } \
    *s = simd_hsum_f32(wasm_f32x4_add(acc0, acc1)) + summ; \
} while (0)

static void vec_dot_q4_0(int n, float *s, const void *vx, const void *vy)
{
    const block_q4_0 *x = vx;
    const block_q8_0 *y = vy;
    const int nb = n / QK4_0;
    DOT_0_LOOP(idot_q4_0);
}

static void vec_dot_q5_0(int n, float *s, const void *vx, const void *vy)
{
    const block_q5_0 *x = vx;
    const block_q8_0 *y = vy;
    const int nb = n / QK5_0;
    DOT_0_LOOP(idot_q5_0);
}

static void vec_dot_q8_0(int n, float *s, const void *vx, const void *vy)
{
    const block_q8_0 *x = vx;
    const block_q8_0 *y = vy;
    const int nb = n / QK8_0;
    DOT_0_LOOP(idot_q8_0);
}

static void vec_dot_q4_1(int n, float *s, const void *vx, const void *vy)
{
    const block_q4_1 *x = vx;
    const block_q8_1 *y = vy;
    const int nb = n / QK4_1;
    DOT_1_LOOP(idot_q4_1);
}

static void vec_dot_q5_1(int n, float *s, const void *vx, const void *vy)
{
    const block_q5_1 *x = vx;
    const block_q8_1 *y = vy;
    const int nb = n / QK5_1;
    DOT_1_LOOP(idot_q5_1);
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
    (void)scalar;
    k->vec_dot[MW_TYPE_Q4_0] = vec_dot_q4_0;
    k->vec_dot[MW_TYPE_Q5_0] = vec_dot_q5_0;
    k->vec_dot[MW_TYPE_Q8_0] = vec_dot_q8_0;
    k->vec_dot[MW_TYPE_Q4_1] = vec_dot_q4_1;
    k->vec_dot[MW_TYPE_Q5_1] = vec_dot_q5_1;
    k->quantize_row[MW_TYPE_Q8_0] = quantize_row_q8_0;
    k->quantize_row[MW_TYPE_Q8_1] = quantize_row_q8_1;
}

#endif
