/*
 * simd128_matmul.c — the SIMD128 set's matmul_rows: how a weight's rows and a batch of tokens
 * are tiled over the multi-row / multi-token kernels of the other simd128 files (simd128.h:
 * simd128_tiles). Weights repacked at load go eight rows at a time through rows8, and in a
 * prefill through rows8xn (tiles of up to 16 tokens per unpacked group) or rows8x2 (pairs of
 * tokens); the others four rows per pass over the activation row (dot_4rows, decode) or four
 * tokens per pass over the weight row (dot_4cols, prefill), else vec_dot. Every path is
 * bit-identical to vec_dot per row and token.
 */
#if defined(__wasm_simd128__) || defined(MW_SIMDE)

#include <string.h>

#include "kernels/simd128.h"

/* What matmul_rows needs of each type: its tiles, the final vec_dot, the repacked group size */
typedef struct type_kernels {
    simd128_tiles tiles;
    mw_vec_dot_fn dot;
    uint32_t group_bytes;   /* per 32 columns */
} type_kernels;

static type_kernels kernels_of[MW_TYPE_COUNT];

/* Prefill tiles of rows8xn: up to TOK_TILE tokens per call (the group's blocks are unpacked
 * once per tile; 16 measured as fast as 64 and keeps s[] small), the tokens split evenly over
 * the tiles so no tile is left with one token. From XN_MIN tokens on (below it, rows8x2 /
 * rows8 measured as fast: too few tokens to pay for unpacking into L1). The groups stay the
 * outer loop: walking all groups per tile instead measured slower on the 7B shape. */
enum { TOK_TILE = 16, XN_MIN = 4 };

/* Repacked: each group of [r0, r1) against every token while its eight rows stay in L1 */
static void matmul_repacked(const type_kernels *k, const mw_matmul_rows *m)
{
    const simd_rows8_fn dot8 = k->tiles.rows8;
    const simd_rows8x2_fn dot8x2 = k->tiles.rows8x2;
    const simd_rows8xn_fn dot8xn = m->n_tok >= XN_MIN ? k->tiles.rows8xn : NULL;
    const size_t group_bytes = (size_t)k->group_bytes * (size_t)(m->n / 32);
    const uint8_t *y = m->y;
    const size_t y_stride = m->y_stride, out_stride = m->out_stride;
    const int n_tok = m->n_tok, n_tiles = (n_tok + TOK_TILE - 1) / TOK_TILE;
    for (int64_t g = m->r0 / MW_REPACK_ROWS; g * MW_REPACK_ROWS < m->r1; g++) {
        const uint8_t *wg = (const uint8_t *)m->w + (size_t)g * group_bytes;
        float *o = m->out + (size_t)g * MW_REPACK_ROWS;
        float s[TOK_TILE * MW_REPACK_ROWS];
        int tok = 0;
        for (int tile = 0; dot8xn && tile < n_tiles; tile++) {
            const int nt = (n_tok - tok) / (n_tiles - tile);
            dot8xn(m->n, s, wg, y + (size_t)tok * y_stride, y_stride, nt);
            for (int k8 = 0; k8 < nt; k8++)
                memcpy(&o[(size_t)(tok + k8) * out_stride], s + k8 * MW_REPACK_ROWS, sizeof s[0] * MW_REPACK_ROWS);
            tok += nt;
        }
        /* the group against two tokens, unpacking it once */
        for (; dot8x2 && tok + 2 <= n_tok; tok += 2) {
            dot8x2(m->n, s, wg, y + (size_t)tok * y_stride, y_stride);
            memcpy(&o[(size_t)tok * out_stride], s, sizeof s[0] * MW_REPACK_ROWS);
            memcpy(&o[(size_t)(tok + 1) * out_stride], s + MW_REPACK_ROWS, sizeof s[0] * MW_REPACK_ROWS);
        }
        for (; tok < n_tok; tok++) {
            dot8(m->n, s, wg, y + (size_t)tok * y_stride);
            memcpy(&o[(size_t)tok * out_stride], s, sizeof s[0] * MW_REPACK_ROWS);
        }
    }
}

/* As loaded: decode four rows per pass over the activation row where the type has dot_4rows
 * (a prefill prefers rows4xn, four rows against a tile of tokens, else dot_4cols, one row
 * against four tokens, unpacking the row once) */
static void matmul_unpacked(const type_kernels *k, const mw_matmul_rows *m)
{
    const simd_dot_4rows_fn dot4 = k->tiles.dot_4rows;
    const simd_dot_4cols_fn dot4c = k->tiles.dot_4cols;
    const size_t w_row_bytes = mw_row_size(m->type, m->n);
    const uint8_t *y = m->y;
    const size_t y_stride = m->y_stride, out_stride = m->out_stride;
    int64_t r = m->r0;
    const simd_rows4xn_fn dot4xn = m->n_tok >= 2 ? k->tiles.rows4xn : NULL;
    for (; dot4xn && r + 4 <= m->r1; r += 4) {   /* four rows against up to SIMD_ROWS4XN_TOK tokens at a time */
        const uint8_t *wr = (const uint8_t *)m->w + (size_t)r * w_row_bytes;
        for (int tok = 0; tok < m->n_tok; tok += SIMD_ROWS4XN_TOK) {
            const int nt = m->n_tok - tok < SIMD_ROWS4XN_TOK ? m->n_tok - tok : SIMD_ROWS4XN_TOK;
            float s[4 * SIMD_ROWS4XN_TOK];
            dot4xn(m->n, s, wr, w_row_bytes, y + (size_t)tok * y_stride, y_stride, nt);
            for (int t = 0; t < nt; t++) memcpy(&m->out[(size_t)(tok + t) * out_stride + (size_t)r], s + 4 * t, sizeof s[0] * 4);
        }
    }
    for (; dot4 && !(dot4c && m->n_tok >= 4) && r + 4 <= m->r1; r += 4) {
        const uint8_t *wr = (const uint8_t *)m->w + (size_t)r * w_row_bytes;
        for (int tok = 0; tok < m->n_tok; tok++) {
            float s4[4];
            dot4(m->n, s4, wr, w_row_bytes, y + (size_t)tok * y_stride);
            memcpy(&m->out[(size_t)tok * out_stride + (size_t)r], s4, sizeof s4);
        }
    }
    for (; r < m->r1; r++) {
        const uint8_t *wr = (const uint8_t *)m->w + (size_t)r * w_row_bytes;
        int tok = 0;
        for (; dot4c && tok + 4 <= m->n_tok; tok += 4) {
            float s4[4];
            dot4c(m->n, s4, wr, y + (size_t)tok * y_stride, y_stride);
            for (int i = 0; i < 4; i++) m->out[(size_t)(tok + i) * out_stride + (size_t)r] = s4[i];
        }
        for (; tok < m->n_tok; tok++)
            k->dot(m->n, &m->out[(size_t)tok * out_stride + (size_t)r], wr, y + (size_t)tok * y_stride);
    }
}

static void matmul_rows(const mw_matmul_rows *m)
{
    const type_kernels *k = &kernels_of[m->type];
    if (m->repacked)
        matmul_repacked(k, m);
    else
        matmul_unpacked(k, m);
}

void mw_simd128_fill_matmul(mw_kernels *k, const simd128_tiles *tiles)
{
    for (int32_t type = 0; type < MW_TYPE_COUNT; type++) {
        kernels_of[type] = (type_kernels){ tiles[type], k->vec_dot[type], k->repack_group_bytes[type] };
        k->matmul_rows[type] = k->vec_dot[type] ? matmul_rows : NULL;
    }
}

#endif
