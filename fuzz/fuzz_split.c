/*
 * fuzz_split.c — libFuzzer target for the special-token split (tokenizer.c: one scan through a
 * trie, candidates replayed in priority order) against the direct transcription of llama.cpp's
 * tokenizer_st_partition (tests/split_reference.h): both must give the same fragments.
 * The input makes a vocabulary and a text over a 5-letter alphabet, so that pieces overlap:
 *   byte 0        pieces wanted (1 + b % 24); bit 7 = parse special (control / unknown too)
 *   per piece     1 byte: type (b % 4: normal, control, user-defined, unknown), length
 *                 1 + (b >> 2) % 6; then that many letters
 *   the rest      the text, up to 512 letters
 * A letter is "ab<>x"[byte % 5].
 */
#include <stdlib.h>

#include "fuzz_common.h"
#include "gguf.h"
#include "tokenizer_impl.h"
#include "../tests/gguf_build.h"
#include "../tests/split_reference.h"

#define MAX_TEXT 512

static char letter(uint8_t b) { return "ab<>x"[b % 5]; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static const int32_t kinds[4] = { MW_TOKEN_NORMAL, MW_TOKEN_CONTROL, MW_TOKEN_USER_DEFINED,
                                      MW_TOKEN_UNKNOWN };
    uint32_t want = 1 + data[0] % 24, n = 0;
    int parse_special = data[0] >> 7;
    char pieces[24][8];
    int32_t types[24];
    size_t p = 1;
    while (n < want && p < size) {
        uint8_t b = data[p++];
        size_t len = 1 + (size_t)(b >> 2) % 6;
        if (p + len > size)
            break;
        for (size_t k = 0; k < len; k++)
            pieces[n][k] = letter(data[p + k]);
        pieces[n][len] = 0;
        types[n++] = kinds[b % 4];
        p += len;
    }
    if (n == 0)
        return 0;
    char text[MAX_TEXT];
    size_t len = 0;
    for (; p < size && len < MAX_TEXT; p++)
        text[len++] = letter(data[p]);

    gb b = { 0 };
    gb_header(&b, 3, 0, 3);
    gb_kv_str(&b, "tokenizer.ggml.model", "llama");
    gb_str(&b, "tokenizer.ggml.tokens"); gb_u32(&b, 9); gb_u32(&b, 8); gb_u64(&b, n);
    for (uint32_t i = 0; i < n; i++) gb_str(&b, pieces[i]);
    gb_str(&b, "tokenizer.ggml.token_type"); gb_u32(&b, 9); gb_u32(&b, 5); gb_u64(&b, n);
    for (uint32_t i = 0; i < n; i++) gb_u32(&b, (uint32_t)types[i]);
    gb_pad(&b, 32);
    mw_gguf *g = NULL;
    mw_tokenizer *t = NULL;
    FUZZ_CHECK(mw_gguf_parse(b.p, b.len, &g) == MW_OK);
    FUZZ_CHECK(mw_tokenizer_create(g, &t) == MW_OK);

    enum { CAP = 2 * MAX_TEXT + 8 };
    static mw_fragment want_frags[CAP], scratch[CAP];
    size_t n_want = reference_split(t, text, len, parse_special, want_frags, scratch, CAP);
    FUZZ_CHECK(n_want != SIZE_MAX);
    mw_fragments got;
    FUZZ_CHECK(mw_tokenizer_split(t, text, len, parse_special, &got) == MW_OK);
    FUZZ_CHECK(same_fragments(got.v, got.n, want_frags, n_want));
    /* linear in the text: per position one trie walk (<= max_len steps) and at most max_len
     * candidates, each a free check (<= max_len + 1) and a shorter walk (< max_len) */
    uint64_t m = t->max_len;
    FUZZ_CHECK(got.steps <= (uint64_t)(len + 1) * (1 + m * (2 * m + 2)));
    mw_free(got.v);
    mw_tokenizer_free(t);
    mw_gguf_free(g);
    free(b.p);
    return 0;
}
