/*
 * fuzz_chat.c — libFuzzer target for chat formatting on arbitrary message lists, with the real
 * Mistral v1 and v3 vocabularies. Input layout: byte 0 picks the vocabulary and the format
 * (including invalid format numbers); the rest splits at NUL bytes into messages whose first
 * byte picks the role (system / user / assistant / tool / an invalid role / NULL; bit 0x10 makes
 * an assistant's text its tool_calls, bit 0x20 gives a tool message its text as tool_call_id,
 * bit 0x40 makes the text the tools JSON instead of a message). Properties: every error has a
 * message, ids are in range, and a too-small buffer reports the same count.
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
    const char *tools = NULL;
    int32_t n = 0;
    static const char *roles[] = { "system", "user", "assistant", "tool", NULL, "user", "assistant", "" };
    for (char *p = text; p < text + size - 1 && n < 64;) {
        size_t len = strlen(p);
        uint8_t r = len ? (uint8_t)p[0] : 0;
        const char *body = len ? p + 1 : p;
        p += len + 1;
        if (r & 0x40) {
            tools = body;
            continue;
        }
        msgs[n] = (mw_chat_message){ 0 };
        msgs[n].role = len ? roles[r % 8] : "user";
        msgs[n].content = body;
        if ((r & 0x10) && msgs[n].role && strcmp(msgs[n].role, "assistant") == 0) {
            msgs[n].tool_calls = body;
            msgs[n].content = NULL;
        }
        if ((r & 0x20) && msgs[n].role && strcmp(msgs[n].role, "tool") == 0)
            msgs[n].tool_call_id = body;
        n++;
    }

    int32_t cap = (int32_t)size * 8 + 256;   /* the tool JSON texts grow (spaces, defaults) */
    int32_t *ids = malloc((size_t)cap * sizeof *ids);
    int32_t n_ids = -1;
    mw_status st = mw_chat_tokenize_tools(m, format, msgs, n, tools, ids, cap, &n_ids);
    FUZZ_CHECK_ERROR(st);
    if (st == MW_OK) {
        FUZZ_CHECK(n_ids >= 0 && n_ids <= cap);
        for (int32_t i = 0; i < n_ids; i++)
            FUZZ_CHECK(ids[i] >= 0 && ids[i] < n_vocab);
        if (n_ids > 0) {
            int32_t n2 = -1;
            FUZZ_CHECK(mw_chat_tokenize_tools(m, format, msgs, n, tools, ids, n_ids - 1, &n2) ==
                       MW_ERR_BUFFER_TOO_SMALL && n2 == n_ids);
        }
    }
    free(ids);
    free(text);
    return 0;
}
