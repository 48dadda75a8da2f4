/*
 * simd128_repack_legacy.c — Q4_1, Q5_0 and Q5_1 weights repacked at load for the SIMD128
 * matmul, as simd128_repack.c does Q4_0 and Q8_0: eight consecutive rows interleaved block by
 * block (the eight fp16 scales, the eight minimums, the 5th bits, the eight rows' nibbles as
 * stored), each group exactly the size of the eight rows, so the loader repacks in place.
 * Decode (rows8) and pairs of tokens (rows8x2): the activation block is loaded once for the
 * eight rows, the scales converted as vectors, and the integer sums of four rows gathered into
 * one vector; lane r of each block term is the scalar's (f32)isum * (dx*dy) [+ m*s] for row r,
 * added in block order, so every result is bit-identical to the scalar reference.
 * Every row's values are kept unsigned (0..15, Q5: 0..31; Q5_0's -16 comes off as
 * 16 * sum(y)), so the same bytes feed the relaxed dot as its i7 operand (MW_RELAXED).
 */
#if defined(__wasm_simd128__) || defined(MW_SIMDE)

#include <stddef.h>
#include <string.h>

#include "kernels/simd128.h"
#include "quant/quant_util.h"

/* qh[h][j]: bit r = the 5th bit of value 16h + j of row r (an 8x8 bit transpose of the rows'
 * qh words), so one 16-bit shift and a mask give a row's 16s */
typedef struct { uint16_t d[8], m[8]; uint8_t qs[8][QK4_1 / 2]; } block_q4_1x8;
typedef struct { uint16_t d[8]; uint8_t qh[2][16]; uint8_t qs[8][QK5_0 / 2]; } block_q5_0x8;
typedef struct { uint16_t d[8], m[8]; uint8_t qh[2][16]; uint8_t qs[8][QK5_1 / 2]; } block_q5_1x8;
_Static_assert(sizeof(block_q4_1x8) == 8 * sizeof(block_q4_1), "in-place repack");
_Static_assert(sizeof(block_q5_0x8) == 8 * sizeof(block_q5_0), "in-place repack");
_Static_assert(sizeof(block_q5_1x8) == 8 * sizeof(block_q5_1), "in-place repack");

/* ---- repack (load time) ---- */

/* The 5th bits of eight rows (qh[r]: the row's little-endian u32) into the layout's qh: each
 * row's 32 bits spread to bytes (0xff / 0) and kept as bit r */
static void repack_qh8(const uint8_t *const qh[8], uint8_t out[2][16])
{
    const v128_t bit = wasm_i8x16_make(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
    v128_t acc[2] = { wasm_i32x4_splat(0), wasm_i32x4_splat(0) };
    for (int r = 0; r < 8; r++) {
        uint32_t w;
        memcpy(&w, qh[r], 4);
        const v128_t v = wasm_i32x4_splat((int32_t)w);
        const v128_t b[2] = { wasm_i8x16_shuffle(v, v, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1),
                              wasm_i8x16_shuffle(v, v, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3) };
        for (int h = 0; h < 2; h++)
            acc[h] = wasm_v128_or(acc[h], wasm_v128_and(wasm_i8x16_eq(wasm_v128_and(b[h], bit), bit),
                                                        wasm_i8x16_splat((int8_t)(1 << r))));
    }
    wasm_v128_store(out[0], acc[0]);
    wasm_v128_store(out[1], acc[1]);
}

#define REPACK_LEGACY_BODY(SRC_T, DST_T, HAS_M, HAS_QH) \
    const int nb = n / 32; \
    const SRC_T *x = src; \
    DST_T *out = dst; \
    for (int64_t g = 0; g < n_rows / 8; g++) \
        for (int i = 0; i < nb; i++) { \
            DST_T o; \
            const uint8_t *qh[8]; \
            for (int r = 0; r < 8; r++) { \
                const SRC_T *b = &x[(g * 8 + r) * nb + i]; \
                o.d[r] = b->d; \
                HAS_M(o.m[r] = b->m;) \
                HAS_QH(qh[r] = b->qh;) \
                memcpy(o.qs[r], b->qs, sizeof b->qs); \
            } \
            HAS_QH(repack_qh8(qh, o.qh);) \
            (void)qh; \
            out[g * nb + i] = o; \
        }
#define WITH(x) x
#define WITHOUT(x)

static void repack_q4_1(int64_t n_rows, int n, const void *src, void *dst)
{
    REPACK_LEGACY_BODY(block_q4_1, block_q4_1x8, WITH, WITHOUT)
}

static void repack_q5_0(int64_t n_rows, int n, const void *src, void *dst)
{
    REPACK_LEGACY_BODY(block_q5_0, block_q5_0x8, WITHOUT, WITH)
}

static void repack_q5_1(int64_t n_rows, int n, const void *src, void *dst)
{
    REPACK_LEGACY_BODY(block_q5_1, block_q5_1x8, WITH, WITH)
}

/* ---- rows8 / rows8x2 ---- */

/* Row r's 32 values (unsigned) as bytes: lo values 0..15, hi 16..31; qh NULL for Q4_1 */
SIMD_INLINE void row_bytes(const uint8_t qs[16], const uint8_t (*qh)[16], int r, v128_t *lo, v128_t *hi)
{
    const v128_t q = wasm_v128_load(qs);
    *lo = wasm_v128_and(q, wasm_i8x16_splat(0x0f));
    *hi = simd_hi_nibbles(q);
    if (qh) {   /* bit r of each byte to bit 4 */
        const v128_t h0 = wasm_v128_load(qh[0]), h1 = wasm_v128_load(qh[1]);
        const v128_t b4 = wasm_i8x16_splat(0x10);
        if (r <= 4) {
            *lo = wasm_v128_or(*lo, wasm_v128_and(wasm_i16x8_shl(h0, 4 - r), b4));
            *hi = wasm_v128_or(*hi, wasm_v128_and(wasm_i16x8_shl(h1, 4 - r), b4));
        } else {
            *lo = wasm_v128_or(*lo, wasm_v128_and(wasm_u16x8_shr(h0, r - 4), b4));
            *hi = wasm_v128_or(*hi, wasm_v128_and(wasm_u16x8_shr(h1, r - 4), b4));
        }
    }
}

/* Kinds of block: where its fields are (offsets into the group block) */
typedef struct {
    int block_bytes, m_at, qh_at, qs_at;   /* m_at, qh_at: -1 when absent */
    int y_bytes, y_qs_at;                  /* Q8_0 or Q8_1 */
    int bias_shift;                        /* 2^bias_shift subtracted from every value (Q5_0: 16), or 0 */
} legacy_kind;

#define KIND_Q4_1 ((legacy_kind){ sizeof(block_q4_1x8), 16, -1, 32, sizeof(block_q8_1), 4, 0 })
#define KIND_Q5_0 ((legacy_kind){ sizeof(block_q5_0x8), -1, 16, 48, sizeof(block_q8_0), 2, 4 })
#define KIND_Q5_1 ((legacy_kind){ sizeof(block_q5_1x8), 16, 32, 64, sizeof(block_q8_1), 4, 0 })
_Static_assert(offsetof(block_q4_1x8, m) == 16 && offsetof(block_q4_1x8, qs) == 32, "KIND_Q4_1");
_Static_assert(offsetof(block_q5_0x8, qh) == 16 && offsetof(block_q5_0x8, qs) == 48, "KIND_Q5_0");
_Static_assert(offsetof(block_q5_1x8, m) == 16 && offsetof(block_q5_1x8, qh) == 32 &&
               offsetof(block_q5_1x8, qs) == 64, "KIND_Q5_1");

/* Four i32 lanes summing to the dot of bytes x (unsigned, <= 31) with the int8 activations a
 * (values 0..15) and b (16..31), starting from c: the relaxed dot with x as its i7 operand, or
 * SIMD128's widening dot */
SIMD_INLINE v128_t bytes_dot(v128_t lo, v128_t hi, v128_t a, v128_t b, v128_t c, int relaxed)
{
#if defined(MW_RELAXED)
    if (relaxed)
        return wasm_i32x4_relaxed_dot_i8x16_i7x16_add(b, hi, wasm_i32x4_relaxed_dot_i8x16_i7x16_add(a, lo, c));
#endif
    (void)relaxed;
    return wasm_i32x4_add(c, wasm_i32x4_add(simd_dot_i8x16(lo, a), simd_dot_i8x16(hi, b)));
}

/* s[8t + r] = row r of the group (vx) against token t < NT (NT 1 or 2, y_stride apart) */
SIMD_INLINE void rows8_legacy(int n, float *s, const void *vx, const void *vy, size_t y_stride, int nt,
                              legacy_kind k, int relaxed)
{
    v128_t acc[2][2];
    for (int t = 0; t < 2; t++) acc[t][0] = acc[t][1] = wasm_f32x4_splat(0.0f);
    for (int i = 0; i < n / 32; i++) {
        const uint8_t *xb = (const uint8_t *)vx + (size_t)i * k.block_bytes;
        const uint8_t (*qs)[16] = (const uint8_t (*)[16])(xb + k.qs_at);
        const uint8_t (*qh)[16] = k.qh_at >= 0 ? (const uint8_t (*)[16])(xb + k.qh_at) : NULL;
        v128_t ya[2], yb[2], start[2], p[2][8];
        const uint8_t *y[2];
        for (int t = 0; t < nt; t++) {
            y[t] = (const uint8_t *)vy + (size_t)t * y_stride + (size_t)i * k.y_bytes;
            ya[t] = wasm_v128_load(y[t] + k.y_qs_at);
            yb[t] = wasm_v128_load(y[t] + k.y_qs_at + 16);
            start[t] = wasm_i32x4_splat(0);
            if (k.bias_shift) {   /* -bias * sum(y), as lane partial sums */
                const v128_t ones = wasm_i8x16_splat(1);
                start[t] = wasm_i32x4_sub(start[t], wasm_i32x4_shl(bytes_dot(ones, ones, ya[t], yb[t], start[t], relaxed),
                                                                   k.bias_shift));
            }
        }
        SIMD_UNROLL
        for (int r = 0; r < 8; r++) {
            v128_t lo, hi;
            row_bytes(qs[r], qh, r, &lo, &hi);
            for (int t = 0; t < nt; t++) p[t][r] = bytes_dot(lo, hi, ya[t], yb[t], start[t], relaxed);
        }
        const v128_t dh = wasm_v128_load(xb);
        const v128_t dx[2] = { simd_f16x4_to_f32(wasm_u32x4_extend_low_u16x8(dh)),
                               simd_f16x4_to_f32(wasm_u32x4_extend_high_u16x8(dh)) };
        v128_t mx[2] = { dx[0], dx[1] };
        if (k.m_at >= 0) {
            const v128_t mh = wasm_v128_load(xb + k.m_at);
            mx[0] = simd_f16x4_to_f32(wasm_u32x4_extend_low_u16x8(mh));
            mx[1] = simd_f16x4_to_f32(wasm_u32x4_extend_high_u16x8(mh));
        }
        for (int t = 0; t < nt; t++) {
            uint16_t yd, ys;
            memcpy(&yd, y[t], 2);
            memcpy(&ys, y[t] + 2, 2);   /* Q8_1's s (unused for Q8_0) */
            const v128_t dy = wasm_f32x4_splat(FP16(yd));
            const v128_t is[2] = { simd_hsum4_i32(p[t][0], p[t][1], p[t][2], p[t][3]),
                                   simd_hsum4_i32(p[t][4], p[t][5], p[t][6], p[t][7]) };
            for (int h = 0; h < 2; h++) {
                v128_t term = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(is[h]), wasm_f32x4_mul(dx[h], dy));
                if (k.m_at >= 0) term = wasm_f32x4_add(term, wasm_f32x4_mul(mx[h], wasm_f32x4_splat(FP16(ys))));
                acc[t][h] = wasm_f32x4_add(acc[t][h], term);
            }
        }
    }
    for (int t = 0; t < nt; t++) {
        wasm_v128_store(s + 8 * t, acc[t][0]);
        wasm_v128_store(s + 8 * t + 4, acc[t][1]);
    }
}

/* rows8 and rows8x2 of one type: the relaxed dot in relaxed builds, SIMD128's otherwise */
#if defined(MW_RELAXED)
#define RELAXED 1
#else
#define RELAXED 0
#endif
#define ROWS8_LEGACY_FNS(NAME, KIND) \
    static void vec_dot_rows8_##NAME(int n, float *s, const void *vx, const void *vy) \
    { \
        rows8_legacy(n, s, vx, vy, 0, 1, KIND, RELAXED); \
    } \
    static void vec_dot_rows8x2_##NAME(int n, float *s, const void *vx, const void *vy, size_t y_stride) \
    { \
        rows8_legacy(n, s, vx, vy, y_stride, 2, KIND, RELAXED); \
    }

ROWS8_LEGACY_FNS(q4_1, KIND_Q4_1)
ROWS8_LEGACY_FNS(q5_0, KIND_Q5_0)
ROWS8_LEGACY_FNS(q5_1, KIND_Q5_1)

void mw_simd128_fill_repack_legacy(mw_kernels *k, simd128_tiles *tiles)
{
    k->repack[MW_TYPE_Q4_1] = repack_q4_1;
    k->repack_group_bytes[MW_TYPE_Q4_1] = sizeof(block_q4_1x8);
    tiles[MW_TYPE_Q4_1].rows8 = vec_dot_rows8_q4_1;
    tiles[MW_TYPE_Q4_1].rows8x2 = vec_dot_rows8x2_q4_1;
    k->repack[MW_TYPE_Q5_0] = repack_q5_0;
    k->repack_group_bytes[MW_TYPE_Q5_0] = sizeof(block_q5_0x8);
    tiles[MW_TYPE_Q5_0].rows8 = vec_dot_rows8_q5_0;
    tiles[MW_TYPE_Q5_0].rows8x2 = vec_dot_rows8x2_q5_0;
    k->repack[MW_TYPE_Q5_1] = repack_q5_1;
    k->repack_group_bytes[MW_TYPE_Q5_1] = sizeof(block_q5_1x8);
    tiles[MW_TYPE_Q5_1].rows8 = vec_dot_rows8_q5_1;
    tiles[MW_TYPE_Q5_1].rows8x2 = vec_dot_rows8x2_q5_1;
}

#endif
