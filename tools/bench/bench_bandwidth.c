/*
 * bench_bandwidth.c — a STREAM-style memory read probe: the ceiling that decode speed is held
 * against (decoding a token reads every weight once, so tokens/s x weight bytes <= this).
 *
 *   bench_bandwidth [MiB (512)] [max threads (2)] [passes (5)]
 * Each thread sums its own slice of a buffer much larger than the caches (integer adds, four
 * independent accumulators); the best pass counts. On x86-64 with AVX2 the loop uses 32-byte
 * loads (chosen at run time): with 16-byte SSE2 loads one core tops out ~25 % lower here, below
 * what llama.cpp's AVX2 matvec streams, so the probe would not be a ceiling. Prints one JSON
 * line per thread count: {"threads":T,"mib":M,"read_gbs":G}. A benchmark, not a test.
 * Native only has threads; WASI / Emscripten builds measure one thread.
 */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__unix__) && !defined(__wasi__) && !defined(__EMSCRIPTEN__)
#include <pthread.h>
#define HAVE_THREADS 1
#endif

typedef struct slice {
    const uint64_t *p;
    size_t n;
    uint64_t sum;
} slice;

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_AVX2_PATH 1
typedef uint64_t u64x4 __attribute__((vector_size(32)));

__attribute__((target("avx2"))) static void sum_slice_avx2(slice *s)
{
    u64x4 a = {0}, b = {0}, c = {0}, d = {0};
    size_t i = 0;
    for (; i + 16 <= s->n; i += 16) {   /* 128 bytes per step, unaligned-safe loads */
        u64x4 x, y, z, w;
        memcpy(&x, s->p + i, 32);
        memcpy(&y, s->p + i + 4, 32);
        memcpy(&z, s->p + i + 8, 32);
        memcpy(&w, s->p + i + 12, 32);
        a += x, b += y, c += z, d += w;
    }
    u64x4 t = a + b + c + d;
    uint64_t sum = t[0] + t[1] + t[2] + t[3];
    for (; i < s->n; i++)
        sum += s->p[i];
    s->sum = sum;
}
#endif

static void *sum_slice(void *arg)
{
    slice *s = arg;
#ifdef HAVE_AVX2_PATH
    if (__builtin_cpu_supports("avx2")) {
        sum_slice_avx2(s);
        return NULL;
    }
#endif
    uint64_t a = 0, b = 0, c = 0, d = 0;
    for (size_t i = 0; i + 4 <= s->n; i += 4) {
        a += s->p[i];
        b += s->p[i + 1];
        c += s->p[i + 2];
        d += s->p[i + 3];
    }
    s->sum = a + b + c + d;
    return NULL;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? (size_t)atol(argv[1]) : 512;
    int max_threads = argc > 2 ? atoi(argv[2]) : 2;
    int passes = argc > 3 ? atoi(argv[3]) : 5;
#ifndef HAVE_THREADS
    max_threads = 1;
#endif
    if (mib < 1 || max_threads < 1 || max_threads > 64 || passes < 1) {
        fprintf(stderr, "usage: bench_bandwidth [MiB] [max threads] [passes]\n");
        return 2;
    }
    size_t n = mib * 1048576 / sizeof(uint64_t);
    uint64_t *buf = malloc(n * sizeof(uint64_t));
    if (!buf) {
        fprintf(stderr, "bench_bandwidth: cannot allocate %zu MiB\n", mib);
        return 1;
    }
    for (size_t i = 0; i < n; i++)   /* touch every page, with values the sum cannot skip */
        buf[i] = i * 2654435761u;
    uint64_t check = 0;
    for (int t = 1; t <= max_threads; t++) {
        double best = 1e30;
        for (int pass = 0; pass < passes; pass++) {
            slice s[64];
            size_t per = n / (size_t)t / 4 * 4;
            double t0 = now();
#ifdef HAVE_THREADS
            pthread_t th[64];
            for (int k = 1; k < t; k++) {
                s[k] = (slice){buf + (size_t)k * per, per, 0};
                pthread_create(&th[k], NULL, sum_slice, &s[k]);
            }
#endif
            s[0] = (slice){buf, per, 0};
            sum_slice(&s[0]);
#ifdef HAVE_THREADS
            for (int k = 1; k < t; k++)
                pthread_join(th[k], NULL);
#endif
            double dt = now() - t0;
            best = dt < best ? dt : best;
            for (int k = 0; k < t; k++)
                check += s[k].sum;
        }
        double bytes = (double)(n / (size_t)t / 4 * 4) * (double)t * sizeof(uint64_t);
        printf("{\"threads\":%d,\"mib\":%zu,\"read_gbs\":%.2f}\n", t, mib, bytes / best / 1e9);
    }
    free(buf);
    return check == 42 ? 3 : 0;   /* use the sums so they are not optimized away */
}
