/*
 * kvcache.c — sizing of a session: the KV cache (see session.h for the layout: F32 or F16
 * elements), the scratch buffers and the logits, from the model and the session params with
 * their defaults applied. mw_session_create allocates exactly these sizes and refuses before
 * allocating anything when they do not fit (the caller's memory_limit, size_t on wasm32); the
 * loaders and tools use the same numbers to refuse a model + context that cannot fit.
 * Everything is computed in 64 bits, saturating, so nothing wraps on a 32-bit size_t.
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

/* saturating a * b and a + b: UINT64_MAX stands for "does not fit anywhere" */
static uint64_t mul(uint64_t a, uint64_t b)
{
    uint64_t v;
    return mw_mul_limit(a, b, UINT64_MAX, &v) ? v : UINT64_MAX;
}

static uint64_t add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void mw_session_sizes_of(const mw_model_info *hp, const mw_session_params *p, mw_session_sizes *z)
{
    memset(z, 0, sizeof *z);
    z->n_ctx = p->n_ctx ? p->n_ctx : MW_MIN(hp->n_ctx_train, 4096);
    z->window = p->sliding_window > 0 ? p->sliding_window : p->sliding_window < 0 ? 0 : hp->sliding_window;
    if (z->window >= z->n_ctx)
        z->window = 0;   /* the window never bites: plain cache */
    z->n_batch = MW_MIN(p->n_batch ? p->n_batch : 64, 4096);
    z->n_threads = p->n_threads ? p->n_threads : 1;
    z->kv_size = mw_kv_size(z->n_ctx, z->window, z->n_batch);

    const uint64_t elt = mw_kv_type_size(p->kv_type), nb = (uint64_t)z->n_batch;
    const uint64_t n_embd = (uint64_t)hp->n_embd, n_ff = (uint64_t)hp->n_ff;
    const uint64_t n_q = (uint64_t)hp->n_head * hp->head_dim;
    const uint64_t n_kv = (uint64_t)hp->n_head_kv * hp->head_dim;
    const uint64_t k = (uint64_t)hp->n_expert_used, n_expert = (uint64_t)hp->n_expert;
    z->kv_elts = mul(mul((uint64_t)hp->n_layer, (uint64_t)z->kv_size), n_kv);
    /* an F16 cache's attention handles a KV head's whole query group at once */
    const uint64_t score_rows = p->kv_type == MW_KV_F16 && hp->n_head_kv > 0 ?
                                (uint64_t)(hp->n_head / hp->n_head_kv) : 1;
    z->scores_stride = mul((uint64_t)z->kv_size, score_rows);
    /* widest activation row: n_q (wo input), n_ff (ffn_down input) or n_embd; 2 bytes/value
     * covers F16/BF16 and every Q8 block format (at most 36 bytes per 32 values) */
    const uint64_t max_cols = MW_MAX(MW_MAX(n_embd, n_ff), n_q);
    z->act_size = mul(nb, add(mul(max_cols, 2), 64));

    /* floats per token of the batch: x, xn, proj; q, attn; k, v; gate, up; rope cos/sin */
    uint64_t per_tok = add(add(add(mul(3, n_embd), mul(2, n_q)), add(mul(2, n_kv), mul(2, n_ff))),
                           (uint64_t)hp->head_dim);
    uint64_t bytes = mul(mul(2, z->kv_elts), elt);
    if (n_expert) {
        /* router, sel_w, exp_out, ex_in, ex_mid, ex_out (floats); sel, rows, slots (int32) */
        per_tok = add(per_tok, add(add(n_expert, k), add(mul(k, n_embd), add(mul(2, n_embd), n_ff))));
        per_tok = add(per_tok, add(k, 2));
        bytes = add(bytes, mul(mul((uint64_t)hp->n_layer, n_expert), sizeof(uint64_t)));
    }
    bytes = add(bytes, mul(mul(nb, per_tok), sizeof(float)));
    bytes = add(bytes, mul(mul((uint64_t)z->n_threads, z->scores_stride), sizeof(float)));
    bytes = add(bytes, mul(3, z->act_size));
    bytes = add(bytes, mul((uint64_t)hp->n_vocab, sizeof(float)));
    z->bytes = bytes;
}

uint64_t mw_session_memory_needed_params(const mw_model_info *hp, const mw_session_params *p)
{
    if (!hp || !p || hp->n_layer <= 0 || !mw_kv_type_size(p->kv_type) || p->n_ctx < 0 ||
        p->n_batch < 0 || p->n_threads < 0)
        return 0;
    mw_session_sizes z;
    mw_session_sizes_of(hp, p, &z);
    return z.bytes;
}

uint64_t mw_session_memory_needed(const mw_model_info *hp, int32_t n_ctx, int32_t window)
{
    return mw_session_memory_needed_kv(hp, n_ctx, window, MW_KV_F32);
}

uint64_t mw_session_memory_needed_kv(const mw_model_info *hp, int32_t n_ctx, int32_t window,
                                     int32_t kv_type)
{
    mw_session_params p = mw_session_params_default();
    p.n_ctx = n_ctx > 0 ? n_ctx : 0;
    p.sliding_window = window;
    p.kv_type = kv_type;
    return mw_session_memory_needed_params(hp, &p);
}
