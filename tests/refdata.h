/*
 * refdata.h — reading the llama.cpp reference files of tests/data/reference (see
 * /work/shared/reference/README.md for their formats): number arrays out of the small JSON
 * files, and the raw float32 logits.
 */
#ifndef MW_TEST_REFDATA_H
#define MW_TEST_REFDATA_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

#endif
