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

typedef struct mw_kernels {
    const char *name;                              /* "scalar", "simd128" */
    mw_vec_dot_fn vec_dot[MW_TYPE_COUNT];          /* weight type x its vec_dot_type */
    mw_quantize_fn quantize_row[MW_TYPE_COUNT];    /* activation quantizers: Q8_0, Q8_1, Q8_K, F16, BF16 */
    mw_vec_dot_4rows_fn vec_dot_4rows[MW_TYPE_COUNT]; /* optional (NULL: use vec_dot per row) */
    mw_vec_dot_4cols_fn vec_dot_4cols[MW_TYPE_COUNT]; /* optional (NULL: use vec_dot per token) */
    float (*dot_f32)(int n, const float *x, const float *y);
    void (*axpy_f32)(int n, float a, const float *x, float *y);   /* y += a*x */
    void (*scale_f32)(int n, float a, float *y);                  /* y *= a */
} mw_kernels;

extern const mw_kernels *mw_kern;
void mw_kernels_init(void);               /* idempotent */
void mw_kernels_fill_scalar(mw_kernels *k);
/* Overrides by the SIMD file of this build (no-op where there is none). */
void mw_kernels_fill_simd(mw_kernels *k);

#endif
