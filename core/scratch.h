/*
 * scratch.h — the buffers one chunk of tokens is computed in, sized once when a session is
 * created (session.h, kvcache.c) so no token allocates. The compute steps (matmul, attention,
 * moe) see these buffers, never the session.
 */
#ifndef MW_SCRATCH_H
#define MW_SCRATCH_H

#include <stddef.h>
#include <stdint.h>

typedef struct mw_scratch {
    float *x;          /* [n_batch][n_embd] residual stream */
    float *xn;         /* [n_batch][n_embd] normed input of a sub-block */
    float *q;          /* [n_batch][n_head*head_dim] */
    float *k;          /* [n_batch][n_head_kv*head_dim] */
    float *v;          /* [n_batch][n_head_kv*head_dim] */
    float *attn;       /* [n_batch][n_head*head_dim] attention output */
    float *proj;       /* [n_batch][n_embd] output of wo / ffn_down */
    float *gate;       /* [n_batch][n_ff] */
    float *up;         /* [n_batch][n_ff] */
    float *rope_cs;    /* [n_batch][head_dim] cos/sin per token */
    float *scores;     /* [n_threads][scores_stride] attention probabilities */
    size_t scores_stride; /* kv_size (F32 cache), or n_head / n_head_kv rows of kv_size (F16
                           * cache: attention.c handles a KV head's whole query group at once) */
    void *act[3];      /* quantized activations, one buffer per vec_dot type in flight */
    size_t act_size;   /* bytes of each act buffer */
    /* MoE */
    float *router;     /* [n_batch][n_expert] */
    int32_t *sel;      /* [n_batch][n_expert_used] selected experts */
    float *sel_w;      /* [n_batch][n_expert_used] their renormalised weights */
    float *exp_out;    /* [n_batch][n_expert_used][n_embd] expert outputs before the sum */
    int32_t *rows;     /* [n_batch] token rows routed to one expert */
    int32_t *slots;    /* [n_batch] which selection slot of that token */
    float *ex_in;      /* [n_batch][n_embd] gathered expert inputs */
    float *ex_mid;     /* [n_batch][n_ff] gathered expert hidden states */
    float *ex_out;     /* [n_batch][n_embd] */
} mw_scratch;

#endif
