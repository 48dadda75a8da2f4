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

/* The scalar tiling: one vec_dot per row and token, rows outermost (the weight row stays in
 * cache while the activations are re-read). The scalar set repacks nothing. */
static void matmul_rows(const mw_matmul_rows *m)
{
    const mw_vec_dot_fn dot = mw_type_traits_get(m->type)->vec_dot;
    const size_t row_bytes = mw_row_size(m->type, m->n);
    for (int64_t r = m->r0; r < m->r1; r++)
        for (int t = 0; t < m->n_tok; t++)
            dot(m->n, &m->out[(size_t)t * m->out_stride + (size_t)r], (const uint8_t *)m->w + (size_t)r * row_bytes,
                (const uint8_t *)m->y + (size_t)t * m->y_stride);
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
        k->matmul_rows[type] = t && t->vec_dot ? matmul_rows : NULL;
        k->repack[type] = NULL;          /* only SIMD sets repack weights */
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
