/*
 * model.h — internal view of a loaded model: hyperparameters, bound weight tensors, the
 * tokenizer. The loader (loader.c) produces a parsed header plus a data buffer and hands both
 * to mw_model_create(), which validates shapes and binds tensors.
 */
#ifndef MW_MODEL_H
#define MW_MODEL_H

#include "base.h"
#include "gguf.h"
#include "tensor_data.h"

struct mw_tokenizer;

typedef struct mw_tensor {
    const char *name;
    int32_t type;         /* MW_TYPE_* */
    int64_t ne[4];        /* ne[0] = row length */
    const void *data;
    uint64_t offset;      /* of data in the file's data section */
    uint64_t nbytes;
    bool repacked;        /* data is in mw_kern->repack's layout (matmul uses vec_dot_rows8) */
} mw_tensor;

typedef struct mw_layer {
    mw_tensor attn_norm;  /* [n_embd] */
    mw_tensor wq;         /* [n_embd] x n_head*head_dim rows */
    mw_tensor wk;         /* [n_embd] x n_head_kv*head_dim rows */
    mw_tensor wv;         /* [n_embd] x n_head_kv*head_dim rows */
    mw_tensor wo;         /* [n_head*head_dim] x n_embd rows */
    mw_tensor ffn_norm;   /* [n_embd] */
    /* dense FFN */
    mw_tensor ffn_gate;   /* [n_embd] x n_ff rows */
    mw_tensor ffn_up;     /* [n_embd] x n_ff rows */
    mw_tensor ffn_down;   /* [n_ff] x n_embd rows */
    /* MoE FFN: router + merged expert tensors (ne[2] = n_expert), or per-expert tensors */
    mw_tensor ffn_gate_inp;   /* [n_embd] x n_expert rows, F32 */
    mw_tensor *gate_exps;     /* n_expert slices: [n_embd] x n_ff rows each */
    mw_tensor *up_exps;
    mw_tensor *down_exps;     /* [n_ff] x n_embd rows each */
} mw_layer;

struct mw_model {
    mw_model_info info;
    mw_gguf *gguf;
    mw_data data;             /* tensor data section, in aligned blocks */
    bool owns_data;           /* false: the blocks point into a caller's buffer */
    bool vocab_only;          /* no weights: tokenizer only */
    mw_tensor tok_embd;       /* [n_embd] x n_vocab rows */
    mw_tensor output_norm;    /* [n_embd] */
    mw_tensor output;         /* [n_embd] x n_vocab rows (tok_embd when tied) */
    mw_layer *layers;         /* n_layer */
    struct mw_tokenizer *tokenizer;
    uint64_t memory_limit;    /* mw_model_params.memory_limit: its sessions' budget too */
    uint64_t expert_cache_bytes; /* mw_model_params.expert_cache_bytes when streaming, else 0 */
    struct mw_expert_cache *experts; /* streamed experts (expert_cache.h), or NULL: resident */
};

/* Fill info from the header alone (used before the weights have arrived). */
mw_status mw_model_info_from_gguf(const mw_gguf *g, mw_model_info *info);

/* Build a model from a parsed header and its data section (blocks planned for g, every one
 * allocated or borrowed). Takes ownership of g, of *data (left empty) and of experts; frees
 * them on failure too. owns_data: the blocks are the model's to repack (not a caller's borrowed
 * buffer). experts: NULL, or the cache the expert tensors stream through (then they are not in
 * data: bound with data NULL, marked repacked as resident ones would be). */
struct mw_expert_cache;
mw_status mw_model_create(mw_gguf *g, mw_data *data, bool owns_data,
                          struct mw_expert_cache *experts, mw_model **out);

/* Repack t's rows in place at t->data, as mw_model_create repacks the weights it marks
 * repacked (the expert cache does it to each expert it reads). */
mw_status mw_model_repack_tensor(const mw_tensor *t);

/* Apply, to `data` laid out as the file's data section (e.g. a copy of it), the repacking that
 * mw_model_create did to the tensors marked repacked: what m->data's blocks then hold. */
void mw_model_repack_like(const mw_model *m, uint8_t *data);

#endif
