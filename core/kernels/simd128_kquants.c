/*
 * simd128_kquants.c — SIMD128 kernels of the K-quants: the dot products of Q2_K, Q3_K, Q4_K,
 * Q5_K, Q6_K against Q8_K, and the Q8_K activation quantizer. Per super-block the integer sums
 * (sum of scale * dot per group, sum of min * group sum of y) are exact and the float finish is
 * the scalar kq_dot's expression, so every result is bit-identical to the scalar reference.
 * Bit layouts: see quant/kquants_q*.c (each unpack there is the readable version of these).
 */
#if defined(__wasm_simd128__) || defined(MW_SIMDE)

#include <math.h>

#include "kernels/simd128.h"
#include "quant/kquants.h"

/* kq_dot's float finish: d*yd*sumi - dmin*yd*summ, in that order (bit-equal results). */
static inline float finish(float d, float dmin, float yd, int32_t sumi, int32_t summ)
{
    float r = d * yd * (float)sumi;
    return r - dmin * yd * (float)summ;
}

static inline float finish_nomin(float d, float yd, int32_t sumi)
{
    return d * yd * (float)sumi;
}

/* acc += sc * dot(q, y) over one group of 16 values */
static inline v128_t group16(v128_t acc, v128_t q, const int8_t *y, int sc)
{
    return wasm_i32x4_add(acc, wasm_i32x4_mul(simd_dot_i8x16(q, wasm_v128_load(y)), wasm_i32x4_splat(sc)));
}

/* acc += sc * dot(q, y) over one group of 32 values (q0: first 16, q1: next 16) */
static inline v128_t group32(v128_t acc, v128_t q0, v128_t q1, const int8_t *y, int sc)
{
    v128_t dot = wasm_i32x4_add(simd_dot_i8x16(q0, wasm_v128_load(y)),
                                simd_dot_i8x16(q1, wasm_v128_load(y + 16)));
    return wasm_i32x4_add(acc, wasm_i32x4_mul(dot, wasm_i32x4_splat(sc)));
}

/* 16 where bit `bit` of each byte of h is set, else 0 (the 5th bit of Q5_K) */
static inline v128_t bit_to(v128_t h, int bit, int8_t value)
{
    const v128_t b = wasm_i8x16_splat((int8_t)(1 << bit));
    return wasm_v128_and(wasm_i8x16_eq(wasm_v128_and(h, b), b), wasm_i8x16_splat(value));
}

/* ---- Q4_K / Q5_K: groups of 32, 6-bit scales and mins; qh NULL for Q4_K ---- */

static inline float q45_K_block(uint16_t dh, uint16_t dminh, const uint8_t *scales,
                                const uint8_t *qs, const uint8_t *qh, const block_q8_K *y)
{
    int sc[8], m[8];
    for (int g = 0; g < 8; g++) get_scale_min_k4(g, scales, &sc[g], &m[g]);
    int32_t summ = 0;
    for (int g = 0; g < 8; g++) summ += m[g] * (y->bsums[2 * g] + y->bsums[2 * g + 1]);

    const v128_t m4 = wasm_i8x16_splat(0x0f);
    v128_t h0 = wasm_i32x4_splat(0), h1 = h0;
    if (qh) {
        h0 = wasm_v128_load(qh);
        h1 = wasm_v128_load(qh + 16);
    }
    v128_t acc = wasm_i32x4_splat(0);
    for (int j = 0; j < 4; j++) {   /* values 64j..64j+63: low nibbles, then high nibbles */
        v128_t q0 = wasm_v128_load(qs + 32 * j), q1 = wasm_v128_load(qs + 32 * j + 16);
        v128_t lo0 = wasm_v128_and(q0, m4), lo1 = wasm_v128_and(q1, m4);
        v128_t hi0 = wasm_u8x16_shr(q0, 4), hi1 = wasm_u8x16_shr(q1, 4);
        if (qh) {
            lo0 = wasm_v128_or(lo0, bit_to(h0, 2 * j, 16));
            lo1 = wasm_v128_or(lo1, bit_to(h1, 2 * j, 16));
            hi0 = wasm_v128_or(hi0, bit_to(h0, 2 * j + 1, 16));
            hi1 = wasm_v128_or(hi1, bit_to(h1, 2 * j + 1, 16));
        }
        acc = group32(acc, lo0, lo1, y->qs + 64 * j, sc[2 * j]);
        acc = group32(acc, hi0, hi1, y->qs + 64 * j + 32, sc[2 * j + 1]);
    }
    return finish(FP16(dh), FP16(dminh), y->d, simd_hsum_i32(acc), summ);
}

static void vec_dot_q4_K(int n, float *s, const void *vx, const void *vy)
{
    const block_q4_K *x = vx;
    const block_q8_K *y = vy;
    float sum = 0.0f;
    for (int i = 0; i < n / QK_K; i++)
        sum += q45_K_block(x[i].d, x[i].dmin, x[i].scales, x[i].qs, NULL, &y[i]);
    *s = sum;
}

static void vec_dot_q5_K(int n, float *s, const void *vx, const void *vy)
{
    const block_q5_K *x = vx;
    const block_q8_K *y = vy;
    float sum = 0.0f;
    for (int i = 0; i < n / QK_K; i++)
        sum += q45_K_block(x[i].d, x[i].dmin, x[i].scales, x[i].qs, x[i].qh, &y[i]);
    *s = sum;
}

/* ---- Q6_K: groups of 16, signed 8-bit scales, q = (4 low | 2 high bits) - 32 ---- */

static inline float q6_K_block(const block_q6_K *x, const block_q8_K *y)
{
    const v128_t m4 = wasm_i8x16_splat(0x0f), m2 = wasm_i8x16_splat(3);
    const v128_t off = wasm_i8x16_splat(32);
    v128_t acc = wasm_i32x4_splat(0);
    for (int c = 0; c < 2; c++) {       /* values 128c..128c+127 */
        const uint8_t *ql = x->ql + 64 * c, *qh = x->qh + 32 * c;
        const int8_t *yq = y->qs + 128 * c;
        const int8_t *sc = x->scales + 8 * c;
        v128_t l0 = wasm_v128_load(ql), l1 = wasm_v128_load(ql + 16);
        v128_t l2 = wasm_v128_load(ql + 32), l3 = wasm_v128_load(ql + 48);
        v128_t h0 = wasm_v128_load(qh), h1 = wasm_v128_load(qh + 16);
        /* k = 0..3 picks 32 values: low nibbles of l0,l1 / l2,l3, then high nibbles; bits 2k */
        for (int k = 0; k < 4; k++) {
            v128_t a = k & 1 ? l2 : l0, b = k & 1 ? l3 : l1;
            if (k < 2) {
                a = wasm_v128_and(a, m4);
                b = wasm_v128_and(b, m4);
            } else {
                a = wasm_u8x16_shr(a, 4);
                b = wasm_u8x16_shr(b, 4);
            }
            v128_t ha = wasm_v128_and(wasm_u8x16_shr(h0, 2 * k), m2);
            v128_t hb = wasm_v128_and(wasm_u8x16_shr(h1, 2 * k), m2);
            v128_t q0 = wasm_i8x16_sub(wasm_v128_or(a, wasm_i8x16_shl(ha, 4)), off);
            v128_t q1 = wasm_i8x16_sub(wasm_v128_or(b, wasm_i8x16_shl(hb, 4)), off);
            acc = group16(acc, q0, yq + 32 * k, sc[2 * k]);
            acc = group16(acc, q1, yq + 32 * k + 16, sc[2 * k + 1]);
        }
    }
    return finish_nomin(FP16(x->d), y->d, simd_hsum_i32(acc));
}

static void vec_dot_q6_K(int n, float *s, const void *vx, const void *vy)
{
    const block_q6_K *x = vx;
    const block_q8_K *y = vy;
    float sum = 0.0f;
    for (int i = 0; i < n / QK_K; i++) sum += q6_K_block(&x[i], &y[i]);
    *s = sum;
}

/* ---- Q2_K / Q3_K: 2-bit quants four to a byte, groups of 16 ---- */

/* Value 128c + 32j + 16h + l is bits 2j of qs[32c + 16h + l]: for each c two vectors, each
 * shifted by 2j gives one group of 16 (group 8c + 2j + h). */
static inline float q2_K_block(const block_q2_K *x, const block_q8_K *y)
{
    int32_t summ = 0;
    for (int g = 0; g < 16; g++) summ += (x->scales[g] >> 4) * y->bsums[g];
    const v128_t m2 = wasm_i8x16_splat(3);
    v128_t acc = wasm_i32x4_splat(0);
    for (int c = 0; c < 2; c++) {
        v128_t q0 = wasm_v128_load(x->qs + 32 * c), q1 = wasm_v128_load(x->qs + 32 * c + 16);
        for (int j = 0; j < 4; j++) {
            const int g = 8 * c + 2 * j;
            const int8_t *yq = y->qs + 128 * c + 32 * j;
            acc = group16(acc, wasm_v128_and(wasm_u8x16_shr(q0, 2 * j), m2), yq, x->scales[g] & 0x0f);
            acc = group16(acc, wasm_v128_and(wasm_u8x16_shr(q1, 2 * j), m2), yq + 16, x->scales[g + 1] & 0x0f);
        }
    }
    return finish(FP16(x->d), FP16(x->dmin), y->d, simd_hsum_i32(acc), summ);
}

static void vec_dot_q2_K(int n, float *s, const void *vx, const void *vy)
{
    const block_q2_K *x = vx;
    const block_q8_K *y = vy;
    float sum = 0.0f;
    for (int i = 0; i < n / QK_K; i++) sum += q2_K_block(&x[i], &y[i]);
    *s = sum;
}

/* The 16 6-bit Q3_K scales (biased by 32): low 4 bits in bytes 0..7 (scales 8..15 in the high
 * nibbles), high 2 bits in bytes 8..11. The same as quant/kquants_q2q3.c's q3_K_scale. */
static inline void q3_K_scales(const uint8_t s[12], int sc[16])
{
    for (int g = 0; g < 16; g++) {
        int lo = g < 8 ? s[g] & 0x0f : s[g - 8] >> 4;
        int hi = (s[8 + g % 4] >> (2 * (g / 4))) & 3;
        sc[g] = (lo | (hi << 4)) - 32;
    }
}

/* As Q2_K plus the high bit: bit 4c + j of hmask[16h + l]; clear means minus 4. */
static inline float q3_K_block(const block_q3_K *x, const block_q8_K *y)
{
    int sc[16];
    q3_K_scales(x->scales, sc);
    const v128_t m2 = wasm_i8x16_splat(3);
    const v128_t hm0 = wasm_v128_load(x->hmask), hm1 = wasm_v128_load(x->hmask + 16);
    v128_t acc = wasm_i32x4_splat(0);
    for (int c = 0; c < 2; c++) {
        v128_t q0 = wasm_v128_load(x->qs + 32 * c), q1 = wasm_v128_load(x->qs + 32 * c + 16);
        for (int j = 0; j < 4; j++) {
            const int g = 8 * c + 2 * j;
            const int8_t *yq = y->qs + 128 * c + 32 * j;
            v128_t a = wasm_v128_and(wasm_u8x16_shr(q0, 2 * j), m2);
            v128_t b = wasm_v128_and(wasm_u8x16_shr(q1, 2 * j), m2);
            /* 4 where the high bit is clear: (bit set ? 0 : 4) = 4 & ~mask */
            const v128_t four = wasm_i8x16_splat(4);
            a = wasm_i8x16_sub(a, wasm_v128_andnot(four, bit_to(hm0, 4 * c + j, -1)));
            b = wasm_i8x16_sub(b, wasm_v128_andnot(four, bit_to(hm1, 4 * c + j, -1)));
            acc = group16(acc, a, yq, sc[g]);
            acc = group16(acc, b, yq + 16, sc[g + 1]);
        }
    }
    return finish_nomin(FP16(x->d), y->d, simd_hsum_i32(acc));
}

static void vec_dot_q3_K(int n, float *s, const void *vx, const void *vy)
{
    const block_q3_K *x = vx;
    const block_q8_K *y = vy;
    float sum = 0.0f;
    for (int i = 0; i < n / QK_K; i++) sum += q3_K_block(&x[i], &y[i]);
    *s = sum;
}

/* ---- Q8_K activation quantizer: byte-identical to mw_quantize_row_q8_K ---- */

/* max = the first value of largest |x| (sign kept), iscale = -127/max, q = (int8)MIN(127,
 * nearest_int(iscale*x)), d = 1/iscale, bsums per 16; an all-zero block is all zeros.
 * nearest_int's own trick (add 1.5*2^23, keep the mantissa bits) runs lane-wise, and the int8
 * store keeps the low byte as the scalar cast does, so even blocks whose scale overflows
 * (subnormal inputs: iscale = -inf) or holds NaN come out byte-identical. */
static void quantize_row_q8_K(const float *x, void *vy, int64_t n)
{
    block_q8_K *y = vy;
    const v128_t magic = wasm_f32x4_splat(12582912.f), mant = wasm_i32x4_splat(0x007fffff);
    const v128_t bias = wasm_i32x4_splat(0x00400000), q_max = wasm_i32x4_splat(127);
    const v128_t low_byte = wasm_i32x4_splat(0xff), ones = wasm_i8x16_splat(1);
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        v128_t amax4 = wasm_f32x4_splat(0.0f);
        for (int j = 0; j < QK_K; j += 4)
            amax4 = wasm_f32x4_pmax(amax4, wasm_f32x4_abs(wasm_v128_load(x + j)));
        const float amax = simd_hmax_f32(amax4);
        if (amax == 0) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        int first = 0;
        while (fabsf(x[first]) != amax) first++;
        const float iscale = -127.f / x[first];
        const v128_t vscale = wasm_f32x4_splat(iscale);
        for (int j = 0; j < QK_K; j += 16) {
            v128_t q32[4];
            for (int k = 0; k < 4; k++) {
                v128_t t = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(x + j + 4 * k), vscale), magic);
                v128_t v = wasm_i32x4_sub(wasm_v128_and(t, mant), bias);
                q32[k] = wasm_v128_and(wasm_i32x4_min(v, q_max), low_byte);   /* 0..255 */
            }
            /* values 0..255 pass both saturating narrows unchanged: the low bytes */
            v128_t q16a = wasm_i16x8_narrow_i32x4(q32[0], q32[1]);
            v128_t q16b = wasm_i16x8_narrow_i32x4(q32[2], q32[3]);
            v128_t q8 = wasm_u8x16_narrow_i16x8(q16a, q16b);
            wasm_v128_store(y[i].qs + j, q8);
            y[i].bsums[j / 16] = (int16_t)simd_hsum_i32(simd_dot_i8x16(q8, ones));
        }
        y[i].d = 1 / iscale;
    }
}

void mw_simd128_fill_kquants(mw_kernels *k, const mw_kernels *scalar)
{
    (void)scalar;
    k->vec_dot[MW_TYPE_Q2_K] = vec_dot_q2_K;
    k->vec_dot[MW_TYPE_Q3_K] = vec_dot_q3_K;
    k->vec_dot[MW_TYPE_Q4_K] = vec_dot_q4_K;
    k->vec_dot[MW_TYPE_Q5_K] = vec_dot_q5_K;
    k->vec_dot[MW_TYPE_Q6_K] = vec_dot_q6_K;
    k->quantize_row[MW_TYPE_Q8_K] = quantize_row_q8_K;
}

#endif
