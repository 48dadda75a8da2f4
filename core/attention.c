/*
 * attention.c — causal grouped-query attention over the rolling KV cache (F32 or F16).
 * Work is split over (token, head) pairs (F32 cache) or (token, KV head) pairs (F16 cache: the
 * query heads sharing a KV head together, so each fp16 row is widened once for the group);
 * each thread has its own rows of probabilities.
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

void mw_kv_store(const mw_kv_view *kv, const mw_scratch *sc, int32_t il, int32_t pos0,
                 int32_t n_tok)
{
    const size_t n_kv_dim = kv->n_kv_dim;
    for (int32_t t = 0; t < n_tok; t++) {
        const size_t off = mw_kv_offset(kv, il, pos0 + t);
        const float *k = sc->k + (size_t)t * n_kv_dim, *v = sc->v + (size_t)t * n_kv_dim;
        if (kv->kv_type == MW_KV_F16) {
            /* round to nearest even, as ggml's F16 cache (mw_f32_to_fp16) */
            mw_quantize_row_f16(k, (uint16_t *)kv->k_cache + off, (int64_t)n_kv_dim);
            mw_quantize_row_f16(v, (uint16_t *)kv->v_cache + off, (int64_t)n_kv_dim);
        } else {
            memcpy((float *)kv->k_cache + off, k, n_kv_dim * sizeof(float));
            memcpy((float *)kv->v_cache + off, v, n_kv_dim * sizeof(float));
        }
    }
}

typedef struct attn_task {
    const mw_kv_view *kv;
    const mw_model_info *hp;
    mw_scratch *sc;
    int32_t il, pos0, n_tok;
} attn_task;

/* F32 cache: one (token, head) pair per item. */
static void attn_f32(const attn_task *a, float *probs, int64_t item)
{
    const mw_kv_view *kv = a->kv;
    const mw_model_info *hp = a->hp;
    const int32_t head_dim = hp->head_dim, n_head = hp->n_head;
    const int32_t t = (int32_t)(item / n_head), h = (int32_t)(item % n_head);
    const size_t kv_off = (size_t)(h / (n_head / hp->n_head_kv)) * head_dim;
    const int32_t pos = a->pos0 + t;
    const int32_t first = kv->window > 0 && pos - kv->window + 1 > 0 ? pos - kv->window + 1 : 0;
    const int32_t n_keys = pos - first + 1;
    const size_t q_off = (size_t)t * n_head * head_dim + (size_t)h * head_dim;
    const float scale = 1.0f / sqrtf((float)head_dim);
    const float *q = a->sc->q + q_off, *kc = kv->k_cache, *vc = kv->v_cache;
    for (int32_t j = 0; j < n_keys; j++)
        probs[j] = mw_kern->dot_f32(head_dim, q, kc + mw_kv_offset(kv, a->il, first + j) + kv_off) * scale;
    mw_softmax(probs, n_keys);
    float *out = a->sc->attn + q_off;
    memset(out, 0, (size_t)head_dim * sizeof(float));
    for (int32_t j = 0; j < n_keys; j++)
        mw_kern->axpy_f32(head_dim, probs[j], vc + mw_kv_offset(kv, a->il, first + j) + kv_off, out);
}

/* F16 cache: one (token, KV head) pair per item, i.e. the `group` query heads sharing that KV
 * head, so every fp16 K and V row is widened once for the group (kernels dot_f16 / axpy_f16).
 * probs holds group rows of kv_size; each head's numbers are those of a per-head loop. */
static void attn_f16(const attn_task *a, float *probs, int64_t item)
{
    const mw_kv_view *kv = a->kv;
    const mw_model_info *hp = a->hp;
    const int32_t head_dim = hp->head_dim, n_head = hp->n_head, n_head_kv = hp->n_head_kv;
    const int32_t group = n_head / n_head_kv;
    const int32_t t = (int32_t)(item / n_head_kv), kvh = (int32_t)(item % n_head_kv);
    const size_t kv_off = (size_t)kvh * head_dim;
    const int32_t pos = a->pos0 + t;
    const int32_t first = kv->window > 0 && pos - kv->window + 1 > 0 ? pos - kv->window + 1 : 0;
    const int32_t n_keys = pos - first + 1;
    const size_t q_off = (size_t)t * n_head * head_dim + (size_t)kvh * group * head_dim;
    const float scale = 1.0f / sqrtf((float)head_dim);
    const uint16_t *kc = kv->k_cache, *vc = kv->v_cache;
    float *q = a->sc->q + q_off;   /* the group's query rows, head_dim apart */
    /* this item owns these rows: round them to fp16 in place, as ggml's F16 mul_mat does */
    for (int32_t i = 0; i < group * head_dim; i++) q[i] = mw_fp16_to_f32(mw_f32_to_fp16(q[i]));
    float sc[64];   /* one key's scores for up to 64 heads per kernel call */
    for (int32_t j = 0; j < n_keys; j++) {
        const uint16_t *k = kc + mw_kv_offset(kv, a->il, first + j) + kv_off;
        for (int32_t g0 = 0; g0 < group; g0 += 64) {
            const int32_t ng = MW_MIN(64, group - g0);
            mw_kern->dot_f16(head_dim, k, q + (size_t)g0 * head_dim, (size_t)head_dim, ng, sc);
            for (int32_t g = 0; g < ng; g++) probs[(size_t)(g0 + g) * kv->kv_size + j] = sc[g] * scale;
        }
    }
    float *out = a->sc->attn + q_off;
    for (int32_t g = 0; g < group; g++)
        mw_softmax(probs + (size_t)g * kv->kv_size, n_keys);
    memset(out, 0, (size_t)group * head_dim * sizeof(float));
    for (int32_t j = 0; j < n_keys; j++) {
        const uint16_t *v = vc + mw_kv_offset(kv, a->il, first + j) + kv_off;
        for (int32_t g0 = 0; g0 < group; g0 += 64) {
            const int32_t ng = MW_MIN(64, group - g0);
            for (int32_t g = 0; g < ng; g++) sc[g] = probs[(size_t)(g0 + g) * kv->kv_size + j];
            mw_kern->axpy_f16(head_dim, sc, v, out + (size_t)g0 * head_dim, (size_t)head_dim, ng);
        }
    }
}

static void attn_worker(void *arg, int ith, int nth)
{
    const attn_task *a = arg;
    const mw_kv_view *kv = a->kv;
    const mw_model_info *hp = a->hp;
    const bool f16 = kv->kv_type == MW_KV_F16;
    float *probs = a->sc->scores + (size_t)ith * a->sc->scores_stride;
    const int64_t n_items = (int64_t)a->n_tok * (f16 ? hp->n_head_kv : hp->n_head);
    for (int64_t item = n_items * ith / nth; item < n_items * (ith + 1) / nth; item++) {
        if (f16)
            attn_f16(a, probs, item);
        else
            attn_f32(a, probs, item);
    }
}

void mw_attention(mw_pool *pool, mw_scratch *sc, const mw_kv_view *kv, const mw_model_info *hp,
                  int32_t il, int32_t pos0, int32_t n_tok)
{
    attn_task task = { kv, hp, sc, il, pos0, n_tok };
    const int32_t span = kv->window ? MW_MIN(kv->window, pos0 + n_tok) : pos0 + n_tok;
    const uint64_t work = (uint64_t)n_tok * hp->n_head * hp->head_dim * 2 * (uint64_t)span;
    mw_pool_run(pool, work, attn_worker, &task);
}
