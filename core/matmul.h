/*
 * matmul.h — weight x activation products: out[t][r] = dot(W row r, x[t]) for n_tok tokens.
 *
 * Several weights that read the same input (wq/wk/wv, or ffn_gate/ffn_up) are done in one
 * call: the input is quantized once per vec_dot type (as ggml does inside each matmul, Q8_0 /
 * Q8_1 / Q8_K / F16 / BF16 blocks per row) and the rows of all weights are split across the
 * pool's threads in one task.
 */
#ifndef MW_MATMUL_H
#define MW_MATMUL_H

#include "model.h"
#include "pool.h"
#include "scratch.h"

typedef struct mw_matmul_job {
    const mw_tensor *w;   /* [n_cols] x n_rows, n_cols = the input row length */
    float *out;           /* [n_tok][n_rows] */
} mw_matmul_job;

/* x: [n_tok][n_cols] floats. At most 3 distinct vec_dot types among the jobs; the quantized
 * input goes to sc->act. */
void mw_matmul(mw_pool *pool, mw_scratch *sc, int32_t n_tok, const float *x, int32_t n_jobs,
               const mw_matmul_job *jobs);

/* The SwiGLU FFN's first half in one task: gate_up[0] (ffn_gate) and gate_up[1] (ffn_up), same
 * shape, then gate_up[0].out = silu(gate) * up, each share on its own rows (no serial pass). */
void mw_matmul_swiglu(mw_pool *pool, mw_scratch *sc, int32_t n_tok, const float *x,
                      const mw_matmul_job gate_up[2]);

#endif
