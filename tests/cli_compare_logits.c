/*
 * cli_compare_logits.c — checks a logits file written by `mw logits` against a llama.cpp
 * reference dump (both raw little-endian float32 [rows][n_vocab]).
 *
 *   cli_compare_logits ACTUAL REFERENCE N_VOCAB MAX_ABS_DIFF [ROW_OFFSET]
 *
 * Every reference row r is compared with actual row ROW_OFFSET + r (offset > 0 checks the
 * teacher-forced generation rows: prompt + greedy ids evaluated together). Prints the max and
 * mean |diff| and the argmax agreement; exits 1 when max |diff| exceeds the tolerance, a size
 * does not fit, or an argmax differs. Used by tests/cli.cmake (not a unit test: it needs files
 * produced by the mw binary).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float *read_f32(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (size <= 0 || size % 4) {
        fprintf(stderr, "%s: size %ld is not a positive multiple of 4\n", path, size);
        fclose(f);
        return NULL;
    }
    unsigned char *bytes = malloc((size_t)size);
    float *x = malloc((size_t)size);
    if (!bytes || !x || fread(bytes, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "cannot read %s\n", path);
        free(bytes);
        free(x);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *n = (size_t)size / 4;
    for (size_t i = 0; i < *n; i++) {   /* little-endian on any host */
        const unsigned char *b = bytes + 4 * i;
        uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                     (uint32_t)b[3] << 24;
        memcpy(&x[i], &u, 4);
    }
    free(bytes);
    return x;
}

static size_t argmax(const float *x, size_t n)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (x[i] > x[best])
            best = i;
    return best;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s ACTUAL REFERENCE N_VOCAB MAX_ABS_DIFF [ROW_OFFSET]\n", argv[0]);
        return 1;
    }
    size_t n_vocab = (size_t)strtoul(argv[3], NULL, 10);
    double tol = strtod(argv[4], NULL);
    size_t offset = argc > 5 ? (size_t)strtoul(argv[5], NULL, 10) : 0;
    size_t n_act = 0, n_ref = 0;
    float *act = read_f32(argv[1], &n_act);
    float *ref = read_f32(argv[2], &n_ref);
    if (!act || !ref || n_vocab == 0)
        return 1;
    size_t rows_ref = n_ref / n_vocab, rows_act = n_act / n_vocab;
    if (n_ref % n_vocab || n_act % n_vocab || rows_act < offset + rows_ref) {
        fprintf(stderr, "shape mismatch: actual %zu floats, reference %zu floats, n_vocab %zu, "
                        "row offset %zu\n", n_act, n_ref, n_vocab, offset);
        return 1;
    }
    double max_diff = 0, sum_diff = 0;
    size_t worst_row = 0, argmax_mismatch = 0;
    for (size_t r = 0; r < rows_ref; r++) {
        const float *a = act + (offset + r) * n_vocab, *b = ref + r * n_vocab;
        for (size_t v = 0; v < n_vocab; v++) {
            double d = fabs((double)a[v] - (double)b[v]);
            if (!(d <= max_diff)) {   /* also catches NaN */
                max_diff = isnan(d) ? INFINITY : d;
                worst_row = r;
            }
            sum_diff += d;
        }
        if (argmax(a, n_vocab) != argmax(b, n_vocab)) {
            argmax_mismatch++;
            fprintf(stderr, "row %zu: argmax %zu vs reference %zu\n", r, argmax(a, n_vocab),
                    argmax(b, n_vocab));
        }
    }
    printf("%zu rows x %zu: max |diff| %.3g (row %zu), mean |diff| %.3g, argmax mismatches %zu, "
           "tolerance %.3g\n", rows_ref, n_vocab, max_diff, worst_row,
           sum_diff / (double)(rows_ref * n_vocab), argmax_mismatch, tol);
    free(act);
    free(ref);
    return max_diff <= tol && argmax_mismatch == 0 ? 0 : 1;
}
