/*
 * fp16.c — IEEE half (fp16) and bfloat16 conversions, bit-exact with ggml on x86:
 * f32 -> f16 rounds to nearest even like F16C's vcvtps2ph (imm 0), which ggml uses on AVX2
 * builds; f16 -> f32 is exact for all 65536 values (subnormals, inf, NaN payloads kept).
 * bf16 follows ggml_compute_fp32_to_bf16 (ggml-impl.h): nearest even, NaN made quiet.
 */
#include "quant.h"
#include "quant_util.h"

float mw_fp16_to_f32(uint16_t h)
{
    return fp16_to_f32(h);
}

uint16_t mw_f32_to_fp16(float f)
{
    uint32_t x = f32_bits(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t ax = x & 0x7fffffff;
    if (ax > 0x7f800000)   /* NaN: F16C keeps the top payload bits and sets the quiet bit */
        return (uint16_t)(sign | 0x7e00 | ((ax >> 13) & 0x3ff));
    if (ax >= 0x477ff000)  /* >= 65520 rounds to inf (65504 is the largest half) */
        return (uint16_t)(sign | 0x7c00);
    if (ax < 0x38800000) { /* below 2^-14: a subnormal half (or zero) */
        if (ax <= 0x33000000) return sign;  /* <= 2^-25: half of the smallest, tie to even 0 */
        uint32_t e = ax >> 23;
        uint32_t m = (ax & 0x7fffff) | 0x800000;
        uint32_t shift = 126 - e;          /* to units of 2^-24 */
        uint32_t r = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (r & 1))) r++;
        return (uint16_t)(sign | r);       /* r == 0x400 is the smallest normal: still right */
    }
    uint32_t h = (ax >> 13) - (112u << 10);
    uint32_t rem = ax & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++;   /* a carry into the exponent is right */
    return (uint16_t)(sign | h);
}

float mw_bf16_to_f32(uint16_t h)
{
    return bits_f32((uint32_t)h << 16);
}

uint16_t mw_f32_to_bf16(float f)
{
    uint32_t u = f32_bits(f);
    if ((u & 0x7fffffff) > 0x7f800000) return (uint16_t)((u >> 16) | 64);   /* quiet NaN */
    return (uint16_t)((u + (0x7fff + ((u >> 16) & 1))) >> 16);
}
