/*
 * simd128_kquants.c — SIMD128 kernels of the K-quants: the dot products of Q2_K, Q3_K, Q4_K,
 * Q5_K, Q6_K against Q8_K, and the Q8_K activation quantizer. Per super-block the integer sums
 * (sum of scale * dot per group, sum of min * group sum of y) are exact and the float finish is
 * the scalar kq_dot's expression, so every result is bit-identical to the scalar reference.
 * No 4-row kernels here: sharing y's widening across four rows needs more live vectors than
 * x86's 16 registers, and under V8 they ran slower than four single-row calls (measured).
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

/* 16 int8 of y widened to two i16x8 */
typedef struct { v128_t lo, hi; } y16w;

SIMD_INLINE y16w widen16(const int8_t *y)
{
    v128_t v = wasm_v128_load(y);
    y16w w = { wasm_i16x8_extend_low_i8x16(v), wasm_i16x8_extend_high_i8x16(v) };
    return w;
}

/* acc += sc * dot(q, y) over one group of 16 values, y widened */
SIMD_INLINE v128_t group16w(v128_t acc, v128_t q, y16w y, int sc)
{
    v128_t dot = wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(q), y.lo),
                                wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(q), y.hi));
    return wasm_i32x4_add(acc, wasm_i32x4_mul(dot, wasm_i32x4_splat(sc)));
}

/* acc += sc * dot(q, y) over one group of 32 values (q0: first 16, q1: next 16), y widened */
SIMD_INLINE v128_t group32w(v128_t acc, v128_t q0, v128_t q1, y16w y0, y16w y1, int sc)
{
    v128_t dot = wasm_i32x4_add(
        wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(q0), y0.lo),
                       wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(q0), y0.hi)),
        wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(q1), y1.lo),
                       wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(q1), y1.hi)));
    return wasm_i32x4_add(acc, wasm_i32x4_mul(dot, wasm_i32x4_splat(sc)));
}

static inline v128_t group16(v128_t acc, v128_t q, const int8_t *y, int sc)
{
    return group16w(acc, q, widen16(y), sc);
}

/* 16 where bit `bit` of each byte of h is set, else 0 (the 5th bit of Q5_K) */
SIMD_INLINE v128_t bit_to(v128_t h, int bit, int8_t value)
{
    const v128_t b = wasm_i8x16_splat((int8_t)(1 << bit));
    return wasm_v128_and(wasm_i8x16_eq(wasm_v128_and(h, b), b), wasm_i8x16_splat(value));
}

/* ---- Q4_K / Q5_K: groups of 32, 6-bit scales and mins; qh NULL for Q4_K ---- */

/* The 8 scales and 8 mins of the 12-byte field as bytes, all at once (get_scale_min_k4 for
 * j = 0..7): scales j < 4 and mins j < 4 are the low 6 bits of bytes j and j+4; for j >= 4
 * the low 4 bits come from byte j+4 and the top 2 from bytes j-4 (scale) and j (min). */
SIMD_INLINE void scale_min_k4_all(const uint8_t s[12], uint8_t sc[8], uint8_t m[8])
{
    uint32_t u[3];
    memcpy(u, s, 12);
    const uint32_t m6 = 0x3f3f3f3f, m4 = 0x0f0f0f0f, m2 = 0x03030303;
    uint32_t sc_lo = u[0] & m6, m_lo = u[1] & m6;
    uint32_t sc_hi = (u[2] & m4) | (((u[0] >> 6) & m2) << 4);
    uint32_t m_hi = ((u[2] >> 4) & m4) | (((u[1] >> 6) & m2) << 4);
    memcpy(sc, &sc_lo, 4);
    memcpy(sc + 4, &sc_hi, 4);
    memcpy(m, &m_lo, 4);
    memcpy(m + 4, &m_hi, 4);
}

/* sum over 8 groups of 32 of min * (sum of the group's y): bsums pairs, exact */
SIMD_INLINE int32_t mins_dot(const uint8_t m[8], const int16_t bsums[16])
{
    v128_t b0 = wasm_v128_load(bsums), b1 = wasm_v128_load(bsums + 8);
    /* group sums fit i16 (|sum of 32 int8| <= 4096) */
    v128_t ys = wasm_i16x8_narrow_i32x4(wasm_i32x4_extadd_pairwise_i16x8(b0),
                                        wasm_i32x4_extadd_pairwise_i16x8(b1));
    v128_t m16 = wasm_u16x8_load8x8(m);
    return simd_hsum_i32(wasm_i32x4_dot_i16x8(ys, m16));
}

/* The 64 values 64j..64j+63 of Q4_K/Q5_K (32 bytes of nibbles, + the qh bits 2j, 2j+1 in
 * h0/h1 for Q5_K) against y widened (w[0..1]: values of the low nibbles, w[2..3]: high). */
SIMD_INLINE v128_t q45_K_stretch(v128_t acc, const uint8_t *qs, v128_t h0, v128_t h1, int bit,
                                   int with_qh, const y16w w[4], int sc_lo, int sc_hi)
{
    const v128_t m4 = wasm_i8x16_splat(0x0f);
    v128_t q0 = wasm_v128_load(qs), q1 = wasm_v128_load(qs + 16);
    v128_t lo0 = wasm_v128_and(q0, m4), lo1 = wasm_v128_and(q1, m4);
    v128_t hi0 = simd_hi_nibbles(q0), hi1 = simd_hi_nibbles(q1);
    if (with_qh) {
        lo0 = wasm_v128_or(lo0, bit_to(h0, bit, 16));
        lo1 = wasm_v128_or(lo1, bit_to(h1, bit, 16));
        hi0 = wasm_v128_or(hi0, bit_to(h0, bit + 1, 16));
        hi1 = wasm_v128_or(hi1, bit_to(h1, bit + 1, 16));
    }
    acc = group32w(acc, lo0, lo1, w[0], w[1], sc_lo);
    return group32w(acc, hi0, hi1, w[2], w[3], sc_hi);
}

SIMD_INLINE void widen64(const int8_t *y, y16w w[4])
{
    SIMD_UNROLL
    for (int k = 0; k < 4; k++) w[k] = widen16(y + 16 * k);
}

/* One Q4_K/Q5_K super-block's integer sums: sumi (scales x dots), summ (mins x group sums). */
SIMD_INLINE void q45_K_sums(const uint8_t *scales, const uint8_t *qs, const uint8_t *qh,
                              const block_q8_K *y, int32_t *sumi, int32_t *summ)
{
    uint8_t sc[8], m[8];
    scale_min_k4_all(scales, sc, m);
    *summ = mins_dot(m, y->bsums);
    const int with_qh = qh != NULL;
    v128_t h0 = wasm_i32x4_splat(0), h1 = h0;
    if (with_qh) {
        h0 = wasm_v128_load(qh);
        h1 = wasm_v128_load(qh + 16);
    }
    v128_t acc = wasm_i32x4_splat(0);
    y16w w[4];
    SIMD_UNROLL
    for (int j = 0; j < 4; j++) {
        widen64(y->qs + 64 * j, w);
        acc = q45_K_stretch(acc, qs + 32 * j, h0, h1, 2 * j, with_qh, w, sc[2 * j], sc[2 * j + 1]);
    }
    *sumi = simd_hsum_i32(acc);
}

static void vec_dot_q4_K(int n, float *s, const void *vx, const void *vy)
{
    const block_q4_K *x = vx;
    const block_q8_K *y = vy;
    float sum = 0.0f;
    int32_t sumi, summ;
    for (int i = 0; i < n / QK_K; i++) {
        q45_K_sums(x[i].scales, x[i].qs, NULL, &y[i], &sumi, &summ);
        sum += finish(FP16(x[i].d), FP16(x[i].dmin), y[i].d, sumi, summ);
    }
    *s = sum;
}

static void vec_dot_q5_K(int n, float *s, const void *vx, const void *vy)
{
    const block_q5_K *x = vx;
    const block_q8_K *y = vy;
    float sum = 0.0f;
    int32_t sumi, summ;
    for (int i = 0; i < n / QK_K; i++) {
        q45_K_sums(x[i].scales, x[i].qs, x[i].qh, &y[i], &sumi, &summ);
        sum += finish(FP16(x[i].d), FP16(x[i].dmin), y[i].d, sumi, summ);
    }
    *s = sum;
}

/* ---- Q6_K: groups of 16, signed 8-bit scales, q = (4 low | 2 high bits) - 32 ----
 * The quants are used as stored (0..63) and the -32 is applied once per super-block:
 * sum_g sc_g*dot(q-32, y_g) = sum_g sc_g*dot(q, y_g) - 32*sum_g sc_g*bsum_g (exact). */

/* The 128 values of half c of one Q6_K block against y widened (w[8]: 16 values each). */
SIMD_INLINE v128_t q6_K_half(v128_t acc, const block_q6_K *x, int c, const y16w w[8])
{
    const v128_t m4 = wasm_i8x16_splat(0x0f), m30 = wasm_i8x16_splat(0x30);
    const uint8_t *ql = x->ql + 64 * c, *qh = x->qh + 32 * c;
    const int8_t *sc = x->scales + 8 * c;
    v128_t l0 = wasm_v128_load(ql), l1 = wasm_v128_load(ql + 16);
    v128_t l2 = wasm_v128_load(ql + 32), l3 = wasm_v128_load(ql + 48);
    v128_t h0 = wasm_v128_load(qh), h1 = wasm_v128_load(qh + 16);
    /* quarter k (32 values, groups 2k, 2k+1): low nibbles of l0,l1 (k=0) / l2,l3 (k=1), high
     * nibbles (k=2, 3); high bits 2k..2k+1 of h moved to bits 4..5 (16-bit shifts, masked) */
    acc = group16w(acc, wasm_v128_or(wasm_v128_and(l0, m4), wasm_v128_and(wasm_i16x8_shl(h0, 4), m30)), w[0], sc[0]);
    acc = group16w(acc, wasm_v128_or(wasm_v128_and(l1, m4), wasm_v128_and(wasm_i16x8_shl(h1, 4), m30)), w[1], sc[1]);
    acc = group16w(acc, wasm_v128_or(wasm_v128_and(l2, m4), wasm_v128_and(wasm_i16x8_shl(h0, 2), m30)), w[2], sc[2]);
    acc = group16w(acc, wasm_v128_or(wasm_v128_and(l3, m4), wasm_v128_and(wasm_i16x8_shl(h1, 2), m30)), w[3], sc[3]);
    acc = group16w(acc, wasm_v128_or(simd_hi_nibbles(l0), wasm_v128_and(h0, m30)), w[4], sc[4]);
    acc = group16w(acc, wasm_v128_or(simd_hi_nibbles(l1), wasm_v128_and(h1, m30)), w[5], sc[5]);
    acc = group16w(acc, wasm_v128_or(simd_hi_nibbles(l2), wasm_v128_and(wasm_u16x8_shr(h0, 2), m30)), w[6], sc[6]);
    acc = group16w(acc, wasm_v128_or(simd_hi_nibbles(l3), wasm_v128_and(wasm_u16x8_shr(h1, 2), m30)), w[7], sc[7]);
    return acc;
}

/* sumi of one Q6_K block with the -32 correction (32 * sum_g sc_g * bsum_g) */
SIMD_INLINE int32_t q6_K_fix(v128_t acc, const block_q6_K *x, const block_q8_K *y)
{
    v128_t sc16 = wasm_v128_load(x->scales);
    v128_t corr = wasm_i32x4_add(
        wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(sc16), wasm_v128_load(y->bsums)),
        wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(sc16), wasm_v128_load(y->bsums + 8)));
    return simd_hsum_i32(acc) - 32 * simd_hsum_i32(corr);
}

static void vec_dot_q6_K(int n, float *s, const void *vx, const void *vy)
{
    const block_q6_K *x = vx;
    const block_q8_K *y = vy;
    float sum = 0.0f;
    y16w w[8];
    for (int i = 0; i < n / QK_K; i++) {
        v128_t acc = wasm_i32x4_splat(0);
        for (int c = 0; c < 2; c++) {
            for (int k = 0; k < 8; k++) w[k] = widen16(y[i].qs + 128 * c + 16 * k);
            acc = q6_K_half(acc, &x[i], c, w);
        }
        sum += finish_nomin(FP16(x[i].d), y[i].d, q6_K_fix(acc, &x[i], &y[i]));
    }
    *s = sum;
}

/* ---- Q2_K / Q3_K: 2-bit quants four to a byte, groups of 16 ----
 * Value 128c + 32j + 16h + l is bits 2j of qs[32c + 16h + l]: for each c two vectors, each
 * shifted by 2j gives one group of 16 (group 8c + 2j + h). */

static inline v128_t crumbs(v128_t q, int j)    /* bits 2j..2j+1 of each byte, 0..3 */
{
    return wasm_v128_and(wasm_u16x8_shr(q, 2 * j), wasm_i8x16_splat(3));
}

static inline v128_t q2_K_pair(v128_t acc, v128_t q0, v128_t q1, int j, const int8_t *yq, const uint8_t *scales)
{
    acc = group16(acc, crumbs(q0, j), yq, scales[0] & 0x0f);
    return group16(acc, crumbs(q1, j), yq + 16, scales[1] & 0x0f);
}

static inline float q2_K_block(const block_q2_K *x, const block_q8_K *y)
{
    /* sum_g min_g * bsum_g (mins: high nibbles of the 16 scale bytes) */
    v128_t mins = simd_hi_nibbles(wasm_v128_load(x->scales));
    v128_t summ4 = wasm_i32x4_add(
        wasm_i32x4_dot_i16x8(wasm_u16x8_extend_low_u8x16(mins), wasm_v128_load(y->bsums)),
        wasm_i32x4_dot_i16x8(wasm_u16x8_extend_high_u8x16(mins), wasm_v128_load(y->bsums + 8)));
    v128_t acc = wasm_i32x4_splat(0);
    for (int c = 0; c < 2; c++) {
        v128_t q0 = wasm_v128_load(x->qs + 32 * c), q1 = wasm_v128_load(x->qs + 32 * c + 16);
        const int8_t *yq = y->qs + 128 * c;
        const uint8_t *sc = x->scales + 8 * c;
        acc = q2_K_pair(acc, q0, q1, 0, yq, sc);
        acc = q2_K_pair(acc, q0, q1, 1, yq + 32, sc + 2);
        acc = q2_K_pair(acc, q0, q1, 2, yq + 64, sc + 4);
        acc = q2_K_pair(acc, q0, q1, 3, yq + 96, sc + 6);
    }
    return finish(FP16(x->d), FP16(x->dmin), y->d, simd_hsum_i32(acc), simd_hsum_i32(summ4));
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

/* As Q2_K plus the high bit: bit 4c + j of hmask[16h + l]; clear means minus 4
 * (4 & ~mask-of-set-bits). */
static inline v128_t q3_K_pair(v128_t acc, v128_t q0, v128_t q1, v128_t hm0, v128_t hm1, int c,
                               int j, const int8_t *yq, const int *sc)
{
    const v128_t four = wasm_i8x16_splat(4);
    v128_t a = wasm_i8x16_sub(crumbs(q0, j), wasm_v128_andnot(four, bit_to(hm0, 4 * c + j, -1)));
    v128_t b = wasm_i8x16_sub(crumbs(q1, j), wasm_v128_andnot(four, bit_to(hm1, 4 * c + j, -1)));
    acc = group16(acc, a, yq, sc[0]);
    return group16(acc, b, yq + 16, sc[1]);
}

static inline float q3_K_block(const block_q3_K *x, const block_q8_K *y)
{
    int sc[16];
    q3_K_scales(x->scales, sc);
    const v128_t hm0 = wasm_v128_load(x->hmask), hm1 = wasm_v128_load(x->hmask + 16);
    v128_t acc = wasm_i32x4_splat(0);
    for (int c = 0; c < 2; c++) {
        v128_t q0 = wasm_v128_load(x->qs + 32 * c), q1 = wasm_v128_load(x->qs + 32 * c + 16);
        const int8_t *yq = y->qs + 128 * c;
        acc = q3_K_pair(acc, q0, q1, hm0, hm1, c, 0, yq, sc + 8 * c);
        acc = q3_K_pair(acc, q0, q1, hm0, hm1, c, 1, yq + 32, sc + 8 * c + 2);
        acc = q3_K_pair(acc, q0, q1, hm0, hm1, c, 2, yq + 64, sc + 8 * c + 4);
        acc = q3_K_pair(acc, q0, q1, hm0, hm1, c, 3, yq + 96, sc + 8 * c + 6);
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
