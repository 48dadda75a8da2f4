/*
 * simd128_kquants.c — SIMD128 kernels of the K-quants: the dot products of Q2_K, Q3_K, Q4_K,
 * Q5_K, Q6_K against Q8_K, and the Q8_K activation quantizer. Per super-block the integer sums
 * (sum of scale * dot per group, sum of min * group sum of y) are exact and the float finish is
 * the scalar kq_dot's expression, so every result is bit-identical to the scalar reference.
 * No multi-row kernels: every K-quant vec_dot_4rows / vec_dot_4cols variant tried (sharing y's
 * widening across rows, or x's unpacking across tokens, even without widening) was faster in
 * cache but no faster or slower once the weights stream from L3/DRAM, under V8 (Node 20) and
 * natively: the extra live vectors cost more than the shared work saves (measured).
 * Bit layouts: see quant/kquants_q*.c (each unpack there is the readable version of these).
 */
#if defined(__wasm_simd128__) || defined(MW_SIMDE)

#include <math.h>

#include "kernels/simd128.h"
#include "quant/quant_util.h"

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

/* 16 quants (i8x16) widened to two i16x8: the x side of a dot */
typedef struct { v128_t lo, hi; } x16w;

SIMD_INLINE x16w widen_q(v128_t q)
{
    x16w w = { wasm_i16x8_extend_low_i8x16(q), wasm_i16x8_extend_high_i8x16(q) };
    return w;
}

/* dot of 16 widened quants with 16 int8 of y, as i32x4 partial sums */
SIMD_INLINE v128_t dot16x(x16w x, const int8_t *y)
{
    v128_t v = wasm_v128_load(y);
    return wasm_i32x4_add(wasm_i32x4_dot_i16x8(x.lo, wasm_i16x8_extend_low_i8x16(v)),
                          wasm_i32x4_dot_i16x8(x.hi, wasm_i16x8_extend_high_i8x16(v)));
}

/* acc += sc * dot over one group of 32 (x0, x1: its two halves) */
SIMD_INLINE v128_t group32x(v128_t acc, x16w x0, x16w x1, const int8_t *y, int sc)
{
    v128_t dot = wasm_i32x4_add(dot16x(x0, y), dot16x(x1, y + 16));
    return wasm_i32x4_add(acc, wasm_i32x4_mul(dot, wasm_i32x4_splat(sc)));
}

/* acc += sc * dot over one group of 16 */
SIMD_INLINE v128_t group16x(v128_t acc, x16w x, const int8_t *y, int sc)
{
    return wasm_i32x4_add(acc, wasm_i32x4_mul(dot16x(x, y), wasm_i32x4_splat(sc)));
}

/* acc += sc * dot over one group of 16 quants given as i8x16 (Q2_K, Q3_K) */
SIMD_INLINE v128_t group16(v128_t acc, v128_t q, const int8_t *y, int sc)
{
    return group16x(acc, widen_q(q), y, sc);
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

/* One group of Q4_K/Q5_K, widened: the 32 quants of bytes qs[0..31], low nibbles (high = 0,
 * group 2j) or high nibbles (high = 1, group 2j+1), + for Q5_K bit 2j+high of qh (h0, h1). */
SIMD_INLINE void q45_K_group(const uint8_t *qs, v128_t h0, v128_t h1, int bit, int with_qh,
                             int high, x16w q[2])
{
    v128_t q0 = wasm_v128_load(qs), q1 = wasm_v128_load(qs + 16);
    if (high) {
        q0 = simd_hi_nibbles(q0);
        q1 = simd_hi_nibbles(q1);
    } else {
        q0 = wasm_v128_and(q0, wasm_i8x16_splat(0x0f));
        q1 = wasm_v128_and(q1, wasm_i8x16_splat(0x0f));
    }
    if (with_qh) {
        q0 = wasm_v128_or(q0, bit_to(h0, bit, 16));
        q1 = wasm_v128_or(q1, bit_to(h1, bit, 16));
    }
    q[0] = widen_q(q0);
    q[1] = widen_q(q1);
}

/* One Q4_K/Q5_K super-block (scales, qs, qh or NULL) against y: the exact integer sums sumi
 * (scales x dots) and summ (mins x group sums of y). */
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
    x16w q[2];
    SIMD_UNROLL
    for (int g = 0; g < 8; g++) {   /* group g: bytes 32*(g/2).., nibble g%2, qh bit g */
        q45_K_group(qs + 32 * (g / 2), h0, h1, g, with_qh, g % 2, q);
        acc = group32x(acc, q[0], q[1], y->qs + 32 * g, sc[g]);
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

/* Quarter k (0..3) of half c of a Q6_K block: 32 quants (groups 8c+2k, 8c+2k+1), widened.
 * Low 4 bits: low nibbles of ql bytes 0..31 (k=0) / 32..63 (k=1), high nibbles (k=2, 3);
 * high 2 bits: bits 2k..2k+1 of qh, moved to bits 4..5 (16-bit shifts, masked per byte). */
SIMD_INLINE void q6_K_unpack(const uint8_t *ql, const uint8_t *qh, int k, x16w q[2])
{
    const v128_t m4 = wasm_i8x16_splat(0x0f), m30 = wasm_i8x16_splat(0x30);
    v128_t l0 = wasm_v128_load(ql + 32 * (k & 1)), l1 = wasm_v128_load(ql + 32 * (k & 1) + 16);
    v128_t h0 = wasm_v128_load(qh), h1 = wasm_v128_load(qh + 16);
    if (k < 2) {
        l0 = wasm_v128_and(l0, m4);
        l1 = wasm_v128_and(l1, m4);
    } else {
        l0 = simd_hi_nibbles(l0);
        l1 = simd_hi_nibbles(l1);
    }
    if (k == 0) {
        h0 = wasm_i16x8_shl(h0, 4);
        h1 = wasm_i16x8_shl(h1, 4);
    } else if (k == 1) {
        h0 = wasm_i16x8_shl(h0, 2);
        h1 = wasm_i16x8_shl(h1, 2);
    } else if (k == 3) {
        h0 = wasm_u16x8_shr(h0, 2);
        h1 = wasm_u16x8_shr(h1, 2);
    }
    q[0] = widen_q(wasm_v128_or(l0, wasm_v128_and(h0, m30)));
    q[1] = widen_q(wasm_v128_or(l1, wasm_v128_and(h1, m30)));
}

/* 32 * sum_g sc_g * bsum_g: the -32 of every quant, applied once */
SIMD_INLINE int32_t q6_K_offset(const int8_t *scales, const block_q8_K *y)
{
    v128_t sc16 = wasm_v128_load(scales);
    v128_t corr = wasm_i32x4_add(
        wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(sc16), wasm_v128_load(y->bsums)),
        wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(sc16), wasm_v128_load(y->bsums + 8)));
    return 32 * simd_hsum_i32(corr);
}

/* One Q6_K super-block against y: the exact sumi (with the -32 applied) */
SIMD_INLINE int32_t q6_K_sumi(const block_q6_K *x, const block_q8_K *y)
{
    v128_t acc = wasm_i32x4_splat(0);
    x16w q[2];
    for (int c = 0; c < 2; c++) {
        SIMD_UNROLL
        for (int quarter = 0; quarter < 4; quarter++) {
            q6_K_unpack(x->ql + 64 * c, x->qh + 32 * c, quarter, q);
            const int g = 8 * c + 2 * quarter;
            acc = group16x(acc, q[0], y->qs + 16 * g, x->scales[g]);
            acc = group16x(acc, q[1], y->qs + 16 * g + 16, x->scales[g + 1]);
        }
    }
    return simd_hsum_i32(acc) - q6_K_offset(x->scales, y);
}

static void vec_dot_q6_K(int n, float *s, const void *vx, const void *vy)
{
    const block_q6_K *x = vx;
    const block_q8_K *y = vy;
    float sum = 0.0f;
    for (int i = 0; i < n / QK_K; i++)
        sum += finish_nomin(FP16(x[i].d), y[i].d, q6_K_sumi(&x[i], &y[i]));
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
