/*
 * simd128_repack.c — Q4_0 and Q8_0 weights repacked at load for the SIMD128 matmul: eight
 * consecutive rows interleaved block by block (one group's block i is the eight rows' block i,
 * contiguous: eight fp16 scales, then the eight rows' quants). A group is exactly the size of
 * the eight rows it replaces, so the loader repacks in place. One pass over an activation
 * block then serves eight rows: y is unpacked once, the eight scales are converted by one
 * vector conversion instead of eight scalar loads, and the integer sums of four rows are
 * gathered into one vector. (Scales stored as f32 measured no faster: the conversion is a
 * few ops per eight rows, and the group 11% larger.) Lane r of each block term is exactly the
 * scalar's (f32)isum * (dx*dy) for row r, added in block order, so every result is
 * bit-identical to the scalar reference.
 */
#if defined(__wasm_simd128__) || defined(MW_SIMDE)

#include "kernels/simd128.h"
#include "quant/quant_util.h"

/* Q4_0 x 8 rows: qs as in block_q4_0 but XOR 0x88, so each nibble is q-8 as a signed 4-bit
 * number (q - 8 = q ^ 8 mod 16) and needs no -8 afterwards. */
typedef struct { uint16_t d[8]; uint8_t qs[8][QK4_0 / 2]; } block_q4_0x8;
/* Q8_0 x 8 rows */
typedef struct { uint16_t d[8]; int8_t qs[8][QK8_0]; } block_q8_0x8;
_Static_assert(sizeof(block_q4_0x8) == 8 * sizeof(block_q4_0), "in-place repack");
_Static_assert(sizeof(block_q8_0x8) == 8 * sizeof(block_q8_0), "in-place repack");

/* Both repacks: row r of group g is source row 8g+r. */
#define DEFINE_REPACK(NAME, SRC_T, DST_T, XOR) \
static void repack_##NAME(int64_t n_rows, int n, const void *src, void *dst) \
{ \
    const int nb = n / 32; \
    const SRC_T *x = src; \
    DST_T *out = dst; \
    for (int64_t g = 0; g < n_rows / 8; g++) \
        for (int i = 0; i < nb; i++) { \
            DST_T *o = &out[g * nb + i]; \
            for (int r = 0; r < 8; r++) { \
                const SRC_T *b = &x[(g * 8 + r) * nb + i]; \
                o->d[r] = b->d; \
                for (size_t j = 0; j < sizeof b->qs; j++) \
                    o->qs[r][j] = (uint8_t)(b->qs[j] ^ (XOR)); \
            } \
        } \
}
DEFINE_REPACK(q4_0, block_q4_0, block_q4_0x8, 0x88)
DEFINE_REPACK(q8_0, block_q8_0, block_q8_0x8, 0)

/* acc_lo/acc_hi (rows 0-3 / 4-7) += (f32)isum * (dx*dy): the block terms of eight rows, from
 * their eight i32x4 partial sums (each summing to isum << shift) and fp16 scales. */
SIMD_INLINE void add_terms8(v128_t *acc_lo, v128_t *acc_hi, const v128_t p[8], int shift,
                            const uint16_t dx_h[8], uint16_t dy_h)
{
    const v128_t dy = wasm_f32x4_splat(FP16(dy_h));
    const v128_t h = wasm_v128_load(dx_h);
    const v128_t dx_lo = simd_f16x4_to_f32(wasm_u32x4_extend_low_u16x8(h));
    const v128_t dx_hi = simd_f16x4_to_f32(wasm_u32x4_extend_high_u16x8(h));
    const v128_t is_lo = wasm_i32x4_shr(simd_hsum4_i32(p[0], p[1], p[2], p[3]), shift);
    const v128_t is_hi = wasm_i32x4_shr(simd_hsum4_i32(p[4], p[5], p[6], p[7]), shift);
    *acc_lo = wasm_f32x4_add(*acc_lo, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(is_lo),
                                                     wasm_f32x4_mul(dx_lo, dy)));
    *acc_hi = wasm_f32x4_add(*acc_hi, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(is_hi),
                                                     wasm_f32x4_mul(dx_hi, dy)));
}

/* Q4_0: in 16-bit lane k of a row's 16 bytes sit four nibbles: values 2k (bits 0-3), 2k+16
 * (4-7), 2k+1 (8-11), 2k+17 (12-15). Each is moved to bits 12-15 and kept there, so as i16 it
 * is the signed value times 4096: 6 ops for the four, and the dot sums are isum << 12 (at most
 * 32 * 8 * 128 * 4096 = 2^27, exact). y is split into even and odd bytes as i16 to match. */
static void vec_dot_rows8_q4_0(int n, float *s, const void *vx, const void *vy)
{
    const block_q4_0x8 *x = vx;
    const block_q8_0 *y = vy;
    const int nb = n / 32;
    const v128_t top = wasm_i16x8_splat((int16_t)0xf000);
    v128_t acc_lo = wasm_f32x4_splat(0.0f), acc_hi = acc_lo;
    for (int i = 0; i < nb; i++) {
        const v128_t a = wasm_v128_load(y[i].qs), b = wasm_v128_load(y[i].qs + 16);
        const v128_t ya_even = wasm_i16x8_shr(wasm_i16x8_shl(a, 8), 8), ya_odd = wasm_i16x8_shr(a, 8);
        const v128_t yb_even = wasm_i16x8_shr(wasm_i16x8_shl(b, 8), 8), yb_odd = wasm_i16x8_shr(b, 8);
        v128_t p[8];
        SIMD_UNROLL
        for (int r = 0; r < 8; r++) {
            const v128_t q = wasm_v128_load(x[i].qs[r]);
            p[r] = wasm_i32x4_add(
                wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_i16x8_shl(q, 12), ya_even),
                               wasm_i32x4_dot_i16x8(wasm_v128_and(wasm_i16x8_shl(q, 4), top), ya_odd)),
                wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_v128_and(wasm_i16x8_shl(q, 8), top), yb_even),
                               wasm_i32x4_dot_i16x8(wasm_v128_and(q, top), yb_odd)));
        }
        add_terms8(&acc_lo, &acc_hi, p, 12, x[i].d, y[i].d);
    }
    wasm_v128_store(s, acc_lo);
    wasm_v128_store(s + 4, acc_hi);
}

static void vec_dot_rows8_q8_0(int n, float *s, const void *vx, const void *vy)
{
    const block_q8_0x8 *x = vx;
    const block_q8_0 *y = vy;
    const int nb = n / 32;
    v128_t acc_lo = wasm_f32x4_splat(0.0f), acc_hi = acc_lo;
    for (int i = 0; i < nb; i++) {
        const v128_t a = wasm_v128_load(y[i].qs), b = wasm_v128_load(y[i].qs + 16);
        const v128_t y0 = wasm_i16x8_extend_low_i8x16(a), y1 = wasm_i16x8_extend_high_i8x16(a);
        const v128_t y2 = wasm_i16x8_extend_low_i8x16(b), y3 = wasm_i16x8_extend_high_i8x16(b);
        v128_t p[8];
        SIMD_UNROLL
        for (int r = 0; r < 8; r++) {
            const v128_t qa = wasm_v128_load(x[i].qs[r]), qb = wasm_v128_load(x[i].qs[r] + 16);
            p[r] = wasm_i32x4_add(
                wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(qa), y0),
                               wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(qa), y1)),
                wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(qb), y2),
                               wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(qb), y3)));
        }
        add_terms8(&acc_lo, &acc_hi, p, 0, x[i].d, y[i].d);
    }
    wasm_v128_store(s, acc_lo);
    wasm_v128_store(s + 4, acc_hi);
}

void mw_simd128_fill_repack(mw_kernels *k, const mw_kernels *scalar)
{
    (void)scalar;
    k->repack[MW_TYPE_Q4_0] = repack_q4_0;
    k->vec_dot_rows8[MW_TYPE_Q4_0] = vec_dot_rows8_q4_0;
    k->repack_group_bytes[MW_TYPE_Q4_0] = sizeof(block_q4_0x8);
    k->repack[MW_TYPE_Q8_0] = repack_q8_0;
    k->vec_dot_rows8[MW_TYPE_Q8_0] = vec_dot_rows8_q8_0;
    k->repack_group_bytes[MW_TYPE_Q8_0] = sizeof(block_q8_0x8);
}

#endif
