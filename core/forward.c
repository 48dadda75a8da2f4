/*
 * forward.c — the Mistral forward pass over a chunk of tokens, as llama.cpp's llama graph:
 *   x = embed(tokens)
 *   per layer: h = x + wo . attn(rope(wq . rmsnorm(x)), rope(wk . ..), wv . ..)
 *              x = h + ffn(rmsnorm(h))      (SwiGLU, or the MoE of moe.c)
 *   logits = output . rmsnorm(x)
 * The abort hook is polled between layers.
 */
#include "forward.h"

#include "attention.h"
#include "matmul.h"
#include "moe.h"
#include "ops.h"
#include "quant/quant.h"

static void embed(mw_session *s, const int32_t *tokens, int32_t n_tok)
{
    const mw_tensor *e = &s->model->tok_embd;
    const int32_t n_embd = s->model->info.n_embd;
    const size_t row_bytes = mw_row_size(e->type, n_embd);
    const mw_dequantize_fn dequantize = mw_type_traits_get(e->type)->dequantize_row;
    for (int32_t t = 0; t < n_tok; t++)
        dequantize((const uint8_t *)e->data + (size_t)tokens[t] * row_bytes,
                   s->sc.x + (size_t)t * n_embd, n_embd);
}

static void add_rows(float *x, const float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] += y[i];
}

static void attention_block(mw_session *s, int32_t il, int32_t pos0, int32_t n_tok)
{
    const mw_model_info *hp = &s->model->info;
    const mw_layer *l = &s->model->layers[il];
    mw_scratch *sc = &s->sc;
    mw_rmsnorm_rows(sc->xn, sc->x, l->attn_norm.data, n_tok, hp->n_embd, hp->norm_eps);
    mw_matmul_job qkv[3] = { { &l->wq, sc->q }, { &l->wk, sc->k }, { &l->wv, sc->v } };
    mw_matmul(s->pool, sc, n_tok, sc->xn, 3, qkv);
    const size_t n_q = (size_t)hp->n_head * hp->head_dim, n_kv = (size_t)hp->n_head_kv * hp->head_dim;
    for (int32_t t = 0; t < n_tok; t++) {
        const float *cs = sc->rope_cs + (size_t)t * hp->head_dim;
        mw_rope_apply(sc->q + t * n_q, hp->n_head, hp->head_dim, cs);
        mw_rope_apply(sc->k + t * n_kv, hp->n_head_kv, hp->head_dim, cs);
    }
    const mw_kv_view kv = { s->k_cache, s->v_cache, s->kv_size, s->kv_type, s->window, n_kv };
    mw_kv_store(&kv, sc, il, pos0, n_tok);
    mw_attention(s->pool, sc, &kv, hp, il, pos0, n_tok);
    mw_matmul_job wo = { &l->wo, sc->proj };
    mw_matmul(s->pool, sc, n_tok, sc->attn, 1, &wo);
    add_rows(sc->x, sc->proj, (size_t)n_tok * hp->n_embd);
}

static mw_status ffn_block(mw_session *s, int32_t il, int32_t n_tok)
{
    const mw_model_info *hp = &s->model->info;
    const mw_layer *l = &s->model->layers[il];
    mw_scratch *sc = &s->sc;
    mw_rmsnorm_rows(sc->xn, sc->x, l->ffn_norm.data, n_tok, hp->n_embd, hp->norm_eps);
    if (hp->n_expert) {
        mw_status st = mw_moe_ffn(s->pool, sc, s->model, s->expert_counts, il, n_tok);
        if (st)
            return st;
    } else {
        mw_matmul_job gate_up[2] = { { &l->ffn_gate, sc->gate }, { &l->ffn_up, sc->up } };
        mw_matmul_swiglu(s->pool, sc, n_tok, sc->xn, gate_up);   /* sc->gate = silu(gate) * up */
        mw_matmul_job down = { &l->ffn_down, sc->proj };
        mw_matmul(s->pool, sc, n_tok, sc->gate, 1, &down);
    }
    add_rows(sc->x, sc->proj, (size_t)n_tok * hp->n_embd);
    return MW_OK;
}

mw_status mw_forward_chunk(mw_session *s, const int32_t *tokens, int32_t n_tok, float *logits_rows,
                           float *embd_rows)
{
    const mw_model *m = s->model;
    const mw_model_info *hp = &m->info;
    mw_scratch *sc = &s->sc;
    const int32_t pos0 = s->n_past;
    embed(s, tokens, n_tok);
    for (int32_t t = 0; t < n_tok; t++)
        mw_rope_table(sc->rope_cs + (size_t)t * hp->head_dim, hp->head_dim, pos0 + t, hp->rope_theta);
    for (int32_t il = 0; il < hp->n_layer; il++) {
        if (s->abort_fn && s->abort_fn(s->abort_user))
            return mw_fail(MW_ERR_ABORTED, "aborted by the caller");
        attention_block(s, il, pos0, n_tok);
        mw_status st = ffn_block(s, il, n_tok);
        if (st)
            return st;
    }
    /* final norm: every row when the caller wants them all, else only the last */
    const int32_t first = (logits_rows || embd_rows) ? 0 : n_tok - 1;
    const int32_t n_out = n_tok - first;
    mw_rmsnorm_rows(sc->xn, sc->x + (size_t)first * hp->n_embd, m->output_norm.data, n_out, hp->n_embd,
              hp->norm_eps);
    if (embd_rows)
        memcpy(embd_rows, sc->xn, (size_t)n_out * hp->n_embd * sizeof(float));
    if (logits_rows) {
        mw_matmul_job out = { &m->output, logits_rows };
        mw_matmul(s->pool, sc, n_out, sc->xn, 1, &out);
        memcpy(s->logits, logits_rows + (size_t)(n_out - 1) * hp->n_vocab,
               (size_t)hp->n_vocab * sizeof(float));
    } else if (!embd_rows) {
        mw_matmul_job out = { &m->output, s->logits };
        mw_matmul(s->pool, sc, 1, sc->xn + (size_t)(n_out - 1) * hp->n_embd, 1, &out);
    }
    /* embeddings skip the output head (the largest matrix of a small model) */
    s->have_logits = !embd_rows || logits_rows;
    return MW_OK;
}
