/*
 * ops.h — the small element-wise operations of a transformer block, computed the way ggml's
 * CPU backend computes them (same formulas and accumulation widths), so our activations stay
 * within float rounding of llama.cpp's and the Q8 activation quantization sees the same values.
 */
#ifndef MW_OPS_H
#define MW_OPS_H

#include "base.h"

/* out = x / sqrt(mean(x^2) + eps) * w  (sum of squares in double, as ggml) */
void mw_rmsnorm(float *out, const float *x, const float *w, int n, float eps);
/* mw_rmsnorm of n_rows consecutive rows of n values each (out, x: [n_rows][n]) */
void mw_rmsnorm_rows(float *out, const float *x, const float *w, int32_t n_rows, int32_t n, float eps);

/* cos/sin table for one position: cs[2*i] = cos(theta_i), cs[2*i+1] = sin(theta_i),
 * theta_i = pos * base^(-2i/head_dim), computed by repeated multiplication as ggml does. */
void mw_rope_table(float *cs, int head_dim, int32_t pos, float rope_theta);
/* Rotate interleaved pairs (x[2i], x[2i+1]) of n_head heads in place ("normal" RoPE). */
void mw_rope_apply(float *x, int n_head, int head_dim, const float *cs);

/* In-place softmax of n values; returns nothing. Sum in double, as ggml. */
void mw_softmax(float *x, int n);

/* out[i] = silu(gate[i]) * up[i] */
void mw_swiglu(float *out, const float *gate, const float *up, int n);

#endif
