/*
 * simd128_f16.c — SIMD128 kernels of the F16 KV cache (attention.c): dot_f16 (scores: an fp16
 * key row against the f32 queries of the heads sharing it) and axpy_f16 (the weighted sum of
 * fp16 value rows into those heads' outputs). Each row is widened once (simd_f16x4_to_f32,
 * exact) for the whole head group; dot_f16 keeps the scalar's eight interleaved partial sums
 * per query (lane k of acc0 / acc1 is acc[k] / acc[4 + k]) and its pairwise reduction, and
 * axpy_f16 is element-wise, so both are bit-identical to the scalar entries.
 */
#if defined(__wasm_simd128__) || defined(MW_SIMDE)

#include <string.h>

#include "kernels/simd128.h"

static const mw_kernels *scalar_k;

/* Eight halves widened exactly to two f32x4 (values 0..3 and 4..7). */
SIMD_INLINE void f16x8_widen(const uint16_t *x, v128_t *x0, v128_t *x1)
{
    const v128_t h = wasm_v128_load(x);
    *x0 = simd_f16x4_to_f32(wasm_u32x4_extend_low_u16x8(h));
    *x1 = simd_f16x4_to_f32(wasm_u32x4_extend_high_u16x8(h));
}

/* s[r] = x . y_r for NQ (1..4, a constant after inlining) query rows: x is widened once per 8
 * values and every row keeps its own two accumulators in registers. */
SIMD_INLINE void dot_f16_rows(int n, const uint16_t *x, const float *y, size_t y_stride, const int nq,
                              float *s)
{
    v128_t acc0[4], acc1[4];
    SIMD_UNROLL
    for (int r = 0; r < nq; r++) acc0[r] = acc1[r] = wasm_f32x4_splat(0.0f);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        v128_t x0, x1;
        f16x8_widen(x + i, &x0, &x1);
        SIMD_UNROLL
        for (int r = 0; r < nq; r++) {
            const float *yr = y + (size_t)r * y_stride + i;
            acc0[r] = wasm_f32x4_add(acc0[r], wasm_f32x4_mul(x0, wasm_v128_load(yr)));
            acc1[r] = wasm_f32x4_add(acc1[r], wasm_f32x4_mul(x1, wasm_v128_load(yr + 4)));
        }
    }
    if (i < n) {
        /* the last n%8 values into the same partial sums; the zero padding adds +0 * +0 = +0,
         * which leaves every partial sum unchanged (they start at +0 and are never -0) */
        uint16_t xt[8] = { 0 };
        memcpy(xt, x + i, (size_t)(n - i) * sizeof(uint16_t));
        v128_t x0, x1;
        f16x8_widen(xt, &x0, &x1);
        for (int r = 0; r < nq; r++) {
            float yt[8] = { 0 };
            memcpy(yt, y + (size_t)r * y_stride + i, (size_t)(n - i) * sizeof(float));
            acc0[r] = wasm_f32x4_add(acc0[r], wasm_f32x4_mul(x0, wasm_v128_load(yt)));
            acc1[r] = wasm_f32x4_add(acc1[r], wasm_f32x4_mul(x1, wasm_v128_load(yt + 4)));
        }
    }
    /* ((a0+b0)+(a2+b2)) + ((a1+b1)+(a3+b3)), the scalar's reduction */
    SIMD_UNROLL
    for (int r = 0; r < nq; r++) s[r] = simd_hsum_f32(wasm_f32x4_add(acc0[r], acc1[r]));
}

static void dot_f16(int n, const uint16_t *x, const float *y, size_t y_stride, int n_y, float *s)
{
    for (int r0 = 0; r0 < n_y; r0 += 4) {
        const float *yr = y + (size_t)r0 * y_stride;
        switch (n_y - r0) {
        case 1: dot_f16_rows(n, x, yr, y_stride, 1, s + r0); break;
        case 2: dot_f16_rows(n, x, yr, y_stride, 2, s + r0); break;
        case 3: dot_f16_rows(n, x, yr, y_stride, 3, s + r0); break;
        default: dot_f16_rows(n, x, yr, y_stride, 4, s + r0); break;
        }
    }
}

/* y_r += a[r] * x, element-wise: x is widened once per 8 values for all n_y rows. */
static void axpy_f16(int n, const float *a, const uint16_t *x, float *y, size_t y_stride, int n_y)
{
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        v128_t x0, x1;
        f16x8_widen(x + i, &x0, &x1);
        for (int r = 0; r < n_y; r++) {
            float *yr = y + (size_t)r * y_stride + i;
            const v128_t va = wasm_f32x4_splat(a[r]);
            wasm_v128_store(yr, wasm_f32x4_add(wasm_v128_load(yr), wasm_f32x4_mul(va, x0)));
            wasm_v128_store(yr + 4, wasm_f32x4_add(wasm_v128_load(yr + 4), wasm_f32x4_mul(va, x1)));
        }
    }
    if (i < n) scalar_k->axpy_f16(n - i, a, x + i, y + i, y_stride, n_y);
}

void mw_simd128_fill_f16(mw_kernels *k, const mw_kernels *scalar)
{
    scalar_k = scalar;
    k->dot_f16 = dot_f16;
    k->axpy_f16 = axpy_f16;
}

#endif
