/*
 * test_session.c — the session API around the forward pass: abort inside a prefill leaves a
 * consistent session that continues exactly as an uninterrupted one; truncation + re-eval of a
 * shared prefix equals a fresh evaluation (KV reuse); reset; bad ids; memory budget; embeddings;
 * a vocabulary-only model refuses sessions. Model: mistral-s.Q8_0 (ref logits in tests/data).
 */
#include "harness.h"
#include "mw.h"

static const int32_t prompt[21] = { 1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421,
                                    395, 317, 426, 338, 401, 396, 267, 337 };

typedef struct abort_after { int calls, limit; } abort_after;
static int32_t stop_after(void *user)
{
    abort_after *a = user;
    return ++a->calls > a->limit;
}

int main(void)
{
    mw_model *m = NULL;
    CHECK(mw_model_open_file(MW_TEST_DATA "/reference/mistral-s.Q8_0.gguf", NULL, &m) == MW_OK);
    if (!m) return TEST_REPORT();
    const int V = 512;
    float *ref = malloc(sizeof(float) * 21 * V), *got = malloc(sizeof(float) * 21 * V);

    mw_session_params p = mw_session_params_default();
    p.n_ctx = 64; p.n_batch = 8;
    mw_session *s = NULL;
    CHECK(mw_session_create(m, &p, &s) == MW_OK);
    CHECK(mw_session_logits(s) == NULL);
    CHECK(mw_session_eval(s, prompt, 21, ref) == MW_OK);
    CHECK(mw_session_n_past(s) == 21);
    CHECK(memcmp(mw_session_tokens(s), prompt, sizeof prompt) == 0);
    CHECK(memcmp(mw_session_logits(s), ref + 20 * V, V * sizeof(float)) == 0);

    /* KV reuse: keep 12 tokens, evaluate the rest again: the same rows, bit for bit */
    CHECK(mw_session_truncate(s, 12) == MW_OK && mw_session_n_past(s) == 12);
    CHECK(mw_session_eval(s, prompt + 12, 9, got) == MW_OK);
    CHECK(memcmp(got, ref + 12 * V, 9 * V * sizeof(float)) == 0);

    /* reset, then abort in the middle of a 21-token prefill (chunks of 8, 2 layers: the hook
     * is polled per layer, so limit 3 stops in the second chunk) */
    mw_session_reset(s);
    CHECK(mw_session_n_past(s) == 0);
    abort_after a = { 0, 3 };
    mw_session_set_abort(s, stop_after, &a);
    CHECK(mw_session_eval(s, prompt, 21, got) == MW_ERR_ABORTED);
    CHECK(strstr(mw_last_error(), "abort") != NULL);
    CHECK(mw_session_n_past(s) == 8);   /* the first chunk was completed and kept */
    mw_session_set_abort(s, NULL, NULL);
    CHECK(mw_session_eval(s, prompt + 8, 13, got + 8 * V) == MW_OK);
    CHECK(memcmp(got + 8 * V, ref + 8 * V, 13 * V * sizeof(float)) == 0);

    /* bad input: out-of-vocabulary and negative ids, negative count; state unchanged */
    int32_t bad[2] = { 5, 512 };
    CHECK(mw_session_eval(s, bad, 2, NULL) == MW_ERR_INVALID_ARG);
    bad[1] = -1;
    CHECK(mw_session_eval(s, bad, 2, NULL) == MW_ERR_INVALID_ARG);
    CHECK(mw_session_eval(s, bad, -1, NULL) == MW_ERR_INVALID_ARG);
    CHECK(mw_session_n_past(s) == 21);

    /* embeddings: final normed hidden states, last row consistent with a second evaluation */
    mw_model_info info;
    mw_model_get_info(m, &info);
    float *embd = malloc(sizeof(float) * 21 * info.n_embd), *embd2 = malloc(sizeof(float) * 21 * info.n_embd);
    mw_session_reset(s);
    CHECK(mw_session_eval_embd(s, prompt, 21, embd) == MW_OK);
    mw_session_reset(s);
    CHECK(mw_session_eval_embd(s, prompt, 21, embd2) == MW_OK);
    CHECK(memcmp(embd, embd2, sizeof(float) * 21 * info.n_embd) == 0);
    CHECK(mw_session_logits(s) == NULL);   /* no output head for embeddings */
    double norm = 0;
    for (int i = 0; i < info.n_embd; i++) norm += embd[i] * embd[i];
    CHECK(norm > 1.0);  /* RMS-normed: sum of squares ~ n_embd */
    free(embd); free(embd2);
    mw_session_free(s);

    /* memory budget: refused before allocating, with the numbers in the message */
    p.n_ctx = 512; p.memory_limit = 1024;
    CHECK(mw_session_create(m, &p, &s) == MW_ERR_TOO_LARGE && s == NULL);
    CHECK(strstr(mw_last_error(), "MiB") != NULL);
    p.memory_limit = 0;
    p.n_ctx = -1;
    CHECK(mw_session_create(m, &p, &s) == MW_ERR_INVALID_ARG);
    CHECK(mw_session_create(NULL, NULL, &s) == MW_ERR_INVALID_ARG);
    /* a context past the training context (512) is refused before its size is considered
     * (a too-large session on wasm32: test_session_sizes) */
    p.n_ctx = 1 << 30;
    CHECK(mw_session_create(m, &p, &s) == MW_ERR_INVALID_ARG && s == NULL);
    CHECK(strstr(mw_last_error(), "more than the 512 tokens") != NULL);
    mw_model_free(m);

    /* a vocabulary-only file loads (tokenizer) but refuses sessions */
    CHECK(mw_model_open_file(MW_TEST_DATA "/tokenizers/ggml-vocab-mistral-v1.gguf", NULL, &m) == MW_OK);
    if (m) {
        CHECK(mw_session_create(m, NULL, &s) == MW_ERR_UNSUPPORTED);
        CHECK(strstr(mw_last_error(), "vocabulary-only") != NULL);
        mw_model_free(m);
    }
    free(ref); free(got);
    return TEST_REPORT();
}
