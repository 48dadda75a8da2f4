/*
 * test_sliding_window.c — sliding-window attention and the rolling KV cache against an
 * independent float64 numpy forward pass (tools/swa_ref.py, window 8, 48 tokens of
 * mistral-s.F32). Tolerance: max |d| <= 5e-4 (F32 model, as the reference test).
 * The same logits must come out of a plain cache (n_ctx 512), a rolling cache much smaller
 * than the sequence (n_ctx 16 -> 11 slots) fed in chunks of 4 or one token at a time, and
 * the window must really bite (logits without it differ after position 8).
 */
#include "harness.h"
#include "mw.h"

#define N_TOK 48
#define WINDOW 8
static const int32_t ids[N_TOK] = { 1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421,
    395, 317, 426, 338, 401, 396, 267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426,
    385, 328, 432, 358, 394, 261, 370, 432, 352, 266, 268, 388, 426, 338, 391, 266 };

/* logits of all 48 positions, evaluated in chunks of `step` tokens */
static float *run(mw_model *m, int n_ctx, int window, int n_batch, int step)
{
    mw_session_params p = mw_session_params_default();
    p.n_ctx = n_ctx; p.sliding_window = window; p.n_batch = n_batch;
    mw_session *s = NULL;
    if (mw_session_create(m, &p, &s) != MW_OK) return NULL;
    float *out = malloc(sizeof(float) * N_TOK * 512);
    for (int i = 0; i < N_TOK; i += step) {
        int n = i + step <= N_TOK ? step : N_TOK - i;
        if (mw_session_eval(s, ids + i, n, out + (size_t)i * 512) != MW_OK) {
            fprintf(stderr, "eval at %d: %s\n", i, mw_last_error());
            free(out); out = NULL; break;
        }
    }
    mw_session_free(s);
    return out;
}

int main(void)
{
    mw_model *m = NULL;
    CHECK(mw_model_open_file(MW_TEST_DATA "/reference/mistral-s.F32.gguf", NULL, &m) == MW_OK);
    size_t bytes = 0;
    float *ref = test_read_file(MW_TEST_DATA "/swa/mistral-s.F32.w8.logits.f32", &bytes);
    CHECK(ref && bytes == sizeof(float) * N_TOK * 512);
    if (!m || !ref) return TEST_REPORT();

    float *plain = run(m, 512, WINDOW, 64, N_TOK);        /* one eval, plain cache */
    float *rolling4 = run(m, 16, WINDOW, 4, 4);           /* rolling cache, chunks of 4 */
    float *rolling1 = run(m, 16, WINDOW, 4, 1);           /* rolling cache, token by token */
    float *nowin = run(m, 512, -1, 64, N_TOK);            /* no window */
    CHECK(plain && rolling4 && rolling1 && nowin);
    if (plain && rolling4 && rolling1 && nowin) {
        const size_t n = (size_t)N_TOK * 512;
        double d_plain = test_max_diff(plain, ref, n), d_r4 = test_max_diff(rolling4, ref, n), d_r1 = test_max_diff(rolling1, ref, n);
        printf("window %d vs numpy: plain %.3g, rolling/4 %.3g, rolling/1 %.3g\n", WINDOW, d_plain, d_r4, d_r1);
        CHECK(d_plain <= 5e-4);
        CHECK(d_r4 <= 5e-4);
        CHECK(d_r1 <= 5e-4);
        /* the first WINDOW positions see their whole past either way; later ones must not */
        CHECK(test_max_diff(nowin, ref, (size_t)WINDOW * 512) <= 5e-4);
        CHECK(test_max_diff(nowin + (size_t)WINDOW * 512, ref + (size_t)WINDOW * 512, n - (size_t)WINDOW * 512) > 0.01);
    }

    /* without a window the context is a hard limit; with one, generation goes past n_ctx */
    mw_session_params p = mw_session_params_default();
    p.n_ctx = 16; p.sliding_window = -1;
    mw_session *s = NULL;
    CHECK(mw_session_create(m, &p, &s) == MW_OK);
    CHECK(mw_session_window(s) == 0 && mw_session_n_ctx(s) == 16);   /* the cache fills */
    CHECK(mw_session_eval(s, ids, 16, NULL) == MW_OK);
    CHECK(mw_session_eval(s, ids, 1, NULL) == MW_ERR_CONTEXT_FULL);
    CHECK(mw_session_truncate(s, 10) == MW_OK && mw_session_n_past(s) == 10);
    CHECK(mw_session_eval(s, ids, 6, NULL) == MW_OK);
    mw_session_free(s);

    p.sliding_window = WINDOW; p.n_batch = 4;
    CHECK(mw_session_create(m, &p, &s) == MW_OK);
    CHECK(mw_session_window(s) == WINDOW);                        /* the cache rolls */
    for (int i = 0; i < 200; i++) {
        int32_t id = ids[i % N_TOK];
        if (mw_session_eval(s, &id, 1, NULL) != MW_OK) { CHECK(0); break; }
    }
    CHECK(mw_session_n_past(s) == 200);
    CHECK(mw_session_truncate(s, 198) == MW_OK);     /* window before 198 still cached */
    CHECK(mw_session_truncate(s, 100) == MW_ERR_STATE); /* long overwritten */
    mw_session_free(s);

    /* a window as large as the context never bites: the session reports none (what the JS
     * runner asks to know whether the cache can fill) */
    p.n_ctx = WINDOW; p.sliding_window = WINDOW;
    CHECK(mw_session_create(m, &p, &s) == MW_OK);
    CHECK(mw_session_window(s) == 0);
    mw_session_free(s);
    CHECK(mw_session_window(NULL) == 0 && mw_session_n_ctx(NULL) == 0);

    free(plain); free(rolling4); free(rolling1); free(nowin); free(ref);
    mw_model_free(m);
    return TEST_REPORT();
}
