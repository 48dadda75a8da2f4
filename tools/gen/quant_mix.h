/*
 * quant_mix.h — which tensor type each weight gets for a llama.cpp file type ("Q4_K_M", ...),
 * following llama-quantize (llama.cpp's llama_tensor_get_type, no importance matrix, not --pure)
 * for the tensors of a Mistral/Mixtral model. The rules it applies:
 *  - 1-D tensors (norms) and blk.N.ffn_gate_inp stay F32; F32/F16/BF16 files use one type.
 *  - output.weight: Q6_K unless the file type's base is Q8_0 (row not a multiple of 256: Q8_0).
 *  - 8-expert models: attn_k and attn_v Q8_0; attn_output Q5_K for Q2_K, Q3_K_M, Q4_K_M.
 *  - attn_v: Q2_K: Q4_K if n_head/n_head_kv >= 4 else Q3_K; Q3_K_M: Q5_K in layers 0-1, else
 *    Q4_K; Q4_K_M/Q5_K_M: Q6_K where use_more_bits.
 *  - ffn_down: Q2_K: Q3_K; Q3_K_M: Q5_K below n_layer/16, else Q4_K;
 *    Q4_K_M/Q5_K_M: Q6_K where use_more_bits.
 *  - attn_output (not 8 experts): Q2_K: Q3_K; Q3_K_M: Q4_K.
 *  use_more_bits(i, n) = i < n/8 || i >= 7n/8 || (i - n/8) % 3 == 2 (first and last eighth of
 *  the layers plus every third layer between). A K-quant row that is not a multiple of 256 falls
 *  back as llama-quantize does (Q4_K→Q5_0, Q5_K→Q5_1, Q6_K→Q8_0; Q2_K/Q3_K: refused).
 * Only the file types that llama-quantize files in tests/data/reference cover are offered
 * (tests/test_gen_mix.c checks every tensor of each); the _S/_L mixes are left out.
 */
#ifndef MW_QUANT_MIX_H
#define MW_QUANT_MIX_H

#include <stdint.h>
#include <string.h>

#include "mw.h"

/* llama.cpp's llama_ftype values (general.file_type) */
enum {
    GEN_FTYPE_F32 = 0, GEN_FTYPE_F16 = 1, GEN_FTYPE_Q4_0 = 2, GEN_FTYPE_Q4_1 = 3,
    GEN_FTYPE_Q8_0 = 7, GEN_FTYPE_Q5_0 = 8, GEN_FTYPE_Q5_1 = 9, GEN_FTYPE_Q2_K = 10,
    GEN_FTYPE_Q3_K_M = 12, GEN_FTYPE_Q4_K_M = 15, GEN_FTYPE_Q5_K_M = 17, GEN_FTYPE_Q6_K = 18,
    GEN_FTYPE_BF16 = 32
};

typedef struct gen_ftype {
    const char *name;   /* as llama-quantize spells it */
    int32_t ftype;      /* general.file_type */
    int32_t base;       /* MW_TYPE_* of most weights */
} gen_ftype;

static const gen_ftype gen_ftypes[] = {
    {"F32", GEN_FTYPE_F32, MW_TYPE_F32},       {"F16", GEN_FTYPE_F16, MW_TYPE_F16},
    {"BF16", GEN_FTYPE_BF16, MW_TYPE_BF16},    {"Q8_0", GEN_FTYPE_Q8_0, MW_TYPE_Q8_0},
    {"Q4_0", GEN_FTYPE_Q4_0, MW_TYPE_Q4_0},    {"Q4_1", GEN_FTYPE_Q4_1, MW_TYPE_Q4_1},
    {"Q5_0", GEN_FTYPE_Q5_0, MW_TYPE_Q5_0},    {"Q5_1", GEN_FTYPE_Q5_1, MW_TYPE_Q5_1},
    {"Q2_K", GEN_FTYPE_Q2_K, MW_TYPE_Q2_K},    {"Q3_K_M", GEN_FTYPE_Q3_K_M, MW_TYPE_Q3_K},
    {"Q4_K_M", GEN_FTYPE_Q4_K_M, MW_TYPE_Q4_K}, {"Q5_K_M", GEN_FTYPE_Q5_K_M, MW_TYPE_Q5_K},
    {"Q6_K", GEN_FTYPE_Q6_K, MW_TYPE_Q6_K},
};

static inline const gen_ftype *gen_ftype_by_name(const char *name)
{
    for (size_t i = 0; i < sizeof gen_ftypes / sizeof gen_ftypes[0]; i++)
        if (strcmp(gen_ftypes[i].name, name) == 0)
            return &gen_ftypes[i];
    return NULL;
}

static inline const gen_ftype *gen_ftype_by_id(int32_t ftype)
{
    for (size_t i = 0; i < sizeof gen_ftypes / sizeof gen_ftypes[0]; i++)
        if (gen_ftypes[i].ftype == ftype)
            return &gen_ftypes[i];
    return NULL;
}

static inline int gen_use_more_bits(int i_layer, int n_layer)
{
    return i_layer < n_layer / 8 || i_layer >= 7 * n_layer / 8 || (i_layer - n_layer / 8) % 3 == 2;
}

/* What the model looks like, as far as the rules care. */
typedef struct gen_mix_model {
    int n_layer;
    int n_expert;       /* 0 or 1 for dense */
    int n_gqa;          /* n_head / n_head_kv */
} gen_mix_model;

/* The type of tensor `name` (n_dims dims, rows of ne0 values; `layer` its block index or -1)
 * in a file of type ft. Returns -1 when the type cannot hold such rows. */
static inline int32_t gen_tensor_type(const gen_ftype *ft, const gen_mix_model *m, const char *name,
                               int n_dims, int64_t ne0, int layer)
{
    int32_t f = ft->ftype, t = ft->base;
    int moe8 = m->n_expert == 8;
    if (n_dims < 2 || strstr(name, "ffn_gate_inp"))
        return MW_TYPE_F32;
    if (f == GEN_FTYPE_F32 || f == GEN_FTYPE_F16 || f == GEN_FTYPE_BF16)
        return t;

    if (strcmp(name, "output.weight") == 0) {
        if (ne0 % 256 != 0)
            t = MW_TYPE_Q8_0;
        else if (t != MW_TYPE_Q8_0)
            t = MW_TYPE_Q6_K;
    } else if (strstr(name, "attn_v.weight")) {
        if (f == GEN_FTYPE_Q2_K)
            t = m->n_gqa >= 4 ? MW_TYPE_Q4_K : MW_TYPE_Q3_K;
        else if (f == GEN_FTYPE_Q3_K_M)
            t = layer < 2 ? MW_TYPE_Q5_K : MW_TYPE_Q4_K;
        else if ((f == GEN_FTYPE_Q4_K_M || f == GEN_FTYPE_Q5_K_M) && gen_use_more_bits(layer, m->n_layer))
            t = MW_TYPE_Q6_K;
        if (moe8)
            t = MW_TYPE_Q8_0;
    } else if (strstr(name, "attn_k.weight")) {
        if (moe8)
            t = MW_TYPE_Q8_0;
    } else if (strstr(name, "ffn_down")) {
        if (f == GEN_FTYPE_Q2_K)
            t = MW_TYPE_Q3_K;
        else if (f == GEN_FTYPE_Q3_K_M)
            t = layer < m->n_layer / 16 ? MW_TYPE_Q5_K : MW_TYPE_Q4_K;
        else if ((f == GEN_FTYPE_Q4_K_M || f == GEN_FTYPE_Q5_K_M) && gen_use_more_bits(layer, m->n_layer))
            t = MW_TYPE_Q6_K;
    } else if (strstr(name, "attn_output.weight")) {
        if (moe8) {
            if (f == GEN_FTYPE_Q2_K || f == GEN_FTYPE_Q3_K_M || f == GEN_FTYPE_Q4_K_M)
                t = MW_TYPE_Q5_K;
        } else if (f == GEN_FTYPE_Q2_K) {
            t = MW_TYPE_Q3_K;
        } else if (f == GEN_FTYPE_Q3_K_M) {
            t = MW_TYPE_Q4_K;
        }
    }

    /* K-quants need rows of whole 256-value super-blocks */
    if (ne0 % 256 != 0) {
        switch (t) {
        case MW_TYPE_Q4_K: t = MW_TYPE_Q5_0; break;
        case MW_TYPE_Q5_K: t = MW_TYPE_Q5_1; break;
        case MW_TYPE_Q6_K: t = MW_TYPE_Q8_0; break;
        case MW_TYPE_Q2_K: case MW_TYPE_Q3_K: return -1;
        default: break;
        }
    }
    if (ne0 % 32 != 0)
        return -1;
    return t;
}

#endif
