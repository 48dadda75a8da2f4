/*
 * quant.h — tensor formats: ggml's block layouts (bit-exact, so files made by llama.cpp's
 * quantizer load) and the scalar reference for each: dequantize a row, quantize a row, and the
 * dot product of a weight row against activations quantized the way ggml does it
 * (Q8_0 for Q4_0/Q5_0/Q8_0, Q8_1 for Q4_1/Q5_1, Q8_K for the K-quants, F16/BF16 for the
 * half types). This is the readable truth; fast kernels are tested against it.
 * It is also the one quant header the kernels (core/kernels) build on, with the leaf helpers
 * of quant_util.h; kquants.h and the format code's internals stay private to core/quant.
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

/* ---- block layouts (ggml's, byte for byte; fp16 fields are IEEE half bits) ----------------
 * A "_0" type stores x = d*q, a "_1" type x = d*q + m. K-quants group 256 values in a
 * super-block with per-sub-block scales quantized against a super-block fp16 scale. */

typedef struct { uint16_t d; uint8_t qs[QK4_0 / 2]; } block_q4_0;
/* d: scale; qs: nibbles, value j in low nibble of qs[j], value j+16 in high nibble; q-8 */
_Static_assert(sizeof(block_q4_0) == 18, "block_q4_0 size");

typedef struct { uint16_t d, m; uint8_t qs[QK4_1 / 2]; } block_q4_1;
/* d: scale, m: minimum (x = d*q + m); qs: as Q4_0 but unsigned 0..15 */
_Static_assert(sizeof(block_q4_1) == 20, "block_q4_1 size");

typedef struct { uint16_t d; uint8_t qh[4]; uint8_t qs[QK5_0 / 2]; } block_q5_0;
/* qh: bit j (little-endian u32) = 5th bit of value j; qs as Q4_0; q-16 */
_Static_assert(sizeof(block_q5_0) == 22, "block_q5_0 size");

typedef struct { uint16_t d, m; uint8_t qh[4]; uint8_t qs[QK5_1 / 2]; } block_q5_1;
/* as Q5_0 but unsigned 0..31 with a minimum m */
_Static_assert(sizeof(block_q5_1) == 24, "block_q5_1 size");

typedef struct { uint16_t d; int8_t qs[QK8_0]; } block_q8_0;
/* d: scale; qs: x = d*q */
_Static_assert(sizeof(block_q8_0) == 34, "block_q8_0 size");

typedef struct { uint16_t d, s; int8_t qs[QK8_1]; } block_q8_1;
/* d: scale; s: fp16 of d * sum(qs) (lets Q4_1/Q5_1 dots add m*s once per block) */
_Static_assert(sizeof(block_q8_1) == 36, "block_q8_1 size");

typedef struct {
    uint8_t scales[QK_K / 16];  /* per 16 values: low nibble scale, high nibble min (4 bits each) */
    uint8_t qs[QK_K / 4];       /* 2-bit quants, 4 per byte */
    uint16_t d;                 /* super-block scale for the scales */
    uint16_t dmin;              /* super-block scale for the mins */
} block_q2_K;                   /* x = d*sc*q - dmin*m */
_Static_assert(sizeof(block_q2_K) == 84, "block_q2_K size");

typedef struct {
    uint8_t hmask[QK_K / 8];    /* high bit of each 3-bit quant (set = no -4 offset) */
    uint8_t qs[QK_K / 4];       /* low 2 bits, 4 per byte */
    uint8_t scales[12];         /* 16 6-bit scales, biased by 32 */
    uint16_t d;                 /* super-block scale */
} block_q3_K;                   /* x = d*(sc-32)*q, q in -4..3 */
_Static_assert(sizeof(block_q3_K) == 110, "block_q3_K size");

typedef struct {
    uint16_t d;                 /* super-block scale for the scales */
    uint16_t dmin;              /* super-block scale for the mins */
    uint8_t scales[K_SCALE_SIZE]; /* 8 scales + 8 mins, 6 bits each */
    uint8_t qs[QK_K / 2];       /* 4-bit quants: 64 values per 32 bytes (low nibbles, then high) */
} block_q4_K;                   /* x = d*sc*q - dmin*m */
_Static_assert(sizeof(block_q4_K) == 144, "block_q4_K size");

typedef struct {
    uint16_t d;
    uint16_t dmin;
    uint8_t scales[K_SCALE_SIZE]; /* as Q4_K */
    uint8_t qh[QK_K / 8];       /* 5th bit of each quant */
    uint8_t qs[QK_K / 2];       /* low 4 bits, as Q4_K */
} block_q5_K;
_Static_assert(sizeof(block_q5_K) == 176, "block_q5_K size");

typedef struct {
    uint8_t ql[QK_K / 2];       /* low 4 bits of the 6-bit quants */
    uint8_t qh[QK_K / 4];       /* high 2 bits */
    int8_t scales[QK_K / 16];   /* 8-bit signed scale per 16 values */
    uint16_t d;                 /* super-block scale */
} block_q6_K;                   /* x = d*sc*(q-32) */
_Static_assert(sizeof(block_q6_K) == 210, "block_q6_K size");

typedef struct {
    float d;                    /* scale (f32, may be negative: d = max/-127 keeps the sign) */
    int8_t qs[QK_K];            /* quants */
    int16_t bsums[QK_K / 16];   /* sum of each 16 quants (the K-quant dots use it for mins) */
} block_q8_K;
_Static_assert(sizeof(block_q8_K) == 292, "block_q8_K size");

/* ---- per-type functions (the traits table points at these) ---------------------------- */

/* dequantize_row(x, y, n): n values of blocks x into y. vec_dot(n, s, x, y): x a weight row,
 * y the same n values in the type's vec_dot_type. */
void mw_dequantize_row_f32(const void *x, float *y, int64_t n);
void mw_vec_dot_f32(int n, float *s, const void *x, const void *y);
void mw_dequantize_row_f16(const void *x, float *y, int64_t n);
void mw_vec_dot_f16(int n, float *s, const void *x, const void *y);
void mw_dequantize_row_bf16(const void *x, float *y, int64_t n);
void mw_vec_dot_bf16(int n, float *s, const void *x, const void *y);
void mw_dequantize_row_q4_0(const void *x, float *y, int64_t n);
void mw_vec_dot_q4_0(int n, float *s, const void *x, const void *y);
void mw_dequantize_row_q4_1(const void *x, float *y, int64_t n);
void mw_vec_dot_q4_1(int n, float *s, const void *x, const void *y);
void mw_dequantize_row_q5_0(const void *x, float *y, int64_t n);
void mw_vec_dot_q5_0(int n, float *s, const void *x, const void *y);
void mw_dequantize_row_q5_1(const void *x, float *y, int64_t n);
void mw_vec_dot_q5_1(int n, float *s, const void *x, const void *y);
void mw_dequantize_row_q8_0(const void *x, float *y, int64_t n);
void mw_vec_dot_q8_0(int n, float *s, const void *x, const void *y);
void mw_dequantize_row_q2_K(const void *x, float *y, int64_t n);
void mw_vec_dot_q2_K(int n, float *s, const void *x, const void *y);
void mw_dequantize_row_q3_K(const void *x, float *y, int64_t n);
void mw_vec_dot_q3_K(int n, float *s, const void *x, const void *y);
void mw_dequantize_row_q4_K(const void *x, float *y, int64_t n);
void mw_vec_dot_q4_K(int n, float *s, const void *x, const void *y);
void mw_dequantize_row_q5_K(const void *x, float *y, int64_t n);
void mw_vec_dot_q5_K(int n, float *s, const void *x, const void *y);
void mw_dequantize_row_q6_K(const void *x, float *y, int64_t n);
void mw_vec_dot_q6_K(int n, float *s, const void *x, const void *y);
void mw_dequantize_row_q8_1(const void *x, float *y, int64_t n);
void mw_dequantize_row_q8_K(const void *x, float *y, int64_t n);

/* Activation quantizers, exactly as ggml's x86 (AVX2) CPU backend quantizes the right-hand
 * side of a matmul (see each definition for the source of every detail). */
void mw_quantize_row_f32(const float *x, void *y, int64_t n);
void mw_quantize_row_f16(const float *x, void *y, int64_t n);
void mw_quantize_row_bf16(const float *x, void *y, int64_t n);
void mw_quantize_row_q8_0(const float *x, void *y, int64_t n);
void mw_quantize_row_q8_1(const float *x, void *y, int64_t n);
void mw_quantize_row_q8_K(const float *x, void *y, int64_t n);

/* Weight quantizers: ggml's quantize_row_*_ref algorithms (what llama-quantize runs without an
 * importance matrix), for making model files. */
void mw_quantize_row_q8_0_ref(const float *x, void *y, int64_t n);
void mw_quantize_row_q4_0_ref(const float *x, void *y, int64_t n);
void mw_quantize_row_q4_1_ref(const float *x, void *y, int64_t n);
void mw_quantize_row_q5_0_ref(const float *x, void *y, int64_t n);
void mw_quantize_row_q5_1_ref(const float *x, void *y, int64_t n);
void mw_quantize_row_q2_K_ref(const float *x, void *y, int64_t n);
void mw_quantize_row_q3_K_ref(const float *x, void *y, int64_t n);
void mw_quantize_row_q4_K_ref(const float *x, void *y, int64_t n);
void mw_quantize_row_q5_K_ref(const float *x, void *y, int64_t n);
void mw_quantize_row_q6_K_ref(const float *x, void *y, int64_t n);
/* The weight quantizer for a type (F32/F16/BF16 convert), NULL where we have none. */
mw_quantize_fn mw_weight_quantizer(int32_t type);

#endif
