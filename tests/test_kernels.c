/*
 * test_kernels.c — every kernel of this build's table (mw_kern: SIMD128 in wasm and MW_SIMDE
 * builds) against the scalar reference table (mw_kernels_fill_scalar), on random data with a
 * fixed seed and ragged sizes (1, 2, 3, 7, 31, 33, 64, 257 blocks):
 * - vec_dot of every weight type bit-identical to the scalar vec_dot (the same exact integer
 *   block sums, the same float terms in the same order), 4 weight rows, strides beyond the row;
 * - matmul_rows of every weight type (the set's own tiling: rows per pass, tokens per pass)
 *   on 11 rows as loaded, whole and in ragged row ranges, against 1-33 activation rows: every
 *   result bit-identical to the scalar vec_dot, nothing written outside the rows (outputs
 *   poisoned beforehand);
 * - the same on weights repacked at load (every type the set repacks; SIMD sets must repack
 *   Q4_0, Q8_0 and every K-quant): 24 rows, ranges of whole groups, fp16 weight and activation
 *   scale edge cases included;
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

/* ---- vec_dot ---- */

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

/* n floats set to a NaN no kernel computes (a quiet NaN with a payload) */
static void poison(float *s, size_t n)
{
    const uint32_t bits = 0x7fc0dead;
    for (size_t i = 0; i < n; i++) memcpy(&s[i], &bits, sizeof bits);
}

static int is_poison(float f)
{
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return bits == 0x7fc0dead;
}

static void test_vec_dot(int32_t type)
{
    const mw_type_traits *t = mw_type_traits_get(type);
    const mw_type_traits *vt = mw_type_traits_get(t->vec_dot_type);
    int bad = 0, cases = 0;
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
            uint8_t *y = calloc(1, y_stride);
            float *yf = malloc(sizeof(float) * n);
            fill_random(yf, n);
            vt->quantize_row(yf, y, n);
            for (int r = 0; r < 4; r++) {
                float s_ref, s;
                ref.vec_dot[type](n, &s_ref, x + r * x_stride, y);
                mw_kern->vec_dot[type](n, &s, x + r * x_stride, y);
                if (!same_bits(s_ref, s) && bad++ == 0)
                    fprintf(stderr, "%s n=%d row %d: scalar %.9g, vec_dot %.9g\n", t->name, n, r, s_ref, s);
            }
            cases++;
            free(x); free(y); free(yf);
        }
    }
    CHECK_MSG(bad == 0, "vec_dot %s: %d of %d dots differ from scalar", t->name, bad, 4 * cases);
    printf("vec_dot %-5s: %d dots bit-identical to scalar\n", t->name, 4 * cases - bad);
}

/* ---- matmul_rows: every tiling the set chooses, against vec_dot per row and token ---- */

/* Token counts tried (activation rows 0..n_tok-1 of MAX_TOK): 1-5 and a few beyond each
 * tile size (two-token pairs, 4-token columns, 16-token tiles split evenly) */
static const int tok_counts[] = { 1, 2, 3, 4, 5, 8, 15, 16, 17, 33 };
enum { MAX_TOK = 33, N_TOK_COUNTS = (int)(sizeof tok_counts / sizeof tok_counts[0]) };

/* matmul_rows of rows [r0, r1) of w (n_rows rows, repacked or not) against n_tok activation
 * rows, into an output poisoned beforehand: every result in range bit-identical to s_ref
 * ([token][n_rows]), every float outside it untouched. Returns the number of bad floats. */
static int check_matmul_rows(int32_t type, int n, const void *w, bool repacked, int64_t n_rows, int64_t r0,
                             int64_t r1, const uint8_t *y, size_t y_stride, int n_tok, const float *s_ref)
{
    const size_t out_stride = (size_t)n_rows + 3;
    float *out = malloc(sizeof(float) * out_stride * n_tok);
    poison(out, out_stride * n_tok);
    const mw_matmul_rows m = { type, n, n_tok, repacked, w, r0, r1, y, y_stride, out, out_stride };
    mw_kern->matmul_rows[type](&m);
    int bad = 0;
    for (int t = 0; t < n_tok; t++)
        for (size_t r = 0; r < out_stride; r++) {
            const float got = out[(size_t)t * out_stride + r];
            const int in_range = (int64_t)r >= r0 && (int64_t)r < r1;
            if (in_range ? !same_bits(s_ref[(size_t)t * n_rows + r], got) : !is_poison(got)) {
                if (bad++ == 0)
                    fprintf(stderr, "%s n=%d%s rows [%lld, %lld) x %d tokens: row %zu token %d: scalar %.9g, "
                            "matmul_rows %.9g%s\n", mw_type_traits_get(type)->name, n, repacked ? " repacked" : "",
                            (long long)r0, (long long)r1, n_tok, r, t, in_range ? s_ref[(size_t)t * n_rows + r] : 0.0,
                            got, in_range ? "" : " (outside the rows: written)");
            }
        }
    free(out);
    return bad;
}

/* MAX_TOK activation rows of n values, a stride beyond the row apart; s_ref[t][r] the scalar
 * dots of the n_rows rows of x (row_bytes apart) with them */
static uint8_t *random_acts(int32_t type, int n, size_t y_stride)
{
    const mw_type_traits *vt = mw_type_traits_get(mw_type_traits_get(type)->vec_dot_type);
    uint8_t *y = calloc(MAX_TOK, y_stride);
    float *yf = malloc(sizeof(float) * n);
    for (int k = 0; k < MAX_TOK; k++) {
        fill_random(yf, n);
        vt->quantize_row(yf, y + k * y_stride, n);
    }
    free(yf);
    return y;
}

static float *scalar_dots(int32_t type, int n, const uint8_t *x, size_t row_bytes, int64_t n_rows, const uint8_t *y,
                          size_t y_stride)
{
    float *s_ref = malloc(sizeof(float) * MAX_TOK * n_rows);
    for (int k = 0; k < MAX_TOK; k++)
        for (int64_t r = 0; r < n_rows; r++)
            ref.vec_dot[type](n, &s_ref[k * n_rows + r], x + r * row_bytes, y + k * y_stride);
    return s_ref;
}

/* F16 / BF16: one value of each weight row and activation row set to an edge value (subnormals,
 * the largest finite, +-0, +-inf, NaN), which the widening must get exact or leave to the
 * scalar dot; no-op for other types */
static void put_edge_halves(int32_t type, int n, uint8_t *x, size_t row_bytes, int n_rows, uint8_t *y, size_t y_stride)
{
    static const uint16_t f16[8] = { 0x0001, 0x83ff, 0x0400, 0x7bff, 0x8000, 0x7c00, 0xfc00, 0x7e01 };
    static const uint16_t bf16[8] = { 0x0001, 0x807f, 0x0080, 0x7f7f, 0x8000, 0x7f80, 0xff80, 0x7fc1 };
    if (type != MW_TYPE_F16 && type != MW_TYPE_BF16) return;
    const uint16_t *edge = type == MW_TYPE_F16 ? f16 : bf16;
    /* rows 0-4 and tokens 0-4: finite edges (the fast path), the rest of the first 8: inf / NaN */
    for (int r = 0; r < n_rows && r < 8; r++)
        memcpy(x + (size_t)r * row_bytes + 2 * (size_t)((r * 37 + 5) % n), &edge[r], 2);
    for (int k = 0; k < MAX_TOK && k < 8; k++)
        memcpy(y + (size_t)k * y_stride + 2 * (size_t)((k * 11 + 3) % n), &edge[(k + 3) % 8], 2);
}

/* Weights as loaded: 11 rows (4-row passes and a tail), whole and in ragged row ranges */
static void test_matmul_rows(int32_t type)
{
    const mw_type_traits *t = mw_type_traits_get(type);
    enum { N_ROWS = 11 };
    static const int64_t ranges[][2] = { { 0, N_ROWS }, { 1, 10 }, { 3, 4 }, { 4, 8 } };
    int bad = 0, cases = 0;
    for (int c = 0; c < N_COUNTS; c++) {
        const int n = block_counts[c] * (int)(t->block_size > 1 ? t->block_size : 32);
        const size_t row_bytes = mw_row_size(type, n), y_stride = mw_row_size(t->vec_dot_type, n) + 16;
        uint8_t *x = random_rows(type, n, N_ROWS, row_bytes);
        uint8_t *y = random_acts(type, n, y_stride);
        if (c % 2)
            put_edge_halves(type, n, x, row_bytes, N_ROWS, y, y_stride);
        float *s_ref = scalar_dots(type, n, x, row_bytes, N_ROWS, y, y_stride);
        for (int m = 0; m < N_TOK_COUNTS; m++)
            for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
                bad += check_matmul_rows(type, n, x, false, N_ROWS, ranges[i][0], ranges[i][1], y, y_stride,
                                         tok_counts[m], s_ref);
                cases += (int)(ranges[i][1] - ranges[i][0]) * tok_counts[m];
            }
        free(x); free(y); free(s_ref);
    }
    CHECK_MSG(bad == 0, "matmul_rows %s: %d of %d results differ from scalar (or written outside)", t->name, bad, cases);
    printf("matmul_rows %-5s: %d results bit-identical to scalar (1-33 tokens, ragged row ranges)\n", t->name,
           cases - bad);
}

/* ---- repacked weights: repack, then matmul_rows on the repacked groups ---- */

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

static void test_repacked(int32_t type)
{
    const mw_repack_fn repack = mw_kern->repack[type];
    if (!repack) return;
    const mw_type_traits *t = mw_type_traits_get(type);
    const int d_at = scale_offset(type);
    /* fp16 scales the conversion must get exact: subnormals, the largest finite, +-inf, -0 */
    static const uint16_t edge_scales[] = { 0x0001, 0x03ff, 0x0400, 0x7bff, 0x7c00, 0xfc00, 0x8000, 0x8001 };
    enum { N_ROWS = 3 * MW_REPACK_ROWS };
    static const int64_t ranges[][2] = { { 0, N_ROWS }, { 8, 16 }, { 16, 24 }, { 0, 8 } };
    int bad = 0, cases = 0;
    for (int c = 0; c < N_COUNTS; c++) {
        const int nb = block_counts[c], n = nb * (int)t->block_size;
        const size_t row_bytes = mw_row_size(type, n);
        uint8_t *x = random_rows(type, n, N_ROWS, row_bytes);
        if (c % 2 && d_at >= 0)   /* every other size: some block scales at the edges */
            for (int r = 0; r < N_ROWS; r++)
                memcpy(x + r * row_bytes + (size_t)(r % nb) * t->type_size + d_at, &edge_scales[r % 8], 2);
        const size_t y_stride = mw_row_size(t->vec_dot_type, n) + 16;
        uint8_t *y = random_acts(type, n, y_stride);
        if (c % 2 == 0 && t->vec_dot_type == MW_TYPE_Q8_0)   /* the other sizes: activation scales at the edges */
            for (int k = 0; k < MAX_TOK; k++)
                memcpy(y + k * y_stride + (size_t)(k % nb) * mw_type_traits_get(MW_TYPE_Q8_0)->type_size,
                       &edge_scales[k % 8], 2);
        if (type == MW_TYPE_Q8_0)   /* -128 (no quantizer makes it, valid data): relaxed Q8_0's sign split */
            for (int r = 0; r < N_ROWS; r++) {
                x[r * row_bytes + (size_t)(r % nb) * t->type_size + 2 + r % 32] = 0x80;
                y[(r % MAX_TOK) * y_stride + (size_t)(r % nb) * t->type_size + 2 + (r * 7) % 32] = 0x80;
            }
        float *s_ref = scalar_dots(type, n, x, row_bytes, N_ROWS, y, y_stride);
        uint8_t *packed = malloc((size_t)mw_kern->repack_group_bytes[type] * (n / 32) * (N_ROWS / MW_REPACK_ROWS));
        repack(N_ROWS, n, x, packed);
        for (int m = 0; m < N_TOK_COUNTS; m++)
            for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
                bad += check_matmul_rows(type, n, packed, true, N_ROWS, ranges[i][0], ranges[i][1], y, y_stride,
                                         tok_counts[m], s_ref);
                cases += (int)(ranges[i][1] - ranges[i][0]) * tok_counts[m];
            }
        free(x); free(packed); free(y); free(s_ref);
    }
    CHECK_MSG(bad == 0, "matmul_rows %s repacked: %d of %d results differ from scalar (or written outside)", t->name,
              bad, cases);
    printf("matmul_rows %-5s repacked: %d results bit-identical to scalar (1-33 tokens, group ranges)\n", t->name,
           cases - bad);
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
#if defined(__wasm_relaxed_simd__) || defined(MW_SIMDE_RELAXED)
    CHECK_MSG(strcmp(mw_kern->name, "simd128-relaxed") == 0, "relaxed SIMD build uses kernel set '%s'", mw_kern->name);
#else
    CHECK_MSG(strcmp(mw_kern->name, "simd128") == 0, "SIMD build uses kernel set '%s'", mw_kern->name);
#endif
#endif
    printf("kernel set: %s (against scalar)\n", mw_kern->name);

    static const int32_t dot_types[] = {
        MW_TYPE_Q4_0, MW_TYPE_Q4_1, MW_TYPE_Q5_0, MW_TYPE_Q5_1, MW_TYPE_Q8_0,
        MW_TYPE_Q2_K, MW_TYPE_Q3_K, MW_TYPE_Q4_K, MW_TYPE_Q5_K, MW_TYPE_Q6_K,
        MW_TYPE_F32, MW_TYPE_F16, MW_TYPE_BF16,
    };
    for (size_t i = 0; i < sizeof dot_types / sizeof dot_types[0]; i++) test_vec_dot(dot_types[i]);
    for (size_t i = 0; i < sizeof dot_types / sizeof dot_types[0]; i++) test_matmul_rows(dot_types[i]);

#if defined(__wasm_simd128__) || defined(MW_SIMDE)
    CHECK_MSG(mw_kern->repack[MW_TYPE_Q4_0] && mw_kern->repack[MW_TYPE_Q8_0], "SIMD build repacks Q4_0 and Q8_0");
    static const int32_t legacy_types[] = { MW_TYPE_Q4_1, MW_TYPE_Q5_0, MW_TYPE_Q5_1 };
    for (size_t i = 0; i < sizeof legacy_types / sizeof legacy_types[0]; i++)
        CHECK_MSG(mw_kern->repack[legacy_types[i]], "SIMD build repacks %s", mw_type_traits_get(legacy_types[i])->name);
    /* every K-quant that fits wasm32 models, Q2_K and Q3_K included (7B Q3_K_M, Q2_K) */
    static const int32_t k_types[] = { MW_TYPE_Q2_K, MW_TYPE_Q3_K, MW_TYPE_Q4_K, MW_TYPE_Q5_K, MW_TYPE_Q6_K };
    for (size_t i = 0; i < sizeof k_types / sizeof k_types[0]; i++)
        CHECK_MSG(mw_kern->repack[k_types[i]], "SIMD build repacks %s", mw_type_traits_get(k_types[i])->name);
#endif
    for (size_t i = 0; i < sizeof dot_types / sizeof dot_types[0]; i++) test_repacked(dot_types[i]);
    test_quantizer(MW_TYPE_Q8_0);
    test_quantizer(MW_TYPE_Q8_1);
    test_quantizer(MW_TYPE_Q8_K);
    test_f32_helpers();
    test_end_to_end();
    return TEST_REPORT();
}
