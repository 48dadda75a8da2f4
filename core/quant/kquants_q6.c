/*
 * kquants_q6.c — Q6_K: unpacking into a kq_block (its weight quantizer: kquants_quantize.c).
 * Value v = 128*c + 32*k + l (c < 2, k < 4, l < 32): low 4 bits are the low (k < 2) or high
 * (k >= 2) nibble of ql[64*c + 32*(k%2) + l], high 2 bits are bits 2k..2k+1 of qh[32*c + l];
 * stored +32. Each 16 values share a signed 8-bit scale.
 */
#include <math.h>

#include "kquants.h"

static void unpack_q6_K(const block_q6_K *x, kq_block *b)
{
    b->group = 16;
    b->has_min = 0;
    b->d = FP16(x->d);
    b->dmin = 0;
    for (int g = 0; g < 16; g++) {
        b->sc[g] = x->scales[g];
        b->m[g] = 0;
    }
    for (int v = 0; v < QK_K; v++) {
        int c = v / 128, k = (v % 128) / 32, l = v % 32;
        int lo_byte = x->ql[64 * c + 32 * (k % 2) + l];
        int lo = k < 2 ? lo_byte & 0x0f : lo_byte >> 4;
        int hi = (x->qh[32 * c + l] >> (2 * k)) & 3;
        b->q[v] = (int8_t)((lo | (hi << 4)) - 32);
    }
}

void mw_dequantize_row_q6_K(const void *vx, float *y, int64_t n)
{
    const block_q6_K *x = vx;
    kq_block b;
    for (int64_t i = 0; i < n / QK_K; i++, y += QK_K) {
        unpack_q6_K(&x[i], &b);
        kq_dequantize(&b, y);
    }
}

void mw_vec_dot_q6_K(int n, float *s, const void *vx, const void *vy)
{
    const block_q6_K *x = vx;
    const block_q8_K *y = vy;
    kq_block b;
    float sum = 0;
    for (int i = 0; i < n / QK_K; i++) {
        unpack_q6_K(&x[i], &b);
        sum += kq_dot(&b, &y[i]);
    }
    *s = sum;
}
