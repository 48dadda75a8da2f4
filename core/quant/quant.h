/*
 * quant.h — tensor formats: ggml's block layouts (bit-exact, so files made by llama.cpp's
 * quantizer load) and the scalar reference for each: dequantize a row, quantize a row, and the
 * dot product of a weight row against activations quantized the way ggml does it
 * (Q8_0 for Q4_0/Q5_0/Q8_0, Q8_1 for Q4_1/Q5_1, Q8_K for the K-quants, F16/BF16 for the
 * half types). This is the readable truth; fast kernels are tested against it.
 */
#ifndef MW_QUANT_H
#define MW_QUANT_H

#include <stdint.h>
#include <stddef.h>

#include "mw.h"

#define MW_TYPE_COUNT 31   /* type ids are < this */

#define QK4_0 32
#define QK4_1 32
#define QK5_0 32
#define QK5_1 32
#define QK8_0 32
#define QK8_1 32
#define QK_K 256
#define K_SCALE_SIZE 12

/* dot product of one row of n values: *s = sum x[i]*y[i]. x is a weight row of the type,
 * y a row of its vec_dot_type (both n values long, n a multiple of the block size). */
typedef void (*mw_vec_dot_fn)(int n, float *s, const void *x, const void *y);
typedef void (*mw_dequantize_fn)(const void *x, float *y, int64_t n);
typedef void (*mw_quantize_fn)(const float *x, void *y, int64_t n);

typedef struct mw_type_traits {
    const char *name;          /* "Q4_K" */
    int32_t block_size;        /* values per block (1 for F32/F16/BF16) */
    size_t type_size;          /* bytes per block */
    int32_t vec_dot_type;      /* activation type vec_dot wants */
    mw_dequantize_fn dequantize_row;
    mw_quantize_fn quantize_row;   /* reference quantizer (NULL where none) */
    mw_vec_dot_fn vec_dot;         /* scalar reference (NULL for activation-only types) */
} mw_type_traits;

/* NULL for an unknown or unsupported id. */
const mw_type_traits *mw_type_traits_get(int32_t type);
/* Bytes of a row of n values; 0 if n is not a multiple of the block size or type unknown. */
size_t mw_row_size(int32_t type, int64_t n);

float mw_fp16_to_f32(uint16_t h);
uint16_t mw_f32_to_fp16(float f);       /* round to nearest even, as ggml */
float mw_bf16_to_f32(uint16_t h);
uint16_t mw_f32_to_bf16(float f);       /* round to nearest even, NaN kept quiet, as ggml */

#endif
