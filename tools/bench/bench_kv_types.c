/*
 * bench_kv_types.c — decode speed with an F32 vs an F16 KV cache at a context depth, A/B
 * interleaved: both sessions are filled to DEPTH tokens (untimed), then ROUNDS rounds of STEPS
 * decode steps alternate between them (the order flips every round), so both see the same
 * machine load — on a shared machine separate `mw bench --kv-type` runs minutes apart are not
 * comparable. Prints one JSON line: total and best-round tokens/s per type, their ratios
 * (f16 / f32) and the two caches' MiB.
 *
 *   bench_kv_types MODEL.gguf [DEPTH (1024)] [ROUNDS (16)] [STEPS (4)]
 * Single-threaded sessions; runs the same in native, WASI and Emscripten builds.
 * A benchmark, not a test.
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mw.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_kv_types MODEL.gguf [DEPTH (1024)] [ROUNDS (16)] [STEPS (4)]\n");
        return 2;
    }
    const int depth = argc > 2 ? atoi(argv[2]) : 1024, rounds = argc > 3 ? atoi(argv[3]) : 16;
    const int steps = argc > 4 ? atoi(argv[4]) : 4;
    if (depth < 1 || rounds < 1 || steps < 1) {
        fprintf(stderr, "bench_kv_types: DEPTH, ROUNDS and STEPS must be positive\n");
        return 2;
    }
    mw_model *m = NULL;
    if (mw_model_open_file(argv[1], NULL, &m) != MW_OK) {
        fprintf(stderr, "bench_kv_types: %s\n", mw_last_error());
        return 1;
    }
    mw_model_info info;
    mw_model_get_info(m, &info);
    const int n = depth + rounds * steps;
    int32_t *ids = malloc(sizeof(int32_t) * (size_t)n);
    if (!ids) return 1;
    uint64_t x = 0x6b762d6162ull;   /* fixed seed: the same ids every run */
    for (int i = 0; i < n; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        ids[i] = (int32_t)((x >> 33) % (uint64_t)info.n_vocab);
    }
    mw_session *s[2] = { NULL, NULL };
    const int32_t types[2] = { MW_KV_F32, MW_KV_F16 };
    int rc = 1;
    for (int k = 0; k < 2; k++) {
        mw_session_params p = mw_session_params_default();
        p.n_ctx = n;
        p.kv_type = types[k];
        if (mw_session_create(m, &p, &s[k]) != MW_OK || mw_session_eval(s[k], ids, depth, NULL) != MW_OK) {
            fprintf(stderr, "bench_kv_types: %s\n", mw_last_error());
            goto done;
        }
    }
    double total[2] = { 0, 0 }, best[2] = { 1e30, 1e30 };
    for (int r = 0; r < rounds; r++)
        for (int kk = 0; kk < 2; kk++) {
            const int k = (r & 1) ? 1 - kk : kk;
            const int pos = depth + r * steps;
            const double t0 = now();
            for (int i = 0; i < steps; i++)
                if (mw_session_eval(s[k], &ids[pos + i], 1, NULL) != MW_OK) {
                    fprintf(stderr, "bench_kv_types: %s\n", mw_last_error());
                    goto done;
                }
            const double dt = now() - t0;
            total[k] += dt;
            if (dt < best[k]) best[k] = dt;
        }
    const double n_tok = (double)rounds * steps;
    printf("{\"depth\":%d,\"tokens\":%d,\"f32_tps\":%.2f,\"f16_tps\":%.2f,\"ratio\":%.3f,"
           "\"best_f32_tps\":%.2f,\"best_f16_tps\":%.2f,\"best_ratio\":%.3f,\"kv_f32_mib\":%.1f,"
           "\"kv_f16_mib\":%.1f,\"kernels\":\"%s\"}\n",
           depth, rounds * steps, n_tok / total[0], n_tok / total[1], total[0] / total[1],
           steps / best[0], steps / best[1], best[0] / best[1],
           (double)mw_session_kv_bytes(s[0]) / 1048576.0, (double)mw_session_kv_bytes(s[1]) / 1048576.0,
           mw_kernels_name());
    rc = 0;
done:
    mw_session_free(s[0]);
    mw_session_free(s[1]);
    free(ids);
    mw_model_free(m);
    return rc;
}
