/*
 * kernels.h — the one dispatch table. mw_kernels_init() fills it once: scalar entries first
 * (from the reference in quant/), then the best SIMD file overrides what it implements.
 * Hot code calls through mw_kern->..., never an #if ladder.
 */
#ifndef MW_KERNELS_H
#define MW_KERNELS_H

#include "quant/quant.h"

typedef struct mw_kernels {
    const char *name;                              /* "scalar", "simd128" */
    mw_vec_dot_fn vec_dot[MW_TYPE_COUNT];          /* weight type x its vec_dot_type */
    mw_quantize_fn quantize_row[MW_TYPE_COUNT];    /* activation quantizers: Q8_0, Q8_1, Q8_K, F16, BF16 */
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
