/*
 * simd128_half.c — F16 and BF16 weights (against F16 / BF16 activations, as ggml pairs them):
 * vec_dot and the four-row decode tile dot_4rows, which widens each eight activation values
 * once for four weight rows. Both keep the scalar's eight interleaved partial sums (lane k of
 * acc0 / acc1 is acc[k] / acc[4 + k]), its products (both factors widened exactly, one f32
 * multiply) and its pairwise reduction, so they are bit-identical to mw_vec_dot_f16 / _bf16.
 * Weights stay as loaded: rows are read as four streams, which the hardware prefetchers follow.
 */
#if defined(__wasm_simd128__) || defined(MW_SIMDE)

#include "kernels/simd128.h"

static const mw_kernels *scalar_k;

/* u32 lane k = half k << 16 (lanes 0-3; _hi: 4-7): a zip with zero, one instruction on x86 */
SIMD_INLINE v128_t halves_lo(v128_t h)
{
    return wasm_i16x8_shuffle(wasm_i32x4_splat(0), h, 0, 8, 1, 9, 2, 10, 3, 11);
}
SIMD_INLINE v128_t halves_hi(v128_t h)
{
    return wasm_i16x8_shuffle(wasm_i32x4_splat(0), h, 4, 12, 5, 13, 6, 14, 7, 15);
}

/* Four fp16 values (as halves_lo / _hi place them) to f32, equal to fp16_to_f32 for every half
 * but inf / NaN: the arithmetic shift by 3 puts the 15 magnitude bits at bits 13-27 (the sign
 * copied into bits 28-30, which the mask clears), a float 2^-112 times the value with its sign;
 * the multiply by 2^112 rebiases exactly (subnormal halves become normal floats). Three
 * operations instead of simd_f16x4_to_f32's nine. Exponent 31 comes out finite: see
 * f16_special. */
SIMD_INLINE v128_t f16_placed_to_f32(v128_t v)
{
    return wasm_f32x4_mul(wasm_v128_and(wasm_i32x4_shr(v, 3), wasm_i32x4_splat((int32_t)0x8fffffff)),
                          wasm_f32x4_splat(0x1p112f));
}

/* seen = lane-wise max of the halves' magnitudes times two: any lane >= 0xf800 once an inf or
 * NaN (exponent 31) went by, and then the caller computes the dot with the scalar entry */
SIMD_INLINE v128_t f16_special(v128_t seen, v128_t h)
{
    return wasm_u16x8_max(seen, wasm_i16x8_shl(h, 1));
}
SIMD_INLINE int f16_any_special(v128_t seen)
{
    return wasm_v128_any_true(wasm_u16x8_ge(seen, wasm_i16x8_splat((int16_t)0xf800)));
}

/* Eight halves at p to f32, values 0-3 (*lo) and 4-7 (*hi); F16 also updates *seen */
SIMD_INLINE void widen8(const uint16_t *p, int is_bf16, v128_t *lo, v128_t *hi, v128_t *seen)
{
    const v128_t h = wasm_v128_load(p);
    if (is_bf16) {
        *lo = halves_lo(h);
        *hi = halves_hi(h);
    } else {
        *lo = f16_placed_to_f32(halves_lo(h));
        *hi = f16_placed_to_f32(halves_hi(h));
        *seen = f16_special(*seen, h);
    }
}

/* s[r] = row r (r < NR; rows x_stride bytes apart) against y, for n a multiple of 8; returns
 * 0 when an F16 inf / NaN was seen (s is then not written) */
SIMD_INLINE int half_rows(int n, float *s, const void *vx, size_t x_stride, const void *vy, int nr, int is_bf16)
{
    const uint16_t *y = vy;
    v128_t acc0[4], acc1[4], seen = wasm_i32x4_splat(0);
    SIMD_UNROLL
    for (int r = 0; r < nr; r++) acc0[r] = acc1[r] = wasm_f32x4_splat(0.0f);
    for (int i = 0; i < n; i += 8) {
        v128_t y0, y1;
        widen8(y + i, is_bf16, &y0, &y1, &seen);
        SIMD_UNROLL
        for (int r = 0; r < nr; r++) {
            v128_t x0, x1;
            widen8((const uint16_t *)((const uint8_t *)vx + (size_t)r * x_stride) + i, is_bf16, &x0, &x1, &seen);
            acc0[r] = wasm_f32x4_add(acc0[r], wasm_f32x4_mul(x0, y0));
            acc1[r] = wasm_f32x4_add(acc1[r], wasm_f32x4_mul(x1, y1));
        }
    }
    if (!is_bf16 && f16_any_special(seen))
        return 0;
    SIMD_UNROLL
    for (int r = 0; r < nr; r++) s[r] = simd_hsum_f32(wasm_f32x4_add(acc0[r], acc1[r]));
    return 1;
}

/* n not a multiple of 8 (no model has such rows) or an F16 inf / NaN: the scalar dot */
static void vec_dot_f16(int n, float *s, const void *vx, const void *vy)
{
    if (n % 8 || !half_rows(n, s, vx, 0, vy, 1, 0))
        scalar_k->vec_dot[MW_TYPE_F16](n, s, vx, vy);
}

static void vec_dot_bf16(int n, float *s, const void *vx, const void *vy)
{
    if (n % 8)
        scalar_k->vec_dot[MW_TYPE_BF16](n, s, vx, vy);
    else
        half_rows(n, s, vx, 0, vy, 1, 1);
}

static void dot_4rows_f16(int n, float *s, const void *vx, size_t x_stride, const void *vy)
{
    if (n % 8 == 0 && half_rows(n, s, vx, x_stride, vy, 4, 0))
        return;
    for (int r = 0; r < 4; r++) vec_dot_f16(n, s + r, (const uint8_t *)vx + (size_t)r * x_stride, vy);
}

static void dot_4rows_bf16(int n, float *s, const void *vx, size_t x_stride, const void *vy)
{
    if (n % 8 == 0) {
        half_rows(n, s, vx, x_stride, vy, 4, 1);
        return;
    }
    for (int r = 0; r < 4; r++) vec_dot_bf16(n, s + r, (const uint8_t *)vx + (size_t)r * x_stride, vy);
}

/* rows4xn: the four rows widened once per chunk of columns into xf (4 KiB, in L1) for all the
 * tokens; a token then widens each eight activation values once for the four rows, its
 * partial sums kept in acc between chunks (same order of additions as the scalar's). F16 only:
 * BF16's widening is one zip, and its rows4xn measured 0.87-0.93x its dot_4rows per token. */
enum { HALF_CHUNK = 256 };
static void rows4xn_half(int n, float *s, const void *vx, size_t x_stride, const void *vy, size_t y_stride, int n_tok,
                         int is_bf16)
{
    const mw_vec_dot_fn dot = scalar_k->vec_dot[is_bf16 ? MW_TYPE_BF16 : MW_TYPE_F16];
    v128_t acc[SIMD_ROWS4XN_TOK][4][2], seen = wasm_i32x4_splat(0);
    float xf[4][HALF_CHUNK];
    if (n % 8)
        goto scalar;
    for (int t = 0; t < n_tok; t++)
        for (int r = 0; r < 4; r++) acc[t][r][0] = acc[t][r][1] = wasm_f32x4_splat(0.0f);
    for (int c0 = 0; c0 < n; c0 += HALF_CHUNK) {
        const int len = n - c0 < HALF_CHUNK ? n - c0 : HALF_CHUNK;
        for (int r = 0; r < 4; r++) {
            const uint16_t *x = (const uint16_t *)((const uint8_t *)vx + (size_t)r * x_stride) + c0;
            for (int i = 0; i < len; i += 8) {
                v128_t lo, hi;
                widen8(x + i, is_bf16, &lo, &hi, &seen);
                wasm_v128_store(&xf[r][i], lo);
                wasm_v128_store(&xf[r][i + 4], hi);
            }
        }
        for (int t = 0; t < n_tok; t++) {
            const uint16_t *y = (const uint16_t *)((const uint8_t *)vy + (size_t)t * y_stride) + c0;
            v128_t a0[4], a1[4];
            SIMD_UNROLL
            for (int r = 0; r < 4; r++) {
                a0[r] = acc[t][r][0];
                a1[r] = acc[t][r][1];
            }
            for (int i = 0; i < len; i += 8) {
                v128_t y0, y1;
                widen8(y + i, is_bf16, &y0, &y1, &seen);
                SIMD_UNROLL
                for (int r = 0; r < 4; r++) {
                    a0[r] = wasm_f32x4_add(a0[r], wasm_f32x4_mul(wasm_v128_load(&xf[r][i]), y0));
                    a1[r] = wasm_f32x4_add(a1[r], wasm_f32x4_mul(wasm_v128_load(&xf[r][i + 4]), y1));
                }
            }
            SIMD_UNROLL
            for (int r = 0; r < 4; r++) {
                acc[t][r][0] = a0[r];
                acc[t][r][1] = a1[r];
            }
        }
    }
    if (is_bf16 || !f16_any_special(seen)) {
        for (int t = 0; t < n_tok; t++)
            for (int r = 0; r < 4; r++) s[4 * t + r] = simd_hsum_f32(wasm_f32x4_add(acc[t][r][0], acc[t][r][1]));
        return;
    }
scalar:
    for (int t = 0; t < n_tok; t++)
        for (int r = 0; r < 4; r++)
            dot(n, &s[4 * t + r], (const uint8_t *)vx + (size_t)r * x_stride, (const uint8_t *)vy + (size_t)t * y_stride);
}

static void rows4xn_f16(int n, float *s, const void *vx, size_t x_stride, const void *vy, size_t y_stride, int n_tok)
{
    rows4xn_half(n, s, vx, x_stride, vy, y_stride, n_tok, 0);
}

void mw_simd128_fill_half(mw_kernels *k, simd128_tiles *tiles, const mw_kernels *scalar)
{
    scalar_k = scalar;
    k->vec_dot[MW_TYPE_F16] = vec_dot_f16;
    k->vec_dot[MW_TYPE_BF16] = vec_dot_bf16;
    tiles[MW_TYPE_F16].dot_4rows = dot_4rows_f16;
    tiles[MW_TYPE_BF16].dot_4rows = dot_4rows_bf16;
    tiles[MW_TYPE_F16].rows4xn = rows4xn_f16;
}

#endif
