/*
 * refdata.h — reading the llama.cpp reference files of tests/data/reference (see
 * /work/shared/reference/README.md for their formats): number arrays out of the small JSON
 * files, one model's whole set (ids, margins, raw float32 logits), and comparing logit rows
 * against them (max/mean |d|, rows within a tolerance, argmax where llama.cpp's margin is clear).
 */
#ifndef MW_TEST_REFDATA_H
#define MW_TEST_REFDATA_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* Parse the numbers of the JSON array after "key": into out (cap values); returns the count
 * or -1 when the key is missing. */
static inline int ref_json_numbers(const char *json, const char *key, double *out, int cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    const char *p = strstr(json, pat);
    if (!p) return -1;
    p = strchr(p + strlen(pat), '[');
    if (!p) return -1;
    p++;
    int n = 0;
    while (*p && *p != ']') {
        char *end;
        double v = strtod(p, &end);
        if (end == p) { p++; continue; }
        if (n < cap) out[n] = v;
        n++;
        p = end;
    }
    return n;
}

static inline int ref_json_ints(const char *json, const char *key, int *out, int cap)
{
    double tmp[4096];
    int n = ref_json_numbers(json, key, tmp, 4096);
    for (int i = 0; i < n && i < cap; i++) out[i] = (int)tmp[i];
    return n;
}

static inline int ref_argmax(const float *x, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++) if (x[i] > x[best]) best = i;
    return best;
}

/* llama.cpp's top-1 minus top-2 logit: how clear its argmax is */
static inline double ref_margin(const float *x, int n)
{
    int a = ref_argmax(x, n);
    double second = -1e30;
    for (int i = 0; i < n; i++) if (i != a && x[i] > second) second = x[i];
    return x[a] - second;
}

/* One reference model's files: <name>.prompt.json (ids), .greedy.json (ids, margins),
 * .logits.f32 (prompt rows) and .gen_logits.f32 (31 teacher-forced rows). Missing files leave
 * NULL pointers / -1 counts; sizes are checked by the caller. */
typedef struct ref_set {
    int have_json;                 /* both JSON files read */
    int n_prompt, n_greedy;        /* -1 when missing */
    int prompt[64], greedy[32];
    double margins[32];
    float *prompt_logits, *gen_logits;
    size_t prompt_bytes, gen_bytes;
} ref_set;

static inline void ref_set_load(ref_set *r, const char *name)
{
    char path[1024];
    memset(r, 0, sizeof *r);
    snprintf(path, sizeof path, "%s/reference/%s.prompt.json", MW_TEST_DATA, name);
    char *prompt_json = test_read_text(path);
    snprintf(path, sizeof path, "%s/reference/%s.greedy.json", MW_TEST_DATA, name);
    char *greedy_json = test_read_text(path);
    r->have_json = prompt_json && greedy_json;
    r->n_prompt = prompt_json ? ref_json_ints(prompt_json, "ids", r->prompt, 64) : -1;
    r->n_greedy = greedy_json ? ref_json_ints(greedy_json, "ids", r->greedy, 32) : -1;
    if (greedy_json) ref_json_numbers(greedy_json, "margins", r->margins, 32);
    free(prompt_json);
    free(greedy_json);
    snprintf(path, sizeof path, "%s/reference/%s.logits.f32", MW_TEST_DATA, name);
    r->prompt_logits = test_read_file(path, &r->prompt_bytes);
    snprintf(path, sizeof path, "%s/reference/%s.gen_logits.f32", MW_TEST_DATA, name);
    r->gen_logits = test_read_file(path, &r->gen_bytes);
}

static inline void ref_set_free(ref_set *r)
{
    free(r->prompt_logits);
    free(r->gen_logits);
    r->prompt_logits = r->gen_logits = NULL;
}

/* Running comparison of our rows against llama.cpp's */
typedef struct ref_totals {
    double max, sum;
    long n_values;
    int rows, rows_ok, argmax_checked, argmax_bad;
} ref_totals;

/* one row of n_vocab logits: |d| statistics, within row_tol, and the argmax where llama.cpp's
 * margin exceeds noise */
static inline void ref_account(ref_totals *t, const float *ours, const float *ref, int n_vocab,
                               double row_tol, double noise)
{
    double row_max = 0, row_sum = 0;
    for (int i = 0; i < n_vocab; i++) {
        double d = fabs((double)ours[i] - ref[i]);
        if (d > row_max) row_max = d;
        row_sum += d;
    }
    if (row_max > t->max) t->max = row_max;
    t->sum += row_sum;
    t->n_values += n_vocab;
    t->rows++;
    if (row_max <= row_tol) t->rows_ok++;
    if (ref_margin(ref, n_vocab) > noise) {
        t->argmax_checked++;
        if (ref_argmax(ours, n_vocab) != ref_argmax(ref, n_vocab)) t->argmax_bad++;
    }
}

/* a += b */
static inline void ref_totals_add(ref_totals *a, const ref_totals *b)
{
    if (b->max > a->max) a->max = b->max;
    a->sum += b->sum;
    a->n_values += b->n_values;
    a->rows += b->rows;
    a->rows_ok += b->rows_ok;
    a->argmax_checked += b->argmax_checked;
    a->argmax_bad += b->argmax_bad;
}

#endif
