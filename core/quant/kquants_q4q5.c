/*
 * kquants_q4q5.c — Q4_K and Q5_K: unpacking into a kq_block (the weight quantizers are in
 * kquants_quantize.c). Value v = 64*j + 32*h + l (j < 4, h < 2, l < 32) is the low (h = 0) or high
 * (h = 1) nibble of qs[32*j + l]; Q5_K adds bit 2*j + h of qh[l] as 16. Groups of 32 values
 * share a 6-bit scale and a 6-bit min (group v/32 = 2*j + h).
 */
#include <math.h>

#include "kquants.h"

static void unpack_q45_K(uint16_t d, uint16_t dmin, const uint8_t *scales, const uint8_t *qs,
                         const uint8_t *qh, kq_block *b)
{
    b->group = 32;
    b->has_min = 1;
    b->d = FP16(d);
    b->dmin = FP16(dmin);
    for (int g = 0; g < 8; g++) get_scale_min_k4(g, scales, &b->sc[g], &b->m[g]);
    for (int g = 8; g < 16; g++) b->sc[g] = b->m[g] = 0;
    for (int v = 0; v < QK_K; v++) {
        int j = v / 64, h = (v % 64) / 32, l = v % 32;
        int q = h ? qs[32 * j + l] >> 4 : qs[32 * j + l] & 0x0f;
        if (qh && ((qh[l] >> (2 * j + h)) & 1)) q += 16;
        b->q[v] = (int8_t)q;
    }
}

void mw_dequantize_row_q4_K(const void *vx, float *y, int64_t n)
{
    const block_q4_K *x = vx;
    kq_block b;
    for (int64_t i = 0; i < n / QK_K; i++, y += QK_K) {
        unpack_q45_K(x[i].d, x[i].dmin, x[i].scales, x[i].qs, NULL, &b);
        kq_dequantize(&b, y);
    }
}

void mw_vec_dot_q4_K(int n, float *s, const void *vx, const void *vy)
{
    const block_q4_K *x = vx;
    const block_q8_K *y = vy;
    kq_block b;
    float sum = 0;
    for (int i = 0; i < n / QK_K; i++) {
        unpack_q45_K(x[i].d, x[i].dmin, x[i].scales, x[i].qs, NULL, &b);
        sum += kq_dot(&b, &y[i]);
    }
    *s = sum;
}

void mw_dequantize_row_q5_K(const void *vx, float *y, int64_t n)
{
    const block_q5_K *x = vx;
    kq_block b;
    for (int64_t i = 0; i < n / QK_K; i++, y += QK_K) {
        unpack_q45_K(x[i].d, x[i].dmin, x[i].scales, x[i].qs, x[i].qh, &b);
        kq_dequantize(&b, y);
    }
}

void mw_vec_dot_q5_K(int n, float *s, const void *vx, const void *vy)
{
    const block_q5_K *x = vx;
    const block_q8_K *y = vy;
    kq_block b;
    float sum = 0;
    for (int i = 0; i < n / QK_K; i++) {
        unpack_q45_K(x[i].d, x[i].dmin, x[i].scales, x[i].qs, x[i].qh, &b);
        sum += kq_dot(&b, &y[i]);
    }
    *s = sum;
}
