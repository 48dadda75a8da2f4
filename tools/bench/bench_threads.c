/*
 * bench_threads.c — decode speed at several thread counts, interleaved, with the thread pool's
 * own account of where a token's time goes. One session per thread count; ROUNDS rounds of
 * N decode steps (each from an empty context, as `mw bench -p 0 -n N`) alternate between the
 * sessions (the order flips every round), so every count sees the same machine load. Prints
 * one JSON line per thread count: median and best tokens/s, and per token the pool's tasks
 * (each a wake + a barrier), those run inline (below MW_POOL_MIN_WORK), and the time split
 * into parallel runs (and, within them, thread 0 waiting for the others), inline runs and the
 * rest (serial work between tasks). The counters need a build with -DMW_POOL_STATS=ON; without
 * it only the speeds are printed.
 *
 *   bench_threads MODEL.gguf [THREADS (1,2)] [N (64)] [ROUNDS (7)] [f32|f16]
 * A benchmark, not a test.
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mw.h"
#include "session.h"

#define MAX_COUNTS 8
#define MAX_ROUNDS 64

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double loadavg(void)
{
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = -1;
        fclose(f);
    }
    return l;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_threads MODEL.gguf [THREADS (1,2)] [N (64)] [ROUNDS (7)] [f32|f16]\n");
        return 2;
    }
    int counts[MAX_COUNTS], n_counts = 0;
    for (const char *p = argc > 2 ? argv[2] : "1,2"; *p && n_counts < MAX_COUNTS;) {
        counts[n_counts++] = atoi(p);
        while (*p && *p != ',') p++;
        if (*p == ',') p++;
    }
    const int n_tg = argc > 3 ? atoi(argv[3]) : 64, rounds = argc > 4 ? atoi(argv[4]) : 7;
    const int kv_type = argc > 5 && strcmp(argv[5], "f16") == 0 ? MW_KV_F16 : MW_KV_F32;
    if (n_tg < 1 || rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "bench_threads: N must be positive, ROUNDS 1..%d\n", MAX_ROUNDS);
        return 2;
    }
    mw_model *m = NULL;
    if (mw_model_open_file(argv[1], NULL, &m) != MW_OK) {
        fprintf(stderr, "bench_threads: %s\n", mw_last_error());
        return 1;
    }
    mw_model_info info;
    mw_model_get_info(m, &info);
    int32_t *ids = malloc(sizeof(int32_t) * (size_t)n_tg);
    if (!ids) return 1;
    uint64_t x = 0x6d772d62656e6368ull;   /* mw bench's seed: the same ids */
    for (int i = 0; i < n_tg; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        ids[i] = (int32_t)((x >> 33) % (uint64_t)info.n_vocab);
    }
    mw_session *s[MAX_COUNTS] = { 0 };
    double t[MAX_COUNTS][MAX_ROUNDS];
    mw_pool_stats sum[MAX_COUNTS];
    memset(sum, 0, sizeof sum);
    int rc = 1;
    for (int k = 0; k < n_counts; k++) {
        mw_session_params p = mw_session_params_default();
        p.n_ctx = n_tg;
        p.n_threads = counts[k];
        p.kv_type = kv_type;
        if (mw_session_create(m, &p, &s[k]) != MW_OK) {
            fprintf(stderr, "bench_threads: %s\n", mw_last_error());
            goto done;
        }
        mw_session_reset(s[k]);   /* warm-up: touch the weights and the cache once */
        for (int i = 0; i < n_tg; i++)
            if (mw_session_eval(s[k], &ids[i], 1, NULL) != MW_OK) goto done;
    }
    const double load0 = loadavg();
    for (int r = 0; r < rounds; r++) {
        for (int kk = 0; kk < n_counts; kk++) {
            const int k = r % 2 ? n_counts - 1 - kk : kk;
            mw_session_reset(s[k]);
            mw_pool_stats_reset(s[k]->pool);
            const double t0 = now();
            for (int i = 0; i < n_tg; i++)
                if (mw_session_eval(s[k], &ids[i], 1, NULL) != MW_OK) {
                    fprintf(stderr, "bench_threads: %s\n", mw_last_error());
                    goto done;
                }
            t[k][r] = now() - t0;
            mw_pool_stats st;
            mw_pool_stats_get(s[k]->pool, &st);
            sum[k].runs += st.runs;
            sum[k].inline_runs += st.inline_runs;
            sum[k].ns_parallel += st.ns_parallel;
            sum[k].ns_wait += st.ns_wait;
            sum[k].ns_inline += st.ns_inline;
            sum[k].worker_sleeps += st.worker_sleeps;
        }
    }
    const double load1 = loadavg();
    for (int k = 0; k < n_counts; k++) {
        double total = 0;
        for (int r = 0; r < rounds; r++) total += t[k][r];
        qsort(t[k], (size_t)rounds, sizeof(double), cmp_double);
        const double med = rounds % 2 ? t[k][rounds / 2] : 0.5 * (t[k][rounds / 2 - 1] + t[k][rounds / 2]);
        printf("{\"model\":\"%s\",\"threads\":%d,\"tg\":%d,\"rounds\":%d,\"tg_tps\":%.2f,\"tg_tps_best\":%.2f,"
               "\"tg_tps_worst\":%.2f,\"load\":[%.2f,%.2f]",
               strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1], mw_pool_size(s[k]->pool),
               n_tg, rounds, n_tg / med, n_tg / t[k][0], n_tg / t[k][rounds - 1], load0, load1);
        if (mw_pool_stats_enabled()) {
            const double tok = (double)n_tg * rounds, us = 1e-3 / tok;
            const double us_token = total * 1e6 / tok;
            const double us_par = sum[k].ns_parallel * us, us_inl = sum[k].ns_inline * us;
            printf(",\"per_token\":{\"us\":%.1f,\"tasks\":%.2f,\"inline_tasks\":%.2f,\"us_parallel\":%.1f,"
                   "\"us_wait\":%.1f,\"us_inline\":%.1f,\"us_serial\":%.1f,\"worker_sleeps\":%.3f}",
                   us_token, sum[k].runs / tok, sum[k].inline_runs / tok, us_par, sum[k].ns_wait * us,
                   us_inl, us_token - us_par - us_inl, sum[k].worker_sleeps / tok);
        }
        printf("}\n");
    }
    rc = 0;
done:
    for (int k = 0; k < n_counts; k++) mw_session_free(s[k]);
    free(ids);
    mw_model_free(m);
    return rc;
}
