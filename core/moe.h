/*
 * moe.h — Mixtral's sparse mixture-of-experts FFN: a router picks the top n_expert_used of
 * n_expert SwiGLU experts per token and their outputs are summed with renormalised weights.
 */
#ifndef MW_MOE_H
#define MW_MOE_H

#include "model.h"
#include "pool.h"
#include "scratch.h"

/* Router for one token: softmax over logits[n_expert], the top k (ties: lower expert id
 * first), weights renormalised to sum 1. sel/sel_w receive k entries, best first. */
void mw_moe_route(const float *logits, int32_t n_expert, int32_t k, int32_t *sel, float *sel_w);

/* sc->proj[t] = MoE FFN of sc->xn[t] for the chunk's n_tok tokens in layer il. Tokens are
 * grouped by expert so each expert's weights are read once per chunk. expert_counts:
 * [n_layer][n_expert] selections, counted up. Fails only when a streamed expert cannot be read
 * (MW_ERR_IO, MW_ERR_TRUNCATED, MW_ERR_NO_MEMORY). */
mw_status mw_moe_ffn(mw_pool *pool, mw_scratch *sc, const mw_model *model,
                     uint64_t *expert_counts, int32_t il, int32_t n_tok);

#endif
