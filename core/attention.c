/*
 * attention.c — causal grouped-query attention over the rolling KV cache (F32 or F16).
 * Work is split over (token, head) pairs; each thread has its own row of probabilities.
 * Scores, softmax and the weighted sum of V follow ggml's non-flash path (scale applied
 * inside the softmax, sum in double). F16 cache: K and V are rounded to fp16 when stored and
 * the query is rounded to fp16 before the scores, as ggml's mul_mat converts it to the F16
 * vec_dot type. The probabilities and the sum of V stay f32: ggml's non-flash path rounds the
 * probabilities to fp16 for its F16 mul_mat with V and its flash path sums V in fp16; we keep
 * neither rounding (the cache itself is the only precision given up).
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
        const float *k = s->sc.k + (size_t)t * n_kv_dim, *v = s->sc.v + (size_t)t * n_kv_dim;
        if (s->kv_type == MW_KV_F16) {
            /* round to nearest even, as ggml's F16 cache (mw_f32_to_fp16) */
            mw_quantize_row_f16(k, (uint16_t *)s->k_cache + off, (int64_t)n_kv_dim);
            mw_quantize_row_f16(v, (uint16_t *)s->v_cache + off, (int64_t)n_kv_dim);
        } else {
            memcpy((float *)s->k_cache + off, k, n_kv_dim * sizeof(float));
            memcpy((float *)s->v_cache + off, v, n_kv_dim * sizeof(float));
        }
    }
}

typedef struct attn_task {
    mw_session *s;
    int32_t il, pos0, n_tok;
} attn_task;

/* probs[j] = scale * q . K[first + j] for one head, from the cache of the session's type */
static void scores(const mw_session *s, int32_t il, int32_t first, int32_t n_keys, size_t k_off,
                   float *q, float scale, float *probs)
{
    const int32_t head_dim = s->model->info.head_dim;
    if (s->kv_type == MW_KV_F16) {
        /* this (token, head) pair owns its q slice: round it in place */
        for (int32_t i = 0; i < head_dim; i++) q[i] = mw_fp16_to_f32(mw_f32_to_fp16(q[i]));
        const uint16_t *kc = s->k_cache;
        for (int32_t j = 0; j < n_keys; j++)
            probs[j] = mw_kern->dot_f16(head_dim, kc + mw_kv_offset(s, il, first + j) + k_off, q) * scale;
    } else {
        const float *kc = s->k_cache;
        for (int32_t j = 0; j < n_keys; j++)
            probs[j] = mw_kern->dot_f32(head_dim, q, kc + mw_kv_offset(s, il, first + j) + k_off) * scale;
    }
}

/* out = sum_j probs[j] * V[first + j] for one head */
static void weighted_v(const mw_session *s, int32_t il, int32_t first, int32_t n_keys, size_t v_off,
                       const float *probs, float *out)
{
    const int32_t head_dim = s->model->info.head_dim;
    memset(out, 0, (size_t)head_dim * sizeof(float));
    if (s->kv_type == MW_KV_F16) {
        const uint16_t *vc = s->v_cache;
        for (int32_t j = 0; j < n_keys; j++)
            mw_kern->axpy_f16(head_dim, probs[j], vc + mw_kv_offset(s, il, first + j) + v_off, out);
    } else {
        const float *vc = s->v_cache;
        for (int32_t j = 0; j < n_keys; j++)
            mw_kern->axpy_f32(head_dim, probs[j], vc + mw_kv_offset(s, il, first + j) + v_off, out);
    }
}

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
        const size_t kv_off = (size_t)(h / group) * head_dim;
        const int32_t pos = a->pos0 + t;
        const int32_t first = s->window > 0 && pos - s->window + 1 > 0 ? pos - s->window + 1 : 0;
        const int32_t n_keys = pos - first + 1;
        const size_t q_off = (size_t)t * n_head * head_dim + (size_t)h * head_dim;
        scores(s, a->il, first, n_keys, kv_off, s->sc.q + q_off, scale, probs);
        mw_softmax(probs, n_keys);
        weighted_v(s, a->il, first, n_keys, kv_off, probs, s->sc.attn + q_off);
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
