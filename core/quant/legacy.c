/*
 * legacy.c — the 32-value block types Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1: dequantize, the
 * scalar dot against Q8_0 / Q8_1 activations (integer sum per block, then scaled in float, as
 * ggml's vec_dot_*_q8_* do), the AVX2-exact activation quantizers and ggml's reference weight
 * quantizers. Values of a 4/5-bit block: j in the low nibble of qs[j], j+16 in the high one.
 */
#include <math.h>

#include "base.h"
#include "quant.h"
#include "quant_util.h"

/* ---- unpacking: one block to its integer quants (the one place that knows the layout) ---- */

static void unpack_q4(const uint8_t qs[16], int offset, int q[32])
{
    for (int j = 0; j < 16; j++) {
        q[j] = (qs[j] & 0x0f) - offset;
        q[j + 16] = (qs[j] >> 4) - offset;
    }
}

static void unpack_q5(const uint8_t qs[16], const uint8_t qh_bytes[4], int offset, int q[32])
{
    uint32_t qh = (uint32_t)qh_bytes[0] | (uint32_t)qh_bytes[1] << 8 |
                  (uint32_t)qh_bytes[2] << 16 | (uint32_t)qh_bytes[3] << 24;
    for (int j = 0; j < 16; j++) {
        q[j] = ((qs[j] & 0x0f) | (((qh >> j) & 1) << 4)) - offset;
        q[j + 16] = ((qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - offset;
    }
}

static int dot_i8(const int q[32], const int8_t y[32])
{
    int sum = 0;
    for (int j = 0; j < 32; j++) sum += q[j] * y[j];
    return sum;
}

/* ---- dequantize: ggml's expressions (x = q*d, x = q*d + m) so the floats are bit-equal ---- */

void mw_dequantize_row_q4_0(const void *vx, float *y, int64_t n)
{
    const block_q4_0 *x = vx;
    int q[32];
    for (int64_t i = 0; i < n / QK4_0; i++, y += 32) {
        float d = FP16(x[i].d);
        unpack_q4(x[i].qs, 8, q);
        for (int j = 0; j < 32; j++) y[j] = q[j] * d;
    }
}

void mw_dequantize_row_q4_1(const void *vx, float *y, int64_t n)
{
    const block_q4_1 *x = vx;
    int q[32];
    for (int64_t i = 0; i < n / QK4_1; i++, y += 32) {
        float d = FP16(x[i].d), m = FP16(x[i].m);
        unpack_q4(x[i].qs, 0, q);
        for (int j = 0; j < 32; j++) y[j] = q[j] * d + m;
    }
}

void mw_dequantize_row_q5_0(const void *vx, float *y, int64_t n)
{
    const block_q5_0 *x = vx;
    int q[32];
    for (int64_t i = 0; i < n / QK5_0; i++, y += 32) {
        float d = FP16(x[i].d);
        unpack_q5(x[i].qs, x[i].qh, 16, q);
        for (int j = 0; j < 32; j++) y[j] = q[j] * d;
    }
}

void mw_dequantize_row_q5_1(const void *vx, float *y, int64_t n)
{
    const block_q5_1 *x = vx;
    int q[32];
    for (int64_t i = 0; i < n / QK5_1; i++, y += 32) {
        float d = FP16(x[i].d), m = FP16(x[i].m);
        unpack_q5(x[i].qs, x[i].qh, 0, q);
        for (int j = 0; j < 32; j++) y[j] = q[j] * d + m;
    }
}

void mw_dequantize_row_q8_0(const void *vx, float *y, int64_t n)
{
    const block_q8_0 *x = vx;
    for (int64_t i = 0; i < n / QK8_0; i++, y += 32) {
        float d = FP16(x[i].d);
        for (int j = 0; j < 32; j++) y[j] = x[i].qs[j] * d;
    }
}

void mw_dequantize_row_q8_1(const void *vx, float *y, int64_t n)
{
    const block_q8_1 *x = vx;
    for (int64_t i = 0; i < n / QK8_1; i++, y += 32) {
        float d = FP16(x[i].d);
        for (int j = 0; j < 32; j++) y[j] = x[i].qs[j] * d;
    }
}

/* ---- dot products: per block an exact integer sum, scaled once in float ---- */

void mw_vec_dot_q4_0(int n, float *s, const void *vx, const void *vy)
{
    const block_q4_0 *x = vx;
    const block_q8_0 *y = vy;
    int q[32];
    float sum = 0;
    for (int i = 0; i < n / QK8_0; i++) {
        unpack_q4(x[i].qs, 8, q);
        sum += (float)dot_i8(q, y[i].qs) * (FP16(x[i].d) * FP16(y[i].d));
    }
    *s = sum;
}

void mw_vec_dot_q5_0(int n, float *s, const void *vx, const void *vy)
{
    const block_q5_0 *x = vx;
    const block_q8_0 *y = vy;
    int q[32];
    float sum = 0;
    for (int i = 0; i < n / QK8_0; i++) {
        unpack_q5(x[i].qs, x[i].qh, 16, q);
        sum += (float)dot_i8(q, y[i].qs) * (FP16(x[i].d) * FP16(y[i].d));
    }
    *s = sum;
}

/* x = d*q + m against y = dy*qy: sum = d*dy*sum(q*qy) + m*(dy*sum(qy)) = ... + m*s */
void mw_vec_dot_q4_1(int n, float *s, const void *vx, const void *vy)
{
    const block_q4_1 *x = vx;
    const block_q8_1 *y = vy;
    int q[32];
    float sum = 0;
    for (int i = 0; i < n / QK8_1; i++) {
        unpack_q4(x[i].qs, 0, q);
        sum += (float)dot_i8(q, y[i].qs) * (FP16(x[i].d) * FP16(y[i].d)) +
               FP16(x[i].m) * FP16(y[i].s);
    }
    *s = sum;
}

void mw_vec_dot_q5_1(int n, float *s, const void *vx, const void *vy)
{
    const block_q5_1 *x = vx;
    const block_q8_1 *y = vy;
    int q[32];
    float sum = 0;
    for (int i = 0; i < n / QK8_1; i++) {
        unpack_q5(x[i].qs, x[i].qh, 0, q);
        sum += (float)dot_i8(q, y[i].qs) * (FP16(x[i].d) * FP16(y[i].d)) +
               FP16(x[i].m) * FP16(y[i].s);
    }
    *s = sum;
}

void mw_vec_dot_q8_0(int n, float *s, const void *vx, const void *vy)
{
    const block_q8_0 *x = vx;
    const block_q8_0 *y = vy;
    float sum = 0;
    for (int i = 0; i < n / QK8_0; i++) {
        int isum = 0;
        for (int j = 0; j < 32; j++) isum += x[i].qs[j] * y[i].qs[j];
        sum += (float)isum * (FP16(x[i].d) * FP16(y[i].d));
    }
    *s = sum;
}

/* ---- activation quantizers: ggml-cpu/arch/x86/quants.c, AVX2 branch ---- */

/* One Q8 block as AVX2 quantize_row_q8_0/q8_1 make it: amax = max|x|, d = amax/127,
 * id = 127/amax (not 1/d: a different float), q = round-half-even(x*id) via _mm256_round_ps.
 * Returns d unrounded (q8_1's s uses it) and the sum of the quants. */
static float q8_block(const float *x, int8_t qs[32], int *qsum)
{
    float amax = 0;
    for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[j]));
    float d = amax / 127.f;
    float id = amax != 0.0f ? 127.f / amax : 0.0f;
    int sum = 0;
    for (int j = 0; j < 32; j++) {
        qs[j] = round_even_i8(x[j] * id);
        sum += qs[j];
    }
    *qsum = sum;
    return d;
}

void mw_quantize_row_q8_0(const float *x, void *vy, int64_t n)
{
    block_q8_0 *y = vy;
    int qsum;
    for (int64_t i = 0; i < n / QK8_0; i++, x += 32)
        y[i].d = mw_f32_to_fp16(q8_block(x, y[i].qs, &qsum));
}

void mw_quantize_row_q8_1(const float *x, void *vy, int64_t n)
{
    block_q8_1 *y = vy;
    int qsum;
    for (int64_t i = 0; i < n / QK8_1; i++, x += 32) {
        float d = q8_block(x, y[i].qs, &qsum);
        y[i].d = mw_f32_to_fp16(d);
        y[i].s = mw_f32_to_fp16(d * (float)qsum);   /* AVX2: d * hsum of the int quants */
    }
}

/* ---- weight quantizers: ggml-quants.c quantize_row_*_ref (what llama-quantize writes) ---- */

/* quantize_row_q8_0_ref: d = amax/127, id = 1/d, q = roundf (half away from zero). */
void mw_quantize_row_q8_0_ref(const float *x, void *vy, int64_t n)
{
    block_q8_0 *y = vy;
    for (int64_t i = 0; i < n / QK8_0; i++, x += 32) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[j]));
        float d = amax / 127.f;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = mw_f32_to_fp16(d);
        for (int j = 0; j < 32; j++) y[i].qs[j] = (int8_t)roundf(x[j] * id);
    }
}

/* The value of largest magnitude, with its sign (the _0 types map it to the -nmax end). */
static float signed_absmax(const float *x, int n)
{
    float amax = 0, max = 0;
    for (int j = 0; j < n; j++)
        if (amax < fabsf(x[j])) { amax = fabsf(x[j]); max = x[j]; }
    return max;
}

static void min_max(const float *x, int n, float *min, float *max)
{
    *min = INFINITY;
    *max = -INFINITY;
    for (int j = 0; j < n; j++) {
        if (x[j] < *min) *min = x[j];
        if (x[j] > *max) *max = x[j];
    }
}

/* Packs quants q (0..31) into nibbles and, for 5-bit types, the qh bit field. */
static void pack_q45(const int q[32], uint8_t qs[16], uint8_t qh[4])
{
    uint32_t h = 0;
    for (int j = 0; j < 16; j++) {
        qs[j] = (uint8_t)((q[j] & 0x0f) | ((q[j + 16] & 0x0f) << 4));
        h |= (uint32_t)((q[j] >> 4) & 1) << j;
        h |= (uint32_t)((q[j + 16] >> 4) & 1) << (j + 16);
    }
    if (qh) for (int b = 0; b < 4; b++) qh[b] = (uint8_t)(h >> (8 * b));
}

/* quantize_row_q4_0_ref / q5_0_ref: d = max/-nmax, q = MIN(qmax, (int8)(x/d + nmax + 0.5)). */
static void quantize_0(const float *x, int nmax, uint16_t *dh, int q[32])
{
    float max = signed_absmax(x, 32);
    float d = max / (float)-nmax;
    float id = d != 0.0f ? 1.0f / d : 0.0f;
    *dh = mw_f32_to_fp16(d);
    for (int j = 0; j < 32; j++) {
        int v = (int8_t)(x[j] * id + ((float)nmax + 0.5f));
        q[j] = MW_MIN(2 * nmax - 1, v);
    }
}

/* quantize_row_q4_1_ref / q5_1_ref: d = (max-min)/qmax, q = MIN(qmax, (int8)((x-min)/d + 0.5)). */
static void quantize_1(const float *x, int qmax, uint16_t *dh, uint16_t *mh, int q[32])
{
    float min, max;
    min_max(x, 32, &min, &max);
    float d = (max - min) / (float)qmax;
    float id = d != 0.0f ? 1.0f / d : 0.0f;
    *dh = mw_f32_to_fp16(d);
    *mh = mw_f32_to_fp16(min);
    for (int j = 0; j < 32; j++) {
        int v = (int8_t)((x[j] - min) * id + 0.5f);
        q[j] = MW_MIN(qmax, v);
    }
}

void mw_quantize_row_q4_0_ref(const float *x, void *vy, int64_t n)
{
    block_q4_0 *y = vy;
    int q[32];
    for (int64_t i = 0; i < n / QK4_0; i++, x += 32) {
        quantize_0(x, 8, &y[i].d, q);
        pack_q45(q, y[i].qs, NULL);
    }
}

void mw_quantize_row_q5_0_ref(const float *x, void *vy, int64_t n)
{
    block_q5_0 *y = vy;
    int q[32];
    for (int64_t i = 0; i < n / QK5_0; i++, x += 32) {
        quantize_0(x, 16, &y[i].d, q);
        pack_q45(q, y[i].qs, y[i].qh);
    }
}

void mw_quantize_row_q4_1_ref(const float *x, void *vy, int64_t n)
{
    block_q4_1 *y = vy;
    int q[32];
    for (int64_t i = 0; i < n / QK4_1; i++, x += 32) {
        quantize_1(x, 15, &y[i].d, &y[i].m, q);
        pack_q45(q, y[i].qs, NULL);
    }
}

void mw_quantize_row_q5_1_ref(const float *x, void *vy, int64_t n)
{
    block_q5_1 *y = vy;
    int q[32];
    for (int64_t i = 0; i < n / QK5_1; i++, x += 32) {
        quantize_1(x, 31, &y[i].d, &y[i].m, q);
        pack_q45(q, y[i].qs, y[i].qh);
    }
}
