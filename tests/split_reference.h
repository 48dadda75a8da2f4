/*
 * split_reference.h — the special-token split as llama.cpp's tokenizer_st_partition does it,
 * transcribed directly: special tokens longest first (then lowest id), each one cut out of every
 * remaining text fragment, leftmost occurrence first. O(specials x text): the oracle that
 * tokenizer.c's one-scan split is checked against (test_tokenizer, fuzz/fuzz_split.c).
 */
#ifndef MW_TEST_SPLIT_REFERENCE_H
#define MW_TEST_SPLIT_REFERENCE_H

#include <string.h>

#include "tokenizer_impl.h"

/* Fragments of text[0..len) into out[cap] (scratch: cap more); the count, or SIZE_MAX when cap
 * is too small. */
static inline size_t reference_split(const mw_tokenizer *t, const char *text, size_t len,
                                     int parse_special, mw_fragment *out, mw_fragment *scratch,
                                     size_t cap)
{
    size_t n = 0;
    if (len && cap) out[n++] = (mw_fragment){ -1, 0, len };
    for (uint32_t want = t->max_len; want > 0; want--) {
        for (int32_t id = 0; id < t->n_vocab; id++) {
            int type = t->type[id];
            if (t->text_len[id] != want || !(type == MW_TOKEN_USER_DEFINED ||
                (parse_special && (type == MW_TOKEN_CONTROL || type == MW_TOKEN_UNKNOWN))))
                continue;
            size_t m = 0;
            for (size_t i = 0; i < n; i++) {
                if (m + 3 > cap) return SIZE_MAX;
                if (out[i].id >= 0) { scratch[m++] = out[i]; continue; }
                size_t pos = out[i].off, end = out[i].off + out[i].len;
                for (size_t at = pos; at + want <= end;) {
                    if (memcmp(text + at, t->text[id], want) != 0) { at++; continue; }
                    if (m + 3 > cap) return SIZE_MAX;
                    if (at > pos) scratch[m++] = (mw_fragment){ -1, pos, at - pos };
                    scratch[m++] = (mw_fragment){ id, 0, 0 };
                    pos = at = at + want;
                }
                if (pos < end) scratch[m++] = (mw_fragment){ -1, pos, end - pos };
            }
            memcpy(out, scratch, m * sizeof *scratch);
            n = m;
        }
    }
    return n;
}

/* 1 when the fragments are the same (text fragments by position, special ones by id) */
static inline int same_fragments(const mw_fragment *a, size_t na, const mw_fragment *b, size_t nb)
{
    if (na != nb) return 0;
    for (size_t i = 0; i < na; i++)
        if (a[i].id != b[i].id || (a[i].id < 0 && (a[i].off != b[i].off || a[i].len != b[i].len)))
            return 0;
    return 1;
}

#endif
