/*
 * kvcache.c — sizing of a session: the KV cache (see session.h for the layout: F32 or F16
 * elements), every other buffer (mw_session_layout_init, which mw_session_create allocates)
 * and the memory estimate the loaders use to refuse a model + context that cannot fit before
 * allocating anything (the same layout).
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

/* a * b, saturating: a size no allocation can have stays too large instead of wrapping */
static uint64_t mul(uint64_t a, uint64_t b) { return a && b > UINT64_MAX / a ? UINT64_MAX : a * b; }

/* one buffer of count elements of elt bytes, kept in the session field at `where` */
static void add(mw_session_layout *L, void *where, uint64_t count, uint64_t elt)
{
    const uint64_t bytes = mul(count, elt);
    L->buffers[L->n_buffers].where = where;
    L->buffers[L->n_buffers].bytes = bytes;
    L->n_buffers++;
    L->bytes = L->bytes > UINT64_MAX - bytes ? UINT64_MAX : L->bytes + bytes;
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
    L->kv_size = mw_kv_size(L->n_ctx, L->window, L->n_batch);
    /* F16 cache: attention.c takes a KV head's whole query group at once */
    const uint64_t group = p->kv_type == MW_KV_F16 && hp->n_head_kv > 0 ? (uint64_t)(hp->n_head / hp->n_head_kv) : 1;
    L->scores_stride = (size_t)(L->kv_size * group);

    const uint64_t nb = (uint64_t)L->n_batch, n_embd = (uint64_t)hp->n_embd, n_ff = (uint64_t)hp->n_ff;
    const uint64_t n_q = (uint64_t)hp->n_head * hp->head_dim, n_kv = (uint64_t)hp->n_head_kv * hp->head_dim;
    const uint64_t k = (uint64_t)hp->n_expert_used, f = sizeof(float), i32 = sizeof(int32_t);
    mw_scratch *sc = s ? &s->sc : NULL;
#define AT(field) ((void *)(s ? &(field) : NULL))
    const uint64_t kv_elts = mul(mul((uint64_t)hp->n_layer, (uint64_t)L->kv_size), n_kv);
    add(L, AT(s->k_cache), kv_elts, mw_kv_type_size(p->kv_type));
    add(L, AT(s->v_cache), kv_elts, mw_kv_type_size(p->kv_type));
    add(L, AT(s->logits), (uint64_t)hp->n_vocab, f);
    add(L, AT(sc->x), nb * n_embd, f);
    add(L, AT(sc->xn), nb * n_embd, f);
    add(L, AT(sc->q), nb * n_q, f);
    add(L, AT(sc->k), nb * n_kv, f);
    add(L, AT(sc->v), nb * n_kv, f);
    add(L, AT(sc->attn), nb * n_q, f);
    add(L, AT(sc->proj), nb * n_embd, f);
    add(L, AT(sc->gate), nb * n_ff, f);
    add(L, AT(sc->up), nb * n_ff, f);
    add(L, AT(sc->rope_cs), nb * (uint64_t)hp->head_dim, f);
    add(L, AT(sc->scores), mul((uint64_t)(n_threads > 0 ? n_threads : 1), L->scores_stride), f);
    /* widest activation row: n_q (wo input), n_ff (ffn_down input) or n_embd; 2 bytes/value
     * covers F16/BF16 and every Q8 block format (at most 36 bytes per 32 values) */
    L->act_size = (size_t)(nb * (MW_MAX(MW_MAX(n_embd, n_ff), n_q) * 2 + 64));
    for (int i = 0; i < 3; i++)
        add(L, AT(sc->act[i]), L->act_size, 1);
    if (hp->n_expert) {
        add(L, AT(sc->router), nb * (uint64_t)hp->n_expert, f);
        add(L, AT(sc->sel_w), nb * k, f);
        add(L, AT(sc->exp_out), mul(nb * k, n_embd), f);
        add(L, AT(sc->ex_in), nb * n_embd, f);
        add(L, AT(sc->ex_mid), nb * n_ff, f);
        add(L, AT(sc->ex_out), nb * n_embd, f);
        add(L, AT(sc->sel), nb * k, i32);
        add(L, AT(sc->rows), nb, i32);
        add(L, AT(sc->slots), nb, i32);
        add(L, AT(s->expert_counts), (uint64_t)hp->n_layer * (uint64_t)hp->n_expert, sizeof(uint64_t));
    }
#undef AT
}

/* The estimate: the layout of a session with these settings, its attention scores sized for up
 * to 8 threads and the default batch. */
uint64_t mw_session_memory_needed_kv(const mw_model_info *hp, int32_t n_ctx, int32_t window,
                                     int32_t kv_type)
{
    if (!hp || hp->n_layer <= 0 || !mw_kv_type_size(kv_type))
        return 0;
    mw_session_params p = mw_session_params_default();
    p.n_ctx = n_ctx > 0 ? n_ctx : 0;
    p.sliding_window = window;
    p.kv_type = kv_type;
    mw_session_layout L;
    mw_session_layout_init(&L, hp, &p, 8, NULL);
    return L.bytes;
}
