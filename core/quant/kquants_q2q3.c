/*
 * kquants_q2q3.c — Q2_K and Q3_K: unpacking their bits into a kq_block (dequantize and the
 * Q8_K dot then live in kquants_common.c). Both store 2-bit quants four to a byte: value
 * v = 128*c + 32*j + 16*h + l (c < 2, j < 4, h < 2, l < 16) is bits 2j..2j+1 of
 * qs[32*c + 16*h + l]; each 16 values share a scale (group v/16).
 */
#include "kquants.h"

static int low2(const uint8_t *qs, int v)
{
    int c = v / 128, j = (v % 128) / 32, hl = v % 32;
    return (qs[32 * c + hl] >> (2 * j)) & 3;
}

static void unpack_q2_K(const block_q2_K *x, kq_block *b)
{
    b->group = 16;
    b->has_min = 1;
    b->d = FP16(x->d);
    b->dmin = FP16(x->dmin);
    for (int g = 0; g < 16; g++) {
        b->sc[g] = x->scales[g] & 0x0f;
        b->m[g] = x->scales[g] >> 4;
    }
    for (int v = 0; v < QK_K; v++) b->q[v] = (int8_t)low2(x->qs, v);
}

/* The 16 6-bit scales: low 4 bits in bytes 0..7 (scales 0..7 low nibble, 8..15 high nibble),
 * high 2 bits in bytes 8..11 (scale g: bits 2*(g/4) of byte 8 + g%4). Stored biased by 32. */
static int q3_K_scale(const uint8_t s[12], int g)
{
    int lo = g < 8 ? s[g] & 0x0f : s[g - 8] >> 4;
    int hi = (s[8 + g % 4] >> (2 * (g / 4))) & 3;
    return (lo | (hi << 4)) - 32;
}

static void unpack_q3_K(const block_q3_K *x, kq_block *b)
{
    b->group = 16;
    b->has_min = 0;
    b->d = FP16(x->d);
    b->dmin = 0;
    for (int g = 0; g < 16; g++) {
        b->sc[g] = q3_K_scale(x->scales, g);
        b->m[g] = 0;
    }
    /* the high bit of value v is bit 4*c + j of hmask[16*h + l]; clear means "minus 4" */
    for (int v = 0; v < QK_K; v++) {
        int c = v / 128, j = (v % 128) / 32, hl = v % 32;
        int high = (x->hmask[hl] >> (4 * c + j)) & 1;
        b->q[v] = (int8_t)(low2(x->qs, v) - (high ? 0 : 4));
    }
}

void mw_dequantize_row_q2_K(const void *vx, float *y, int64_t n)
{
    const block_q2_K *x = vx;
    kq_block b;
    for (int64_t i = 0; i < n / QK_K; i++, y += QK_K) {
        unpack_q2_K(&x[i], &b);
        kq_dequantize(&b, y);
    }
}

void mw_vec_dot_q2_K(int n, float *s, const void *vx, const void *vy)
{
    const block_q2_K *x = vx;
    const block_q8_K *y = vy;
    kq_block b;
    float sum = 0;
    for (int i = 0; i < n / QK_K; i++) {
        unpack_q2_K(&x[i], &b);
        sum += kq_dot(&b, &y[i]);
    }
    *s = sum;
}

void mw_dequantize_row_q3_K(const void *vx, float *y, int64_t n)
{
    const block_q3_K *x = vx;
    kq_block b;
    for (int64_t i = 0; i < n / QK_K; i++, y += QK_K) {
        unpack_q3_K(&x[i], &b);
        kq_dequantize(&b, y);
    }
}

void mw_vec_dot_q3_K(int n, float *s, const void *vx, const void *vy)
{
    const block_q3_K *x = vx;
    const block_q8_K *y = vy;
    kq_block b;
    float sum = 0;
    for (int i = 0; i < n / QK_K; i++) {
        unpack_q3_K(&x[i], &b);
        sum += kq_dot(&b, &y[i]);
    }
    *s = sum;
}
