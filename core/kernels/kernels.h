/*
 * kernels.h — the one dispatch table. mw_kernels_init() fills it once: scalar entries first
 * (from the reference in quant/), then the best SIMD file overrides what it implements.
 * Hot code calls through mw_kern->..., never an #if ladder.
 */
#ifndef MW_KERNELS_H
#define MW_KERNELS_H

#include "quant/quant.h"

/* s[r] = dot of weight row r (r < 4; rows x_stride bytes apart) with the same activation row
 * y: four vec_dot calls in one pass over y, with bit-identical results. */
typedef void (*mw_vec_dot_4rows_fn)(int n, float *s, const void *x, size_t x_stride, const void *y);
/* s[t] = dot of the weight row x with activation row t (t < 4; rows y_stride bytes apart):
 * four vec_dot calls in one pass over x (prefill), with bit-identical results. */
typedef void (*mw_vec_dot_4cols_fn)(int n, float *s, const void *x, const void *y, size_t y_stride);
/* Weights repacked at load (simd128_repack.c): MW_REPACK_ROWS consecutive rows interleaved
 * block by block, the same size as the rows. repack: n_rows (a multiple of MW_REPACK_ROWS)
 * rows of n values from src to dst, repack_group_bytes[type] * n / 32 bytes per group.
 * rows8: s[r] = dot of row r (r < 8) of one repacked group with activation row y, bit-identical
 * to vec_dot on the original row. */
#define MW_REPACK_ROWS 8
typedef void (*mw_repack_fn)(int64_t n_rows, int n, const void *src, void *dst);
typedef void (*mw_vec_dot_rows8_fn)(int n, float *s, const void *x, const void *y);
/* rows8x2: the same against two activation rows y_stride bytes apart, s[8t + r] (prefill) */
typedef void (*mw_vec_dot_rows8x2_fn)(int n, float *s, const void *x, const void *y, size_t y_stride);
/* rows8xn: the same against n_tok >= 1 activation rows y_stride bytes apart, s[8t + r] for
 * t < n_tok (prefill: the group's blocks are unpacked once for all the tokens) */
typedef void (*mw_vec_dot_rows8xn_fn)(int n, float *s, const void *x, const void *y, size_t y_stride,
                                      int n_tok);

typedef struct mw_kernels {
    const char *name;                              /* "scalar", "simd128" */
    mw_vec_dot_fn vec_dot[MW_TYPE_COUNT];          /* weight type x its vec_dot_type */
    mw_quantize_fn quantize_row[MW_TYPE_COUNT];    /* activation quantizers: Q8_0, Q8_1, Q8_K, F16, BF16 */
    mw_vec_dot_4rows_fn vec_dot_4rows[MW_TYPE_COUNT]; /* optional (NULL: use vec_dot per row) */
    mw_vec_dot_4cols_fn vec_dot_4cols[MW_TYPE_COUNT]; /* optional (NULL: use vec_dot per token) */
    mw_repack_fn repack[MW_TYPE_COUNT];            /* optional (NULL: weights stay as loaded) */
    mw_vec_dot_rows8_fn vec_dot_rows8[MW_TYPE_COUNT]; /* with repack: dot of a repacked group */
    mw_vec_dot_rows8x2_fn vec_dot_rows8x2[MW_TYPE_COUNT]; /* optional with repack */
    mw_vec_dot_rows8xn_fn vec_dot_rows8xn[MW_TYPE_COUNT]; /* optional with repack */
    uint32_t repack_group_bytes[MW_TYPE_COUNT];    /* bytes per 32 columns of a repacked group */
    float (*dot_f32)(int n, const float *x, const float *y);
    void (*axpy_f32)(int n, float a, const float *x, float *y);   /* y += a*x */
    /* F16 KV cache (attention.c), one fp16 row x against the n_y query heads sharing it (GQA),
     * so x is widened once per head group. dot_f16: s[r] = x . y_r (y_r = y + r*y_stride
     * floats), eight interleaved partial sums as dot_f32 (with y_r = fp16-rounded values it
     * equals vec_dot[MW_TYPE_F16] bit for bit). axpy_f16: y_r += a[r] * x. */
    void (*dot_f16)(int n, const uint16_t *x, const float *y, size_t y_stride, int n_y, float *s);
    void (*axpy_f16)(int n, const float *a, const uint16_t *x, float *y, size_t y_stride, int n_y);
} mw_kernels;

extern const mw_kernels *mw_kern;
void mw_kernels_init(void);               /* idempotent */
void mw_kernels_fill_scalar(mw_kernels *k);
/* Overrides by the SIMD file of this build (no-op where there is none). */
void mw_kernels_fill_simd(mw_kernels *k);

#endif
