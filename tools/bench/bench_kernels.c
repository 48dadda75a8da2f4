/*
 * bench_kernels.c — speed of each vec_dot in this build's kernel table against the scalar
 * reference, in the same run: a matrix-vector product of `rows` weight rows x `cols` columns
 * (default 4096 x 4096, one thread), reported as GB/s of weight bytes streamed: the scalar
 * reference, the table's vec_dot, its vec_dot_4rows (four rows per call) and vec_dot_4cols
 * (one row against four activation rows, as in a prefill: 4 x weight bytes / time) where it
 * has them, vec_dot_rows8 on the weights repacked as the model loader does (rows8, timed
 * alternately with 4rows, best of each), the speed-up of the best single-token table kernel
 * over scalar, and whether the results equal the scalar ones bit for bit. Then a prefill: the
 * repacked matrix against 64 activation rows, walked as core/matmul.c does (rows8x2 pairs, or
 * vec_dot_rows8xn tiles of 2-64 tokens), in GB/s of weight bytes x tokens, checked bit for bit
 * against the scalar dots; the load-time repack in MB/s of source rows. Then the activation
 * quantizers in M values/s.
 *   bench_kernels [rows] [cols] [type...]             (native, Emscripten: node bench_kernels.js)
 *   node tools/wasi-run.mjs build-wasi/bench_kernels.wasm [rows] [cols] [type...]
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

/* Time of one matvec: the matrix is walked in chunks of 256 rows, each chunk timed; over
 * repeats lasting ~min_s, every chunk's best time is kept and the bests are summed. A chunk
 * takes ~0.1-1 ms, so a loaded machine (other processes preempting us) rarely spoils all of its
 * repeats. dot4 (if set) takes four rows per call; dot4c (if set) one row against four
 * activation rows act_stride bytes apart (a 4-token matmul: each row's 4 results land in out4). */
typedef struct kernel_set {
    mw_vec_dot_fn dot;
    mw_vec_dot_4rows_fn dot4;
    mw_vec_dot_4cols_fn dot4c;
    mw_vec_dot_rows8_fn dot8;   /* w repacked: 8-row groups of group_bytes */
    mw_vec_dot_rows8x2_fn dot8x2;   /* with dot8: the same against 2 activation rows */
    size_t group_bytes;
} kernel_set;

static double time_matvec(kernel_set k, int rows, int cols, const uint8_t *w, size_t row_bytes,
                          const void *act, size_t act_stride, float *out, double min_s)
{
    mw_vec_dot_fn dot = k.dot;
    mw_vec_dot_4rows_fn dot4 = k.dot4;
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
            int r = c * CHUNK;
            if (k.dot4c) {
                float s4[4];
                for (; r < r1; r++) {
                    k.dot4c(cols, s4, w + (size_t)r * row_bytes, act, act_stride);
                    out[r] = s4[0];
                }
            }
            if (k.dot8x2) {
                float s16[16];
                for (; r + 8 <= r1; r += 8) {
                    k.dot8x2(cols, s16, w + (size_t)(r / 8) * k.group_bytes, act, act_stride);
                    memcpy(&out[r], s16, sizeof(float) * 8);
                }
            }
            if (k.dot8)
                for (; r + 8 <= r1; r += 8) k.dot8(cols, &out[r], w + (size_t)(r / 8) * k.group_bytes, act);
            if (dot4)
                for (; r + 4 <= r1; r += 4) dot4(cols, &out[r], w + (size_t)r * row_bytes, row_bytes, act);
            for (; r < r1; r++) dot(cols, &out[r], w + (size_t)r * row_bytes, act);
            double t = now_s() - t0;
            if (t < best[c]) best[c] = t;
        }
        reps++;
    } while (now_s() - start < min_s || reps < 3);
    double total = 0;
    for (int c = 0; c < n_chunks; c++) total += best[c];
    free(best);
    sink = out[rows / 2];
    return total;
}

int main(int argc, char **argv)
{
    const int rows = argc > 1 ? atoi(argv[1]) : 4096;
    const int cols = argc > 2 ? atoi(argv[2]) : 4096;
    if (rows <= 0 || cols <= 0 || cols % 256) {
        fprintf(stderr, "usage: bench_kernels [rows] [cols]  (cols a multiple of 256)\n");
        return 2;
    }
    mw_kernels scalar;
    mw_kernels_fill_scalar(&scalar);
    mw_kernels_init();
    printf("kernel set: %s; matvec %d x %d, 1 thread, GB/s of weight bytes (best per 256-row chunk)\n",
           mw_kern->name, rows, cols);
    printf("(4tok: one weight row against 4 activation rows per call, 4 x weight bytes / time)\n");
    printf("(rows8: weights repacked at load into 8-row groups, one group per call)\n");
    printf("(r8x2tok: repacked, 8 rows against 2 activation rows per call, 2 x weight bytes / time)\n");
    printf("%-5s %7s %8s %8s %8s %8s %8s %8s %7s %s\n", "type", "MiB", "scalar", "kernel", "4rows", "4tok",
           "rows8", "r8x2tok", "ratio", "check");

    enum { DISTINCT = 64 };
    float *xf = malloc(sizeof(float) * (size_t)cols * DISTINCT), *yf = malloc(sizeof(float) * cols);
    float *out = malloc(sizeof(float) * rows);
    for (size_t i = 0; i < (size_t)cols * DISTINCT; i++) xf[i] = rnd();
    for (int i = 0; i < cols; i++) yf[i] = rnd();

    static const int32_t types[] = { MW_TYPE_Q4_0, MW_TYPE_Q8_0, MW_TYPE_Q4_K, MW_TYPE_Q6_K,
                                     MW_TYPE_Q5_K, MW_TYPE_Q4_1, MW_TYPE_Q5_0, MW_TYPE_Q5_1,
                                     MW_TYPE_Q3_K, MW_TYPE_Q2_K, MW_TYPE_F16, MW_TYPE_F32 };
    for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
        const int32_t type = types[ti];
        const mw_type_traits *t = mw_type_traits_get(type);
        int wanted = argc <= 3;
        for (int a = 3; a < argc; a++) wanted |= strcmp(argv[a], t->name) == 0;
        if (!wanted) continue;
        const size_t row_bytes = mw_row_size(type, cols);
        uint8_t *w = malloc(row_bytes * (size_t)rows);
        const size_t act_bytes = mw_row_size(t->vec_dot_type, cols);
        uint8_t *act = malloc(act_bytes * 4);   /* 4 activation rows (tokens): copies of one */
        for (int r = 0; r < DISTINCT && r < rows; r++)
            mw_weight_quantizer(type)(xf + (size_t)r * cols, w + (size_t)r * row_bytes, cols);
        for (int r = DISTINCT; r < rows; r++)
            memcpy(w + (size_t)r * row_bytes, w + (size_t)(r % DISTINCT) * row_bytes, row_bytes);
        scalar.quantize_row[t->vec_dot_type](yf, act, cols);
        for (int k = 1; k < 4; k++) memcpy(act + k * act_bytes, act, act_bytes);

        const double bytes = (double)row_bytes * rows;
        const kernel_set ks = { scalar.vec_dot[type], NULL, NULL, NULL, NULL, 0 };
        const kernel_set kk = { mw_kern->vec_dot[type], NULL, NULL, NULL, NULL, 0 };
        const kernel_set k4 = { mw_kern->vec_dot[type], mw_kern->vec_dot_4rows[type], NULL, NULL, NULL, 0 };
        const kernel_set kc = { mw_kern->vec_dot[type], NULL, mw_kern->vec_dot_4cols[type], NULL, NULL, 0 };
        const kernel_set k8 = { mw_kern->vec_dot[type], NULL, NULL, mw_kern->vec_dot_rows8[type], NULL,
                                (size_t)mw_kern->repack_group_bytes[type] * (cols / 32) };
        double ts = time_matvec(ks, rows, cols, w, row_bytes, act, act_bytes, out, 0.3);
        float s_ref = out[rows - 1];
        float *out_ref = malloc(sizeof(float) * rows);
        memcpy(out_ref, out, sizeof(float) * rows);
        double tk = time_matvec(kk, rows, cols, w, row_bytes, act, act_bytes, out, 0.5);
        const char *check = out[rows - 1] == s_ref ? "same" : "DIFFERS";
        double t4 = 0, tc = 0;
        if (k4.dot4) {
            t4 = time_matvec(k4, rows, cols, w, row_bytes, act, act_bytes, out, 0.5);
            if (out[rows - 1] != s_ref) check = "DIFFERS";
        }
        if (kc.dot4c) {
            tc = time_matvec(kc, rows, cols, w, row_bytes, act, act_bytes, out, 0.5) / 4;
            if (out[rows - 1] != s_ref) check = "DIFFERS";
        }
        kernel_set k8x2 = k8;
        k8x2.dot8x2 = mw_kern->vec_dot_rows8x2[type];
        double t8 = 0, t8x2 = 0;
        if (k8.dot8 && rows % 8 == 0) {
            uint8_t *wp = malloc(k8.group_bytes * (size_t)(rows / 8));
            mw_kern->repack[type](rows, cols, w, wp);
            /* old and new alternate, best of each (the machine is shared and noisy) */
            for (int rep = 0; rep < 2; rep++) {
                double t = time_matvec(k8, rows, cols, wp, row_bytes, act, act_bytes, out, 0.5);
                if (memcmp(out, out_ref, sizeof(float) * rows)) check = "DIFFERS";
                if (t8 == 0 || t < t8) t8 = t;
                if (k8x2.dot8x2) {
                    t = time_matvec(k8x2, rows, cols, wp, row_bytes, act, act_bytes, out, 0.5) / 2;
                    if (memcmp(out, out_ref, sizeof(float) * rows)) check = "DIFFERS";
                    if (t8x2 == 0 || t < t8x2) t8x2 = t;
                }
                if (k4.dot4) {
                    t = time_matvec(k4, rows, cols, w, row_bytes, act, act_bytes, out, 0.5);
                    if (t < t4) t4 = t;
                }
            }
            free(wp);
        }
        double best = k4.dot4 && t4 < tk ? t4 : tk;
        printf("%-5s %7.1f %8.2f %8.2f ", t->name, bytes / 1048576.0, bytes / ts * 1e-9, bytes / tk * 1e-9);
        if (k4.dot4) printf("%8.2f ", bytes / t4 * 1e-9);
        else printf("%8s ", "-");
        if (kc.dot4c) printf("%8.2f ", bytes / tc * 1e-9);
        else printf("%8s ", "-");
        /* rows8 in GB/s of the original weight bytes (the repacked copy is a bit larger) */
        if (t8 > 0) printf("%8.2f ", bytes / t8 * 1e-9);
        else printf("%8s ", "-");
        if (t8x2 > 0) printf("%8.2f", bytes / t8x2 * 1e-9);
        else printf("%8s", "-");
        printf(" %7.1f %s\n", ts / best, check);
        fflush(stdout);
        free(w);
        free(act);
        free(out_ref);
    }

    /* prefill: the repacked matrix against N_TOK activation rows, as core/matmul.c walks it */
    enum { N_TOK = 64 };
    printf("prefill: %d tokens, GB/s of weight bytes x tokens (best of >= 1 s); tile = tokens per call\n", N_TOK);
    printf("%-5s %8s %8s %8s %8s %8s %8s %8s %s\n", "type", "rows8x2", "xn 2", "xn 3", "xn 4", "xn 8", "xn 16", "xn 64", "check");
    double repack_mbs[sizeof types / sizeof types[0]] = { 0 };
    for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
        const int32_t type = types[ti];
        const mw_type_traits *t = mw_type_traits_get(type);
        int wanted = argc <= 3;
        for (int a = 3; a < argc; a++) wanted |= strcmp(argv[a], t->name) == 0;
        if (!wanted || !mw_kern->repack[type] || rows % 8) continue;
        const size_t row_bytes = mw_row_size(type, cols), act_bytes = mw_row_size(t->vec_dot_type, cols);
        const size_t group_bytes = (size_t)mw_kern->repack_group_bytes[type] * (cols / 32);
        uint8_t *w = malloc(row_bytes * (size_t)rows), *wp = malloc(group_bytes * (size_t)(rows / 8));
        uint8_t *act = malloc(act_bytes * N_TOK);
        for (int r = 0; r < DISTINCT && r < rows; r++)
            mw_weight_quantizer(type)(xf + (size_t)r * cols, w + (size_t)r * row_bytes, cols);
        for (int r = DISTINCT; r < rows; r++)
            memcpy(w + (size_t)r * row_bytes, w + (size_t)(r % DISTINCT) * row_bytes, row_bytes);
        /* the load-time repack itself, 8 rows per call as the loader does: best of 5 passes */
        double t_rp = 1e30;
        for (int rep = 0; rep < 5; rep++) {
            double t0 = now_s();
            for (int g = 0; g < rows / 8; g++)
                mw_kern->repack[type](8, cols, w + (size_t)g * 8 * row_bytes, wp + g * group_bytes);
            const double t = now_s() - t0;
            if (t < t_rp) t_rp = t;
        }
        repack_mbs[ti] = (double)row_bytes * rows / t_rp * 1e-6;
        float *ya = malloc(sizeof(float) * cols);
        for (int k = 0; k < N_TOK; k++) {
            for (int i = 0; i < cols; i++) ya[i] = rnd();
            scalar.quantize_row[t->vec_dot_type](ya, act + k * act_bytes, cols);
        }
        float *o = malloc(sizeof(float) * rows * N_TOK), *o_ref = malloc(sizeof(float) * rows * N_TOK);
        for (int k = 0; k < N_TOK; k++)
            for (int r = 0; r < rows; r++)
                scalar.vec_dot[type](cols, &o_ref[(size_t)k * rows + r], w + (size_t)r * row_bytes, act + k * act_bytes);
        static const int tiles[] = { 0, 2, 3, 4, 8, 16, 64 };   /* 0: rows8x2 */
        const char *check = "same";
        printf("%-5s", t->name);
        for (size_t m = 0; m < sizeof tiles / sizeof tiles[0]; m++) {
            const int tile = tiles[m] ? tiles[m] : 2;
            if (tiles[m] && !mw_kern->vec_dot_rows8xn[type]) { printf(" %8s", "-"); continue; }
            /* best time of each 32-group chunk over repeats lasting >= 1 s, summed (as time_matvec) */
            enum { CG = 32 };
            const int n_chunks = (rows / 8 + CG - 1) / CG;
            double best = 0, *cbest = malloc(sizeof(double) * n_chunks), start = now_s();
            for (int c = 0; c < n_chunks; c++) cbest[c] = 1e30;
            for (int rep = 0; rep < 3 || now_s() - start < 1.0; rep++)
                for (int c = 0; c < n_chunks; c++) {
                    double t0 = now_s();
                    float s[8 * N_TOK];
                    for (int g = c * CG; g < (c + 1) * CG && g < rows / 8; g++)
                        for (int tok = 0; tok < N_TOK; tok += tile) {
                            const int nt = N_TOK - tok < tile ? N_TOK - tok : tile;
                            if (!tiles[m]) mw_kern->vec_dot_rows8x2[type](cols, s, wp + g * group_bytes, act + tok * act_bytes, act_bytes);
                            else mw_kern->vec_dot_rows8xn[type](cols, s, wp + g * group_bytes, act + tok * act_bytes, act_bytes, nt);
                            for (int k = 0; k < nt; k++) memcpy(&o[(size_t)(tok + k) * rows + 8 * g], s + 8 * k, sizeof(float) * 8);
                        }
                    double dt = now_s() - t0;
                    if (dt < cbest[c]) cbest[c] = dt;
                }
            for (int c = 0; c < n_chunks; c++) best += cbest[c];
            free(cbest);
            if (memcmp(o, o_ref, sizeof(float) * rows * N_TOK)) check = "DIFFERS";
            printf(" %8.2f", (double)row_bytes * rows * N_TOK / best * 1e-9);
            fflush(stdout);
        }
        printf(" %s\n", check);
        free(w); free(wp); free(act); free(ya); free(o); free(o_ref);
    }

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
    free(out);
    return 0;
}
