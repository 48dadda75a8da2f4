/*
 * kvcache.c — sizing of the KV cache (see session.h for the layout: F32 or F16 elements) and
 * the memory estimate the loaders use to refuse a model + context that cannot fit before
 * allocating anything.
 */
#include "session.h"

int32_t mw_kv_size(int32_t n_ctx, int32_t window, int32_t n_batch)
{
    if (window <= 0 || window >= n_ctx)
        return n_ctx;
    int64_t rolling = (int64_t)window + n_batch - 1;
    return rolling < n_ctx ? (int32_t)rolling : n_ctx;
}

size_t mw_kv_type_size(int32_t kv_type)
{
    return kv_type == MW_KV_F32 ? sizeof(float) : kv_type == MW_KV_F16 ? sizeof(uint16_t) : 0;
}

int32_t mw_session_n_ctx_default(const mw_model_info *info)
{
    enum { N_CTX_CAP = 4096 };   /* the KV cache a default session affords on wasm32 */
    return info && info->n_ctx_train > 0 && info->n_ctx_train < N_CTX_CAP ? info->n_ctx_train
                                                                           : N_CTX_CAP;
}

uint64_t mw_session_memory_needed(const mw_model_info *hp, int32_t n_ctx, int32_t window)
{
    return mw_session_memory_needed_kv(hp, n_ctx, window, MW_KV_F32);
}

uint64_t mw_session_memory_needed_kv(const mw_model_info *hp, int32_t n_ctx, int32_t window,
                                     int32_t kv_type)
{
    const uint64_t elt = mw_kv_type_size(kv_type);
    if (!hp || hp->n_layer <= 0 || !elt)
        return 0;
    if (n_ctx <= 0)
        n_ctx = mw_session_n_ctx_default(hp);
    if (window == 0)
        window = hp->sliding_window;
    const uint64_t n_batch = 64;
    const uint64_t kv_size = (uint64_t)mw_kv_size(n_ctx, window, (int32_t)n_batch);
    const uint64_t n_kv_dim = (uint64_t)hp->n_head_kv * hp->head_dim;
    const uint64_t kv = 2 * (uint64_t)hp->n_layer * kv_size * n_kv_dim * elt;
    const uint64_t n_q = (uint64_t)hp->n_head * hp->head_dim;
    const uint64_t ff = hp->n_expert ? (uint64_t)hp->n_ff * 2 : (uint64_t)hp->n_ff;
    uint64_t per_tok = 4 * (uint64_t)hp->n_embd + 2 * n_q + 2 * n_kv_dim + 2 * ff + (uint64_t)hp->head_dim;
    if (hp->n_expert)
        per_tok += (uint64_t)hp->n_expert + 2 * (uint64_t)hp->n_expert_used +
                   (uint64_t)hp->n_expert_used * hp->n_embd + 2 * (uint64_t)hp->n_embd;
    const uint64_t maxc = (uint64_t)MW_MAX(hp->n_embd, hp->n_ff);
    /* attention probabilities for 8 threads: one row per head of a KV group with an F16 cache */
    const uint64_t score_rows = kv_type == MW_KV_F16 && hp->n_head_kv > 0 ? (uint64_t)(hp->n_head / hp->n_head_kv) : 1;
    const uint64_t scratch = n_batch * per_tok * sizeof(float) + 3 * n_batch * maxc * 2 +
                             8 * score_rows * kv_size * sizeof(float);
    const uint64_t logits = (uint64_t)hp->n_vocab * sizeof(float);
    return kv + scratch + logits;
}
