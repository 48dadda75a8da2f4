/*
 * moe.c — router + expert dispatch (Mixtral). Follows llama.cpp's build_moe_ffn: softmax over
 * all router logits, top-k, weights divided by their sum, each selected expert's SwiGLU FFN
 * on the token, outputs scaled by the weights and added in selection order. Streamed experts
 * (expert_cache.h) are fetched one at a time just before their matmuls, in the same order, so
 * the same kernels run on the same bytes as with resident ones; before them, the next layer's
 * router picks its experts ahead (mw_model_params.expert_prefetch), so the source can fetch
 * them while this layer computes.
 */
#include "moe.h"
#include "expert_cache.h"
#include "matmul.h"
#include "ops.h"

void mw_moe_route(const float *logits, int32_t n_expert, int32_t k, int32_t *sel, float *sel_w)
{
    float probs[256];
    memcpy(probs, logits, (size_t)n_expert * sizeof(float));
    mw_softmax(probs, n_expert);
    /* selection sort of the top k: n_expert is small (8) */
    uint8_t taken[256] = { 0 };
    float sum = 0.0f;
    for (int32_t i = 0; i < k; i++) {
        int32_t best = -1;
        for (int32_t e = 0; e < n_expert; e++)
            if (!taken[e] && (best < 0 || probs[e] > probs[best]))
                best = e;
        taken[best] = 1;
        sel[i] = best;
        sel_w[i] = probs[best];
        sum += probs[best];
    }
    for (int32_t i = 0; i < k; i++)
        sel_w[i] /= sum;
}

/* Layer il + 1's router on this layer's hidden state (sc->x, after attention; its ffn_norm
 * applied): the residual stream changes little from one layer to the next, so its picks are
 * likely the ones that layer makes. Runs before this layer's experts: ex_in and router are free
 * until the expert loop (the routing is in sel). */
static void predict_next_layer(mw_pool *pool, mw_scratch *sc, const mw_model *model, int32_t il,
                               int32_t n_tok)
{
    const mw_model_info *hp = &model->info;
    const mw_layer *next = &model->layers[il + 1];
    const int32_t n_embd = hp->n_embd, k = hp->n_expert_used;
    mw_rmsnorm_rows(sc->ex_in, sc->x, next->ffn_norm.data, n_tok, n_embd, hp->norm_eps);
    mw_matmul_job router = { &next->ffn_gate_inp, sc->router };
    mw_matmul(pool, sc, n_tok, sc->ex_in, 1, &router);
    int32_t sel[256];
    float sel_w[256];
    for (int32_t t = 0; t < n_tok; t++) {
        mw_moe_route(sc->router + (size_t)t * hp->n_expert, hp->n_expert, k, sel, sel_w);
        for (int32_t i = 0; i < k; i++)
            mw_expert_cache_predict(model->experts, next, il + 1, sel[i]);
    }
}

mw_status mw_moe_ffn(mw_pool *pool, mw_scratch *sc, const mw_model *model,
                     uint64_t *expert_counts, int32_t il, int32_t n_tok)
{
    const mw_model_info *hp = &model->info;
    const mw_layer *l = &model->layers[il];
    const int32_t n_embd = hp->n_embd, n_ff = hp->n_ff, k = hp->n_expert_used;

    mw_matmul_job router = { &l->ffn_gate_inp, sc->router };
    mw_matmul(pool, sc, n_tok, sc->xn, 1, &router);
    for (int32_t t = 0; t < n_tok; t++) {
        mw_moe_route(sc->router + (size_t)t * hp->n_expert, hp->n_expert, k,
                     sc->sel + (size_t)t * k, sc->sel_w + (size_t)t * k);
        for (int32_t i = 0; i < k; i++)
            expert_counts[(size_t)il * hp->n_expert + sc->sel[(size_t)t * k + i]]++;
    }
    if (model->experts && mw_expert_cache_predicts(model->experts)) {
        uint8_t used[256] = { 0 };
        for (int32_t j = 0; j < n_tok * k; j++)
            used[sc->sel[j]] = 1;
        mw_expert_cache_routed(model->experts, il, used);
        if (il + 1 < hp->n_layer)
            predict_next_layer(pool, sc, model, il, n_tok);
    }

    for (int32_t e = 0; e < hp->n_expert; e++) {
        /* gather the chunk's tokens routed to expert e */
        int32_t n_rows = 0;
        for (int32_t t = 0; t < n_tok; t++)
            for (int32_t i = 0; i < k; i++)
                if (sc->sel[(size_t)t * k + i] == e) {
                    sc->rows[n_rows] = t;
                    sc->slots[n_rows] = i;
                    memcpy(sc->ex_in + (size_t)n_rows * n_embd, sc->xn + (size_t)t * n_embd,
                           (size_t)n_embd * sizeof(float));
                    n_rows++;
                }
        if (n_rows == 0)
            continue;
        const mw_tensor *w[3] = { &l->gate_exps[e], &l->up_exps[e], &l->down_exps[e] };
        mw_tensor cached[3];
        if (model->experts) {
            mw_status st = mw_expert_cache_get(model->experts, l, il, e, cached);
            if (st)
                return st;
            w[0] = &cached[0], w[1] = &cached[1], w[2] = &cached[2];
        }
        mw_matmul_job gate_up[2] = { { w[0], sc->gate }, { w[1], sc->up } };
        mw_matmul(pool, sc, n_rows, sc->ex_in, 2, gate_up);
        for (int32_t r = 0; r < n_rows; r++)
            mw_swiglu(sc->ex_mid + (size_t)r * n_ff, sc->gate + (size_t)r * n_ff,
                      sc->up + (size_t)r * n_ff, n_ff);
        mw_matmul_job down = { w[2], sc->ex_out };
        mw_matmul(pool, sc, n_rows, sc->ex_mid, 1, &down);
        for (int32_t r = 0; r < n_rows; r++) {
            const int32_t t = sc->rows[r], i = sc->slots[r];
            const float w = sc->sel_w[(size_t)t * k + i];
            float *dst = sc->exp_out + ((size_t)t * k + i) * n_embd;
            const float *src = sc->ex_out + (size_t)r * n_embd;
            for (int32_t d = 0; d < n_embd; d++)
                dst[d] = src[d] * w;
        }
    }
    /* sum in selection order, as llama.cpp's chain of adds */
    for (int32_t t = 0; t < n_tok; t++) {
        float *out = sc->proj + (size_t)t * n_embd;
        memcpy(out, sc->exp_out + (size_t)t * k * n_embd, (size_t)n_embd * sizeof(float));
        for (int32_t i = 1; i < k; i++) {
            const float *src = sc->exp_out + ((size_t)t * k + i) * n_embd;
            for (int32_t d = 0; d < n_embd; d++)
                out[d] += src[d];
        }
    }
    return MW_OK;
}
