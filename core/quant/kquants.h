/*
 * kquants.h — private to the K-quant files: a super-block of 256 values unpacked into plain
 * integers (quants, per-group scales and mins), so that dequantize and the Q8_K dot product
 * are written once for all five K types. Each type file only knows how to unpack its bits.
 */
#ifndef MW_KQUANTS_H
#define MW_KQUANTS_H

#include "quant.h"
#include "quant_util.h"

typedef struct kq_block {
    int8_t q[QK_K];     /* quants as the dot uses them (Q3_K -4..3, Q6_K -32..31, else >= 0) */
    int group;          /* values per scale: 16 (Q2_K, Q3_K, Q6_K) or 32 (Q4_K, Q5_K) */
    int sc[16];         /* integer scale of each group */
    int m[16];          /* integer min of each group (0 for types without mins) */
    int has_min;
    float d, dmin;      /* super-block scales (fp16 already widened) */
} kq_block;

/* x[g*group + l] = (d*sc[g]) * q - (dmin*m[g]): ggml's dequantize_row_q*_K float expressions. */
void kq_dequantize(const kq_block *b, float *y);
/* d*y.d*sum_g sc[g]*dot(q_g, y_g) - dmin*y.d*sum_g m[g]*ysum_g, integer sums as ggml
 * (the group sums of y come from its bsums). */
float kq_dot(const kq_block *b, const block_q8_K *y);

/* ggml's get_scale_min_k4: 6-bit scale and min j (0..7) of the Q4_K / Q5_K 12-byte field. */
static inline void get_scale_min_k4(int j, const uint8_t *q, int *sc, int *m)
{
    if (j < 4) {
        *sc = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *sc = (q[j + 4] & 0x0f) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

#endif
