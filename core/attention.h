/*
 * attention.h — grouped-query attention of a chunk of tokens over the KV cache of one layer,
 * with the causal mask and an optional sliding window.
 */
#ifndef MW_ATTENTION_H
#define MW_ATTENTION_H

#include "model.h"
#include "pool.h"
#include "scratch.h"

/* The KV cache as attention sees it (the session owns it; layout in session.h). */
typedef struct mw_kv_view {
    void *k_cache, *v_cache;  /* [n_layer][kv_size][n_kv_dim] elements of kv_type */
    int32_t kv_size;          /* slots per layer: position p lives in slot p % kv_size */
    int32_t kv_type;          /* MW_KV_F32 / MW_KV_F16 */
    int32_t window;           /* sliding window (0 = none) */
    size_t n_kv_dim;          /* n_head_kv * head_dim */
} mw_kv_view;

/* Element offset of position pos of layer il (multiply by mw_kv_type_size for bytes). */
static inline size_t mw_kv_offset(const mw_kv_view *kv, int32_t il, int32_t pos)
{
    return ((size_t)il * kv->kv_size + (size_t)(pos % kv->kv_size)) * kv->n_kv_dim;
}

/* Store the chunk's roped K and its V (sc->k, sc->v) at positions pos0.. in layer il's cache. */
void mw_kv_store(const mw_kv_view *kv, const mw_scratch *sc, int32_t il, int32_t pos0,
                 int32_t n_tok);

/* sc->attn[t] = softmax(q_t . K / sqrt(head_dim)) V for every head of every chunk token t at
 * position pos0 + t, over positions max(0, p - window + 1) .. p. */
void mw_attention(mw_pool *pool, mw_scratch *sc, const mw_kv_view *kv, const mw_model_info *hp,
                  int32_t il, int32_t pos0, int32_t n_tok);

#endif
