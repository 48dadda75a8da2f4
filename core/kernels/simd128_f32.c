/*
 * simd128_f32.c — SIMD128 kernels over float vectors: dot_f32 (attention scores), axpy_f32
 * (attention's weighted sum of V) and the F32 x F32 vec_dot (F16 / BF16: simd128_half.c).
 * The dots keep the scalar's eight interleaved partial sums (lane k of two f32x4 accumulators
 * is acc[k] and acc[4+k]) and its pairwise reduction, so they are bit-identical to scalar.
 */
#if defined(__wasm_simd128__) || defined(MW_SIMDE)

#include <string.h>

#include "kernels/simd128.h"

static const mw_kernels *scalar_k;

/* reduce8 of floats.c on acc[0..3] = a, acc[4..7] = b: ((a0+b0)+(a2+b2)) + ((a1+b1)+(a3+b3)) */
static inline float reduce8(v128_t a, v128_t b)
{
    return simd_hsum_f32(wasm_f32x4_add(a, b));
}

static float dot_f32(int n, const float *x, const float *y)
{
    v128_t acc0 = wasm_f32x4_splat(0.0f), acc1 = acc0;
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(wasm_v128_load(x + i), wasm_v128_load(y + i)));
        acc1 = wasm_f32x4_add(acc1, wasm_f32x4_mul(wasm_v128_load(x + i + 4), wasm_v128_load(y + i + 4)));
    }
    if (i < n) {
        /* the last n%8 values go to the same partial sums; zero padding adds +0 * +0 = +0,
         * which leaves every partial sum unchanged (they are never -0) */
        float xt[8] = { 0 }, yt[8] = { 0 };
        memcpy(xt, x + i, (size_t)(n - i) * sizeof(float));
        memcpy(yt, y + i, (size_t)(n - i) * sizeof(float));
        acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(wasm_v128_load(xt), wasm_v128_load(yt)));
        acc1 = wasm_f32x4_add(acc1, wasm_f32x4_mul(wasm_v128_load(xt + 4), wasm_v128_load(yt + 4)));
    }
    return reduce8(acc0, acc1);
}

static void vec_dot_f32(int n, float *s, const void *x, const void *y)
{
    *s = dot_f32(n, x, y);
}

static void axpy_f32(int n, float a, const float *x, float *y)
{
    const v128_t va = wasm_f32x4_splat(a);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(y + i), wasm_f32x4_mul(va, wasm_v128_load(x + i))));
        wasm_v128_store(y + i + 4, wasm_f32x4_add(wasm_v128_load(y + i + 4), wasm_f32x4_mul(va, wasm_v128_load(x + i + 4))));
    }
    if (i < n) scalar_k->axpy_f32(n - i, a, x + i, y + i);
}

void mw_simd128_fill_f32(mw_kernels *k, const mw_kernels *scalar)
{
    scalar_k = scalar;
    k->dot_f32 = dot_f32;
    k->axpy_f32 = axpy_f32;
    k->vec_dot[MW_TYPE_F32] = vec_dot_f32;
}

#endif
