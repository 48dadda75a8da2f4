/*
 * simd128_f32.c — SIMD128 kernels over float vectors: dot_f32 / dot_f32_n (attention scores,
 * one K row against a GQA group's queries), axpy_f32 / axpy_f32_n (attention's weighted sum of
 * V), scale_f32, and the F32 x F32 / F16 x F16 vec_dots.
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

/* s[r] = x . y_r for NQ (1..4, a constant after inlining) rows y_r = y + r*y_stride: x is
 * loaded once per 8 values and every row keeps its own two accumulators in registers (with
 * NQ = 1 this is the plain dot_f32 loop). */
SIMD_INLINE void dot_f32_rows(int n, const float *x, const float *y, size_t y_stride, const int nq, float *s)
{
    v128_t acc0[4], acc1[4];
    SIMD_UNROLL
    for (int r = 0; r < nq; r++) acc0[r] = acc1[r] = wasm_f32x4_splat(0.0f);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        const v128_t x0 = wasm_v128_load(x + i), x1 = wasm_v128_load(x + i + 4);
        SIMD_UNROLL
        for (int r = 0; r < nq; r++) {
            const float *yr = y + (size_t)r * y_stride + i;
            acc0[r] = wasm_f32x4_add(acc0[r], wasm_f32x4_mul(x0, wasm_v128_load(yr)));
            acc1[r] = wasm_f32x4_add(acc1[r], wasm_f32x4_mul(x1, wasm_v128_load(yr + 4)));
        }
    }
    if (i < n) {
        /* the last n%8 values go to the same partial sums; zero padding adds +0 * +0 = +0,
         * which leaves every partial sum unchanged (they are never -0) */
        float xt[8] = { 0 };
        memcpy(xt, x + i, (size_t)(n - i) * sizeof(float));
        const v128_t x0 = wasm_v128_load(xt), x1 = wasm_v128_load(xt + 4);
        for (int r = 0; r < nq; r++) {
            float yt[8] = { 0 };
            memcpy(yt, y + (size_t)r * y_stride + i, (size_t)(n - i) * sizeof(float));
            acc0[r] = wasm_f32x4_add(acc0[r], wasm_f32x4_mul(x0, wasm_v128_load(yt)));
            acc1[r] = wasm_f32x4_add(acc1[r], wasm_f32x4_mul(x1, wasm_v128_load(yt + 4)));
        }
    }
    SIMD_UNROLL
    for (int r = 0; r < nq; r++) s[r] = reduce8(acc0[r], acc1[r]);
}

static float dot_f32(int n, const float *x, const float *y)
{
    float s;
    dot_f32_rows(n, x, y, 0, 1, &s);
    return s;
}

static void vec_dot_f32(int n, float *s, const void *x, const void *y)
{
    *s = dot_f32(n, x, y);
}

/* F32 KV cache (attention.c): one K row x against the n_y query heads sharing it (GQA), four
 * rows per pass; each s[r] is dot_f32(n, x, y_r) bit for bit (x*y_r and y_r*x round alike). */
static void dot_f32_n(int n, const float *x, const float *y, size_t y_stride, int n_y, float *s)
{
    for (int r0 = 0; r0 < n_y; r0 += 4) {
        const float *yr = y + (size_t)r0 * y_stride;
        switch (n_y - r0) {
        case 1: dot_f32_rows(n, x, yr, y_stride, 1, s + r0); break;
        case 2: dot_f32_rows(n, x, yr, y_stride, 2, s + r0); break;
        case 3: dot_f32_rows(n, x, yr, y_stride, 3, s + r0); break;
        default: dot_f32_rows(n, x, yr, y_stride, 4, s + r0); break;
        }
    }
}

/* y_r += a[r] * x, element-wise (so bit-identical to one axpy_f32 per row): x is loaded once
 * per 8 values for all n_y rows; the last n%8 values go through the scalar (same products). */
SIMD_INLINE void axpy_f32_rows(int n, const float *a, const float *x, float *y, size_t y_stride, int n_y)
{
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        const v128_t x0 = wasm_v128_load(x + i), x1 = wasm_v128_load(x + i + 4);
        for (int r = 0; r < n_y; r++) {
            float *yr = y + (size_t)r * y_stride + i;
            const v128_t va = wasm_f32x4_splat(a[r]);
            wasm_v128_store(yr, wasm_f32x4_add(wasm_v128_load(yr), wasm_f32x4_mul(va, x0)));
            wasm_v128_store(yr + 4, wasm_f32x4_add(wasm_v128_load(yr + 4), wasm_f32x4_mul(va, x1)));
        }
    }
    if (i < n) scalar_k->axpy_f32_n(n - i, a, x + i, y + i, y_stride, n_y);
}

static void axpy_f32(int n, float a, const float *x, float *y)
{
    axpy_f32_rows(n, &a, x, y, 0, 1);
}

static void axpy_f32_n(int n, const float *a, const float *x, float *y, size_t y_stride, int n_y)
{
    axpy_f32_rows(n, a, x, y, y_stride, n_y);
}

static void scale_f32(int n, float a, float *y)
{
    const v128_t va = wasm_f32x4_splat(a);
    int i = 0;
    for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, wasm_f32x4_mul(wasm_v128_load(y + i), va));
    if (i < n) scalar_k->scale_f32(n - i, a, y + i);
}

/* Products of eight halves each: x[i..i+3]*y[..] into acc0, x[i+4..i+7]*y[..] into acc1. */
static inline void f16x8_madd(const uint16_t *x, const uint16_t *y, v128_t *acc0, v128_t *acc1)
{
    v128_t hx = wasm_v128_load(x), hy = wasm_v128_load(y);
    v128_t x0 = simd_f16x4_to_f32(wasm_u32x4_extend_low_u16x8(hx));
    v128_t x1 = simd_f16x4_to_f32(wasm_u32x4_extend_high_u16x8(hx));
    v128_t y0 = simd_f16x4_to_f32(wasm_u32x4_extend_low_u16x8(hy));
    v128_t y1 = simd_f16x4_to_f32(wasm_u32x4_extend_high_u16x8(hy));
    *acc0 = wasm_f32x4_add(*acc0, wasm_f32x4_mul(x0, y0));
    *acc1 = wasm_f32x4_add(*acc1, wasm_f32x4_mul(x1, y1));
}

static void vec_dot_f16(int n, float *s, const void *vx, const void *vy)
{
    const uint16_t *x = vx, *y = vy;
    v128_t acc0 = wasm_f32x4_splat(0.0f), acc1 = acc0;
    int i = 0;
    for (; i + 8 <= n; i += 8) f16x8_madd(x + i, y + i, &acc0, &acc1);
    if (i < n) {   /* zero-padded last values (half 0x0000 is +0), as in dot_f32 */
        uint16_t xt[8] = { 0 }, yt[8] = { 0 };
        memcpy(xt, x + i, (size_t)(n - i) * sizeof(uint16_t));
        memcpy(yt, y + i, (size_t)(n - i) * sizeof(uint16_t));
        f16x8_madd(xt, yt, &acc0, &acc1);
    }
    *s = reduce8(acc0, acc1);
}

void mw_simd128_fill_f32(mw_kernels *k, const mw_kernels *scalar)
{
    scalar_k = scalar;
    k->dot_f32 = dot_f32;
    k->axpy_f32 = axpy_f32;
    k->dot_f32_n = dot_f32_n;
    k->axpy_f32_n = axpy_f32_n;
    k->scale_f32 = scale_f32;
    k->vec_dot[MW_TYPE_F32] = vec_dot_f32;
    k->vec_dot[MW_TYPE_F16] = vec_dot_f16;
}

#endif
