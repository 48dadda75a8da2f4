/*
 * kvcache.c — sizing of a session: the KV cache (see session.h for the layout: F32 or F16
 * elements), every other buffer, and the memory estimate: mw_session_layout_init lists every
 * buffer a session allocates, from the model and the session params with their defaults
 * applied. mw_session_create allocates exactly that list and refuses before allocating
 * anything when it does not fit (the caller's memory_limit, size_t, wasm32's 4 GiB); the
 * loaders and tools sum the same list to refuse a model + context that cannot fit.
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

int32_t mw_session_n_ctx_default(const mw_model_info *info)
{
    enum { N_CTX_CAP = 4096 };   /* the KV cache a default session affords on wasm32 */
    return info && info->n_ctx_train > 0 && info->n_ctx_train < N_CTX_CAP ? info->n_ctx_train
                                                                           : N_CTX_CAP;
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

/* one buffer of count elements of elt bytes, kept in the session field at `where` */
static void put(mw_session_layout *L, void *where, uint64_t count, uint64_t elt)
{
    const uint64_t bytes = mul(count, elt);
    L->buffers[L->n_buffers].where = where;
    L->buffers[L->n_buffers].bytes = bytes;
    L->n_buffers++;
    L->bytes = add(L->bytes, bytes);
}

void mw_session_layout_init(mw_session_layout *L, const mw_model_info *hp,
                            const mw_session_params *p, int32_t n_threads, mw_session *s)
{
    memset(L, 0, sizeof *L);
    L->n_ctx = p->n_ctx ? p->n_ctx : mw_session_n_ctx_default(hp);
    L->window = p->sliding_window > 0 ? p->sliding_window : p->sliding_window < 0 ? 0 : hp->sliding_window;
    if (L->window >= L->n_ctx)
        L->window = 0; /* the window never bites: plain cache */
    L->n_batch = MW_MIN(p->n_batch ? p->n_batch : 64, 4096);
    L->n_threads = n_threads > 0 ? n_threads : 1;
    L->kv_size = mw_kv_size(L->n_ctx, L->window, L->n_batch);
    /* F16 cache: attention.c takes a KV head's whole query group at once */
    const uint64_t group = p->kv_type == MW_KV_F16 && hp->n_head_kv > 0 ? (uint64_t)(hp->n_head / hp->n_head_kv) : 1;
    L->scores_stride = mul((uint64_t)L->kv_size, group);

    const uint64_t nb = (uint64_t)L->n_batch, n_embd = (uint64_t)hp->n_embd, n_ff = (uint64_t)hp->n_ff;
    const uint64_t n_q = mul((uint64_t)hp->n_head, (uint64_t)hp->head_dim);
    const uint64_t n_kv = mul((uint64_t)hp->n_head_kv, (uint64_t)hp->head_dim);
    const uint64_t k = (uint64_t)hp->n_expert_used, n_expert = (uint64_t)hp->n_expert;
    const uint64_t f = sizeof(float), i32 = sizeof(int32_t);
    mw_scratch *sc = s ? &s->sc : NULL;
#define AT(field) ((void *)(s ? &(field) : NULL))
    const uint64_t kv_elts = mul(mul((uint64_t)hp->n_layer, (uint64_t)L->kv_size), n_kv);
    put(L, AT(s->k_cache), kv_elts, mw_kv_type_size(p->kv_type));
    put(L, AT(s->v_cache), kv_elts, mw_kv_type_size(p->kv_type));
    put(L, AT(s->logits), (uint64_t)hp->n_vocab, f);
    put(L, AT(sc->x), mul(nb, n_embd), f);
    put(L, AT(sc->xn), mul(nb, n_embd), f);
    put(L, AT(sc->q), mul(nb, n_q), f);
    put(L, AT(sc->k), mul(nb, n_kv), f);
    put(L, AT(sc->v), mul(nb, n_kv), f);
    put(L, AT(sc->attn), mul(nb, n_q), f);
    put(L, AT(sc->proj), mul(nb, n_embd), f);
    put(L, AT(sc->gate), mul(nb, n_ff), f);
    put(L, AT(sc->up), mul(nb, n_ff), f);
    put(L, AT(sc->rope_cs), mul(nb, (uint64_t)hp->head_dim), f);
    put(L, AT(sc->scores), mul((uint64_t)L->n_threads, L->scores_stride), f);
    /* widest activation row: n_q (wo input), n_ff (ffn_down input) or n_embd; 2 bytes/value
     * covers F16/BF16 and every Q8 block format (at most 36 bytes per 32 values) */
    L->act_size = mul(nb, add(mul(MW_MAX(MW_MAX(n_embd, n_ff), n_q), 2), 64));
    for (int i = 0; i < 3; i++)
        put(L, AT(sc->act[i]), L->act_size, 1);
    if (n_expert) {
        put(L, AT(sc->router), mul(nb, n_expert), f);
        put(L, AT(sc->sel_w), mul(nb, k), f);
        put(L, AT(sc->exp_out), mul(mul(nb, k), n_embd), f);
        put(L, AT(sc->ex_in), mul(nb, n_embd), f);
        put(L, AT(sc->ex_mid), mul(nb, n_ff), f);
        put(L, AT(sc->ex_out), mul(nb, n_embd), f);
        put(L, AT(sc->sel), mul(nb, k), i32);
        put(L, AT(sc->rows), nb, i32);
        put(L, AT(sc->slots), nb, i32);
        put(L, AT(s->expert_counts), mul((uint64_t)hp->n_layer, n_expert), sizeof(uint64_t));
    }
#undef AT
}

uint64_t mw_session_memory_needed_params(const mw_model_info *hp, const mw_session_params *p)
{
    if (!hp || !p || hp->n_layer <= 0 || !mw_kv_type_size(p->kv_type) || p->n_ctx < 0 ||
        p->n_batch < 0 || p->n_threads < 0)
        return 0;
    mw_session_layout L;
    mw_session_layout_init(&L, hp, p, p->n_threads, NULL);
    return L.bytes;
}

uint64_t mw_session_memory_needed(const mw_model_info *hp, int32_t n_ctx, int32_t window)
{
    return mw_session_memory_needed_kv(hp, n_ctx, window, MW_KV_F32);
}

/* The estimate for a session with these settings and the other params' defaults (n_batch 64,
 * one thread). */
uint64_t mw_session_memory_needed_kv(const mw_model_info *hp, int32_t n_ctx, int32_t window,
                                     int32_t kv_type)
{
    mw_session_params p = mw_session_params_default();
    p.n_ctx = n_ctx > 0 ? n_ctx : 0;
    p.sliding_window = window;
    p.kv_type = kv_type;
    return mw_session_memory_needed_params(hp, &p);
}
