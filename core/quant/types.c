/*
 * types.c — the traits table: for every supported GGML type id its name, block geometry,
 * the activation type its dot product wants (as ggml's CPU backend pairs them), and the
 * scalar reference functions. Also mw_type_name (public), mw_row_size, mw_weight_quantizer.
 */
#include "quant.h"
#include "quant_util.h"

static const mw_type_traits traits[MW_TYPE_COUNT] = {
    [MW_TYPE_F32] = { "F32", 1, 4, MW_TYPE_F32,
                      mw_dequantize_row_f32, mw_quantize_row_f32, mw_vec_dot_f32 },
    [MW_TYPE_F16] = { "F16", 1, 2, MW_TYPE_F16,
                      mw_dequantize_row_f16, mw_quantize_row_f16, mw_vec_dot_f16 },
    [MW_TYPE_BF16] = { "BF16", 1, 2, MW_TYPE_BF16,
                       mw_dequantize_row_bf16, mw_quantize_row_bf16, mw_vec_dot_bf16 },
    [MW_TYPE_Q4_0] = { "Q4_0", QK4_0, sizeof(block_q4_0), MW_TYPE_Q8_0,
                       mw_dequantize_row_q4_0, mw_quantize_row_q4_0_ref, mw_vec_dot_q4_0 },
    [MW_TYPE_Q4_1] = { "Q4_1", QK4_1, sizeof(block_q4_1), MW_TYPE_Q8_1,
                       mw_dequantize_row_q4_1, mw_quantize_row_q4_1_ref, mw_vec_dot_q4_1 },
    [MW_TYPE_Q5_0] = { "Q5_0", QK5_0, sizeof(block_q5_0), MW_TYPE_Q8_0,
                       mw_dequantize_row_q5_0, mw_quantize_row_q5_0_ref, mw_vec_dot_q5_0 },
    [MW_TYPE_Q5_1] = { "Q5_1", QK5_1, sizeof(block_q5_1), MW_TYPE_Q8_1,
                       mw_dequantize_row_q5_1, mw_quantize_row_q5_1_ref, mw_vec_dot_q5_1 },
    /* Q8_0 is also the activation type: its quantize_row is the AVX2 activation quantizer
     * (mw_quantize_row_q8_0_ref is the weight one). */
    [MW_TYPE_Q8_0] = { "Q8_0", QK8_0, sizeof(block_q8_0), MW_TYPE_Q8_0,
                       mw_dequantize_row_q8_0, mw_quantize_row_q8_0, mw_vec_dot_q8_0 },
    [MW_TYPE_Q8_1] = { "Q8_1", QK8_1, sizeof(block_q8_1), MW_TYPE_Q8_1,
                       mw_dequantize_row_q8_1, mw_quantize_row_q8_1, NULL },
    [MW_TYPE_Q2_K] = { "Q2_K", QK_K, sizeof(block_q2_K), MW_TYPE_Q8_K,
                       mw_dequantize_row_q2_K, mw_quantize_row_q2_K_ref, mw_vec_dot_q2_K },
    [MW_TYPE_Q3_K] = { "Q3_K", QK_K, sizeof(block_q3_K), MW_TYPE_Q8_K,
                       mw_dequantize_row_q3_K, mw_quantize_row_q3_K_ref, mw_vec_dot_q3_K },
    [MW_TYPE_Q4_K] = { "Q4_K", QK_K, sizeof(block_q4_K), MW_TYPE_Q8_K,
                       mw_dequantize_row_q4_K, mw_quantize_row_q4_K_ref, mw_vec_dot_q4_K },
    [MW_TYPE_Q5_K] = { "Q5_K", QK_K, sizeof(block_q5_K), MW_TYPE_Q8_K,
                       mw_dequantize_row_q5_K, mw_quantize_row_q5_K_ref, mw_vec_dot_q5_K },
    [MW_TYPE_Q6_K] = { "Q6_K", QK_K, sizeof(block_q6_K), MW_TYPE_Q8_K,
                       mw_dequantize_row_q6_K, mw_quantize_row_q6_K_ref, mw_vec_dot_q6_K },
    [MW_TYPE_Q8_K] = { "Q8_K", QK_K, sizeof(block_q8_K), MW_TYPE_Q8_K,
                       mw_dequantize_row_q8_K, mw_quantize_row_q8_K, NULL },
};

const mw_type_traits *mw_type_traits_get(int32_t type)
{
    if (type < 0 || type >= MW_TYPE_COUNT || !traits[type].name) return NULL;
    return &traits[type];
}

const char *mw_type_name(int32_t type)
{
    const mw_type_traits *t = mw_type_traits_get(type);
    return t ? t->name : NULL;
}

size_t mw_row_size(int32_t type, int64_t n)
{
    const mw_type_traits *t = mw_type_traits_get(type);
    if (!t || n < 0 || n % t->block_size) return 0;
    return (size_t)(n / t->block_size) * t->type_size;
}

mw_quantize_fn mw_weight_quantizer(int32_t type)
{
    if (type == MW_TYPE_Q8_0) return mw_quantize_row_q8_0_ref;
    if (type == MW_TYPE_Q8_1 || type == MW_TYPE_Q8_K) return NULL;   /* activation-only */
    const mw_type_traits *t = mw_type_traits_get(type);
    return t ? t->quantize_row : NULL;
}
