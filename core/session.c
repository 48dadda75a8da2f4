/*
 * session.c — the public session API: creation (every buffer sized once), evaluation in
 * chunks of n_batch tokens, the token history for prefix reuse, truncation and reset.
 */
#include "session.h"
#include "forward.h"
#include "kernels/kernels.h"
#include "quant/quant.h"

mw_session_params mw_session_params_default(void)
{
    mw_session_params p;
    memset(&p, 0, sizeof p);
    return p;
}

static void free_scratch(mw_scratch *sc)
{
    float *fl[] = { sc->x, sc->xn, sc->q, sc->k, sc->v, sc->attn, sc->proj, sc->gate, sc->up,
                    sc->rope_cs, sc->scores, sc->router, sc->sel_w, sc->exp_out, sc->ex_in,
                    sc->ex_mid, sc->ex_out };
    for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++)
        mw_free(fl[i]);
    for (int i = 0; i < 3; i++)
        mw_free(sc->act[i]);
    mw_free(sc->sel);
    mw_free(sc->rows);
    mw_free(sc->slots);
}

/* Refuse before allocating anything when the session cannot fit: a context beyond what the
 * model was trained for, the caller's cap on the session, what size_t can address, and the
 * model's budget (mw_memory_check: weights + this session + the reserve, within the
 * memory_limit the model was loaded with and, on wasm32, the 4 GiB address space). */
static mw_status check_budget(const mw_model *model, const mw_session_params *p,
                              const mw_session_layout *L)
{
    const mw_model_info *hp = &model->info;
    const int32_t n_ctx = L->n_ctx;
    const uint64_t need = L->bytes;
    if (n_ctx > hp->n_ctx_train)
        return mw_fail(MW_ERR_INVALID_ARG, "n_ctx %d is more than the %d tokens the model was "
                       "trained for (context_length)", n_ctx, hp->n_ctx_train);
    if (p->memory_limit && need > p->memory_limit)
        return mw_fail(MW_ERR_TOO_LARGE, "a session of %d tokens needs %llu MiB, over the limit of %llu MiB",
                       n_ctx, (unsigned long long)(need >> 20), (unsigned long long)(p->memory_limit >> 20));
    if (need > (uint64_t)SIZE_MAX)
        return mw_fail(MW_ERR_TOO_LARGE, "a session of %d tokens needs %llu MiB, more than this "
                       "platform can address", n_ctx, (unsigned long long)(need >> 20));
    return mw_memory_check_experts(hp, p, model->memory_limit, model->expert_cache_bytes, NULL);
}

mw_status mw_session_create(const mw_model *model, const mw_session_params *params,
                            mw_session **out)
{
    if (!out)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_session_create: out is NULL");
    *out = NULL;
    if (!model)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_session_create: model is NULL");
    if (model->vocab_only)
        return mw_fail(MW_ERR_UNSUPPORTED, "model has no weights (vocabulary-only file)");
    mw_session_params p = params ? *params : mw_session_params_default();
    const mw_model_info *hp = &model->info;
    if (p.n_ctx < 0 || p.n_threads < 0 || p.n_batch < 0)
        return mw_fail(MW_ERR_INVALID_ARG, "negative n_ctx, n_threads or n_batch");
    if (!mw_kv_type_size(p.kv_type))
        return mw_fail(MW_ERR_INVALID_ARG, "unknown kv_type %d (MW_KV_F32 = 0 or MW_KV_F16 = 1)",
                       (int)p.kv_type);
    mw_kernels_init();
    if (p.n_ctx == 0)   /* the default context, shrunk to fit the model's budget */
        p.n_ctx = mw_session_n_ctx_fit(hp, &p, model->memory_limit, model->expert_cache_bytes);
    /* budgeted for every requested thread; a build that starts fewer allocates fewer rows */
    mw_session_layout L;
    mw_session_layout_init(&L, hp, &p, p.n_threads, NULL);
    mw_status st = check_budget(model, &p, &L);
    if (st)
        return st;

    mw_session *s = mw_calloc(1, sizeof *s);
    if (!s)
        return mw_fail(MW_ERR_NO_MEMORY, "out of memory creating the session");
    s->model = model;
    st = mw_pool_create(L.n_threads, &s->pool);
    if (!st)   /* the same sizes (at most the budgeted ones), now with their fields */
        mw_session_layout_init(&L, hp, &p, MW_MIN(mw_pool_size(s->pool), L.n_threads), s);
    /* every size below was bounded by check_budget: the total fits size_t */
    s->n_ctx = L.n_ctx;
    s->window = L.window;
    s->n_batch = L.n_batch;
    s->kv_size = L.kv_size;
    s->kv_type = p.kv_type;
    s->sc.scores_stride = (size_t)L.scores_stride;
    s->sc.act_size = (size_t)L.act_size;
    s->abort_fn = p.abort_fn;
    s->abort_user = p.abort_user;
    for (int32_t i = 0; i < L.n_buffers && !st; i++) {
        size_t bytes;
        void *buf = mw_mul_size(L.buffers[i].bytes, 1, &bytes) ? mw_calloc(bytes ? bytes : 1, 1) : NULL;
        if (!buf)
            st = mw_fail(MW_ERR_NO_MEMORY, "out of memory allocating %llu bytes for a session of %d tokens",
                         (unsigned long long)L.buffers[i].bytes, L.n_ctx);
        else
            memcpy(L.buffers[i].where, &buf, sizeof buf);   /* into the field's pointer */
    }
    if (st) {
        mw_session_free(s);
        return st;
    }
    *out = s;
    return MW_OK;
}

void mw_session_free(mw_session *s)
{
    if (!s)
        return;
    mw_pool_free(s->pool);
    free_scratch(&s->sc);
    mw_free(s->k_cache);
    mw_free(s->v_cache);
    mw_free(s->logits);
    mw_free(s->tokens);
    mw_free(s->expert_counts);
    mw_free(s);
}

static mw_status reserve_tokens(mw_session *s, int64_t need)
{
    if (need <= s->tokens_cap)
        return MW_OK;
    int64_t cap = s->tokens_cap ? s->tokens_cap : 256;
    while (cap < need)
        cap *= 2;
    if (cap > INT32_MAX)
        return mw_fail(MW_ERR_CONTEXT_FULL, "more than 2^31 positions");
    int32_t *t = mw_realloc(s->tokens, (size_t)cap * sizeof(int32_t));
    if (!t)
        return mw_fail(MW_ERR_NO_MEMORY, "out of memory growing the token history");
    s->tokens = t;
    s->tokens_cap = (int32_t)cap;
    return MW_OK;
}

static mw_status eval(mw_session *s, const int32_t *tokens, int32_t n, float *logits_all,
                      float *embd_all)
{
    if (!s || (!tokens && n > 0) || n < 0)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_session_eval: NULL session/tokens or negative count");
    const mw_model_info *hp = &s->model->info;
    for (int32_t i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= hp->n_vocab)
            return mw_fail(MW_ERR_INVALID_ARG, "token id %d at index %d is outside the vocabulary (0..%d)",
                           tokens[i], i, hp->n_vocab - 1);
    if (!s->window && (int64_t)s->n_past + n > s->n_ctx)
        return mw_fail(MW_ERR_CONTEXT_FULL, "context full: %d + %d tokens > n_ctx %d", s->n_past, n,
                       s->n_ctx);
    mw_status st = reserve_tokens(s, (int64_t)s->n_past + n);
    if (st)
        return st;
    for (int32_t done = 0; done < n;) {
        const int32_t chunk = MW_MIN(s->n_batch, n - done);
        st = mw_forward_chunk(s, tokens + done, chunk,
                              logits_all ? logits_all + (size_t)done * hp->n_vocab : NULL,
                              embd_all ? embd_all + (size_t)done * hp->n_embd : NULL);
        if (st)
            return st;
        memcpy(s->tokens + s->n_past, tokens + done, (size_t)chunk * sizeof(int32_t));
        s->n_past += chunk;
        done += chunk;
    }
    return MW_OK;
}

mw_status mw_session_eval(mw_session *s, const int32_t *tokens, int32_t n, float *logits_all)
{
    return eval(s, tokens, n, logits_all, NULL);
}

mw_status mw_session_eval_embd(mw_session *s, const int32_t *tokens, int32_t n, float *embd_all)
{
    return eval(s, tokens, n, NULL, embd_all);
}

const float *mw_session_logits(const mw_session *s)
{
    return s && s->have_logits ? s->logits : NULL;
}

int32_t mw_session_n_past(const mw_session *s) { return s ? s->n_past : 0; }
int32_t mw_session_n_ctx(const mw_session *s) { return s ? s->n_ctx : 0; }
int32_t mw_session_window(const mw_session *s) { return s ? s->window : 0; }

const int32_t *mw_session_tokens(const mw_session *s) { return s ? s->tokens : NULL; }

mw_status mw_session_truncate(mw_session *s, int32_t n_keep)
{
    if (!s || n_keep < 0)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_session_truncate: bad arguments");
    if (n_keep >= s->n_past)
        return MW_OK;
    /* with a rolling cache, the window before n_keep must still be stored */
    if (s->window && n_keep > 0 && (int64_t)n_keep - s->window + 1 < (int64_t)s->n_past - s->kv_size)
        return mw_fail(MW_ERR_STATE, "cannot rewind to %d: the rolling KV cache no longer holds the window before it",
                       n_keep);
    s->n_past = n_keep;
    s->have_logits = false;
    return MW_OK;
}

void mw_session_reset(mw_session *s)
{
    if (!s)
        return;
    s->n_past = 0;
    s->have_logits = false;
    if (s->expert_counts)
        memset(s->expert_counts, 0,
               (size_t)s->model->info.n_layer * s->model->info.n_expert * sizeof(uint64_t));
}

void mw_session_set_abort(mw_session *s, mw_abort_fn fn, void *user)
{
    if (!s)
        return;
    s->abort_fn = fn;
    s->abort_user = user;
}

mw_status mw_session_expert_counts(const mw_session *s, uint64_t *counts, size_t cap)
{
    if (!s || !counts)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_session_expert_counts: NULL argument");
    const size_t n = (size_t)s->model->info.n_layer * s->model->info.n_expert;
    if (n == 0)
        return mw_fail(MW_ERR_UNSUPPORTED, "not a mixture-of-experts model");
    if (cap < n)
        return mw_fail(MW_ERR_BUFFER_TOO_SMALL, "need %zu counts", n);
    memcpy(counts, s->expert_counts, n * sizeof(uint64_t));
    return MW_OK;
}

uint64_t mw_session_kv_bytes(const mw_session *s)
{
    if (!s)
        return 0;
    const mw_model_info *hp = &s->model->info;
    return 2 * (uint64_t)hp->n_layer * (uint64_t)s->kv_size * (uint64_t)hp->n_head_kv *
           (uint64_t)hp->head_dim * mw_kv_type_size(s->kv_type);
}
