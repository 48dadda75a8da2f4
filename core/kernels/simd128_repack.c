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

/* Both repacks: row r of group g is source row 8g+r (the body of repack_q4_0 / repack_q8_0) */
#define REPACK_BODY(SRC_T, DST_T, XOR) \
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
        }

static void repack_q4_0(int64_t n_rows, int n, const void *src, void *dst)
{
    REPACK_BODY(block_q4_0, block_q4_0x8, 0x88)
}

static void repack_q8_0(int64_t n_rows, int n, const void *src, void *dst)
{
    REPACK_BODY(block_q8_0, block_q8_0x8, 0)
}

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
 * 32 * 8 * 128 * 4096 = 2^27, exact; SHIFT 12 below). y is split into even and odd bytes as i16 to match. */
SIMD_INLINE void x_q4_0(const block_q4_0x8 *b, int r, v128_t v[4])
{
    const v128_t top = wasm_i16x8_splat((int16_t)0xf000);
    const v128_t q = wasm_v128_load(b->qs[r]);
    v[0] = wasm_i16x8_shl(q, 12);
    v[1] = wasm_v128_and(wasm_i16x8_shl(q, 4), top);
    v[2] = wasm_v128_and(wasm_i16x8_shl(q, 8), top);
    v[3] = wasm_v128_and(q, top);
}
SIMD_INLINE void y_q4_0(const block_q8_0 *b, v128_t v[4])
{
    const v128_t a = wasm_v128_load(b->qs), c = wasm_v128_load(b->qs + 16);
    v[0] = wasm_i16x8_shr(wasm_i16x8_shl(a, 8), 8);
    v[1] = wasm_i16x8_shr(a, 8);
    v[2] = wasm_i16x8_shr(wasm_i16x8_shl(c, 8), 8);
    v[3] = wasm_i16x8_shr(c, 8);
}

/* Q8_0: x and y widened to i16 alike */
SIMD_INLINE void widen(const int8_t qs[32], v128_t v[4])
{
    const v128_t a = wasm_v128_load(qs), c = wasm_v128_load(qs + 16);
    v[0] = wasm_i16x8_extend_low_i8x16(a);
    v[1] = wasm_i16x8_extend_high_i8x16(a);
    v[2] = wasm_i16x8_extend_low_i8x16(c);
    v[3] = wasm_i16x8_extend_high_i8x16(c);
}
SIMD_INLINE void x_q8_0(const block_q8_0x8 *b, int r, v128_t v[4]) { widen(b->qs[r], v); }
SIMD_INLINE void y_q8_0(const block_q8_0 *b, v128_t v[4]) { widen(b->qs, v); }

SIMD_INLINE v128_t idot4(const v128_t x[4], const v128_t y[4])
{
    return wasm_i32x4_add(wasm_i32x4_add(wasm_i32x4_dot_i16x8(x[0], y[0]), wasm_i32x4_dot_i16x8(x[1], y[1])),
                          wasm_i32x4_add(wasm_i32x4_dot_i16x8(x[2], y[2]), wasm_i32x4_dot_i16x8(x[3], y[3])));
}

/* rows8: one activation row; rows8x2: two (prefill; s[8t + r]), each row's block unpacked
 * once for both. X_FN, Y_FN unpack a block of x (one row) and of y; SHIFT as add_terms8. */
#define ROWS8_BODY(XT, X_FN, Y_FN, SHIFT) \
    const XT *x = vx; \
    const block_q8_0 *y = vy; \
    v128_t acc_lo = wasm_f32x4_splat(0.0f), acc_hi = acc_lo; \
    for (int i = 0; i < n / 32; i++) { \
        v128_t yv[4], xv[4], p[8]; \
        Y_FN(&y[i], yv); \
        SIMD_UNROLL \
        for (int r = 0; r < 8; r++) { \
            X_FN(&x[i], r, xv); \
            p[r] = idot4(xv, yv); \
        } \
        add_terms8(&acc_lo, &acc_hi, p, SHIFT, x[i].d, y[i].d); \
    } \
    wasm_v128_store(s, acc_lo); \
    wasm_v128_store(s + 4, acc_hi);

#define ROWS8X2_BODY(XT, X_FN, Y_FN, SHIFT) \
    const XT *x = vx; \
    const block_q8_0 *y0 = vy, *y1 = (const block_q8_0 *)((const uint8_t *)vy + y_stride); \
    v128_t acc0_lo = wasm_f32x4_splat(0.0f), acc0_hi = acc0_lo, acc1_lo = acc0_lo, acc1_hi = acc0_lo; \
    for (int i = 0; i < n / 32; i++) { \
        v128_t yv0[4], yv1[4], xv[4], p0[8], p1[8]; \
        Y_FN(&y0[i], yv0); \
        Y_FN(&y1[i], yv1); \
        SIMD_UNROLL \
        for (int r = 0; r < 8; r++) { \
            X_FN(&x[i], r, xv); \
            p0[r] = idot4(xv, yv0); \
            p1[r] = idot4(xv, yv1); \
        } \
        add_terms8(&acc0_lo, &acc0_hi, p0, SHIFT, x[i].d, y0[i].d); \
        add_terms8(&acc1_lo, &acc1_hi, p1, SHIFT, x[i].d, y1[i].d); \
    } \
    wasm_v128_store(s, acc0_lo); \
    wasm_v128_store(s + 4, acc0_hi); \
    wasm_v128_store(s + 8, acc1_lo); \
    wasm_v128_store(s + 12, acc1_hi);

static void vec_dot_rows8_q4_0(int n, float *s, const void *vx, const void *vy)
{
    ROWS8_BODY(block_q4_0x8, x_q4_0, y_q4_0, 12)
}

static void vec_dot_rows8x2_q4_0(int n, float *s, const void *vx, const void *vy, size_t y_stride)
{
    ROWS8X2_BODY(block_q4_0x8, x_q4_0, y_q4_0, 12)
}

static void vec_dot_rows8_q8_0(int n, float *s, const void *vx, const void *vy)
{
    ROWS8_BODY(block_q8_0x8, x_q8_0, y_q8_0, 0)
}

static void vec_dot_rows8x2_q8_0(int n, float *s, const void *vx, const void *vy, size_t y_stride)
{
    ROWS8X2_BODY(block_q8_0x8, x_q8_0, y_q8_0, 0)
}

#if defined(MW_RELAXED)
/* Relaxed SIMD (wasm_simd.h: MW_RELAXED): the weights are the second operand of
 * i32x4.relaxed_dot_i8x16_i7x16_add, kept in 0..127 so every engine computes the same, the
 * signed Q8_0 activations the first (a pair of products at most 2 * 127 * 128 = 32512: no i16
 * saturation). Q4_0: the nibbles as unsigned bytes 0..15 (q = stored ^ 8; low nibbles of byte
 * j are value j, high ones j + 16: y's two halves as loaded), the -8 of every value folded into
 * the accumulator's start, -8 * sum(y) (a relaxed dot against ones, once per block and token).
 * Q8_0: w = (w & 127) - 128 * (w < 0), the second term as 128 * the sum of y where w < 0 (y
 * masked, dotted against ones). Lane sums are isum, as add_terms8 takes them. */
SIMD_INLINE v128_t rdot(v128_t a, v128_t b, v128_t c) { return wasm_i32x4_relaxed_dot_i8x16_i7x16_add(a, b, c); }

SIMD_INLINE void rows8_relaxed(int n, float *s, const void *vx, const void *vy, size_t y_stride, int nt, int is_q8)
{
    const v128_t ones = wasm_i8x16_splat(1), zero = wasm_i32x4_splat(0);
    const int block_bytes = is_q8 ? (int)sizeof(block_q8_0x8) : (int)sizeof(block_q4_0x8);
    v128_t acc[2][2];
    for (int t = 0; t < 2; t++) acc[t][0] = acc[t][1] = wasm_f32x4_splat(0.0f);
    for (int i = 0; i < n / 32; i++) {
        const uint8_t *xb = (const uint8_t *)vx + (size_t)i * block_bytes;
        const uint16_t *d = (const uint16_t *)xb;   /* both layouts start with the 8 scales */
        v128_t ya[2], yb[2], start[2], p[2][8];
        const block_q8_0 *y[2];
        for (int t = 0; t < nt; t++) {
            y[t] = (const block_q8_0 *)((const uint8_t *)vy + (size_t)t * y_stride) + i;
            ya[t] = wasm_v128_load(y[t]->qs);
            yb[t] = wasm_v128_load(y[t]->qs + 16);
            start[t] = zero;
            if (!is_q8)
                start[t] = wasm_i32x4_sub(zero, wasm_i32x4_shl(rdot(ya[t], ones, rdot(yb[t], ones, zero)), 3));
        }
        SIMD_UNROLL
        for (int r = 0; r < 8; r++) {
            if (is_q8) {
                const int8_t *q = ((const block_q8_0x8 *)xb)->qs[r];
                const v128_t q0 = wasm_v128_load(q), q1 = wasm_v128_load(q + 16);
                const v128_t m7 = wasm_i8x16_splat(0x7f);
                const v128_t l0 = wasm_v128_and(q0, m7), l1 = wasm_v128_and(q1, m7);
                const v128_t n0 = wasm_i8x16_lt(q0, zero), n1 = wasm_i8x16_lt(q1, zero);
                for (int t = 0; t < nt; t++) {
                    const v128_t neg = rdot(wasm_v128_and(ya[t], n0), ones, rdot(wasm_v128_and(yb[t], n1), ones, zero));
                    p[t][r] = wasm_i32x4_sub(rdot(ya[t], l0, rdot(yb[t], l1, zero)), wasm_i32x4_shl(neg, 7));
                }
            } else {
                const v128_t q = wasm_v128_xor(wasm_v128_load(((const block_q4_0x8 *)xb)->qs[r]),
                                               wasm_i8x16_splat((int8_t)0x88));
                const v128_t lo = wasm_v128_and(q, wasm_i8x16_splat(0x0f)), hi = simd_hi_nibbles(q);
                for (int t = 0; t < nt; t++) p[t][r] = rdot(yb[t], hi, rdot(ya[t], lo, start[t]));
            }
        }
        for (int t = 0; t < nt; t++) add_terms8(&acc[t][0], &acc[t][1], p[t], 0, d, y[t]->d);
    }
    for (int t = 0; t < nt; t++) {
        wasm_v128_store(s + 8 * t, acc[t][0]);
        wasm_v128_store(s + 8 * t + 4, acc[t][1]);
    }
}

static void vec_dot_rows8_q4_0_relaxed(int n, float *s, const void *vx, const void *vy)
{
    rows8_relaxed(n, s, vx, vy, 0, 1, 0);
}

static void vec_dot_rows8x2_q4_0_relaxed(int n, float *s, const void *vx, const void *vy, size_t y_stride)
{
    rows8_relaxed(n, s, vx, vy, y_stride, 2, 0);
}

static void vec_dot_rows8_q8_0_relaxed(int n, float *s, const void *vx, const void *vy)
{
    rows8_relaxed(n, s, vx, vy, 0, 1, 1);
}

static void vec_dot_rows8x2_q8_0_relaxed(int n, float *s, const void *vx, const void *vy, size_t y_stride)
{
    rows8_relaxed(n, s, vx, vy, y_stride, 2, 1);
}

#endif

/* ---- many tokens: the group's block unpacked once into L1, then streamed past each token ---- */

/* Q4_0 unpacked to the true values (q - 8) as i16 in plain order, as y_q8_0 has y: byte j
 * sign-extended holds value j in bits 0-3 and value j+16 in bits 4-7; shl moves a nibble to
 * bits 12-15, the arithmetic shr brings it back sign-extended. */
SIMD_INLINE void xs_q4_0(const block_q4_0x8 *b, int r, v128_t v[4])
{
    const v128_t q = wasm_v128_load(b->qs[r]);
    const v128_t lo = wasm_i16x8_extend_low_i8x16(q), hi = wasm_i16x8_extend_high_i8x16(q);
    v[0] = wasm_i16x8_shr(wasm_i16x8_shl(lo, 12), 12);
    v[1] = wasm_i16x8_shr(wasm_i16x8_shl(hi, 12), 12);
    v[2] = wasm_i16x8_shr(wasm_i16x8_shl(lo, 8), 12);
    v[3] = wasm_i16x8_shr(wasm_i16x8_shl(hi, 8), 12);
}
SIMD_INLINE void xs_q8_0(const block_q8_0x8 *b, int r, v128_t v[4]) { x_q8_0(b, r, v); }

/* fp16 -> f32, the same value as FP16: the normal numbers (exponent 1-30) in a few integer ops
 * behind one well-predicted test, zeros / subnormals / inf / NaN through FP16 (a token's
 * activation scale, converted once per block for eight rows). */
static inline float fp16_to_f32_normal_fast(uint16_t h)
{
    if ((uint32_t)((h & 0x7c00) - 0x400) >= 0x7800u) return FP16(h);
    return bits_f32(((((uint32_t)h & 0x7fff) << 13) + 0x38000000u) | (((uint32_t)h & 0x8000) << 16));
}

/* s[0..3] += the block terms of four rows (their unpacked x: xs[0..3]) against one token */
SIMD_INLINE void add_terms4_xs(float *s, const v128_t xs[4][4], const v128_t yv[4], v128_t dxy)
{
    const v128_t is = simd_hsum4_i32(idot4(xs[0], yv), idot4(xs[1], yv), idot4(xs[2], yv), idot4(xs[3], yv));
    wasm_v128_store(s, wasm_f32x4_add(wasm_v128_load(s), wasm_f32x4_mul(wasm_f32x4_convert_i32x4(is), dxy)));
}

/* xs escapes to an empty asm statement, so the compiler keeps it in memory instead of making
 * its 32 vectors SSA values: V8 then spilled them haphazardly (in Chromium 156 rows8xn Q8_0 ran
 * 2x slower that way; no change under Node 20). */
#if defined(__GNUC__) || defined(__clang__)
#define KEEP_IN_MEMORY(p) __asm__ volatile("" : : "r"(p) : "memory")
#else
#define KEEP_IN_MEMORY(p) ((void)(p))
#endif

/* rows8xn: n_tok activation rows; per block, the eight rows are unpacked once (XS_FN) into xs
 * (512 bytes, stays in L1) and every token's block reuses them: per row and token four loads
 * and dots, no unpacking. The float terms go into s in block order, as rows8. */
#define ROWS8XN_BODY(XT, XS_FN) \
    const XT *x = vx; \
    v128_t xs[8][4]; \
    for (int k = 0; k < 8 * n_tok; k++) s[k] = 0.0f; \
    for (int i = 0; i < n / 32; i++) { \
        SIMD_UNROLL \
        for (int r = 0; r < 8; r++) XS_FN(&x[i], r, xs[r]); \
        KEEP_IN_MEMORY(xs); \
        const v128_t h = wasm_v128_load(x[i].d); \
        const v128_t dx_lo = simd_f16x4_to_f32(wasm_u32x4_extend_low_u16x8(h)); \
        const v128_t dx_hi = simd_f16x4_to_f32(wasm_u32x4_extend_high_u16x8(h)); \
        const uint8_t *yb = (const uint8_t *)vy + (size_t)i * sizeof(block_q8_0); \
        for (int t = 0; t < n_tok; t++, yb += y_stride) { \
            const block_q8_0 *y = (const block_q8_0 *)yb; \
            v128_t yv[4]; \
            y_q8_0(y, yv); \
            const v128_t dy = wasm_f32x4_splat(fp16_to_f32_normal_fast(y->d)); \
            add_terms4_xs(s + 8 * t, xs, yv, wasm_f32x4_mul(dx_lo, dy)); \
            add_terms4_xs(s + 8 * t + 4, xs + 4, yv, wasm_f32x4_mul(dx_hi, dy)); \
        } \
    }

static void vec_dot_rows8xn_q4_0(int n, float *s, const void *vx, const void *vy, size_t y_stride, int n_tok)
{
    ROWS8XN_BODY(block_q4_0x8, xs_q4_0)
}

static void vec_dot_rows8xn_q8_0(int n, float *s, const void *vx, const void *vy, size_t y_stride, int n_tok)
{
    ROWS8XN_BODY(block_q8_0x8, xs_q8_0)
}

#if defined(MW_RELAXED)
/* ---- relaxed rows8xn (Q4_0): the group's block transposed once into L1, rows across lanes ----
 * Per block the eight rows' nibbles (0..15, the i7 operand) are transposed so that i32 lane r
 * of xs[k][h] holds values 4k..4k+3 of row 4h + r (chunks 0-3 the low nibbles = values 0..15,
 * 4-7 the high ones = 16..31). A token then needs no horizontal sums: its activations 4k..4k+3
 * splat to every lane, one relaxed dot per chunk and four rows, and the lanes are the rows'
 * integer dots (-8 * sum(y) folded into the start, as rows8_relaxed). Up to XN_TOK tokens per
 * pass over xs (their accumulators fit the 16 registers). The float term is add_terms8's, so
 * bit-identical to vec_dot. Q8_0 keeps the SIMD128 rows8xn: with both operands signed bytes one
 * must be split for the i7 operand (two relaxed dots per 16 values), and no split measured
 * faster than the i16 dots in Chromium 156 (64 and 16 tokens, 256 x 4096): the weights' sign
 * split per token (rows8_relaxed's) 0.85x; rows transposed as here, two tokens per pass, the
 * activations split once per token (y + 128 = l + 128 b, minus 128 sum(w)) 0.96-0.98x, or the
 * weights split once per tile (w = l - 128 n) with the activations splat as they are 0.93-0.95x. */
enum { XN_TOK = 4 };

/* out[c] = lane c of a[0..3] (a 4x4 transpose of i32 lanes) */
SIMD_INLINE void transpose4(const v128_t a[4], v128_t out[4])
{
    const v128_t t0 = wasm_i32x4_shuffle(a[0], a[1], 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(a[0], a[1], 2, 6, 3, 7);
    const v128_t t2 = wasm_i32x4_shuffle(a[2], a[3], 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(a[2], a[3], 2, 6, 3, 7);
    out[0] = wasm_i64x2_shuffle(t0, t2, 0, 2);
    out[1] = wasm_i64x2_shuffle(t0, t2, 1, 3);
    out[2] = wasm_i64x2_shuffle(t1, t3, 0, 2);
    out[3] = wasm_i64x2_shuffle(t1, t3, 1, 3);
}

SIMD_INLINE void unpack_xs_q4_0_relaxed(const block_q4_0x8 *x, v128_t xs[8][2])
{
    SIMD_UNROLL
    for (int h = 0; h < 2; h++) {
        v128_t lo[4], hi[4];
        for (int r = 0; r < 4; r++) {   /* stored ^ 0x88: back to the nibbles q */
            const v128_t q = wasm_v128_xor(wasm_v128_load(x->qs[4 * h + r]), wasm_i8x16_splat((int8_t)0x88));
            lo[r] = wasm_v128_and(q, wasm_i8x16_splat(0x0f));
            hi[r] = simd_hi_nibbles(q);
        }
        v128_t t[4];
        transpose4(lo, t);
        for (int c = 0; c < 4; c++) xs[c][h] = t[c];
        transpose4(hi, t);
        for (int c = 0; c < 4; c++) xs[4 + c][h] = t[c];
    }
}

/* s[8t + r] += the block's term of row r and token t < NT (yb: token 0's block) */
SIMD_INLINE void tile_q4_0_relaxed(const v128_t xs[8][2], int nt, const uint8_t *yb, size_t y_stride,
                                   v128_t dx_lo, v128_t dx_hi, float *s)
{
    const v128_t ones = wasm_i8x16_splat(1), zero = wasm_i32x4_splat(0);
    v128_t acc[XN_TOK][2];
    const block_q8_0 *y[XN_TOK];
    SIMD_UNROLL
    for (int t = 0; t < nt; t++) {   /* -8 * sum(y) in every lane */
        y[t] = (const block_q8_0 *)(yb + (size_t)t * y_stride);
        v128_t ys = rdot(wasm_v128_load(y[t]->qs), ones, rdot(wasm_v128_load(y[t]->qs + 16), ones, zero));
        ys = wasm_i32x4_add(ys, wasm_i32x4_shuffle(ys, ys, 2, 3, 0, 1));
        ys = wasm_i32x4_add(ys, wasm_i32x4_shuffle(ys, ys, 1, 0, 3, 2));
        acc[t][0] = acc[t][1] = wasm_i32x4_sub(zero, wasm_i32x4_shl(ys, 3));
    }
    SIMD_UNROLL
    for (int k = 0; k < 8; k++) {
        v128_t yk[XN_TOK];
        SIMD_UNROLL
        for (int t = 0; t < nt; t++) yk[t] = wasm_v128_load32_splat(y[t]->qs + 4 * k);
        SIMD_UNROLL
        for (int h = 0; h < 2; h++) {
            const v128_t xk = wasm_v128_load(&xs[k][h]);
            SIMD_UNROLL
            for (int t = 0; t < nt; t++) acc[t][h] = rdot(yk[t], xk, acc[t][h]);
        }
    }
    SIMD_UNROLL
    for (int t = 0; t < nt; t++) {
        const v128_t dy = wasm_f32x4_splat(fp16_to_f32_normal_fast(y[t]->d));
        const v128_t dx[2] = { dx_lo, dx_hi };
        SIMD_UNROLL
        for (int h = 0; h < 2; h++) {
            float *st = s + 8 * t + 4 * h;
            wasm_v128_store(st, wasm_f32x4_add(wasm_v128_load(st), wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc[t][h]),
                                                                                  wasm_f32x4_mul(dx[h], dy))));
        }
    }
}

static void vec_dot_rows8xn_q4_0_relaxed(int n, float *s, const void *vx, const void *vy, size_t y_stride, int n_tok)
{
    const block_q4_0x8 *x = vx;
    v128_t xs[8][2];
    for (int k = 0; k < 8 * n_tok; k++) s[k] = 0.0f;
    for (int i = 0; i < n / 32; i++) {
        unpack_xs_q4_0_relaxed(&x[i], xs);
        KEEP_IN_MEMORY(xs);
        const v128_t h = wasm_v128_load(x[i].d);
        const v128_t dx_lo = simd_f16x4_to_f32(wasm_u32x4_extend_low_u16x8(h));
        const v128_t dx_hi = simd_f16x4_to_f32(wasm_u32x4_extend_high_u16x8(h));
        const uint8_t *yb = (const uint8_t *)vy + (size_t)i * sizeof(block_q8_0);
        int t = 0;
        for (; t + XN_TOK <= n_tok; t += XN_TOK)
            tile_q4_0_relaxed(xs, XN_TOK, yb + (size_t)t * y_stride, y_stride, dx_lo, dx_hi, s + 8 * t);
        switch (n_tok - t) {   /* the rest, the token count a constant */
        case 3: tile_q4_0_relaxed(xs, 3, yb + (size_t)t * y_stride, y_stride, dx_lo, dx_hi, s + 8 * t); break;
        case 2: tile_q4_0_relaxed(xs, 2, yb + (size_t)t * y_stride, y_stride, dx_lo, dx_hi, s + 8 * t); break;
        case 1: tile_q4_0_relaxed(xs, 1, yb + (size_t)t * y_stride, y_stride, dx_lo, dx_hi, s + 8 * t); break;
        default: break;
        }
    }
}

void mw_simd128_fill_repack_relaxed(simd128_tiles *tiles)
{
    tiles[MW_TYPE_Q4_0].rows8 = vec_dot_rows8_q4_0_relaxed;
    tiles[MW_TYPE_Q4_0].rows8x2 = vec_dot_rows8x2_q4_0_relaxed;
    tiles[MW_TYPE_Q4_0].rows8xn = vec_dot_rows8xn_q4_0_relaxed;
    tiles[MW_TYPE_Q8_0].rows8 = vec_dot_rows8_q8_0_relaxed;
    tiles[MW_TYPE_Q8_0].rows8x2 = vec_dot_rows8x2_q8_0_relaxed;
}
#endif

void mw_simd128_fill_repack(mw_kernels *k, simd128_tiles *tiles, const mw_kernels *scalar)
{
    (void)scalar;
    k->repack[MW_TYPE_Q4_0] = repack_q4_0;
    tiles[MW_TYPE_Q4_0].rows8 = vec_dot_rows8_q4_0;
    tiles[MW_TYPE_Q4_0].rows8x2 = vec_dot_rows8x2_q4_0;
    tiles[MW_TYPE_Q4_0].rows8xn = vec_dot_rows8xn_q4_0;
    k->repack_group_bytes[MW_TYPE_Q4_0] = sizeof(block_q4_0x8);
    k->repack[MW_TYPE_Q8_0] = repack_q8_0;
    tiles[MW_TYPE_Q8_0].rows8 = vec_dot_rows8_q8_0;
    tiles[MW_TYPE_Q8_0].rows8x2 = vec_dot_rows8x2_q8_0;
    tiles[MW_TYPE_Q8_0].rows8xn = vec_dot_rows8xn_q8_0;
    k->repack_group_bytes[MW_TYPE_Q8_0] = sizeof(block_q8_0x8);
}

#endif
