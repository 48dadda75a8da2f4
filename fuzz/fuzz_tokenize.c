/*
 * fuzz_tokenize.c — libFuzzer target for the tokenizer on arbitrary bytes, with the real
 * Mistral v3 vocabulary (32768 tokens, control tokens, byte fallback). The first byte picks
 * the flags (BOS / EOS / parse-special); the rest is the text. Properties: ids are in range;
 * a too-small buffer reports the same count; detokenizing in one call and through the
 * streaming detokenizer give the same bytes; and for valid UTF-8 text without special-token
 * parsing or BOS and without a literal U+2581, detokenize(tokenize(text)) == text.
 */
#include <stdlib.h>

#include "fuzz_common.h"
#include "utf8.h"

#ifndef MW_TEST_DATA
#define MW_TEST_DATA "tests/data"
#endif

static mw_model *vocab;

static const mw_model *get_vocab(void)
{
    if (!vocab) {
        const char *path = getenv("MW_FUZZ_VOCAB");
        if (!path)
            path = MW_TEST_DATA "/tokenizers/ggml-vocab-mistral-v3.gguf";
        FUZZ_CHECK(mw_model_open_file(path, NULL, &vocab) == MW_OK);
    }
    return vocab;
}

/* Is text well-formed UTF-8 without NUL bytes? */
static int plain_utf8(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint32_t cp = 0;
        int k = mw_utf8_decode(s + i, n - i, &cp);
        if (k <= 0 || cp == 0)
            return 0;
        i += (size_t)k;
    }
    return 1;
}

static int has_space_marker(const char *s, size_t n)
{
    for (size_t i = 0; i + 3 <= n; i++)
        if (memcmp(s + i, "\xe2\x96\x81", 3) == 0)
            return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const mw_model *m = get_vocab();
    if (size == 0)
        return 0;
    int32_t flags = data[0] & (MW_TOKENIZE_ADD_BOS | MW_TOKENIZE_ADD_EOS | MW_TOKENIZE_PARSE_SPECIAL);
    const char *text = (const char *)data + 1;
    size_t len = size - 1;

    int32_t cap = (int32_t)len + 4;
    int32_t *ids = malloc((size_t)cap * sizeof *ids);
    int32_t n = -1;
    mw_status st = mw_tokenize(m, text, len, flags, ids, cap, &n);
    FUZZ_CHECK_ERROR(st);
    if (st != MW_OK) {
        free(ids);
        return 0;
    }
    FUZZ_CHECK(n >= 0 && n <= cap);
    for (int32_t i = 0; i < n; i++)
        FUZZ_CHECK(ids[i] >= 0 && ids[i] < 32768);
    if (n > 1) {
        int32_t n2 = -1;
        FUZZ_CHECK(mw_tokenize(m, text, len, flags, ids, n - 1, &n2) == MW_ERR_BUFFER_TOO_SMALL);
        FUZZ_CHECK(n2 == n);
        FUZZ_CHECK(mw_tokenize(m, text, len, flags, ids, cap, &n2) == MW_OK && n2 == n);
    }

    size_t out_cap = len * 4 + 64, out_n = 0;
    char *out = malloc(out_cap);
    FUZZ_CHECK(mw_detokenize(m, ids, n, out, out_cap, &out_n) == MW_OK);
    FUZZ_CHECK(out_n <= out_cap);

    /* streaming: the same bytes, one id at a time */
    char *stream = malloc(out_cap + 16);
    size_t stream_n = 0;
    mw_detok *d = NULL;
    FUZZ_CHECK(mw_detok_create(m, &d) == MW_OK);
    for (int32_t i = 0; i < n; i++) {
        size_t k = 0;
        FUZZ_CHECK(mw_detok_push(d, ids[i], stream + stream_n, out_cap + 16 - stream_n, &k) == MW_OK);
        stream_n += k;
    }
    size_t k = 0;
    FUZZ_CHECK(mw_detok_flush(d, stream + stream_n, out_cap + 16 - stream_n, &k) == MW_OK);
    stream_n += k;
    mw_detok_free(d);
    if (plain_utf8((const uint8_t *)out, out_n))   /* invalid bytes are flushed as U+FFFD */
        FUZZ_CHECK(stream_n == out_n && memcmp(stream, out, out_n) == 0);

    /* (after BOS the first piece keeps its leading space, as llama.cpp renders it; and a
     * literal U+2581 in the text is SentencePiece's space marker, so it comes back a space) */
    if (!(flags & (MW_TOKENIZE_PARSE_SPECIAL | MW_TOKENIZE_ADD_BOS)) &&
        plain_utf8((const uint8_t *)text, len) && !has_space_marker(text, len))
        FUZZ_CHECK(out_n == len && memcmp(out, text, len) == 0);
    free(stream);
    free(out);
    free(ids);
    return 0;
}
