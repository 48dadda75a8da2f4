/*
 * harness.h — the whole test framework: CHECK / CHECK_NEAR record a pass or a failure (with
 * file:line), and TEST_REPORT() prints "N passed, N failed" and returns the exit status.
 * MW_TEST_DATA is the tests/data directory (set by CMake).
 */
#ifndef MW_TEST_HARNESS_H
#define MW_TEST_HARNESS_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_passed, test_failed;

#define CHECK(cond) do { \
    if (cond) test_passed++; \
    else { test_failed++; fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_MSG(cond, ...) do { \
    if (cond) test_passed++; \
    else { test_failed++; fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
           fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } \
} while (0)

#define CHECK_NEAR(a, b, tol) do { \
    double va_ = (double)(a), vb_ = (double)(b); \
    if (fabs(va_ - vb_) <= (tol)) test_passed++; \
    else { test_failed++; fprintf(stderr, "FAIL %s:%d: %s = %g, %s = %g, |diff| %g > %g\n", \
           __FILE__, __LINE__, #a, va_, #b, vb_, fabs(va_ - vb_), (double)(tol)); } \
} while (0)

#define TEST_REPORT() ( \
    printf("%d passed, %d failed\n", test_passed, test_failed), \
    (test_failed || !test_passed) ? 1 : 0)

#ifndef MW_TEST_DATA
#define MW_TEST_DATA "tests/data"
#endif

/* Read a whole file into malloc'd memory; NULL if missing. */
static inline void *test_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) { free(buf); buf = NULL; }
    fclose(f);
    if (size) *size = (size_t)n;
    return buf;
}

/* xorshift64 over a state the test owns: reproducible test data */
static inline uint32_t test_rnd_u32(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return (uint32_t)(*state >> 32);
}
/* uniform in [-1, 1) */
static inline float test_rnd_unit(uint64_t *state)
{
    return (float)((test_rnd_u32(state) >> 8) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
}

/* max |a[i] - b[i]| over n floats */
static inline double test_max_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs((double)a[i] - b[i]));
    return m;
}

/* A whole text file, NUL-terminated, in malloc'd memory; NULL if missing. */
static inline char *test_read_text(const char *path)
{
    size_t n;
    char *buf = test_read_file(path, &n);
    if (!buf) return NULL;
    char *s = realloc(buf, n + 1);
    if (!s) { free(buf); return NULL; }
    s[n] = 0;
    return s;
}

#endif
