/*
 * floats.c — the unquantized row types F32, F16, BF16: conversion to and from f32 and the dot
 * products ggml runs for them (F16 weights x F16 activations, BF16 x BF16, F32 x F32), each
 * product formed exactly in f32 and summed in f32 over eight interleaved partial sums, the
 * way the AVX2 kernels accumulate (order differs: last-ulp differences only).
 */
#include "quant.h"
#include "quant_util.h"

void mw_dequantize_row_f32(const void *x, float *y, int64_t n)
{
    memcpy(y, x, (size_t)n * sizeof(float));
}

void mw_quantize_row_f32(const float *x, void *y, int64_t n)
{
    memcpy(y, x, (size_t)n * sizeof(float));
}

void mw_dequantize_row_f16(const void *vx, float *y, int64_t n)
{
    const uint16_t *x = vx;
    for (int64_t i = 0; i < n; i++) y[i] = fp16_to_f32(x[i]);
}

/* ggml_cpu_fp32_to_fp16 (F16C _mm256_cvtps_ph, round to nearest even) */
void mw_quantize_row_f16(const float *x, void *vy, int64_t n)
{
    uint16_t *y = vy;
    for (int64_t i = 0; i < n; i++) y[i] = mw_f32_to_fp16(x[i]);
}

void mw_dequantize_row_bf16(const void *vx, float *y, int64_t n)
{
    const uint16_t *x = vx;
    for (int64_t i = 0; i < n; i++) y[i] = mw_bf16_to_f32(x[i]);
}

/* ggml_cpu_fp32_to_bf16 without AVX512-BF16: GGML_FP32_TO_BF16 per value */
void mw_quantize_row_bf16(const float *x, void *vy, int64_t n)
{
    uint16_t *y = vy;
    for (int64_t i = 0; i < n; i++) y[i] = mw_f32_to_bf16(x[i]);
}

/* Sum of the eight partial sums, pairwise like a horizontal vector add. */
static float reduce8(const float acc[8])
{
    return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
}

void mw_vec_dot_f32(int n, float *s, const void *vx, const void *vy)
{
    const float *x = vx, *y = vy;
    float acc[8] = { 0 };
    for (int i = 0; i < n; i++) acc[i & 7] += x[i] * y[i];
    *s = reduce8(acc);
}

void mw_vec_dot_f16(int n, float *s, const void *vx, const void *vy)
{
    const uint16_t *x = vx, *y = vy;
    float acc[8] = { 0 };
    for (int i = 0; i < n; i++) acc[i & 7] += fp16_to_f32(x[i]) * fp16_to_f32(y[i]);
    *s = reduce8(acc);
}

void mw_vec_dot_bf16(int n, float *s, const void *vx, const void *vy)
{
    const uint16_t *x = vx, *y = vy;
    float acc[8] = { 0 };
    for (int i = 0; i < n; i++) acc[i & 7] += mw_bf16_to_f32(x[i]) * mw_bf16_to_f32(y[i]);
    *s = reduce8(acc);
}
