/*
 * attention.h — grouped-query attention of a chunk of tokens over the KV cache of one layer,
 * with the causal mask and an optional sliding window.
 */
#ifndef MW_ATTENTION_H
#define MW_ATTENTION_H

#include "session.h"

/* Store the chunk's roped K and its V (sc.k, sc.v) at positions pos0.. in layer il's cache. */
void mw_kv_store(mw_session *s, int32_t il, int32_t pos0, int32_t n_tok);

/* sc.attn[t] = softmax(q_t . K / sqrt(head_dim)) V for every head of every chunk token t at
 * position pos0 + t, over positions max(0, p - window + 1) .. p. */
void mw_attention(mw_session *s, int32_t il, int32_t pos0, int32_t n_tok);

#endif
