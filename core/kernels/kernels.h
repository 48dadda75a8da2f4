/*
 * kernels.h — the one dispatch table. mw_kernels_init() fills it once: scalar entries first
 * (from the reference in quant/), then the best SIMD file overrides what it implements.
 * Hot code calls through mw_kern->..., never an #if ladder.
 */
#ifndef MW_KERNELS_H
#define MW_KERNELS_H

#include <stdbool.h>

#include "quant/quant.h"

/* Weights repacked at load (simd128_repack*.c): MW_REPACK_ROWS consecutive rows interleaved
 * block by block, the same size as the rows. repack: n_rows (a multiple of MW_REPACK_ROWS)
 * rows of n values from src to dst, repack_group_bytes[type] * n / 32 bytes per group. */
#define MW_REPACK_ROWS 8
typedef void (*mw_repack_fn)(int64_t n_rows, int n, const void *src, void *dst);

/* One weight's rows [r0, r1) against n_tok activation rows: out[t * out_stride + r] = the
 * vec_dot of row r with activation row t (y + t * y_stride bytes, in the type's vec_dot_type),
 * bit for bit. w: the weight's n_rows rows of n values as loaded, or (repacked) in repack[type]'s
 * layout, then r0 and r1 are multiples of MW_REPACK_ROWS. Each kernel set tiles the rows and
 * tokens its own way (rows per pass over the activations, tokens per pass over the weights);
 * core/matmul.c only splits the rows across threads. */
typedef struct mw_matmul_rows {
    int32_t type;          /* the weight's type */
    int n;                 /* values per row */
    int n_tok;
    bool repacked;
    const void *w;
    int64_t r0, r1;
    const void *y;
    size_t y_stride;
    float *out;
    size_t out_stride;     /* floats */
} mw_matmul_rows;
typedef void (*mw_matmul_rows_fn)(const mw_matmul_rows *m);

typedef struct mw_kernels {
    const char *name;                              /* "scalar", "simd128" */
    mw_vec_dot_fn vec_dot[MW_TYPE_COUNT];          /* weight type x its vec_dot_type */
    mw_quantize_fn quantize_row[MW_TYPE_COUNT];    /* activation quantizers: Q8_0, Q8_1, Q8_K, F16, BF16 */
    mw_matmul_rows_fn matmul_rows[MW_TYPE_COUNT];  /* every weight type with a vec_dot */
    mw_repack_fn repack[MW_TYPE_COUNT];            /* optional (NULL: weights stay as loaded) */
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
