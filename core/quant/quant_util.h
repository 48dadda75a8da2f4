/*
 * quant_util.h — small helpers shared by the core/quant C files only (not an interface):
 * ggml's nearest_int rounding, the fp16 scale read, and the float <-> bits pun.
 */
#ifndef MW_QUANT_UTIL_H
#define MW_QUANT_UTIL_H

#include <string.h>

#include "base.h"
#include "quant.h"

static inline uint32_t f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

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

#define FP16(h) mw_fp16_to_f32(h)

#endif
