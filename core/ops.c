/*
 * ops.c — scalar RMSNorm, RoPE, softmax and SwiGLU (see ops.h for the conventions).
 */
#include <math.h>

#include "ops.h"

void mw_rmsnorm(float *out, const float *x, const float *w, int n, float eps)
{
    double sum = 0.0;
    for (int i = 0; i < n; i++)
        sum += (double)(x[i] * x[i]);
    const float mean = (float)(sum / n);
    const float scale = 1.0f / sqrtf(mean + eps);
    /* two roundings, as ggml's rms_norm followed by a separate mul */
    for (int i = 0; i < n; i++)
        out[i] = (x[i] * scale) * w[i];
}

void mw_rmsnorm_rows(float *out, const float *x, const float *w, int32_t n_rows, int32_t n, float eps)
{
    for (int32_t r = 0; r < n_rows; r++)
        mw_rmsnorm(out + (size_t)r * n, x + (size_t)r * n, w, n, eps);
}

void mw_rope_table(float *cs, int head_dim, int32_t pos, float rope_theta)
{
    const float theta_scale = powf(rope_theta, -2.0f / (float)head_dim);
    float theta = (float)pos;
    for (int i = 0; i < head_dim / 2; i++) {
        cs[2 * i] = cosf(theta);
        cs[2 * i + 1] = sinf(theta);
        theta *= theta_scale;
    }
}

void mw_rope_apply(float *x, int n_head, int head_dim, const float *cs)
{
    for (int h = 0; h < n_head; h++) {
        float *v = x + (size_t)h * head_dim;
        for (int i = 0; i < head_dim; i += 2) {
            const float c = cs[i], s = cs[i + 1];
            const float x0 = v[i], x1 = v[i + 1];
            v[i] = x0 * c - x1 * s;
            v[i + 1] = x0 * s + x1 * c;
        }
    }
}

void mw_softmax(float *x, int n)
{
    float max = -INFINITY;
    for (int i = 0; i < n; i++)
        max = x[i] > max ? x[i] : max;
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        x[i] = expf(x[i] - max);
        sum += (double)x[i];
    }
    const float inv = (float)(1.0 / sum);
    for (int i = 0; i < n; i++)
        x[i] *= inv;
}

void mw_swiglu(float *out, const float *gate, const float *up, int n)
{
    for (int i = 0; i < n; i++) {
        const float g = gate[i];
        out[i] = g / (1.0f + expf(-g)) * up[i];
    }
}
