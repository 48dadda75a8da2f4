/*
 * simd128_f16.c — SIMD128 kernels of the F16 KV cache (attention.c): dot_f16 (scores: an fp16
 * key row against the f32 query) and axpy_f16 (the weighted sum of fp16 value rows).
 * Halves widen exactly with simd_f16x4_to_f32; dot_f16 keeps the scalar's eight interleaved
 * partial sums (lane k of acc0 / acc1 is acc[k] / acc[4 + k]) and its pairwise reduction, and
 * axpy_f16 is element-wise, so both are bit-identical to the scalar entries.
 */
#if defined(__wasm_simd128__) || defined(MW_SIMDE)

#include <string.h>

#include "kernels/simd128.h"

static const mw_kernels *scalar_k;

/* acc0 += x[0..3] * y[0..3], acc1 += x[4..7] * y[4..7] for eight halves x */
static inline void f16x8_f32_madd(const uint16_t *x, const float *y, v128_t *acc0, v128_t *acc1)
{
    const v128_t h = wasm_v128_load(x);
    const v128_t x0 = simd_f16x4_to_f32(wasm_u32x4_extend_low_u16x8(h));
    const v128_t x1 = simd_f16x4_to_f32(wasm_u32x4_extend_high_u16x8(h));
    *acc0 = wasm_f32x4_add(*acc0, wasm_f32x4_mul(x0, wasm_v128_load(y)));
    *acc1 = wasm_f32x4_add(*acc1, wasm_f32x4_mul(x1, wasm_v128_load(y + 4)));
}

static float dot_f16(int n, const uint16_t *x, const float *y)
{
    v128_t acc0 = wasm_f32x4_splat(0.0f), acc1 = acc0;
    int i = 0;
    for (; i + 8 <= n; i += 8) f16x8_f32_madd(x + i, y + i, &acc0, &acc1);
    if (i < n) {
        /* the last n%8 values into the same partial sums; the zero padding adds +0 * +0 = +0,
         * which leaves every partial sum unchanged (they start at +0 and are never -0) */
        uint16_t xt[8] = { 0 };
        float yt[8] = { 0 };
        memcpy(xt, x + i, (size_t)(n - i) * sizeof(uint16_t));
        memcpy(yt, y + i, (size_t)(n - i) * sizeof(float));
        f16x8_f32_madd(xt, yt, &acc0, &acc1);
    }
    /* ((a0+b0)+(a2+b2)) + ((a1+b1)+(a3+b3)), the scalar's reduction */
    return simd_hsum_f32(wasm_f32x4_add(acc0, acc1));
}

static void axpy_f16(int n, float a, const uint16_t *x, float *y)
{
    const v128_t va = wasm_f32x4_splat(a);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        const v128_t h = wasm_v128_load(x + i);
        const v128_t x0 = simd_f16x4_to_f32(wasm_u32x4_extend_low_u16x8(h));
        const v128_t x1 = simd_f16x4_to_f32(wasm_u32x4_extend_high_u16x8(h));
        wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(y + i), wasm_f32x4_mul(va, x0)));
        wasm_v128_store(y + i + 4, wasm_f32x4_add(wasm_v128_load(y + i + 4), wasm_f32x4_mul(va, x1)));
    }
    if (i < n) scalar_k->axpy_f16(n - i, a, x + i, y + i);
}

void mw_simd128_fill_f16(mw_kernels *k, const mw_kernels *scalar)
{
    scalar_k = scalar;
    k->dot_f16 = dot_f16;
    k->axpy_f16 = axpy_f16;
}

#endif
