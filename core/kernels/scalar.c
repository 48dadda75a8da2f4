/*
 * scalar.c — the scalar kernel set: every vec_dot and activation quantizer straight from the
 * reference in quant/ (the oracle the SIMD files are tested against), plus the plain f32
 * vector helpers the forward pass uses outside the matmuls.
 */
#include "kernels/kernels.h"
#include "quant/quant_util.h"

/* Eight interleaved partial sums, reduced pairwise (the same as mw_vec_dot_f32). */
static float dot_f32(int n, const float *x, const float *y)
{
    float s;
    mw_vec_dot_f32(n, &s, x, y);
    return s;
}

static void axpy_f32(int n, float a, const float *x, float *y)
{
    for (int i = 0; i < n; i++) y[i] += a * x[i];
}

/* F16 KV cache, per query row: acc[i & 7] as mw_vec_dot_f32 / mw_vec_dot_f16 (the SIMD lane
 * order), reduced pairwise ((0+4)+(2+6)) + ((1+5)+(3+7)). */
static void dot_f16(int n, const uint16_t *x, const float *y, size_t y_stride, int n_y, float *s)
{
    for (int r = 0; r < n_y; r++) {
        const float *yr = y + (size_t)r * y_stride;
        float acc[8] = { 0 };
        for (int i = 0; i < n; i++) acc[i & 7] += fp16_to_f32(x[i]) * yr[i];
        s[r] = ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
    }
}

static void axpy_f16(int n, const float *a, const uint16_t *x, float *y, size_t y_stride, int n_y)
{
    for (int r = 0; r < n_y; r++)
        for (int i = 0; i < n; i++) y[(size_t)r * y_stride + i] += a[r] * fp16_to_f32(x[i]);
}

void mw_kernels_fill_scalar(mw_kernels *k)
{
    k->name = "scalar";
    for (int32_t type = 0; type < MW_TYPE_COUNT; type++) {
        const mw_type_traits *t = mw_type_traits_get(type);
        k->vec_dot[type] = t ? t->vec_dot : NULL;
        k->quantize_row[type] = NULL;
        k->vec_dot_4rows[type] = NULL;   /* only SIMD sets have multi-row kernels */
        k->vec_dot_4cols[type] = NULL;
        k->repack[type] = NULL;          /* nor repacked weights */
        k->vec_dot_rows8[type] = NULL;
        k->vec_dot_rows8x2[type] = NULL;
        k->vec_dot_rows8xn[type] = NULL;
        k->repack_group_bytes[type] = 0;
    }
    /* activation quantizers: only the vec_dot types (weights use mw_weight_quantizer) */
    static const int32_t act_types[] = { MW_TYPE_F32, MW_TYPE_F16, MW_TYPE_BF16,
                                         MW_TYPE_Q8_0, MW_TYPE_Q8_1, MW_TYPE_Q8_K };
    for (size_t i = 0; i < sizeof act_types / sizeof act_types[0]; i++)
        k->quantize_row[act_types[i]] = mw_type_traits_get(act_types[i])->quantize_row;
    k->dot_f32 = dot_f32;
    k->axpy_f32 = axpy_f32;
    k->dot_f16 = dot_f16;
    k->axpy_f16 = axpy_f16;
}
