/*
 * test_kv_cache.c — the F16 KV cache (mw_session_params.kv_type = MW_KV_F16):
 * - kernels: dot_f16 / axpy_f16 of this build's table (SIMD128 in wasm and MW_SIMDE builds)
 *   bit-identical to the scalar reference for every length 0..300 and 1..9 query rows (a GQA
 *   group shares one fp16 row); dot_f16 against an f32
 *   query of fp16 values equals vec_dot[MW_TYPE_F16] of the two half rows bit for bit (the
 *   ggml F16 x F16 semantics of the scores) and a float64 sum within 1e-5 relative;
 * - logits with an F16 cache vs llama.cpp's references (dumped with an F32 cache): F32/F16
 *   weights max |d| <= 0.02 (llama.cpp itself moves 0.009-0.016 switching to its F16 cache),
 *   quantized: mean <= 0.1, >= 95 % rows within 0.5; argmax equal where llama.cpp's margin
 *   > 0.05 (F32/F16 weights) / 0.5 (quantized); free greedy ids up to the first margin < 0.05 / 0.3;
 * - the whole forward pass with the SIMD table and the scalar table: bit-identical logits;
 *   1 and 2 threads: bit-identical;
 * - sliding window: the rolling cache (chunks of 4, token by token) gives the plain cache's
 *   logits bit for bit, and the float64 numpy reference within 0.02; 200 positions in n_ctx 16;
 * - memory: the KV part of mw_session_memory_needed_kv halves, memory_limit admits an F16
 *   session where the F32 one is refused; an unknown kv_type is MW_ERR_INVALID_ARG.
 */
#include <stdint.h>

#include "count_alloc.h"
#include "harness.h"
#include "kernels/kernels.h"
#include "mw.h"
#include "refdata.h"

static mw_kernels ref;   /* the scalar table */

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static uint32_t rnd_u32(void) { return test_rnd_u32(&rng_state); }
static float rnd_unit(void) { return test_rnd_unit(&rng_state); }

static int same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

/* fp16 bits of K/V-like values: mostly |x| < 8, some subnormal halves, exact and signed zeros */
static uint16_t rnd_half(void)
{
    uint32_t r = rnd_u32() % 32;
    if (r == 0) return 0;
    if (r == 1) return 0x8000;
    if (r == 2) return (uint16_t)((rnd_u32() & 0x83ff) | 1);   /* subnormal */
    return mw_f32_to_fp16(8.0f * rnd_unit());
}

static void test_kernels(void)
{
    enum { N_MAX = 300, NY_MAX = 9, STRIDE = N_MAX + 5 };
    static uint16_t x[N_MAX], yh[NY_MAX][N_MAX];
    static float y[NY_MAX * STRIDE], yf[NY_MAX * STRIDE], out_a[NY_MAX * STRIDE], out_b[NY_MAX * STRIDE],
        before[NY_MAX * STRIDE];
    int dot_same = 1, dot_ggml = 1, dot_near = 1, axpy_same = 1, axpy_exact = 1;
    for (int n = 0; n <= N_MAX; n++) {
        const int n_y = 1 + n % NY_MAX;   /* 1..9 query rows: groups of 4 and every remainder */
        for (int i = 0; i < n; i++) x[i] = rnd_half();
        for (int r = 0; r < n_y; r++)
            for (int i = 0; i < n; i++) {
                yf[r * STRIDE + i] = 2.0f * rnd_unit();           /* an arbitrary f32 query */
                yh[r][i] = mw_f32_to_fp16(yf[r * STRIDE + i]);
                y[r * STRIDE + i] = mw_fp16_to_f32(yh[r][i]);   /* the fp16-rounded query attention uses */
            }
        /* dot_f16: SIMD vs scalar, both queries */
        float a[NY_MAX], b[NY_MAX], c[NY_MAX], d[NY_MAX];
        mw_kern->dot_f16(n, x, y, STRIDE, n_y, a);
        ref.dot_f16(n, x, y, STRIDE, n_y, b);
        mw_kern->dot_f16(n, x, yf, STRIDE, n_y, c);
        ref.dot_f16(n, x, yf, STRIDE, n_y, d);
        for (int r = 0; r < n_y; r++) {
            if (!same_bits(a[r], b[r]) || !same_bits(c[r], d[r])) {
                if (dot_same) fprintf(stderr, "dot_f16 n=%d r=%d: %a vs %a, %a vs %a\n", n, r, a[r], b[r], c[r], d[r]);
                dot_same = 0;
            }
            float g;
            ref.vec_dot[MW_TYPE_F16](n, &g, x, yh[r]);
            if (!same_bits(a[r], g)) {
                if (dot_ggml) fprintf(stderr, "dot_f16 n=%d: %a, vec_dot F16 %a\n", n, a[r], g);
                dot_ggml = 0;
            }
            double exact = 0, mag = 0;
            for (int i = 0; i < n; i++) {
                exact += (double)mw_fp16_to_f32(x[i]) * y[r * STRIDE + i];
                mag += fabs((double)mw_fp16_to_f32(x[i]) * y[r * STRIDE + i]);
            }
            if (fabs(a[r] - exact) > 1e-5 * mag + 1e-30) dot_near = 0;
        }

        /* axpy_f16: SIMD vs scalar, and exactly y_r + a[r]*x per element; the gaps between the
         * rows (stride > n) must stay untouched */
        float alpha[NY_MAX];
        for (int r = 0; r < n_y; r++) alpha[r] = rnd_unit();
        for (int i = 0; i < n_y * STRIDE; i++) out_a[i] = out_b[i] = before[i] = rnd_unit();
        mw_kern->axpy_f16(n, alpha, x, out_a, STRIDE, n_y);
        ref.axpy_f16(n, alpha, x, out_b, STRIDE, n_y);
        for (int r = 0; r < n_y; r++)
            for (int i = 0; i < STRIDE; i++) {
                const int k = r * STRIDE + i;
                if (!same_bits(out_a[k], out_b[k])) axpy_same = 0;
                const float want = i < n ? before[k] + alpha[r] * mw_fp16_to_f32(x[i]) : before[k];
                if (!same_bits(out_a[k], want)) axpy_exact = 0;
            }
    }
    CHECK_MSG(dot_same, "dot_f16 (%s) differs from scalar", mw_kern->name);
    CHECK_MSG(dot_ggml, "dot_f16 differs from vec_dot F16 x F16");
    CHECK_MSG(dot_near, "dot_f16 off the float64 sum by more than 1e-5 relative");
    CHECK_MSG(axpy_same, "axpy_f16 (%s) differs from scalar", mw_kern->name);
    CHECK_MSG(axpy_exact, "axpy_f16 is not y + a*x element-wise");
}

/* ---- sessions ---- */

static mw_model *open_model(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", MW_SOURCE_DIR, rel);
    mw_model *m = NULL;
    if (mw_model_open_file(path, NULL, &m) != MW_OK) {
        fprintf(stderr, "open %s: %s\n", path, mw_last_error());
        return NULL;
    }
    return m;
}

static mw_session *new_session(mw_model *m, int32_t kv_type, int n_ctx, int window, int n_batch,
                               int n_threads)
{
    mw_session_params p = mw_session_params_default();
    p.n_ctx = n_ctx;
    p.sliding_window = window;
    p.n_batch = n_batch;
    p.n_threads = n_threads;
    p.kv_type = kv_type;
    mw_session *s = NULL;
    if (mw_session_create(m, &p, &s) != MW_OK) {
        fprintf(stderr, "session: %s\n", mw_last_error());
        return NULL;
    }
    return s;
}

typedef struct ref_case { const char *name, *gguf; int quantized; } ref_case;

static const ref_case cases[] = {
    { "mistral-s.F32", "tests/data/reference/mistral-s.F32.gguf", 0 },
    { "mistral-s.F16", "tests/data/reference/mistral-s.F16.gguf", 0 },
    { "mixtral-s.F32", "tests/data/reference/mixtral-s.F32.gguf", 0 },
    { "stories260K.F32", "models/stories260K.gguf", 0 },
    { "mistral-s.Q8_0", "tests/data/reference/mistral-s.Q8_0.gguf", 1 },
    { "mistral-s.Q4_K_M", "tests/data/reference/mistral-s.Q4_K_M.gguf", 1 },
    { "mistral-s.Q4_0", "tests/data/reference/mistral-s.Q4_0.gguf", 1 },
};

/* All rows (prompt in one eval, then 31 teacher-forced tokens) into out [n_prompt + 31][n_vocab]. */
static int eval_rows(mw_session *s, const int *prompt, int n_prompt, const int *greedy, int n_vocab,
                     float *out)
{
    if (mw_session_eval(s, prompt, n_prompt, out) != MW_OK) return 0;
    for (int j = 0; j < 31; j++) {
        if (mw_session_eval(s, &greedy[j], 1, NULL) != MW_OK) return 0;
        memcpy(out + (size_t)(n_prompt + j) * n_vocab, mw_session_logits(s), sizeof(float) * (size_t)n_vocab);
    }
    return 1;
}

static void test_reference(const ref_case *c)
{
    mw_model *m = open_model(c->gguf);
    CHECK_MSG(m != NULL, "%s: open", c->name);
    if (!m) return;
    mw_model_info info;
    mw_model_get_info(m, &info);
    const int n_vocab = info.n_vocab;
    ref_set rs;
    ref_set_load(&rs, c->name);
    const int n_prompt = rs.n_prompt, n_greedy = rs.n_greedy;
    const int *prompt = rs.prompt, *greedy = rs.greedy;
    const float *ref_prompt = rs.prompt_logits, *ref_gen = rs.gen_logits;
    const int ok = n_prompt > 0 && n_prompt <= 64 && n_greedy == 32 && ref_prompt && ref_gen &&
                   rs.prompt_bytes == (size_t)n_prompt * n_vocab * 4 && rs.gen_bytes == (size_t)31 * n_vocab * 4;
    CHECK_MSG(ok, "%s: reference files", c->name);
    const int n_rows = n_prompt + 31;
    float *ours = ok ? malloc(sizeof(float) * (size_t)n_rows * n_vocab) : NULL;
    float *f32c = ok ? malloc(sizeof(float) * (size_t)n_rows * n_vocab) : NULL;
    mw_session *s16 = ok ? new_session(m, MW_KV_F16, 512, 0, 0, 1) : NULL;
    mw_session *s32 = ok ? new_session(m, MW_KV_F32, 512, 0, 0, 1) : NULL;
    if (!ok || !s16 || !s32 || !eval_rows(s16, prompt, n_prompt, greedy, n_vocab, ours) ||
        !eval_rows(s32, prompt, n_prompt, greedy, n_vocab, f32c)) {
        CHECK_MSG(0, "%s: evaluation failed", c->name);
        goto done;
    }
    const double row_tol = c->quantized ? 0.5 : 0.02, noise = c->quantized ? 0.5 : 0.05;
    ref_totals t = { 0 };
    for (int r = 0; r < n_rows; r++)
        ref_account(&t, ours + (size_t)r * n_vocab,
                    r < n_prompt ? ref_prompt + (size_t)r * n_vocab : ref_gen + (size_t)(r - n_prompt) * n_vocab,
                    n_vocab, row_tol, noise);
    const double maxd = t.max;
    const int rows_ok = t.rows_ok, am_checked = t.argmax_checked, am_bad = t.argmax_bad;
    const double mean = t.sum / (double)t.n_values;
    const double vs_f32 = test_max_diff(ours, f32c, (size_t)n_rows * n_vocab);

    /* free-running greedy with the F16 cache up to the first low-margin step */
    const double greedy_noise = c->quantized ? 0.3 : 0.05;
    int free_ok = 0, free_checked = 0;
    mw_session *g = new_session(m, MW_KV_F16, 512, 0, 0, 1);
    if (g && mw_session_eval(g, prompt, n_prompt, NULL) == MW_OK) {
        for (int j = 0; j < 32 && rs.margins[j] >= greedy_noise; j++) {
            int id = ref_argmax(mw_session_logits(g), n_vocab);
            free_checked++;
            if (id != greedy[j] || mw_session_eval(g, &id, 1, NULL) != MW_OK) break;
            free_ok++;
        }
    }
    mw_session_free(g);
    printf("%-18s F16 cache vs llama.cpp: max %.3g mean %.3g rows ok %d/%d argmax %d/%d greedy %d/%d | vs our F32 cache %.3g\n",
           c->name, maxd, mean, rows_ok, n_rows, am_checked - am_bad, am_checked, free_ok, free_checked, vs_f32);
    if (c->quantized) {
        CHECK_MSG(mean <= 0.1, "%s: mean |d| %g > 0.1", c->name, mean);
        CHECK_MSG(rows_ok * 100 >= n_rows * 95, "%s: %d/%d rows within %g", c->name, rows_ok, n_rows, row_tol);
    } else {
        CHECK_MSG(maxd <= row_tol, "%s: max |d| %g > %g", c->name, maxd, row_tol);
    }
    CHECK_MSG(am_bad == 0, "%s: %d argmax mismatches where the margin > %g", c->name, am_bad, noise);
    CHECK_MSG(free_ok == free_checked && free_checked > 0, "%s: greedy ids differ at step %d", c->name, free_ok);
    /* the cache does change something: F16 is not silently F32 */
    CHECK_MSG(vs_f32 > 0, "%s: F16 cache gives the F32 cache's logits exactly", c->name);
done:
    mw_session_free(s16);
    mw_session_free(s32);
    free(ours); free(f32c);
    ref_set_free(&rs);
    mw_model_free(m);
}

/* SIMD vs scalar table and 1 vs 2 threads over the whole forward pass (F32 weights: no repacking,
 * so the scalar table can run the same model). */
static void test_bit_identity(void)
{
    mw_model *m = open_model("tests/data/reference/mistral-s.F32.gguf");
    CHECK(m != NULL);
    if (!m) return;
    static const int32_t ids[40] = { 1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421,
        395, 317, 426, 338, 401, 396, 267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433,
        426, 385, 328, 432, 358, 394, 261, 370, 432 };
    float *out[3];
    for (int v = 0; v < 3; v++) {
        const mw_kernels *build = mw_kern;
        if (v == 1) mw_kern = &ref;
        mw_session *s = new_session(m, MW_KV_F16, 64, 0, 16, v == 2 ? 2 : 1);
        out[v] = malloc(sizeof(float) * 41 * 512);
        int ok = s && mw_session_eval(s, ids, 40, out[v]) == MW_OK;
        for (int t = 0; ok && t < 1; t++) {   /* and one decode step */
            int32_t id = 300;
            ok = mw_session_eval(s, &id, 1, out[v] + 40 * 512) == MW_OK;
        }
        CHECK(ok);
        mw_session_free(s);
        mw_kern = build;
    }
    CHECK_MSG(memcmp(out[0], out[1], sizeof(float) * 41 * 512) == 0, "%s vs scalar table: max %g",
              mw_kern->name, test_max_diff(out[0], out[1], 41 * 512));
    CHECK_MSG(memcmp(out[0], out[2], sizeof(float) * 41 * 512) == 0, "1 vs 2 threads: max %g",
              test_max_diff(out[0], out[2], 41 * 512));

    /* truncate and re-evaluate: the F16 cache slots are rewritten exactly */
    mw_session *s = new_session(m, MW_KV_F16, 64, 0, 16, 1);
    float *again = malloc(sizeof(float) * 40 * 512);
    CHECK(s && mw_session_eval(s, ids, 40, NULL) == MW_OK && mw_session_truncate(s, 25) == MW_OK &&
          mw_session_eval(s, ids + 25, 15, again) == MW_OK);
    CHECK(memcmp(again, out[0] + 25 * 512, sizeof(float) * 15 * 512) == 0);
    mw_session_free(s);
    free(again);
    for (int v = 0; v < 3; v++) free(out[v]);
    mw_model_free(m);
}

/* The rolling cache with F16 elements (tests/test_sliding_window.c's setup: window 8, 48 ids,
 * tools/swa_ref.py's float64 logits). */
#define SW_TOK 48
static const int32_t sw_ids[SW_TOK] = { 1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421,
    395, 317, 426, 338, 401, 396, 267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426,
    385, 328, 432, 358, 394, 261, 370, 432, 352, 266, 268, 388, 426, 338, 391, 266 };

static float *sw_run(mw_model *m, int n_ctx, int n_batch, int step)
{
    mw_session *s = new_session(m, MW_KV_F16, n_ctx, 8, n_batch, 1);
    if (!s) return NULL;
    float *out = malloc(sizeof(float) * SW_TOK * 512);
    for (int i = 0; i < SW_TOK; i += step) {
        const int n = i + step <= SW_TOK ? step : SW_TOK - i;
        if (mw_session_eval(s, sw_ids + i, n, out + (size_t)i * 512) != MW_OK) {
            free(out); out = NULL; break;
        }
    }
    mw_session_free(s);
    return out;
}

static void test_sliding_window(void)
{
    mw_model *m = open_model("tests/data/reference/mistral-s.F32.gguf");
    size_t bytes = 0;
    float *ref_sw = test_read_file(MW_TEST_DATA "/swa/mistral-s.F32.w8.logits.f32", &bytes);
    CHECK(m && ref_sw && bytes == sizeof(float) * SW_TOK * 512);
    if (!m || !ref_sw) { free(ref_sw); mw_model_free(m); return; }
    float *plain = sw_run(m, 512, 64, SW_TOK), *r4 = sw_run(m, 16, 4, 4), *r1 = sw_run(m, 16, 4, 1);
    CHECK(plain && r4 && r1);
    if (plain && r4 && r1) {
        const size_t n = (size_t)SW_TOK * 512;
        const double d = test_max_diff(plain, ref_sw, n);
        printf("window 8, F16 cache vs numpy: plain %.3g, rolling/4 %.3g, rolling/1 %.3g\n", d,
               test_max_diff(r4, ref_sw, n), test_max_diff(r1, ref_sw, n));
        CHECK_MSG(d <= 0.02, "F16 cache, window 8: max |d| %g > 0.02", d);
        CHECK_MSG(memcmp(plain, r4, n * sizeof(float)) == 0, "rolling/4 differs from plain: %g", test_max_diff(plain, r4, n));
        CHECK_MSG(memcmp(plain, r1, n * sizeof(float)) == 0, "rolling/1 differs from plain: %g", test_max_diff(plain, r1, n));
    }
    /* generation past n_ctx in bounded memory */
    mw_session *s = new_session(m, MW_KV_F16, 16, 8, 4, 1);
    int i = 0;
    for (; s && i < 200; i++) {
        int32_t id = sw_ids[i % SW_TOK];
        if (mw_session_eval(s, &id, 1, NULL) != MW_OK) break;
    }
    CHECK(i == 200 && mw_session_n_past(s) == 200);
    mw_session_free(s);
    free(plain); free(r4); free(r1); free(ref_sw);
    mw_model_free(m);
}

static void test_memory_and_errors(void)
{
    mw_model *m = open_model("tests/data/reference/mistral-s.F32.gguf");
    CHECK(m != NULL);
    if (!m) return;
    mw_model_info hp;
    mw_model_get_info(m, &hp);
    const int n_ctx = 512;
    const uint64_t kv_f32 = 2ull * hp.n_layer * n_ctx * hp.n_head_kv * hp.head_dim * 4;
    const uint64_t need32 = mw_session_memory_needed_kv(&hp, n_ctx, -1, MW_KV_F32);
    const uint64_t need16 = mw_session_memory_needed_kv(&hp, n_ctx, -1, MW_KV_F16);
    printf("memory, %d tokens: F32 cache %llu bytes of %llu, F16 %llu of %llu\n", n_ctx,
           (unsigned long long)kv_f32, (unsigned long long)need32, (unsigned long long)(kv_f32 / 2),
           (unsigned long long)need16);
    /* the KV part halves; the F16 path keeps n_head / n_head_kv probability rows per thread
     * (one thread: the default) instead of one */
    const uint64_t extra_scores = 1ull * (hp.n_head / hp.n_head_kv - 1) * n_ctx * 4;
    CHECK(need32 == mw_session_memory_needed(&hp, n_ctx, -1));
    CHECK_MSG(need32 > kv_f32 && need32 - need16 == kv_f32 / 2 - extra_scores, "%llu - %llu",
              (unsigned long long)need32, (unsigned long long)need16);
    CHECK(mw_session_memory_needed_kv(&hp, n_ctx, -1, 2) == 0);
    CHECK(mw_session_memory_needed_kv(&hp, n_ctx, -1, -1) == 0);

    /* the default context: min(n_ctx_train, 4096), 4096 without a training context; the
     * estimate for n_ctx 0 is the estimate for that default */
    mw_model_info d = hp;
    d.n_ctx_train = 2048;
    CHECK(mw_session_n_ctx_default(&d) == 2048);
    CHECK(mw_session_memory_needed_kv(&d, 0, -1, MW_KV_F32) == mw_session_memory_needed_kv(&d, 2048, -1, MW_KV_F32));
    d.n_ctx_train = 32768;
    CHECK(mw_session_n_ctx_default(&d) == 4096);
    d.n_ctx_train = 0;
    CHECK(mw_session_n_ctx_default(&d) == 4096);
    CHECK(mw_session_memory_needed_kv(&d, 0, -1, MW_KV_F32) == mw_session_memory_needed_kv(&d, 4096, -1, MW_KV_F32));
    CHECK(mw_session_n_ctx_default(NULL) == 4096);

    /* a cap between the two: the F16 session fits, the F32 one is refused */
    mw_session_params p = mw_session_params_default();
    CHECK(p.kv_type == MW_KV_F32);
    p.n_ctx = n_ctx;
    p.sliding_window = -1;
    p.memory_limit = (need16 + need32) / 2;
    mw_session *s = NULL;
    CHECK(mw_session_create(m, &p, &s) == MW_ERR_TOO_LARGE && s == NULL);
    p.kv_type = MW_KV_F16;
    CHECK(mw_session_create(m, &p, &s) == MW_OK && s != NULL);
    mw_session_free(s);
    s = NULL;

    /* unknown kv_type */
    static const int32_t bad[] = { 2, -1, 8 };
    for (int i = 0; i < 3; i++) {
        p.kv_type = bad[i];
        p.memory_limit = 0;
        CHECK(mw_session_create(m, &p, &s) == MW_ERR_INVALID_ARG && s == NULL);
        CHECK_MSG(strstr(mw_last_error(), "kv_type") != NULL, "message: %s", mw_last_error());
    }
    mw_model_free(m);
}

/* every byte mw_session_create allocates is in the layout the estimate sums, and no more */
static void test_estimate_is_allocation(void)
{
    static const struct { const char *gguf; int n_ctx, window, kv_type; } cfg[] = {
        { "tests/data/reference/mistral-s.F32.gguf", 512, -1, MW_KV_F32 },
        { "tests/data/reference/mistral-s.F32.gguf", 300, 16, MW_KV_F16 },   /* rolling cache */
        { "tests/data/reference/mixtral-s.F32.gguf", 256, 0, MW_KV_F32 },    /* MoE buffers */
    };
    for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
        mw_model *m = open_model(cfg[i].gguf);
        CHECK(m != NULL);
        if (!m) continue;
        mw_model_info hp;
        mw_model_get_info(m, &hp);
        const uint64_t est = mw_session_memory_needed_kv(&hp, cfg[i].n_ctx, cfg[i].window, cfg[i].kv_type);
        mw_session_params p = mw_session_params_default();
        p.n_ctx = cfg[i].n_ctx;
        p.sliding_window = cfg[i].window;
        p.kv_type = cfg[i].kv_type;
        count_start();   /* the session is freed before count_stop: same allocator */
        mw_session *s = NULL;
        CHECK(mw_session_create(m, &p, &s) == MW_OK);
        const uint64_t used = live_bytes;
        mw_session_free(s);
        count_stop();
        /* the estimate is of the default session (one thread); beyond the layout: the session
         * struct and the thread pool's bookkeeping */
        printf("estimate %llu, allocated %llu bytes (%s, n_ctx %d)\n", (unsigned long long)est,
               (unsigned long long)used, cfg[i].gguf, cfg[i].n_ctx);
        CHECK_MSG(used >= est && used - est < 16384, "estimate %llu, allocated %llu",
                  (unsigned long long)est, (unsigned long long)used);
        mw_model_free(m);
    }
}

int main(void)
{
    mw_kernels_init();
    mw_kernels_fill_scalar(&ref);
    test_kernels();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        test_reference(&cases[i]);
    test_bit_identity();
    test_sliding_window();
    test_memory_and_errors();
    test_estimate_is_allocation();
    return TEST_REPORT();
}
