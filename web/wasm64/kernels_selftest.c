/*
 * kernels_selftest.c — test-only exports of the wasm64 modules (web/e2e/relaxed.test.mjs), so
 * the kernel set a browser engine actually runs is checked there: Node 20 has no memory64 and
 * computes relaxed SIMD wrongly (../shared/TOOLCHAIN.md §8, §13), so test_kernels cannot.
 * mw_kernels_selftest: tests/test_kernels.c's matmul_rows checks in small, against the scalar
 * oracle; mw_kernels_bench: a decode matvec or a prefill matmul for the page to time.
 */
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels.h"

#define EXPORT __attribute__((visibility("default")))

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static float rnd_unit(void)   /* [-1, 1) */
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (float)(int32_t)(rng >> 32) * 0x1p-31f;
}

/* Weight-like values (a magnitude per 32, occasional outliers), as test_kernels */
static void fill_random(float *x, int n)
{
    float mag = 1.0f;
    for (int i = 0; i < n; i++) {
        if (i % 32 == 0) mag = 0.01f + 2.0f * (rnd_unit() + 1.0f);
        x[i] = (rng >> 58) == 0 ? 8.0f * mag * rnd_unit() : mag * rnd_unit();
    }
}

static int same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

enum { N_ROWS = 3 * MW_REPACK_ROWS, MAX_TOK = 33 };

/* Results of matmul_rows (the build's kernel set) that differ from the scalar vec_dot, for one
 * type and row length, as loaded and (where the set repacks the type) repacked, 1..33 tokens
 * (each tiling: single tokens, pairs, the prefill tiles and their remainders) */
static int check_type(const mw_kernels *ref, int32_t type, int n)
{
    const mw_type_traits *t = mw_type_traits_get(type);
    const int32_t vdt = t->vec_dot_type;
    const size_t row_bytes = mw_row_size(type, n), y_stride = mw_row_size(vdt, n);
    uint8_t *x = malloc(row_bytes * N_ROWS), *y = malloc(y_stride * MAX_TOK);
    float *f = malloc(sizeof(float) * n), *s_ref = malloc(sizeof(float) * N_ROWS * MAX_TOK);
    float *out = malloc(sizeof(float) * N_ROWS * MAX_TOK);
    uint8_t *packed = NULL;
    int bad = 0;
    for (int r = 0; r < N_ROWS; r++) {
        fill_random(f, n);
        mw_weight_quantizer(type)(f, x + r * row_bytes, n);
    }
    for (int k = 0; k < MAX_TOK; k++) {
        fill_random(f, n);
        ref->quantize_row[vdt](f, y + k * y_stride, n);
    }
    for (int k = 0; k < MAX_TOK; k++)
        for (int r = 0; r < N_ROWS; r++)
            ref->vec_dot[type](n, &s_ref[k * N_ROWS + r], x + r * row_bytes, y + k * y_stride);
    if (mw_kern->repack[type]) {
        packed = malloc((size_t)mw_kern->repack_group_bytes[type] * (n / 32) * (N_ROWS / MW_REPACK_ROWS));
        mw_kern->repack[type](N_ROWS, n, x, packed);
    }
    static const int tok_counts[] = { 1, 2, 3, 4, 5, 7, 8, 17, 33 };
    for (int pass = 0; pass < (packed ? 2 : 1); pass++)
        for (size_t c = 0; c < sizeof tok_counts / sizeof tok_counts[0]; c++) {
            const int n_tok = tok_counts[c];
            const mw_matmul_rows m = { type, n, n_tok, pass == 1, pass == 1 ? (const void *)packed : x, 0, N_ROWS,
                                       y, y_stride, out, N_ROWS };
            mw_kern->matmul_rows[type](&m);
            for (int k = 0; k < n_tok; k++)
                for (int r = 0; r < N_ROWS; r++)
                    bad += !same_bits(out[k * N_ROWS + r], s_ref[k * N_ROWS + r]);
        }
    free(x); free(y); free(f); free(s_ref); free(out); free(packed);
    return bad;
}

/* The number of matmul_rows results (every quantized weight type and F16 / BF16, two row lengths, as loaded
 * and repacked, 1-33 tokens) that differ from the scalar oracle: 0 when the set is right */
EXPORT int mw_kernels_selftest(void)
{
    static const int32_t types[] = { MW_TYPE_Q4_0, MW_TYPE_Q4_1, MW_TYPE_Q5_0, MW_TYPE_Q5_1, MW_TYPE_Q8_0,
                                     MW_TYPE_Q2_K, MW_TYPE_Q3_K, MW_TYPE_Q4_K, MW_TYPE_Q5_K, MW_TYPE_Q6_K,
                                     MW_TYPE_F16, MW_TYPE_BF16 };
    mw_kernels ref;
    mw_kernels_init();
    mw_kernels_fill_scalar(&ref);
    int bad = 0;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        bad += check_type(&ref, types[i], 256);
        bad += check_type(&ref, types[i], 256 * 11);
    }
    return bad;
}

/* The kernel set's name ("simd128", "simd128-relaxed") */
EXPORT const char *mw_kernels_selftest_set(void)
{
    mw_kernels_init();
    return mw_kern->name;
}

/* Timing: an n_rows x n weight of `type` (repacked when the set repacks it) against n_tok
 * tokens (1: a decode matvec; more: a prefill matmul), `reps` times; the page times the call.
 * The weight and activations are made once per shape and kept for the next call of the same
 * shape (the quantizers and the repack would otherwise be timed too: Q2_K's and Q3_K's
 * reference quantizers cost more than a small prefill), so time calls after the first.
 * Returns a sum of the outputs, so nothing is optimised away; -1 if the allocation failed. */
static struct {
    int type, n_rows, n, n_tok;
    bool repacked;
    uint8_t *w, *y;
    float *out;
    size_t y_bytes;
} bench;

static void bench_free(void)
{
    free(bench.w); free(bench.y); free(bench.out);
    bench.w = bench.y = NULL;
    bench.out = NULL;
    bench.type = -1;
}

static int bench_prepare(int type, int n_rows, int n, int n_tok)
{
    if (bench.w && bench.type == type && bench.n_rows == n_rows && bench.n == n && bench.n_tok == n_tok)
        return 0;
    bench_free();
    const int32_t vdt = mw_type_traits_get(type)->vec_dot_type;
    const size_t row_bytes = mw_row_size(type, n), y_bytes = mw_row_size(vdt, n);
    uint8_t *w = malloc(row_bytes * (size_t)n_rows), *y = malloc(y_bytes * (size_t)n_tok);
    float *f = malloc(sizeof(float) * n), *out = malloc(sizeof(float) * n_rows * (size_t)n_tok);
    if (!w || !y || !f || !out) {
        free(w); free(y); free(f); free(out);
        return -1;
    }
    for (int r = 0; r < n_rows; r++) {   /* a few distinct rows, copied: the timing is what matters */
        if (r < 8) {
            fill_random(f, n);
            mw_weight_quantizer(type)(f, w + (size_t)r * row_bytes, n);
        } else {
            memcpy(w + (size_t)r * row_bytes, w + (size_t)(r % 8) * row_bytes, row_bytes);
        }
    }
    for (int k = 0; k < n_tok; k++) {
        fill_random(f, n);
        mw_kern->quantize_row[vdt](f, y + (size_t)k * y_bytes, n);
    }
    free(f);
    const bool repacked = mw_kern->repack[type] != NULL && n_rows % MW_REPACK_ROWS == 0;
    if (repacked) {
        uint8_t *p = malloc(row_bytes * (size_t)n_rows);
        if (!p) {
            free(w); free(y); free(out);
            return -1;
        }
        mw_kern->repack[type](n_rows, n, w, p);
        free(w);
        w = p;
    }
    bench.type = type; bench.n_rows = n_rows; bench.n = n; bench.n_tok = n_tok;
    bench.repacked = repacked; bench.w = w; bench.y = y; bench.out = out; bench.y_bytes = y_bytes;
    return 0;
}

EXPORT float mw_kernels_bench(int type, int n_rows, int n, int n_tok, int reps)
{
    mw_kernels_init();
    if (bench_prepare(type, n_rows, n, n_tok) != 0)
        return -1.0f;
    float sum = 0.0f;
    for (int k = 0; k < reps; k++) {
        const mw_matmul_rows m = { type, n, n_tok, bench.repacked, bench.w, 0, n_rows, bench.y, bench.y_bytes,
                                   bench.out, (size_t)n_rows };
        mw_kern->matmul_rows[type](&m);
        sum += bench.out[k % n_rows];
    }
    return sum;
}
