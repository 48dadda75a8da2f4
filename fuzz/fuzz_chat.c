/*
 * fuzz_chat.c — libFuzzer target for chat formatting on arbitrary message lists, with the real
 * Mistral v1 and v3 vocabularies. Input layout: byte 0 picks the vocabulary and the format
 * (including invalid format numbers); the rest splits at NUL bytes into messages whose first
 * byte picks the role (system / user / assistant / an invalid role / NULL). Properties: every
 * error has a message, ids are in range, and a too-small buffer reports the same count.
 */
#include <stdlib.h>

#include "fuzz_common.h"

#ifndef MW_TEST_DATA
#define MW_TEST_DATA "tests/data"
#endif

static mw_model *vocabs[2];

static const mw_model *get_vocab(int v3)
{
    if (!vocabs[v3]) {
        const char *path = v3 ? MW_TEST_DATA "/tokenizers/ggml-vocab-mistral-v3.gguf"
                              : MW_TEST_DATA "/tokenizers/ggml-vocab-mistral-v1.gguf";
        FUZZ_CHECK(mw_model_open_file(path, NULL, &vocabs[v3]) == MW_OK);
    }
    return vocabs[v3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const mw_model *m = get_vocab(data[0] & 1);
    int32_t n_vocab = (data[0] & 1) ? 32768 : 32000;
    mw_chat_format format = (mw_chat_format)((data[0] >> 1) % 6);   /* 4, 5: invalid */

    /* split the rest at NULs: a private NUL-terminated copy */
    char *text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    mw_chat_message msgs[64];
    int32_t n = 0;
    static const char *roles[] = { "system", "user", "assistant", "tool", NULL, "user", "assistant", "" };
    for (char *p = text; p < text + size - 1 && n < 64;) {
        size_t len = strlen(p);
        msgs[n] = (mw_chat_message){ 0 };
        msgs[n].role = len ? roles[(uint8_t)p[0] % 8] : "user";
        msgs[n].content = len ? p + 1 : p;
        n++;
        p += len + 1;
    }

    int32_t cap = (int32_t)size * 2 + 16;
    int32_t *ids = malloc((size_t)cap * sizeof *ids);
    int32_t n_ids = -1;
    mw_status st = mw_chat_tokenize(m, format, msgs, n, ids, cap, &n_ids);
    FUZZ_CHECK_ERROR(st);
    if (st == MW_OK) {
        FUZZ_CHECK(n_ids >= 0 && n_ids <= cap);
        for (int32_t i = 0; i < n_ids; i++)
            FUZZ_CHECK(ids[i] >= 0 && ids[i] < n_vocab);
        if (n_ids > 0) {
            int32_t n2 = -1;
            FUZZ_CHECK(mw_chat_tokenize(m, format, msgs, n, ids, n_ids - 1, &n2) ==
                       MW_ERR_BUFFER_TOO_SMALL && n2 == n_ids);
        }
    }
    free(ids);
    free(text);
    return 0;
}
