/*
 * test_reference.c — our logits against llama.cpp's on every reference model.
 *
 * For each model: the prompt rows (one eval of the whole prompt), the 31 teacher-forced
 * generation rows (prompt + greedy ids, one token at a time through the KV cache) and the
 * free-running greedy ids up to the first step whose llama.cpp top-2 margin is within noise.
 * Tolerances (from tests/data/reference's README measurements, issue 2):
 *   F32 max |d| <= 5e-4;  F16/BF16 max |d| <= 0.02;
 *   quantized: mean |d| <= 0.1 and >= 95 % of rows with max |d| <= 0.5
 *   (MoE rows where the top-2 expert choice flips may exceed that: counted, reported).
 *   argmax equal wherever llama.cpp's top-1/top-2 margin exceeds the file's noise level.
 * Also: 1 and 2 threads give bit-identical logits.
 */
#include "harness.h"
#include "mw.h"
#include "refdata.h"

typedef struct ref_case {
    const char *name;     /* tests/data/reference/<name>.* */
    const char *gguf;     /* model path relative to MW_SOURCE_DIR */
    int kind;             /* 0 F32, 1 half, 2 quantized */
} ref_case;

static const ref_case cases[] = {
    { "mistral-s.F32", "tests/data/reference/mistral-s.F32.gguf", 0 },
    { "mistral-s.F16", "tests/data/reference/mistral-s.F16.gguf", 1 },
    { "mistral-s.BF16", "tests/data/reference/mistral-s.BF16.gguf", 1 },
    { "mistral-s.Q8_0", "tests/data/reference/mistral-s.Q8_0.gguf", 2 },
    { "mistral-s.Q4_0", "tests/data/reference/mistral-s.Q4_0.gguf", 2 },
    { "mistral-s.Q4_1", "tests/data/reference/mistral-s.Q4_1.gguf", 2 },
    { "mistral-s.Q5_0", "tests/data/reference/mistral-s.Q5_0.gguf", 2 },
    { "mistral-s.Q5_1", "tests/data/reference/mistral-s.Q5_1.gguf", 2 },
    { "mistral-s.Q2_K", "tests/data/reference/mistral-s.Q2_K.gguf", 2 },
    { "mistral-s.Q3_K_M", "tests/data/reference/mistral-s.Q3_K_M.gguf", 2 },
    { "mistral-s.Q4_K_M", "tests/data/reference/mistral-s.Q4_K_M.gguf", 2 },
    { "mistral-s.Q5_K_M", "tests/data/reference/mistral-s.Q5_K_M.gguf", 2 },
    { "mistral-s.Q6_K", "tests/data/reference/mistral-s.Q6_K.gguf", 2 },
    { "mixtral-s.F32", "tests/data/reference/mixtral-s.F32.gguf", 0 },
    { "mixtral-s.Q8_0", "tests/data/reference/mixtral-s.Q8_0.gguf", 2 },
    { "mixtral-s.Q4_0", "tests/data/reference/mixtral-s.Q4_0.gguf", 2 },
    { "mixtral-s.Q4_K_M", "tests/data/reference/mixtral-s.Q4_K_M.gguf", 2 },
    { "mistral-v32k.Q4_K_M", "tests/data/reference/mistral-v32k.Q4_K_M.gguf", 2 },
    { "stories260K.F32", "models/stories260K.gguf", 0 },
    { "stories260K.Q8_0", "models/stories260K.Q8_0.gguf", 2 },
};

static void run_case(const ref_case *c, int n_threads, float **prompt_logits_out)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", MW_SOURCE_DIR, c->gguf);
    mw_model *m = NULL;
    mw_status st = mw_model_open_file(path, NULL, &m);
    CHECK_MSG(st == MW_OK, "%s: open: %s", c->name, mw_last_error());
    if (st) return;
    mw_model_info info;
    mw_model_get_info(m, &info);
    const int n_vocab = info.n_vocab;

    ref_set rs;
    ref_set_load(&rs, c->name);
    CHECK(rs.have_json);
    const int n_prompt = rs.n_prompt, n_greedy = rs.n_greedy;
    const int *prompt = rs.prompt, *greedy = rs.greedy;
    const double *margins = rs.margins;
    const float *ref_logits = rs.prompt_logits, *ref_gen = rs.gen_logits;
    CHECK(ref_logits && rs.prompt_bytes == (size_t)n_prompt * n_vocab * 4);
    CHECK(ref_gen && rs.gen_bytes == (size_t)31 * n_vocab * 4);
    if (!ref_logits || !ref_gen || n_prompt <= 0 || n_greedy != 32) goto done;

    const double row_tol = c->kind == 0 ? 5e-4 : c->kind == 1 ? 0.02 : 0.5;
    const double noise = c->kind == 0 ? 1e-3 : c->kind == 1 ? 0.05 : 0.5;
    /* free-running greedy: compared up to the first step whose margin is within the noise
     * llama.cpp itself shows across its own settings (README: ~0.3 quantized, ~1e-3 F32) */
    const double greedy_noise = c->kind == 0 ? 1e-3 : c->kind == 1 ? 0.05 : 0.3;

    mw_session_params sp = mw_session_params_default();
    sp.n_ctx = 512;
    sp.n_threads = n_threads;
    mw_session *s = NULL;
    st = mw_session_create(m, &sp, &s);
    CHECK_MSG(st == MW_OK, "%s: session: %s", c->name, mw_last_error());
    if (st) goto done;

    /* prompt rows in one evaluation */
    float *logits = malloc((size_t)n_prompt * n_vocab * sizeof(float));
    st = mw_session_eval(s, prompt, n_prompt, logits);
    CHECK_MSG(st == MW_OK, "%s: eval: %s", c->name, mw_last_error());
    ref_totals tp = { 0 }, tg = { 0 };
    for (int i = 0; i < n_prompt; i++)
        ref_account(&tp, logits + (size_t)i * n_vocab, ref_logits + (size_t)i * n_vocab, n_vocab, row_tol, noise);

    /* free-running greedy, compared up to the first low-margin step */
    int free_ok = 0, free_checked = 0;
    {
        mw_session *g = NULL;
        mw_session_create(m, &sp, &g);
        mw_session_eval(g, prompt, n_prompt, NULL);
        for (int j = 0; j < 32; j++) {
            if (margins[j] < greedy_noise) break;
            int id = ref_argmax(mw_session_logits(g), n_vocab);
            free_checked++;
            if (id != greedy[j]) break;
            free_ok++;
            mw_session_eval(g, &id, 1, NULL);
        }
        mw_session_free(g);
    }
    CHECK_MSG(free_ok == free_checked, "%s: greedy ids differ at step %d", c->name, free_ok);

    /* teacher-forced generation rows through the KV cache */
    for (int j = 0; j < 31; j++) {
        st = mw_session_eval(s, &greedy[j], 1, NULL);
        if (st) break;
        ref_account(&tg, mw_session_logits(s), ref_gen + (size_t)j * n_vocab, n_vocab, row_tol, noise);
    }
    CHECK(st == MW_OK);

    ref_totals all = tp;
    ref_totals_add(&all, &tg);
    const double mean = all.sum / (double)all.n_values;
    printf("%-20s t=%d prompt max %.3g | gen max %.3g | mean %.3g | rows ok %d/%d | argmax %d/%d | greedy %d/%d\n",
           c->name, n_threads, tp.max, tg.max, mean, all.rows_ok, all.rows,
           all.argmax_checked - all.argmax_bad, all.argmax_checked, free_ok, free_checked);
    if (c->kind < 2) {
        CHECK_MSG(all.max <= row_tol, "%s: max |d| %g > %g", c->name, all.max, row_tol);
    } else {
        CHECK_MSG(mean <= 0.1, "%s: mean |d| %g > 0.1", c->name, mean);
        CHECK_MSG(all.rows_ok * 100 >= all.rows * 95, "%s: only %d/%d rows within %g", c->name,
                  all.rows_ok, all.rows, row_tol);
    }
    CHECK_MSG(all.argmax_bad == 0, "%s: %d argmax mismatches where the margin > %g", c->name,
              all.argmax_bad, noise);
    if (prompt_logits_out) *prompt_logits_out = logits;
    else free(logits);
    mw_session_free(s);
done:
    ref_set_free(&rs);
    mw_model_free(m);
}

int main(void)
{
    const int n_cases = (int)(sizeof cases / sizeof cases[0]);
    for (int i = 0; i < n_cases; i++)
        run_case(&cases[i], 1, NULL);
    /* thread count must not change a single bit */
    const int threaded[] = { 3, 16, 17 };
    for (int i = 0; i < 3; i++) {
        float *one = NULL, *two = NULL;
        run_case(&cases[threaded[i]], 1, &one);
        run_case(&cases[threaded[i]], 2, &two);
        CHECK_MSG(one && two && memcmp(one, two, 21 * 512 * sizeof(float)) == 0,
                  "%s: 1 and 2 threads differ", cases[threaded[i]].name);
        free(one); free(two);
    }
    return TEST_REPORT();
}
