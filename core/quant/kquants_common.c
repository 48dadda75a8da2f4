/*
 * kquants_common.c — the parts of the K-quants that do not depend on the bit layout:
 * dequantize and the Q8_K dot product of an unpacked super-block, the Q8_K activation
 * quantizer (ggml's quantize_row_q8_K_ref, which the x86 CPU backend calls directly) and
 * Q8_K dequantize.
 */
#include <math.h>

#include "base.h"
#include "kquants.h"

void kq_dequantize(const kq_block *b, float *y)
{
    int n_groups = QK_K / b->group;
    for (int g = 0; g < n_groups; g++) {
        float dl = b->d * (float)b->sc[g];
        const int8_t *q = b->q + g * b->group;
        float *yg = y + g * b->group;
        if (b->has_min) {
            float ml = b->dmin * (float)b->m[g];
            for (int l = 0; l < b->group; l++) yg[l] = dl * (float)q[l] - ml;
        } else {
            for (int l = 0; l < b->group; l++) yg[l] = dl * (float)q[l];
        }
    }
}

float kq_dot(const kq_block *b, const block_q8_K *y)
{
    int n_groups = QK_K / b->group;
    int per_bsum = b->group / 16;
    int32_t sumi = 0, summ = 0;
    for (int g = 0; g < n_groups; g++) {
        const int8_t *q = b->q + g * b->group;
        const int8_t *yq = y->qs + g * b->group;
        int32_t dot = 0;
        for (int l = 0; l < b->group; l++) dot += q[l] * yq[l];
        sumi += b->sc[g] * dot;
        if (b->has_min) {
            int32_t ysum = 0;
            for (int k = 0; k < per_bsum; k++) ysum += y->bsums[g * per_bsum + k];
            summ += b->m[g] * ysum;
        }
    }
    float r = b->d * y->d * (float)sumi;
    if (b->has_min) r -= b->dmin * y->d * (float)summ;
    return r;
}

/* quantize_row_q8_K_ref (ggml-quants.c); x86's quantize_row_q8_K is just that call.
 * max = the value of largest |x| (first one on ties, sign kept), iscale = -127/max,
 * q = MIN(127, nearest_int(iscale*x)), d = 1/iscale, bsums per 16. All-zero block: d = 0.
 * (The repacked Q4_K path's AVX2 4-row quantizer differs only when +amax and -amax tie.) */
void mw_quantize_row_q8_K(const float *x, void *vy, int64_t n)
{
    block_q8_K *y = vy;
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        float amax = 0, max = 0;
        for (int j = 0; j < QK_K; j++)
            if (fabsf(x[j]) > amax) { amax = fabsf(x[j]); max = x[j]; }
        if (amax == 0) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        float iscale = -127.f / max;
        for (int j = 0; j < QK_K; j++) {
            int v = nearest_int(iscale * x[j]);
            y[i].qs[j] = (int8_t)MW_MIN(127, v);
        }
        for (int j = 0; j < QK_K / 16; j++) {
            int sum = 0;
            for (int l = 0; l < 16; l++) sum += y[i].qs[16 * j + l];
            y[i].bsums[j] = (int16_t)sum;
        }
        y[i].d = 1 / iscale;
    }
}

void mw_dequantize_row_q8_K(const void *vx, float *y, int64_t n)
{
    const block_q8_K *x = vx;
    for (int64_t i = 0; i < n / QK_K; i++, y += QK_K)
        for (int j = 0; j < QK_K; j++) y[j] = x[i].d * (float)x[i].qs[j];
}
