/*
 * simd128_repack_kquants.c — Q4_K and Q6_K weights repacked at load for the SIMD128 matmul:
 * eight consecutive rows interleaved super-block by super-block, each group exactly the size
 * of the eight rows it replaces (the loader repacks in place). Inside a group the bits are
 * rearranged so one v128 load and a few 16-bit shifts/masks give eight-value i16 vectors that
 * line up with eight consecutive activation values: the activation super-block is widened to
 * i16 once and serves all eight rows. The per-group scales are applied to the exact integer
 * group dots by narrowing two groups' i32 partial sums to i16 (they fit: see the bounds below)
 * and one i32x4.dot_i16x8 against the two scales, instead of an i32 multiply per group.
 * Every integer sum is exact and the float finish per super-block is kq_dot's expression
 * lane by lane (d*yd*sumi - dmin*yd*summ, added in block order), so results are bit-identical
 * to the scalar reference. Activation values are in -128..127 (Q8_K).
 */
#if defined(__wasm_simd128__) || defined(MW_SIMDE)

#include "kernels/simd128.h"
#include "quant/kquants.h"

/* Q4_K x 8 rows. qs[r]: row r's 256 quants, group g (values 32g..32g+31) in bytes 16g..16g+15,
 * nibble j (bits 4j..4j+3) of u16 lane k being value 32g + 8j + k. scales: the 64 scales and
 * the 64 mins (6 bits each) packed by pack6 below, in the order unpack6 gives:
 * vector a (0..3) = [row 2a groups 0..7, row 2a+1 groups 0..7]. */
typedef struct {
    uint16_t d[8], dmin[8];
    uint8_t scales[96];
    uint8_t qs[8][QK_K / 2];
} block_q4_Kx8;
/* Q6_K x 8 rows. q[r][c]: values 64c..64c+63 of row r (stored 0..63, the -32 is applied
 * through bsums) in three vectors V0..V2: byte 2k of Vi holds value 64c+16i+k in its low 6
 * bits, byte 2k+1 value 64c+16i+8+k; the top 2 bits of byte 2k (2k+1) of Vi are bits 2i..2i+1
 * of value 64c+48+k (64c+56+k). scales: as block_q6_K, one row after the other. */
typedef struct {
    uint16_t d[8];
    int8_t scales[8][QK_K / 16];
    uint8_t q[8][4][48];
} block_q6_Kx8;
_Static_assert(sizeof(block_q4_Kx8) == 8 * sizeof(block_q4_K), "in-place repack");
_Static_assert(sizeof(block_q6_Kx8) == 8 * sizeof(block_q6_K), "in-place repack");

/* ---- repack (load time, scalar) ---- */

/* 64 6-bit values v[a][b] (a < 4, b < 16) into 48 bytes: the low 4 bits of v[0], v[1] as the
 * low and high nibbles of bytes 0..15, of v[2], v[3] in bytes 16..31; their top 2 bits as bits
 * 2a..2a+1 of byte 32 + b. */
static void pack6(const uint8_t v[4][16], uint8_t *out)
{
    for (int b = 0; b < 16; b++) {
        out[b] = (uint8_t)((v[0][b] & 15) | (v[1][b] & 15) << 4);
        out[16 + b] = (uint8_t)((v[2][b] & 15) | (v[3][b] & 15) << 4);
        out[32 + b] = (uint8_t)(v[0][b] >> 4 | (v[1][b] >> 4) << 2 | (v[2][b] >> 4) << 4 | (v[3][b] >> 4) << 6);
    }
}

static void repack_q4_K_block(const block_q4_K *src[8], block_q4_Kx8 *o)
{
    uint8_t sc[4][16], mn[4][16];
    for (int r = 0; r < 8; r++) {
        const block_q4_K *b = src[r];
        o->d[r] = b->d;
        o->dmin[r] = b->dmin;
        for (int g = 0; g < 8; g++) {
            int s, m;
            get_scale_min_k4(g, b->scales, &s, &m);
            sc[r / 2][8 * (r % 2) + g] = (uint8_t)s;
            mn[r / 2][8 * (r % 2) + g] = (uint8_t)m;
        }
        uint8_t q[QK_K];   /* value v = 64j + 32h + l: nibble h of qs[32j + l] */
        for (int v = 0; v < QK_K; v++) {
            const uint8_t byte = b->qs[32 * (v / 64) + v % 32];
            q[v] = (v % 64) < 32 ? byte & 15 : byte >> 4;
        }
        for (int g = 0; g < 8; g++)
            for (int k = 0; k < 8; k++) {
                const uint8_t *v = q + 32 * g + k;
                o->qs[r][16 * g + 2 * k] = (uint8_t)(v[0] | v[8] << 4);
                o->qs[r][16 * g + 2 * k + 1] = (uint8_t)(v[16] | v[24] << 4);
            }
    }
    /* scales, then mins, then the scales' and the mins' top bits */
    uint8_t packed[2][48];
    pack6((const uint8_t(*)[16])sc, packed[0]);
    pack6((const uint8_t(*)[16])mn, packed[1]);
    memcpy(o->scales, packed[0], 32);
    memcpy(o->scales + 32, packed[1], 32);
    memcpy(o->scales + 64, packed[0] + 32, 16);
    memcpy(o->scales + 80, packed[1] + 32, 16);
}

static void repack_q6_K_block(const block_q6_K *src[8], block_q6_Kx8 *o)
{
    for (int r = 0; r < 8; r++) {
        const block_q6_K *b = src[r];
        o->d[r] = b->d;
        memcpy(o->scales[r], b->scales, sizeof b->scales);
        uint8_t q[QK_K];   /* as kquants_q6.c's unpack, without the -32 */
        for (int v = 0; v < QK_K; v++) {
            const int c = v / 128, k = (v % 128) / 32, l = v % 32;
            const int lo_byte = b->ql[64 * c + 32 * (k % 2) + l];
            const int lo = k < 2 ? lo_byte & 15 : lo_byte >> 4;
            q[v] = (uint8_t)(lo | ((b->qh[32 * c + l] >> (2 * k)) & 3) << 4);
        }
        for (int c = 0; c < 4; c++)
            for (int i = 0; i < 3; i++)
                for (int k = 0; k < 8; k++) {
                    const uint8_t *v = q + 64 * c;
                    o->q[r][c][16 * i + 2 * k] = (uint8_t)(v[16 * i + k] | ((v[48 + k] >> (2 * i)) & 3) << 6);
                    o->q[r][c][16 * i + 2 * k + 1] = (uint8_t)(v[16 * i + 8 + k] | ((v[56 + k] >> (2 * i)) & 3) << 6);
                }
    }
}

/* Row r of group g is source row 8g+r. */
#define DEFINE_REPACK(NAME, SRC_T, DST_T) \
static void repack_##NAME(int64_t n_rows, int n, const void *src, void *dst) \
{ \
    const int nb = n / QK_K; \
    const SRC_T *x = src; \
    DST_T *out = dst; \
    for (int64_t g = 0; g < n_rows / 8; g++) \
        for (int i = 0; i < nb; i++) { \
            const SRC_T *rows[8]; \
            for (int r = 0; r < 8; r++) rows[r] = &x[(g * 8 + r) * nb + i]; \
            repack_##NAME##_block(rows, &out[g * nb + i]); \
        } \
}
DEFINE_REPACK(q4_K, block_q4_K, block_q4_Kx8)
DEFINE_REPACK(q6_K, block_q6_K, block_q6_Kx8)

/* ---- shared pieces of the dot kernels ---- */

/* The activation super-block's 256 quants widened to i16, once for the eight rows. */
SIMD_INLINE void widen_y(const int8_t *qs, int16_t *yw)
{
    SIMD_UNROLL
    for (int j = 0; j < QK_K / 16; j++) {
        const v128_t v = wasm_v128_load(qs + 16 * j);
        wasm_v128_store(yw + 16 * j, wasm_i16x8_extend_low_i8x16(v));
        wasm_v128_store(yw + 16 * j + 8, wasm_i16x8_extend_high_i8x16(v));
    }
}

SIMD_INLINE v128_t dot_y(v128_t x, const int16_t *yw)
{
    return wasm_i32x4_dot_i16x8(x, wasm_v128_load(yw));
}

/* [sc[2j] x4, sc[2j+1] x4] of eight i16 scales: the pair a narrowed pair of groups needs */
SIMD_INLINE v128_t pair_scales(v128_t sc, int j)
{
    switch (j) {
    case 0: return wasm_i16x8_shuffle(sc, sc, 0, 0, 0, 0, 1, 1, 1, 1);
    case 1: return wasm_i16x8_shuffle(sc, sc, 2, 2, 2, 2, 3, 3, 3, 3);
    case 2: return wasm_i16x8_shuffle(sc, sc, 4, 4, 4, 4, 5, 5, 5, 5);
    default: return wasm_i16x8_shuffle(sc, sc, 6, 6, 6, 6, 7, 7, 7, 7);
    }
}

/* sc_a * dot_a + sc_b * dot_b as i32x4 partial sums, from the two groups' i32x4 partial dots
 * pa, pb (every lane within i16: narrowing is exact) and pair_scales' [sc_a x4, sc_b x4]. */
SIMD_INLINE v128_t scaled_pair(v128_t pa, v128_t pb, v128_t scales)
{
    return wasm_i32x4_dot_i16x8(wasm_i16x8_narrow_i32x4(pa, pb), scales);
}

/* acc (rows 0-3 / 4-7) += d*yd*sumi [- dmin*yd*summ]: kq_dot's finish for eight rows, from
 * the rows' i32x4 partial sums (lane sums: sumi) and their mins' sums (summ; unused without
 * dmin), fp16 scales converted exactly. */
SIMD_INLINE void finish8(v128_t acc[2], const v128_t sumi[8], const v128_t summ[8],
                         const uint16_t d_h[8], const uint16_t *dmin_h, float yd)
{
    const v128_t dy = wasm_f32x4_splat(yd);
    const v128_t d = wasm_v128_load(d_h);
    const v128_t dx[2] = { simd_f16x4_to_f32(wasm_u32x4_extend_low_u16x8(d)),
                           simd_f16x4_to_f32(wasm_u32x4_extend_high_u16x8(d)) };
    v128_t dm[2] = { dy, dy };
    if (dmin_h) {
        const v128_t h = wasm_v128_load(dmin_h);
        dm[0] = simd_f16x4_to_f32(wasm_u32x4_extend_low_u16x8(h));
        dm[1] = simd_f16x4_to_f32(wasm_u32x4_extend_high_u16x8(h));
    }
    for (int h = 0; h < 2; h++) {
        const v128_t *si = sumi + 4 * h;
        v128_t r = wasm_f32x4_mul(wasm_f32x4_mul(dx[h], dy),
                                  wasm_f32x4_convert_i32x4(simd_hsum4_i32(si[0], si[1], si[2], si[3])));
        if (dmin_h) {
            const v128_t *sm = summ + 4 * h;
            r = wasm_f32x4_sub(r, wasm_f32x4_mul(wasm_f32x4_mul(dm[h], dy),
                                                 wasm_f32x4_convert_i32x4(simd_hsum4_i32(sm[0], sm[1], sm[2], sm[3]))));
        }
        acc[h] = wasm_f32x4_add(acc[h], r);
    }
}

/* ---- Q4_K ---- */

/* The 64 6-bit values pack6 stored (nibbles at n, top bits at c) as four u8x16 vectors */
SIMD_INLINE void unpack6(const uint8_t *n, const uint8_t *c, v128_t v[4])
{
    const v128_t m4 = wasm_i8x16_splat(0x0f), m30 = wasm_i8x16_splat(0x30);
    const v128_t n0 = wasm_v128_load(n), n1 = wasm_v128_load(n + 16), hi = wasm_v128_load(c);
    v[0] = wasm_v128_or(wasm_v128_and(n0, m4), wasm_v128_and(wasm_i16x8_shl(hi, 4), m30));
    v[1] = wasm_v128_or(simd_hi_nibbles(n0), wasm_v128_and(wasm_i16x8_shl(hi, 2), m30));
    v[2] = wasm_v128_or(wasm_v128_and(n1, m4), wasm_v128_and(hi, m30));
    v[3] = wasm_v128_or(simd_hi_nibbles(n1), wasm_v128_and(wasm_u16x8_shr(hi, 2), m30));
}

/* The four i16 vectors of one group's 32 quants (values 8j..8j+7 in vector j) */
SIMD_INLINE void x_q4_K(const uint8_t *qs, v128_t v[4])
{
    const v128_t m = wasm_i16x8_splat(0x000f);
    const v128_t q = wasm_v128_load(qs);
    v[0] = wasm_v128_and(q, m);
    v[1] = wasm_v128_and(wasm_u16x8_shr(q, 4), m);
    v[2] = wasm_v128_and(wasm_u16x8_shr(q, 8), m);
    v[3] = wasm_u16x8_shr(q, 12);
}

/* Dot of one group (x: its four vectors) with the widened activations at yw: i32x4 partial
 * sums, each of 8 products of at most 15 * 128: |lane| <= 15360, within i16. */
SIMD_INLINE v128_t group_dot_q4_K(const v128_t x[4], const int16_t *yw)
{
    return wasm_i32x4_add(wasm_i32x4_add(dot_y(x[0], yw), dot_y(x[1], yw + 8)),
                          wasm_i32x4_add(dot_y(x[2], yw + 16), dot_y(x[3], yw + 24)));
}

/* One super-block of the eight rows against NT activation super-blocks: sumi[t][r] (lane sums:
 * sum_g sc*dot) and summ[t][r] (lane sums: sum_g m*ysum_g). */
SIMD_INLINE void q4_K_sums(const block_q4_Kx8 *x, int nt, const block_q8_K *const y[2],
                           v128_t sumi[2][8], v128_t summ[2][8])
{
    int16_t yw[2][QK_K];
    v128_t ys[2];
    for (int t = 0; t < nt; t++) {
        widen_y(y[t]->qs, yw[t]);
        /* group sums of y (32 values: two bsums; |sum| <= 4096, within i16) */
        const v128_t b0 = wasm_v128_load(y[t]->bsums), b1 = wasm_v128_load(y[t]->bsums + 8);
        ys[t] = wasm_i16x8_narrow_i32x4(wasm_i32x4_extadd_pairwise_i16x8(b0),
                                        wasm_i32x4_extadd_pairwise_i16x8(b1));
    }
    v128_t sc[4], mn[4];
    unpack6(x->scales, x->scales + 64, sc);
    unpack6(x->scales + 32, x->scales + 80, mn);
    SIMD_UNROLL
    for (int r = 0; r < 8; r++) {
        const v128_t sc16 = r % 2 ? wasm_u16x8_extend_high_u8x16(sc[r / 2]) : wasm_u16x8_extend_low_u8x16(sc[r / 2]);
        const v128_t mn16 = r % 2 ? wasm_u16x8_extend_high_u8x16(mn[r / 2]) : wasm_u16x8_extend_low_u8x16(mn[r / 2]);
        v128_t acc[2] = { wasm_i32x4_splat(0), wasm_i32x4_splat(0) };
        SIMD_UNROLL
        for (int j = 0; j < 4; j++) {   /* groups 2j, 2j+1 */
            v128_t xa[4], xb[4];
            x_q4_K(x->qs[r] + 32 * j, xa);
            x_q4_K(x->qs[r] + 32 * j + 16, xb);
            const v128_t scales = pair_scales(sc16, j);
            for (int t = 0; t < nt; t++)
                acc[t] = wasm_i32x4_add(acc[t], scaled_pair(group_dot_q4_K(xa, yw[t] + 64 * j),
                                                            group_dot_q4_K(xb, yw[t] + 64 * j + 32), scales));
        }
        for (int t = 0; t < nt; t++) {
            sumi[t][r] = acc[t];
            summ[t][r] = wasm_i32x4_dot_i16x8(mn16, ys[t]);
        }
    }
}

static void vec_dot_rows8_q4_K(int n, float *s, const void *vx, const void *vy)
{
    const block_q4_Kx8 *x = vx;
    const block_q8_K *y = vy;
    v128_t acc[2] = { wasm_f32x4_splat(0.0f), wasm_f32x4_splat(0.0f) };
    for (int i = 0; i < n / QK_K; i++) {
        v128_t sumi[2][8], summ[2][8];
        const block_q8_K *yi[2] = { &y[i], &y[i] };
        q4_K_sums(&x[i], 1, yi, sumi, summ);
        finish8(acc, sumi[0], summ[0], x[i].d, x[i].dmin, y[i].d);
    }
    wasm_v128_store(s, acc[0]);
    wasm_v128_store(s + 4, acc[1]);
}

static void vec_dot_rows8x2_q4_K(int n, float *s, const void *vx, const void *vy, size_t y_stride)
{
    const block_q4_Kx8 *x = vx;
    const block_q8_K *y0 = vy, *y1 = (const block_q8_K *)((const uint8_t *)vy + y_stride);
    v128_t acc0[2] = { wasm_f32x4_splat(0.0f), wasm_f32x4_splat(0.0f) }, acc1[2] = { acc0[0], acc0[0] };
    for (int i = 0; i < n / QK_K; i++) {
        v128_t sumi[2][8], summ[2][8];
        const block_q8_K *yi[2] = { &y0[i], &y1[i] };
        q4_K_sums(&x[i], 2, yi, sumi, summ);
        finish8(acc0, sumi[0], summ[0], x[i].d, x[i].dmin, y0[i].d);
        finish8(acc1, sumi[1], summ[1], x[i].d, x[i].dmin, y1[i].d);
    }
    wasm_v128_store(s, acc0[0]);
    wasm_v128_store(s + 4, acc0[1]);
    wasm_v128_store(s + 8, acc1[0]);
    wasm_v128_store(s + 12, acc1[1]);
}

/* ---- Q6_K ---- */

/* The eight i16 vectors of a row's 64 values 64c.. (vector m: values 8m..8m+7, 0..63) */
SIMD_INLINE void x_q6_K(const uint8_t *q, v128_t v[8])
{
    const v128_t m6 = wasm_i16x8_splat(0x003f);
    const v128_t v0 = wasm_v128_load(q), v1 = wasm_v128_load(q + 16), v2 = wasm_v128_load(q + 32);
    v[0] = wasm_v128_and(v0, m6);
    v[1] = wasm_v128_and(wasm_u16x8_shr(v0, 8), m6);
    v[2] = wasm_v128_and(v1, m6);
    v[3] = wasm_v128_and(wasm_u16x8_shr(v1, 8), m6);
    v[4] = wasm_v128_and(v2, m6);
    v[5] = wasm_v128_and(wasm_u16x8_shr(v2, 8), m6);
    /* the top 2 bits of each byte of V0, V1, V2 are bits 0-1, 2-3, 4-5 of one more value */
    const v128_t e = wasm_v128_or(
        wasm_v128_or(wasm_v128_and(wasm_u16x8_shr(v0, 6), wasm_i16x8_splat(0x0303)),
                     wasm_v128_and(wasm_u16x8_shr(v1, 4), wasm_i16x8_splat(0x0c0c))),
        wasm_v128_and(wasm_u16x8_shr(v2, 2), wasm_i16x8_splat(0x3030)));
    v[6] = wasm_v128_and(e, wasm_i16x8_splat(0x00ff));
    v[7] = wasm_u16x8_shr(e, 8);
}

/* Dot of one group of 16 (x: two vectors) with yw: lanes of 4 products <= 63 * 128: |lane| <=
 * 32256, within i16. */
SIMD_INLINE v128_t group_dot_q6_K(const v128_t x[2], const int16_t *yw)
{
    return wasm_i32x4_add(dot_y(x[0], yw), dot_y(x[1], yw + 8));
}

/* One super-block of the eight rows against NT activation super-blocks: sumi[t][r], lane sums
 * sum_g sc*dot(q-32, y_g) (the -32 as 32 * sum_g sc*bsum_g, exact). */
SIMD_INLINE void q6_K_sums(const block_q6_Kx8 *x, int nt, const block_q8_K *const y[2], v128_t sumi[2][8])
{
    int16_t yw[2][QK_K];
    v128_t bs[2][2];
    for (int t = 0; t < nt; t++) {
        widen_y(y[t]->qs, yw[t]);
        bs[t][0] = wasm_v128_load(y[t]->bsums);
        bs[t][1] = wasm_v128_load(y[t]->bsums + 8);
    }
    SIMD_UNROLL
    for (int r = 0; r < 8; r++) {
        const v128_t sc8 = wasm_v128_load(x->scales[r]);
        const v128_t sc[2] = { wasm_i16x8_extend_low_i8x16(sc8), wasm_i16x8_extend_high_i8x16(sc8) };
        v128_t acc[2] = { wasm_i32x4_splat(0), wasm_i32x4_splat(0) };
        SIMD_UNROLL
        for (int c = 0; c < 4; c++) {   /* groups 4c..4c+3 */
            v128_t xv[8];
            x_q6_K(x->q[r][c], xv);
            const v128_t s01 = pair_scales(sc[c / 2], 2 * (c % 2)), s23 = pair_scales(sc[c / 2], 2 * (c % 2) + 1);
            for (int t = 0; t < nt; t++) {
                const int16_t *yc = yw[t] + 64 * c;
                acc[t] = wasm_i32x4_add(acc[t], scaled_pair(group_dot_q6_K(xv, yc), group_dot_q6_K(xv + 2, yc + 16), s01));
                acc[t] = wasm_i32x4_add(acc[t], scaled_pair(group_dot_q6_K(xv + 4, yc + 32), group_dot_q6_K(xv + 6, yc + 48), s23));
            }
        }
        for (int t = 0; t < nt; t++) {
            const v128_t corr = wasm_i32x4_add(wasm_i32x4_dot_i16x8(sc[0], bs[t][0]), wasm_i32x4_dot_i16x8(sc[1], bs[t][1]));
            sumi[t][r] = wasm_i32x4_sub(acc[t], wasm_i32x4_shl(corr, 5));
        }
    }
}

static void vec_dot_rows8_q6_K(int n, float *s, const void *vx, const void *vy)
{
    const block_q6_Kx8 *x = vx;
    const block_q8_K *y = vy;
    v128_t acc[2] = { wasm_f32x4_splat(0.0f), wasm_f32x4_splat(0.0f) };
    for (int i = 0; i < n / QK_K; i++) {
        v128_t sumi[2][8];
        const block_q8_K *yi[2] = { &y[i], &y[i] };
        q6_K_sums(&x[i], 1, yi, sumi);
        finish8(acc, sumi[0], NULL, x[i].d, NULL, y[i].d);
    }
    wasm_v128_store(s, acc[0]);
    wasm_v128_store(s + 4, acc[1]);
}

static void vec_dot_rows8x2_q6_K(int n, float *s, const void *vx, const void *vy, size_t y_stride)
{
    const block_q6_Kx8 *x = vx;
    const block_q8_K *y0 = vy, *y1 = (const block_q8_K *)((const uint8_t *)vy + y_stride);
    v128_t acc0[2] = { wasm_f32x4_splat(0.0f), wasm_f32x4_splat(0.0f) }, acc1[2] = { acc0[0], acc0[0] };
    for (int i = 0; i < n / QK_K; i++) {
        v128_t sumi[2][8];
        const block_q8_K *yi[2] = { &y0[i], &y1[i] };
        q6_K_sums(&x[i], 2, yi, sumi);
        finish8(acc0, sumi[0], NULL, x[i].d, NULL, y0[i].d);
        finish8(acc1, sumi[1], NULL, x[i].d, NULL, y1[i].d);
    }
    wasm_v128_store(s, acc0[0]);
    wasm_v128_store(s + 4, acc0[1]);
    wasm_v128_store(s + 8, acc1[0]);
    wasm_v128_store(s + 12, acc1[1]);
}

void mw_simd128_fill_repack_kquants(mw_kernels *k, const mw_kernels *scalar)
{
    (void)scalar;
    k->repack[MW_TYPE_Q4_K] = repack_q4_K;
    k->vec_dot_rows8[MW_TYPE_Q4_K] = vec_dot_rows8_q4_K;
    k->vec_dot_rows8x2[MW_TYPE_Q4_K] = vec_dot_rows8x2_q4_K;
    k->repack_group_bytes[MW_TYPE_Q4_K] = sizeof(block_q4_Kx8) / (QK_K / 32);
    k->repack[MW_TYPE_Q6_K] = repack_q6_K;
    k->vec_dot_rows8[MW_TYPE_Q6_K] = vec_dot_rows8_q6_K;
    k->vec_dot_rows8x2[MW_TYPE_Q6_K] = vec_dot_rows8x2_q6_K;
    k->repack_group_bytes[MW_TYPE_Q6_K] = sizeof(block_q6_Kx8) / (QK_K / 32);
}

#endif
