/*
 * bench_kernels.c — speed of the kernel table of this build against the scalar reference, in
 * the same run: a matrix of `rows` weight rows x `cols` columns (default 4096 x 4096, one
 * thread), in GB/s of weight bytes streamed (x tokens): the scalar vec_dot and the table's
 * vec_dot row by row; then matmul_rows (what core/matmul.c calls, the set tiling rows and tokens
 * its own way) on the weights as the model loader leaves them (repacked where the set repacks
 * the type) against 1, 2 and 4 activation rows (decode, and the 2- and 4-token batches); then a
 * prefill, matmul_rows against 16 and 64 activation rows; every result checked bit for bit
 * against the scalar dots. Then the load-time repack in MB/s of source rows, and the activation
 * quantizers in M values/s.
 *   bench_kernels [rows] [cols] [type...]             (native, Emscripten: node bench_kernels.js)
 *   node wasi/run.mjs build-wasi/bench_kernels.wasm [rows] [cols] [type...]
 * Types by name (Q4_0 Q4_K ...); default all.
 * The weights are 64 distinct random rows (our own quantizers) repeated to fill the matrix, so
 * the bytes are real memory traffic without minutes of K-quant quantization.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/kernels.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t rng = 88172645463325252ull;
static float rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)((rng >> 40) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
}

static volatile float sink;

/* Time of one pass over the matrix: walked in chunks of 256 rows, each chunk timed; over
 * repeats lasting ~min_s, every chunk's best time is kept and the bests are summed. A chunk
 * takes ~0.1-1 ms, so a loaded machine (other processes preempting us) rarely spoils all of its
 * repeats. m: the job for the whole matrix (r0, r1 set per chunk); dot (if set): vec_dot row
 * by row against the first activation row instead. */
static double time_pass(mw_matmul_rows m, mw_matmul_rows_fn matmul, mw_vec_dot_fn dot, size_t row_bytes,
                        int rows, double min_s)
{
    enum { CHUNK = 256 };
    const int n_chunks = (rows + CHUNK - 1) / CHUNK;
    double *best = malloc(sizeof(double) * n_chunks);
    for (int c = 0; c < n_chunks; c++) best[c] = 1e30;
    double start = now_s();
    int reps = 0;
    do {
        for (int c = 0; c < n_chunks; c++) {
            const int r1 = (c + 1) * CHUNK < rows ? (c + 1) * CHUNK : rows;
            double t0 = now_s();
            if (dot) {
                for (int r = c * CHUNK; r < r1; r++)
                    dot(m.n, &m.out[r], (const uint8_t *)m.w + (size_t)r * row_bytes, m.y);
            } else {
                m.r0 = c * CHUNK;
                m.r1 = r1;
                matmul(&m);
            }
            double t = now_s() - t0;
            if (t < best[c]) best[c] = t;
        }
        reps++;
    } while (now_s() - start < min_s || reps < 3);
    double total = 0;
    for (int c = 0; c < n_chunks; c++) total += best[c];
    free(best);
    sink = m.out[rows / 2];
    return total;
}

int main(int argc, char **argv)
{
    const int rows = argc > 1 ? atoi(argv[1]) : 4096;
    const int cols = argc > 2 ? atoi(argv[2]) : 4096;
    if (rows <= 0 || rows % 8 || cols <= 0 || cols % 256) {
        fprintf(stderr, "usage: bench_kernels [rows] [cols] [type...]  (rows a multiple of 8, cols of 256)\n");
        return 2;
    }
    mw_kernels scalar;
    mw_kernels_fill_scalar(&scalar);
    mw_kernels_init();
    printf("kernel set: %s; %d x %d, 1 thread, GB/s of weight bytes x tokens (best per 256-row chunk)\n",
           mw_kern->name, rows, cols);
    printf("(matmul_rows on the weights as loaded (r: repacked), against 1 / 2 / 4 / 16 / 64 activation rows)\n");
    printf("%-5s %6s %7s %7s %7s %7s %7s %7s %7s %6s %s\n", "type", "MiB", "scalar", "vec_dot", "1 tok", "2 tok",
           "4 tok", "16 tok", "64 tok", "ratio", "check");

    enum { DISTINCT = 64, MAX_TOK = 64 };
    float *xf = malloc(sizeof(float) * (size_t)cols * DISTINCT), *yf = malloc(sizeof(float) * cols);
    for (size_t i = 0; i < (size_t)cols * DISTINCT; i++) xf[i] = rnd();
    for (int i = 0; i < cols; i++) yf[i] = rnd();

    static const int32_t types[] = { MW_TYPE_Q4_0, MW_TYPE_Q8_0, MW_TYPE_Q4_K, MW_TYPE_Q6_K,
                                     MW_TYPE_Q5_K, MW_TYPE_Q4_1, MW_TYPE_Q5_0, MW_TYPE_Q5_1,
                                     MW_TYPE_Q3_K, MW_TYPE_Q2_K, MW_TYPE_F16, MW_TYPE_F32 };
    double repack_mbs[sizeof types / sizeof types[0]] = { 0 };
    for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
        const int32_t type = types[ti];
        const mw_type_traits *t = mw_type_traits_get(type);
        int wanted = argc <= 3;
        for (int a = 3; a < argc; a++) wanted |= strcmp(argv[a], t->name) == 0;
        if (!wanted) continue;
        const size_t row_bytes = mw_row_size(type, cols), act_bytes = mw_row_size(t->vec_dot_type, cols);
        uint8_t *w = malloc(row_bytes * (size_t)rows);
        for (int r = 0; r < DISTINCT && r < rows; r++)
            mw_weight_quantizer(type)(xf + (size_t)r * cols, w + (size_t)r * row_bytes, cols);
        for (int r = DISTINCT; r < rows; r++)
            memcpy(w + (size_t)r * row_bytes, w + (size_t)(r % DISTINCT) * row_bytes, row_bytes);
        /* MAX_TOK activation rows (tokens): row 0 from yf, the others random; ref: the table's
         * vec_dot of each row and token (checked against scalar on token 0 below, and bit for
         * bit everywhere by test_kernels) */
        uint8_t *act = malloc(act_bytes * MAX_TOK);
        float *ya = malloc(sizeof(float) * cols);
        scalar.quantize_row[t->vec_dot_type](yf, act, cols);
        for (int k = 1; k < MAX_TOK; k++) {
            for (int i = 0; i < cols; i++) ya[i] = rnd();
            scalar.quantize_row[t->vec_dot_type](ya, act + k * act_bytes, cols);
        }
        float *out = malloc(sizeof(float) * (size_t)rows * MAX_TOK), *ref = malloc(sizeof(float) * (size_t)rows * MAX_TOK);
        for (int k = 0; k < MAX_TOK; k++)
            for (int r = 0; r < rows; r++)
                mw_kern->vec_dot[type](cols, &ref[(size_t)k * rows + r], w + (size_t)r * row_bytes, act + k * act_bytes);
        /* the weights as the loader leaves them: repacked in place where the set repacks the type */
        const mw_repack_fn repack = mw_kern->repack[type];
        uint8_t *wm = w;
        if (repack) {
            const size_t group_bytes = (size_t)mw_kern->repack_group_bytes[type] * (cols / 32);
            wm = malloc(group_bytes * (size_t)(rows / 8));
            double t_rp = 1e30;   /* 8 rows per call as the loader does: best of 5 passes */
            for (int rep = 0; rep < 5; rep++) {
                double t0 = now_s();
                for (int g = 0; g < rows / 8; g++)
                    repack(8, cols, w + (size_t)g * 8 * row_bytes, wm + g * group_bytes);
                const double dt = now_s() - t0;
                if (dt < t_rp) t_rp = dt;
            }
            repack_mbs[ti] = (double)row_bytes * rows / t_rp * 1e-6;
        }
        const double bytes = (double)row_bytes * rows;
        mw_matmul_rows m = { type, cols, 1, repack != NULL, wm, 0, rows, act, act_bytes, out, (size_t)rows };
        mw_matmul_rows ms = m;
        ms.repacked = false;
        ms.w = w;
        const char *check = "same";
        double ts = time_pass(ms, NULL, scalar.vec_dot[type], row_bytes, rows, 0.3);
        if (memcmp(out, ref, sizeof(float) * rows)) check = "DIFFERS";
        double tk = time_pass(ms, NULL, mw_kern->vec_dot[type], row_bytes, rows, 0.5);
        if (memcmp(out, ref, sizeof(float) * rows)) check = "DIFFERS";
        static const int tok_counts[] = { 1, 2, 4, 16, MAX_TOK };
        double gbs[5];
        for (int i = 0; i < 5; i++) {
            m.n_tok = tok_counts[i];
            const double tm = time_pass(m, mw_kern->matmul_rows[type], NULL, row_bytes, rows, tok_counts[i] > 4 ? 1.0 : 0.5);
            if (memcmp(out, ref, sizeof(float) * rows * tok_counts[i])) check = "DIFFERS";
            gbs[i] = bytes * tok_counts[i] / tm * 1e-9;
        }
        printf("%-5s %6.1f %7.2f %7.2f ", t->name, bytes / 1048576.0, bytes / ts * 1e-9, bytes / tk * 1e-9);
        for (int i = 0; i < 5; i++) printf("%6.2f%s ", gbs[i], repack ? "r" : " ");
        printf("%6.1f %s\n", gbs[0] / (bytes / ts * 1e-9), check);
        fflush(stdout);
        if (wm != w) free(wm);
        free(w); free(act); free(ya); free(out); free(ref);
    }
    printf("(ratio: matmul_rows with 1 token over scalar)\n");

    printf("repack at load (MB/s of source rows, 8 rows per call as the loader):");
    for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++)
        if (repack_mbs[ti] > 0) printf(" %s %.0f", mw_type_traits_get(types[ti])->name, repack_mbs[ti]);
    printf("\n");

    /* activation quantizers: M values per second on one 4096-value row, many times */
    static const int32_t act_types[] = { MW_TYPE_Q8_0, MW_TYPE_Q8_1, MW_TYPE_Q8_K };
    printf("%-5s %21s %10s %7s  (M values/s)\n", "quant", "scalar", "kernel", "ratio");
    for (size_t ai = 0; ai < sizeof act_types / sizeof act_types[0]; ai++) {
        const int32_t type = act_types[ai];
        void *q = malloc(mw_row_size(type, cols));
        double rate[2];
        for (int k = 0; k < 2; k++) {
            mw_quantize_fn f = k ? mw_kern->quantize_row[type] : scalar.quantize_row[type];
            int reps = 0;
            double t0 = now_s();
            do {
                f(yf, q, cols);
                reps++;
            } while (now_s() - t0 < 0.2);
            rate[k] = (double)reps * cols / (now_s() - t0) * 1e-6;
        }
        printf("%-5s %21.0f %10.0f %7.2f\n", mw_type_traits_get(type)->name, rate[0], rate[1],
               rate[1] / rate[0]);
        free(q);
    }
    free(xf);
    free(yf);
    return 0;
}
