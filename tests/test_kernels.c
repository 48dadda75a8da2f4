/*
 * test_kernels.c — every kernel of this build's table (mw_kern: SIMD128 in wasm and MW_SIMDE
 * builds) against the scalar reference table (mw_kernels_fill_scalar), on random data with a
 * fixed seed and ragged sizes (1, 2, 3, 7, 31, 33, 64, 257 blocks):
 * - vec_dot of every weight type, and vec_dot_4rows / vec_dot_4cols where the set has them,
 *   bit-identical to the scalar vec_dot (the same exact integer block sums, the same float
 *   terms in the same order), on 4 weight rows x 4 activation rows, strides beyond the row;
 * - weights repacked at load (repack + vec_dot_rows8, every type the set repacks; SIMD sets
 *   must repack Q4_0, Q8_0 and every K-quant):
 *   8 rows against 1 and 2 activation rows (rows8x2) and 1-17 (rows8xn), bit-identical to
 *   the scalar vec_dot, fp16 weight and activation scale edge cases included, outputs
 *   poisoned before each call;
 * - activation quantizers Q8_0, Q8_1, Q8_K byte-identical, edge blocks included (zeros, exact
 *   .5 ties, +-amax ties, inf/NaN, subnormals);
 * - dot_f32 bit-identical, axpy_f32 bit-identical, for every length 0..80;
 * - end to end: the logits of a 12-token prompt, then 1 and 2 more tokens, on each quantized
 *   reference model, computed with this build's table and with the scalar table (mw_kern
 *   swapped), are bit-identical.
 */
#include <float.h>
#include <stdint.h>

#include "harness.h"
#include "kernels/kernels.h"
#include "mw.h"

static const int block_counts[] = { 1, 2, 3, 7, 31, 33, 64, 257 };
#define N_COUNTS ((int)(sizeof block_counts / sizeof block_counts[0]))

static mw_kernels ref;   /* the scalar table */

/* ---- deterministic random numbers ---- */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd_u32(void) { return test_rnd_u32(&rng_state); }
static float rnd_unit(void) { return test_rnd_unit(&rng_state); }

/* Weight-like values: each 32-value stretch has its own magnitude (so block scales vary),
 * occasional outliers, a few exact zeros. */
static void fill_random(float *x, int64_t n)
{
    float mag = 1.0f;
    for (int64_t i = 0; i < n; i++) {
        if (i % 32 == 0) mag = 0.01f + 2.0f * (rnd_unit() + 1.0f);
        uint32_t r = rnd_u32() % 64;
        x[i] = r == 0 ? 0.0f : r == 1 ? 8.0f * mag * rnd_unit() : mag * rnd_unit();
    }
}

static int same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

/* ---- vec_dot and vec_dot_4rows ---- */

/* Weight rows quantized from random floats, `rows` of them x_stride bytes apart. */
static void *random_rows(int32_t type, int n, int rows, size_t x_stride)
{
    uint8_t *x = calloc((size_t)rows, x_stride);
    float *xf = malloc(sizeof(float) * n);
    for (int r = 0; r < rows; r++) {
        fill_random(xf, n);
        mw_weight_quantizer(type)(xf, x + (size_t)r * x_stride, n);
    }
    free(xf);
    return x;
}

static void test_vec_dot(int32_t type)
{
    const mw_type_traits *t = mw_type_traits_get(type);
    const mw_type_traits *vt = mw_type_traits_get(t->vec_dot_type);
    const mw_vec_dot_4rows_fn dot4r = mw_kern->vec_dot_4rows[type];
    const mw_vec_dot_4cols_fn dot4c = mw_kern->vec_dot_4cols[type];
    int bad = 0, bad4r = 0, bad4c = 0, cases = 0;
    for (int c = 0; c < N_COUNTS; c++) {
        for (int variant = 0; variant < 2; variant++) {
            /* F32/F16/BF16 (blocks of 1 value): n = the counts themselves, then odd lengths
             * 32*count + count%8 (not a multiple of 8) */
            if (variant == 1 && t->block_size != 1) continue;
            const int nb = block_counts[c];
            const int n = t->block_size > 1 ? nb * t->block_size : variant ? nb * 32 + nb % 8 : nb;
            /* strides beyond the row (blocks keep their natural alignment: UBSan checks it) */
            const size_t x_stride = mw_row_size(type, n) + 16;
            const size_t y_stride = mw_row_size(t->vec_dot_type, n) + 16;
            uint8_t *x = random_rows(type, n, 4, x_stride);
            uint8_t *y = calloc(4, y_stride);
            float *yf = malloc(sizeof(float) * n);
            for (int k = 0; k < 4; k++) {
                fill_random(yf, n);
                vt->quantize_row(yf, y + k * y_stride, n);
            }
            /* s_ref[r][k]: scalar dot of weight row r with activation row k */
            float s_ref[4][4], s[4];
            for (int r = 0; r < 4; r++)
                for (int k = 0; k < 4; k++) ref.vec_dot[type](n, &s_ref[r][k], x + r * x_stride, y + k * y_stride);
            for (int r = 0; r < 4; r++) {
                mw_kern->vec_dot[type](n, &s[r], x + r * x_stride, y);
                if (!same_bits(s_ref[r][0], s[r]) && bad++ == 0)
                    fprintf(stderr, "%s n=%d row %d: scalar %.9g, vec_dot %.9g\n", t->name, n, r, s_ref[r][0], s[r]);
            }
            if (dot4r) {
                dot4r(n, s, x, x_stride, y);
                for (int r = 0; r < 4; r++)
                    if (!same_bits(s_ref[r][0], s[r]) && bad4r++ == 0)
                        fprintf(stderr, "%s n=%d row %d: scalar %.9g, 4rows %.9g\n", t->name, n, r, s_ref[r][0], s[r]);
            }
            if (dot4c) {
                dot4c(n, s, x + x_stride, y, y_stride);   /* weight row 1 against the 4 activations */
                for (int k = 0; k < 4; k++)
                    if (!same_bits(s_ref[1][k], s[k]) && bad4c++ == 0)
                        fprintf(stderr, "%s n=%d col %d: scalar %.9g, 4cols %.9g\n", t->name, n, k, s_ref[1][k], s[k]);
            }
            cases++;
            free(x); free(y); free(yf);
        }
    }
    CHECK_MSG(bad == 0, "vec_dot %s: %d of %d dots differ from scalar", t->name, bad, 4 * cases);
    if (dot4r) CHECK_MSG(bad4r == 0, "vec_dot_4rows %s: %d of %d dots differ from scalar", t->name, bad4r, 4 * cases);
    if (dot4c) CHECK_MSG(bad4c == 0, "vec_dot_4cols %s: %d of %d dots differ from scalar", t->name, bad4c, 4 * cases);
    printf("vec_dot %-5s: %d dots bit-identical to scalar%s%s\n", t->name, 4 * cases - bad,
           dot4r ? ", and 4rows" : "", dot4c ? ", and 4cols" : "");
}

/* ---- repacked weights: 8 rows through repack + vec_dot_rows8 ---- */

/* Where a block keeps its main fp16 scale d (-1: not tested at the edges). */
static int scale_offset(int32_t type)
{
    const mw_type_traits *t = mw_type_traits_get(type);
    switch (type) {
    case MW_TYPE_Q4_0: case MW_TYPE_Q8_0: case MW_TYPE_Q4_1: case MW_TYPE_Q5_0: case MW_TYPE_Q5_1:
    case MW_TYPE_Q4_K: case MW_TYPE_Q5_K:
        return 0;
    case MW_TYPE_Q3_K: case MW_TYPE_Q6_K:
        return (int)t->type_size - 2;
    case MW_TYPE_Q2_K:
        return (int)t->type_size - 4;
    default:
        return -1;
    }
}

/* n floats set to a NaN no kernel computes (a quiet NaN with a payload) */
static void poison(float *s, int n)
{
    const uint32_t bits = 0x7fc0dead;
    for (int i = 0; i < n; i++) memcpy(&s[i], &bits, sizeof bits);
}

/* Token counts rows8xn is tried with (activation rows 0..n_tok-1 of MAX_TOK). */
static const int xn_counts[] = { 1, 2, 3, 4, 5, 8, 15, 16, 17 };
enum { MAX_TOK = 17 };

static void test_repacked(int32_t type)
{
    const mw_repack_fn repack = mw_kern->repack[type];
    const mw_vec_dot_rows8_fn dot8 = mw_kern->vec_dot_rows8[type];
    const mw_vec_dot_rows8x2_fn dot8x2 = mw_kern->vec_dot_rows8x2[type];
    const mw_vec_dot_rows8xn_fn dot8xn = mw_kern->vec_dot_rows8xn[type];
    if (!repack || !dot8) return;
    const mw_type_traits *t = mw_type_traits_get(type);
    const mw_type_traits *vt = mw_type_traits_get(t->vec_dot_type);
    const int d_at = scale_offset(type);
    /* fp16 scales the conversion must get exact: subnormals, the largest finite, +-inf, -0 */
    static const uint16_t edge_scales[] = { 0x0001, 0x03ff, 0x0400, 0x7bff, 0x7c00, 0xfc00, 0x8000, 0x8001 };
    int bad = 0, bad2 = 0, badn = 0, cases = 0, cases_n = 0;
    for (int c = 0; c < N_COUNTS; c++) {
        const int nb = block_counts[c], n = nb * (int)t->block_size;
        const size_t row_bytes = mw_row_size(type, n);
        uint8_t *x = random_rows(type, n, 8, row_bytes);
        if (c % 2 && d_at >= 0)   /* every other size: some block scales at the edges */
            for (int r = 0; r < 8; r++)
                memcpy(x + r * row_bytes + (size_t)(r % nb) * t->type_size + d_at, &edge_scales[r], 2);
        uint8_t *packed = malloc((size_t)mw_kern->repack_group_bytes[type] * (n / 32));
        /* MAX_TOK activation rows, a stride beyond the row apart */
        const size_t y_bytes = mw_row_size(t->vec_dot_type, n), y_stride = y_bytes + 16;
        uint8_t *y = calloc(MAX_TOK, y_stride);
        float *yf = malloc(sizeof(float) * n);
        for (int k = 0; k < MAX_TOK; k++) {
            fill_random(yf, n);
            vt->quantize_row(yf, y + k * y_stride, n);
        }
        if (c % 2 == 0 && t->vec_dot_type == MW_TYPE_Q8_0)   /* the other sizes: activation scales at the edges */
            for (int k = 0; k < MAX_TOK; k++)
                memcpy(y + k * y_stride + (size_t)(k % nb) * mw_type_traits_get(MW_TYPE_Q8_0)->type_size,
                       &edge_scales[k % 8], 2);
        repack(8, n, x, packed);
        /* s_ref[k][r]: scalar dot of weight row r with activation row k */
        float s_ref[MAX_TOK][8], s[8], s2[16], sn[8 * MAX_TOK + 1];
        for (int k = 0; k < MAX_TOK; k++)
            for (int r = 0; r < 8; r++) ref.vec_dot[type](n, &s_ref[k][r], x + r * row_bytes, y + k * y_stride);
        /* outputs poisoned before each call: a result left unwritten can't pass as a stale one */
        poison(s, 8);
        poison(s2, 16);
        dot8(n, s, packed, y);
        if (dot8x2) dot8x2(n, s2, packed, y, y_stride);
        for (int r = 0; r < 8; r++) {
            if (!same_bits(s_ref[0][r], s[r]) && bad++ == 0)
                fprintf(stderr, "%s n=%d row %d: scalar %.9g, rows8 %.9g\n", t->name, n, r, s_ref[0][r], s[r]);
            for (int k = 0; dot8x2 && k < 2; k++)
                if (!same_bits(s_ref[k][r], s2[8 * k + r]) && bad2++ == 0)
                    fprintf(stderr, "%s n=%d row %d token %d: scalar %.9g, rows8x2 %.9g\n", t->name, n, r, k,
                            s_ref[k][r], s2[8 * k + r]);
        }
        for (size_t m = 0; dot8xn && m < sizeof xn_counts / sizeof xn_counts[0]; m++) {
            const int n_tok = xn_counts[m];
            poison(sn, 8 * n_tok);
            sn[8 * n_tok] = -1234.5f;   /* must stay: nothing written past s[8 * n_tok - 1] */
            dot8xn(n, sn, packed, y, y_stride, n_tok);
            for (int k = 0; k < n_tok; k++)
                for (int r = 0; r < 8; r++)
                    if (!same_bits(s_ref[k][r], sn[8 * k + r]) && badn++ == 0)
                        fprintf(stderr, "%s n=%d row %d token %d of %d: scalar %.9g, rows8xn %.9g\n", t->name, n,
                                r, k, n_tok, s_ref[k][r], sn[8 * k + r]);
            if (sn[8 * n_tok] != -1234.5f && badn++ == 0)
                fprintf(stderr, "%s n=%d: rows8xn with %d tokens wrote past its results\n", t->name, n, n_tok);
            cases_n += 8 * n_tok;
        }
        cases += 8;
        free(x); free(packed); free(y); free(yf);
    }
    CHECK_MSG(bad == 0, "vec_dot_rows8 %s: %d of %d dots differ from scalar", t->name, bad, cases);
    if (dot8x2) CHECK_MSG(bad2 == 0, "vec_dot_rows8x2 %s: %d of %d dots differ from scalar", t->name, bad2, 2 * cases);
    if (dot8xn) CHECK_MSG(badn == 0, "vec_dot_rows8xn %s: %d of %d dots differ from scalar", t->name, badn, cases_n);
    printf("vec_dot_rows8 %-5s: %d repacked dots bit-identical to scalar%s", t->name, cases - bad,
           dot8x2 ? ", and rows8x2 (2 tokens)" : "");
    if (dot8xn) printf(", and rows8xn: %d of %d (1-17 tokens)", cases_n - badn, cases_n);
    printf("\n");
}

/* ---- activation quantizers ---- */

static void check_quantizer(int32_t type, const float *x, int64_t n, const char *what)
{
    size_t bytes = mw_row_size(type, n);
    uint8_t *a = malloc(bytes), *b = malloc(bytes);
    memset(a, 0xa5, bytes);
    memset(b, 0x5a, bytes);
    ref.quantize_row[type](x, a, n);
    mw_kern->quantize_row[type](x, b, n);
    size_t first = 0;
    while (first < bytes && a[first] == b[first]) first++;
    CHECK_MSG(first == bytes, "%s %s n=%lld: first differing byte %zu of %zu",
              mw_type_traits_get(type)->name, what, (long long)n, first, bytes);
    free(a);
    free(b);
}

static void test_quantizer(int32_t type)
{
    const int bs = mw_type_traits_get(type)->block_size;
    for (int c = 0; c < N_COUNTS; c++) {
        const int64_t n = (int64_t)block_counts[c] * bs;
        float *x = malloc(sizeof(float) * n);
        fill_random(x, n);
        check_quantizer(type, x, n, "random");
        free(x);
    }
    /* edge blocks, one per block of a row */
    enum { N_EDGE = 7 };
    float *x = malloc(sizeof(float) * bs * N_EDGE);
    for (int e = 0; e < N_EDGE; e++) {
        float *b = x + e * bs;
        for (int j = 0; j < bs; j++) {
            switch (e) {
            case 0: b[j] = 0.0f; break;                                      /* all zero */
            case 1: b[j] = j == 3 ? 254.0f : (float)(2 * (int)(rnd_u32() % 254) - 253); break;
                    /* amax 254: id = 0.5 exactly, odd values land on .5 ties */
            case 2: b[j] = j == 5 ? -3.0f : j == 9 ? 3.0f : rnd_unit(); break;  /* -amax first */
            case 3: b[j] = j == 2 ? 1e-40f : j == 7 ? -2e-41f : 0.0f; break;   /* subnormals */
            case 4: b[j] = j == 1 ? NAN : rnd_unit(); break;
            case 5: b[j] = j == 4 ? INFINITY : rnd_unit(); break;
            default: b[j] = j % 2 ? -1.0f : 1.0f; break;                      /* all tie at amax */
            }
        }
    }
    for (int e = 0; e < N_EDGE; e++) {
        char what[32];
        snprintf(what, sizeof what, "edge block %d", e);
        check_quantizer(type, x + e * bs, bs, what);
    }
    check_quantizer(type, x, (int64_t)bs * N_EDGE, "edge row");
    free(x);
}

/* ---- f32 helpers ---- */

static void test_f32_helpers(void)
{
    enum { N_MAX = 80 };
    int dot_bad = 0, axpy_bad = 0;
    float x[N_MAX + 4096], y[N_MAX + 4096], y1[N_MAX + 4], y2[N_MAX + 4];
    fill_random(x, N_MAX + 4096);
    fill_random(y, N_MAX + 4096);
    for (int n = 0; n <= N_MAX; n++) {
        /* unaligned starts too: the kernels may not assume 16-byte alignment */
        const int off = n % 3;
        if (!same_bits(ref.dot_f32(n, x + off, y), mw_kern->dot_f32(n, x + off, y))) dot_bad++;
        memcpy(y1, y, sizeof y1);
        memcpy(y2, y, sizeof y2);
        ref.axpy_f32(n, 0.37f, x + off, y1);
        mw_kern->axpy_f32(n, 0.37f, x + off, y2);
        if (memcmp(y1, y2, sizeof y1)) axpy_bad++;
    }
    CHECK_MSG(dot_bad == 0, "dot_f32 differs from scalar at %d of %d lengths", dot_bad, N_MAX + 1);
    CHECK_MSG(axpy_bad == 0, "axpy_f32 differs from scalar at %d of %d lengths", axpy_bad, N_MAX + 1);
    CHECK(same_bits(ref.dot_f32(4096 + 3, x, y), mw_kern->dot_f32(4096 + 3, x, y)));
}

/* ---- end to end: whole forward passes with each table ---- */

enum { E2E_ROWS = 15 };

static float *eval_logits(const char *path, int *n_vocab)
{
    mw_model *m = NULL;
    mw_session *s = NULL;
    float *logits = NULL;
    if (mw_model_open_file(path, NULL, &m) != MW_OK) return NULL;
    mw_model_info info;
    mw_model_get_info(m, &info);
    *n_vocab = info.n_vocab;
    mw_session_params sp = mw_session_params_default();
    sp.n_ctx = 64;
    static const int32_t prompt[12] = { 1, 415, 293, 60, 285, 142, 28, 77, 9, 300, 17, 2 };  /* < 512 */
    if (mw_session_create(m, &sp, &s) == MW_OK) {
        /* a 12-token prefill (4-token kernels), then one token and two tokens (decode-sized
         * matmuls: 4-row kernels): E2E_ROWS rows of logits */
        const size_t nv = (size_t)info.n_vocab;
        logits = malloc(sizeof(float) * E2E_ROWS * nv);
        if (mw_session_eval(s, prompt, 12, logits) != MW_OK ||
            mw_session_eval(s, prompt + 3, 1, logits + 12 * nv) != MW_OK ||
            mw_session_eval(s, prompt + 5, 2, logits + 13 * nv) != MW_OK) {
            free(logits);
            logits = NULL;
        }
        mw_session_free(s);
    }
    mw_model_free(m);
    return logits;
}

static void test_end_to_end(void)
{
    static const char *models[] = {
        "mistral-s.Q4_0", "mistral-s.Q4_1", "mistral-s.Q5_0", "mistral-s.Q5_1", "mistral-s.Q8_0",
        "mistral-s.Q2_K", "mistral-s.Q3_K_M", "mistral-s.Q4_K_M", "mistral-s.Q5_K_M", "mistral-s.Q6_K",
        "mistral-s.F16", "mixtral-s.Q4_0", "mixtral-s.Q4_K_M",
    };
    const mw_kernels *build = mw_kern;
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/reference/%s.gguf", MW_TEST_DATA, models[i]);
        int n_vocab = 0;
        mw_kern = build;
        float *a = eval_logits(path, &n_vocab);
        mw_kern = &ref;
        float *b = eval_logits(path, &n_vocab);
        mw_kern = build;
        CHECK_MSG(a && b, "%s: %s", models[i], mw_last_error());
        if (a && b) {
            const size_t n = (size_t)E2E_ROWS * n_vocab;
            size_t differ = 0;
            double max_diff = 0;
            for (size_t j = 0; j < n; j++) {
                if (!same_bits(a[j], b[j])) differ++;
                double d = fabs((double)a[j] - b[j]);
                if (d > max_diff) max_diff = d;
            }
            CHECK_MSG(differ == 0, "%s: %zu of %zu logits differ (max |diff| %g)", models[i], differ, n, max_diff);
            printf("end to end %-17s: %s vs scalar: %zu of %zu logits differ, max |diff| %g\n", models[i],
                   build->name, differ, n, max_diff);
        }
        free(a);
        free(b);
    }
}

int main(void)
{
    mw_kernels_fill_scalar(&ref);
    mw_kernels_init();
#if defined(__wasm_simd128__) || defined(MW_SIMDE)
    CHECK_MSG(strcmp(mw_kern->name, "simd128") == 0, "SIMD build uses kernel set '%s'", mw_kern->name);
#endif
    printf("kernel set: %s (against scalar)\n", mw_kern->name);

    static const int32_t dot_types[] = {
        MW_TYPE_Q4_0, MW_TYPE_Q4_1, MW_TYPE_Q5_0, MW_TYPE_Q5_1, MW_TYPE_Q8_0,
        MW_TYPE_Q2_K, MW_TYPE_Q3_K, MW_TYPE_Q4_K, MW_TYPE_Q5_K, MW_TYPE_Q6_K,
        MW_TYPE_F32, MW_TYPE_F16, MW_TYPE_BF16,
    };
    for (size_t i = 0; i < sizeof dot_types / sizeof dot_types[0]; i++) test_vec_dot(dot_types[i]);

#if defined(__wasm_simd128__) || defined(MW_SIMDE)
    CHECK_MSG(mw_kern->repack[MW_TYPE_Q4_0] && mw_kern->repack[MW_TYPE_Q8_0], "SIMD build repacks Q4_0 and Q8_0");
    /* every K-quant that fits wasm32 models, Q2_K and Q3_K included (7B Q3_K_M, Q2_K) */
    static const int32_t k_types[] = { MW_TYPE_Q2_K, MW_TYPE_Q3_K, MW_TYPE_Q4_K, MW_TYPE_Q5_K, MW_TYPE_Q6_K };
    for (size_t i = 0; i < sizeof k_types / sizeof k_types[0]; i++)
        CHECK_MSG(mw_kern->repack[k_types[i]] && mw_kern->vec_dot_rows8x2[k_types[i]] &&
                      mw_kern->vec_dot_rows8xn[k_types[i]],
                  "SIMD build repacks %s (rows8, rows8x2, rows8xn)", mw_type_traits_get(k_types[i])->name);
#endif
    for (size_t i = 0; i < sizeof dot_types / sizeof dot_types[0]; i++) test_repacked(dot_types[i]);
    test_quantizer(MW_TYPE_Q8_0);
    test_quantizer(MW_TYPE_Q8_1);
    test_quantizer(MW_TYPE_Q8_K);
    test_f32_helpers();
    test_end_to_end();
    return TEST_REPORT();
}
