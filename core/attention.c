/*
 * attention.c — causal grouped-query attention over the rolling KV cache.
 * Work is split over (token, head) pairs; each thread has its own row of probabilities.
 * Scores, softmax and the weighted sum of V follow ggml's non-flash path (F32 cache,
 * scale applied inside the softmax, sum in double).
 */
#include <math.h>

#include "attention.h"
#include "kernels/kernels.h"
#include "ops.h"

void mw_kv_store(mw_session *s, int32_t il, int32_t pos0, int32_t n_tok)
{
    const mw_model_info *hp = &s->model->info;
    const size_t n_kv_dim = (size_t)hp->n_head_kv * hp->head_dim;
    for (int32_t t = 0; t < n_tok; t++) {
        const size_t off = mw_kv_offset(s, il, pos0 + t);
        memcpy(s->k_cache + off, s->sc.k + (size_t)t * n_kv_dim, n_kv_dim * sizeof(float));
        memcpy(s->v_cache + off, s->sc.v + (size_t)t * n_kv_dim, n_kv_dim * sizeof(float));
    }
}

typedef struct attn_task {
    mw_session *s;
    int32_t il, pos0, n_tok;
} attn_task;

static void attn_worker(void *arg, int ith, int nth)
{
    const attn_task *a = arg;
    mw_session *s = a->s;
    const mw_model_info *hp = &s->model->info;
    const int32_t head_dim = hp->head_dim, n_head = hp->n_head;
    const int32_t group = n_head / hp->n_head_kv;
    const float scale = 1.0f / sqrtf((float)head_dim);
    float *probs = s->sc.scores + (size_t)ith * s->kv_size;
    const int64_t n_items = (int64_t)a->n_tok * n_head;
    for (int64_t item = n_items * ith / nth; item < n_items * (ith + 1) / nth; item++) {
        const int32_t t = (int32_t)(item / n_head), h = (int32_t)(item % n_head);
        const int32_t kvh = h / group;
        const int32_t pos = a->pos0 + t;
        const int32_t first = s->window > 0 && pos - s->window + 1 > 0 ? pos - s->window + 1 : 0;
        const int32_t n_keys = pos - first + 1;
        const float *q = s->sc.q + (size_t)t * n_head * head_dim + (size_t)h * head_dim;
        for (int32_t j = 0; j < n_keys; j++) {
            const float *k = s->k_cache + mw_kv_offset(s, a->il, first + j) + (size_t)kvh * head_dim;
            probs[j] = mw_kern->dot_f32(head_dim, q, k) * scale;
        }
        mw_softmax(probs, n_keys);
        float *out = s->sc.attn + (size_t)t * n_head * head_dim + (size_t)h * head_dim;
        memset(out, 0, (size_t)head_dim * sizeof(float));
        for (int32_t j = 0; j < n_keys; j++) {
            const float *v = s->v_cache + mw_kv_offset(s, a->il, first + j) + (size_t)kvh * head_dim;
            mw_kern->axpy_f32(head_dim, probs[j], v, out);
        }
    }
}

void mw_attention(mw_session *s, int32_t il, int32_t pos0, int32_t n_tok)
{
    attn_task task = { s, il, pos0, n_tok };
    const mw_model_info *hp = &s->model->info;
    const int32_t span = s->window ? MW_MIN(s->window, pos0 + n_tok) : pos0 + n_tok;
    const uint64_t work = (uint64_t)n_tok * hp->n_head * hp->head_dim * 2 * (uint64_t)span;
    mw_pool_run(s->pool, work, attn_worker, &task);
}
