/*
 * session.h — internal state of a session: the KV cache, the token history, scratch buffers
 * sized once at creation (no allocation per token), and the thread pool.
 *
 * KV cache layout: k_cache / v_cache are [n_layer][kv_size][n_head_kv * head_dim] elements of
 * kv_type: floats (MW_KV_F32) or fp16 bits (MW_KV_F16, rounded to nearest even when stored).
 * Position p lives in slot p % kv_size. Without a sliding window kv_size = n_ctx and positions
 * stop at n_ctx. With a window W < n_ctx the cache is a rolling buffer of W + n_batch - 1
 * slots: enough for a chunk of n_batch new tokens to see the W - 1 positions before each of
 * them, so generation continues indefinitely in bounded memory.
 */
#ifndef MW_SESSION_H
#define MW_SESSION_H

#include "model.h"
#include "pool.h"
#include "scratch.h"

struct mw_session {
    const mw_model *model;
    mw_pool *pool;
    int32_t n_ctx;       /* positions available without a window */
    int32_t window;      /* sliding window (0 = none) */
    int32_t kv_size;     /* slots per layer */
    int32_t n_batch;
    int32_t kv_type;     /* MW_KV_F32 / MW_KV_F16 */
    void *k_cache, *v_cache;
    int32_t n_past;
    int32_t *tokens;     /* ids by position, n_past of them */
    int32_t tokens_cap;
    float *logits;       /* [n_vocab] of the last evaluated token */
    bool have_logits;
    uint64_t *expert_counts; /* [n_layer][n_expert] */
    mw_abort_fn abort_fn;
    void *abort_user;
    mw_scratch sc;
};

/* Every buffer a session allocates, sized from the model and the session's settings: the one
 * layout mw_session_create allocates and mw_session_memory_needed_params estimates (kvcache.c),
 * so the estimate the loaders budget with is the allocation. The token history (4 bytes a
 * position, grown on demand) is the only allocation outside it. 64-bit and saturating:
 * UINT64_MAX means it cannot fit anywhere; mw_session_create checks the total against size_t
 * before narrowing any of these. */
enum { MW_SESSION_MAX_BUFFERS = 32 };
typedef struct mw_session_layout {
    int32_t n_ctx, window, n_batch, kv_size;  /* resolved: defaults applied, window 0 = none */
    int32_t n_threads;                        /* threads the attention score rows are for */
    uint64_t scores_stride, act_size;         /* see mw_scratch */
    int32_t n_buffers;
    struct {
        void *where;                          /* the session's pointer field (NULL: no session) */
        uint64_t bytes;
    } buffers[MW_SESSION_MAX_BUFFERS];
    uint64_t bytes;                           /* their sum */
} mw_session_layout;
/* p must be valid (kv_type known, counts >= 0); n_threads: threads the attention score rows
 * are for (<= 0: one); s: the session whose fields the buffers are for, or NULL for an estimate. */
void mw_session_layout_init(mw_session_layout *L, const mw_model_info *hp,
                            const mw_session_params *p, int32_t n_threads, mw_session *s);

/* KV slots (kvcache.c) */
int32_t mw_kv_size(int32_t n_ctx, int32_t window, int32_t n_batch);
/* Bytes of one cache element of kv_type, 0 for an unknown type. */
size_t mw_kv_type_size(int32_t kv_type);

#endif
