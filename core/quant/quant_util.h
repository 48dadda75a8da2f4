/*
 * quant_util.h — small helpers shared by the core/quant C files and the kernels (core/kernels):
 * the fp16 -> f32 conversion, ggml's nearest_int rounding, the float <-> bits pun. A leaf: libc
 * headers only (the formats themselves are quant.h, the Quant -> Kernels interface).
 */
#ifndef MW_QUANT_UTIL_H
#define MW_QUANT_UTIL_H

#include <stdint.h>
#include <string.h>

static inline uint32_t f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

/* fp16 -> f32, exact for all 65536 values (mw_fp16_to_f32 is this; inline for the kernels). */
static inline float fp16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t mant = h & 0x3ff;
    if (exp == 0) {
        if (mant == 0) return bits_f32(sign);
        /* subnormal: value mant * 2^-24; shift the leading 1 up into the implicit position */
        uint32_t e = 113;
        while (!(mant & 0x400)) { mant <<= 1; e--; }
        return bits_f32(sign | (e << 23) | ((mant & 0x3ff) << 13));
    }
    if (exp == 31) return bits_f32(sign | 0x7f800000 | (mant << 13));  /* inf / NaN */
    return bits_f32(sign | ((exp + 112) << 23) | (mant << 13));
}

/* ggml's nearest_int (ggml-quants.c): adding 1.5*2^23 makes the FPU round the fraction away
 * in the current mode (nearest-even), the mantissa then holds the integer. |v| < 2^22. */
static inline int nearest_int(float v)
{
    float t = v + 12582912.f;
    return (int)(f32_bits(t) & 0x007fffff) - 0x00400000;
}

/* Round to nearest, ties to even, then saturate to int8 — what _mm256_round_ps(_MM_ROUND_NEAREST)
 * + _mm256_cvtps_epi32 + the saturating packs do in ggml's AVX2 quantizers. */
static inline int8_t round_even_i8(float v)
{
    if (!(v > -128.5f)) return -128;    /* also NaN: cvtps gives INT_MIN, packs saturate */
    if (v >= 127.5f) return 127;
    return (int8_t)nearest_int(v);
}

#define FP16(h) fp16_to_f32(h)

#endif
