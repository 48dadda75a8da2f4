/*
 * test_sampler.c — the sampler against hand-computed cases: greedy ties, top-k = 1, top-p and
 * min-p filtering on known distributions, repeat / frequency / presence penalties, seeded
 * reproducibility (including a golden id sequence computed independently in Python from the
 * xoshiro256** / splitmix64 definitions, so every build must draw the same ids), empirical
 * frequencies over 100k draws, and no allocation while sampling.
 */
#include <math.h>
#include <stdint.h>

#include "harness.h"
#include "mw.h"

static mw_sampler_params plain(float temperature, uint64_t seed)
{
    mw_sampler_params p = mw_sampler_params_default();
    p.temperature = temperature;
    p.top_k = 0;
    p.top_p = 1.0f;
    p.min_p = 0.0f;
    p.repeat_penalty = 1.0f;
    p.seed = seed;
    return p;
}

static mw_sampler *make(const mw_sampler_params *p, int32_t n_vocab)
{
    mw_sampler *s = NULL;
    mw_status st = mw_sampler_create(p, n_vocab, &s);
    CHECK_MSG(st == MW_OK && s, "create failed: %s", mw_last_error());
    return s;
}

/* draws n ids and counts them into hist[n_vocab] */
static void histogram(mw_sampler *s, const float *logits, int32_t n_vocab, int draws, int *hist)
{
    memset(hist, 0, sizeof(int) * (size_t)n_vocab);
    for (int i = 0; i < draws; i++) {
        int32_t id = mw_sampler_sample(s, logits);
        if (id >= 0 && id < n_vocab)
            hist[id]++;
    }
}

static void test_defaults(void)
{
    mw_sampler_params p = mw_sampler_params_default();
    CHECK_NEAR(p.temperature, 0.8, 1e-7);
    CHECK(p.top_k == 40);
    CHECK_NEAR(p.top_p, 0.95, 1e-7);
    CHECK_NEAR(p.min_p, 0.05, 1e-7);
    CHECK_NEAR(p.repeat_penalty, 1.0, 0);
    CHECK(p.penalty_last_n == 64);
}

static void test_greedy(void)
{
    const float logits[6] = {1.0f, 3.0f, -2.0f, 3.0f, 2.5f, 3.0f};
    mw_sampler_params p = plain(0.0f, 1);
    mw_sampler *s = make(&p, 6);
    CHECK(mw_sampler_sample(s, logits) == 1);   /* three-way tie at 3.0: lowest id */
    mw_sampler_free(s);

    p = plain(-1.0f, 1);   /* negative temperature is greedy too */
    s = make(&p, 6);
    CHECK(mw_sampler_sample(s, logits) == 1);
    /* a NaN never wins and does not break the scan */
    const float with_nan[4] = {NAN, 0.5f, 2.0f, NAN};
    mw_sampler_free(s);
    s = make(&p, 4);
    CHECK(mw_sampler_sample(s, with_nan) == 2);
    mw_sampler_free(s);
}

static void test_top_k_1_is_greedy(void)
{
    enum { V = 97 };
    float logits[V];
    uint32_t x = 12345;
    for (int i = 0; i < V; i++) {   /* small LCG; values in a few buckets so ties are common */
        x = x * 1664525u + 1013904223u;
        logits[i] = (float)((x >> 24) % 7) * 0.5f;
    }
    mw_sampler_params g = plain(0.0f, 1);
    mw_sampler *greedy = make(&g, V);
    int32_t want = mw_sampler_sample(greedy, logits);
    mw_sampler_free(greedy);
    int same = 1;
    for (uint64_t seed = 0; seed < 50; seed++) {
        mw_sampler_params p = plain(1.5f, seed);
        p.top_k = 1;
        mw_sampler *s = make(&p, V);
        same &= mw_sampler_sample(s, logits) == want;
        mw_sampler_free(s);
    }
    CHECK(same);
}

/* probabilities {0.5, 0.3, 0.15, 0.05} exactly, as log-probabilities */
static void dist4(float *logits)
{
    logits[0] = logf(0.5f);
    logits[1] = logf(0.3f);
    logits[2] = logf(0.15f);
    logits[3] = logf(0.05f);
}

static void test_top_p(void)
{
    float logits[4];
    int hist[4];
    dist4(logits);

    /* top_p 0.7: 0.5 < 0.7 <= 0.8, so ids {0, 1} remain, renormalised to 0.625 / 0.375 */
    mw_sampler_params p = plain(1.0f, 7);
    p.top_p = 0.7f;
    mw_sampler *s = make(&p, 4);
    histogram(s, logits, 4, 40000, hist);
    CHECK(hist[2] == 0 && hist[3] == 0);
    CHECK_NEAR(hist[0] / 40000.0, 0.625, 0.015);
    CHECK_NEAR(hist[1] / 40000.0, 0.375, 0.015);
    mw_sampler_free(s);

    /* top_p 0.45: the first token alone already reaches it */
    p.top_p = 0.45f;
    s = make(&p, 4);
    histogram(s, logits, 4, 2000, hist);
    CHECK(hist[0] == 2000);
    mw_sampler_free(s);

    /* top_p 0.9: {0, 1, 2} (cumulative 0.95 >= 0.9), never id 3 */
    p.top_p = 0.9f;
    s = make(&p, 4);
    histogram(s, logits, 4, 40000, hist);
    CHECK(hist[3] == 0);
    CHECK_NEAR(hist[2] / 40000.0, 0.15 / 0.95, 0.015);
    mw_sampler_free(s);
}

static void test_min_p(void)
{
    float logits[4];
    int hist[4];
    dist4(logits);

    /* min_p 0.2: keep p >= 0.1 -> {0, 1, 2} */
    mw_sampler_params p = plain(1.0f, 11);
    p.min_p = 0.2f;
    mw_sampler *s = make(&p, 4);
    histogram(s, logits, 4, 40000, hist);
    CHECK(hist[3] == 0);
    CHECK(hist[2] > 0);
    CHECK_NEAR(hist[0] / 40000.0, 0.5 / 0.95, 0.015);
    mw_sampler_free(s);

    /* min_p 0.5: keep p >= 0.25 -> {0, 1} */
    p.min_p = 0.5f;
    s = make(&p, 4);
    histogram(s, logits, 4, 40000, hist);
    CHECK(hist[2] == 0 && hist[3] == 0);
    CHECK_NEAR(hist[1] / 40000.0, 0.375, 0.015);
    mw_sampler_free(s);

    /* min_p 0.7: keep p >= 0.35 -> {0} */
    p.min_p = 0.7f;
    s = make(&p, 4);
    histogram(s, logits, 4, 2000, hist);
    CHECK(hist[0] == 2000);
    mw_sampler_free(s);
}

static void test_top_k(void)
{
    float logits[4];
    int hist[4];
    dist4(logits);
    mw_sampler_params p = plain(1.0f, 3);
    p.top_k = 2;
    mw_sampler *s = make(&p, 4);
    histogram(s, logits, 4, 40000, hist);
    CHECK(hist[2] == 0 && hist[3] == 0);
    CHECK_NEAR(hist[0] / 40000.0, 0.625, 0.015);
    mw_sampler_free(s);

    /* top-k among ties keeps the lowest ids */
    const float flat[5] = {1.0f, 1.0f, 1.0f, 1.0f, 1.0f};
    int h5[5];
    p.top_k = 3;
    s = make(&p, 5);
    histogram(s, flat, 5, 6000, h5);
    CHECK(h5[3] == 0 && h5[4] == 0 && h5[0] > 0 && h5[1] > 0 && h5[2] > 0);
    mw_sampler_free(s);
}

static void test_penalties(void)
{
    /* repeat penalty 1.5 on positive logits: 2.0 / 1.5 = 1.333 < 1.9 */
    const float pos[4] = {2.0f, 1.9f, -0.5f, -0.6f};
    mw_sampler_params p = plain(0.0f, 1);
    p.repeat_penalty = 1.5f;
    p.penalty_last_n = 8;
    mw_sampler *s = make(&p, 4);
    CHECK(mw_sampler_sample(s, pos) == 0);   /* nothing accepted yet */
    mw_sampler_accept(s, 0);
    CHECK(mw_sampler_sample(s, pos) == 1);
    mw_sampler_accept(s, 1);                 /* 1.9 / 1.5 = 1.267 < 1.333 */
    CHECK(mw_sampler_sample(s, pos) == 0);
    mw_sampler_accept(s, 0);                 /* counted twice: repeat penalty still applies once */
    CHECK(mw_sampler_sample(s, pos) == 0);
    mw_sampler_reset(s);
    CHECK(mw_sampler_sample(s, pos) == 0);
    mw_sampler_free(s);

    /* negative logits are multiplied: -1 * 1.5 = -1.5 < -1.2 */
    const float neg[2] = {-1.0f, -1.2f};
    s = make(&p, 2);
    mw_sampler_accept(s, 0);
    CHECK(mw_sampler_sample(s, neg) == 1);
    mw_sampler_free(s);

    /* frequency / presence (OpenAI): logit -= count * freq + (count > 0) * presence */
    const float three[3] = {3.0f, 2.0f, 1.0f};
    p = plain(0.0f, 1);
    p.penalty_last_n = 8;
    p.frequency_penalty = 0.3f;
    p.presence_penalty = 0.5f;
    s = make(&p, 3);
    mw_sampler_accept(s, 0);
    mw_sampler_accept(s, 0);   /* 3 - 2 * 0.3 - 0.5 = 1.9 < 2 */
    CHECK(mw_sampler_sample(s, three) == 1);
    mw_sampler_free(s);
    p.frequency_penalty = 0.2f;   /* 3 - 0.4 - 0.5 = 2.1 > 2 */
    s = make(&p, 3);
    mw_sampler_accept(s, 0);
    mw_sampler_accept(s, 0);
    CHECK(mw_sampler_sample(s, three) == 0);
    mw_sampler_free(s);

    /* the window: with penalty_last_n 2, id 0 leaves after two newer ids */
    p = plain(0.0f, 1);
    p.frequency_penalty = 5.0f;
    p.penalty_last_n = 2;
    s = make(&p, 3);
    mw_sampler_accept(s, 0);
    CHECK(mw_sampler_sample(s, three) == 1);
    mw_sampler_accept(s, 2);
    CHECK(mw_sampler_sample(s, three) == 1);   /* window {0, 2} */
    mw_sampler_accept(s, 2);
    CHECK(mw_sampler_sample(s, three) == 0);   /* window {2, 2}: 0 is free again */
    mw_sampler_accept(s, 99);                  /* out of range: ignored */
    mw_sampler_accept(s, -1);
    CHECK(mw_sampler_sample(s, three) == 0);
    mw_sampler_free(s);

    /* penalty_last_n 0 turns penalties off */
    p.penalty_last_n = 0;
    s = make(&p, 3);
    mw_sampler_accept(s, 0);
    CHECK(mw_sampler_sample(s, three) == 0);
    mw_sampler_free(s);
}

static void test_seeds(void)
{
    enum { V = 512, N = 200 };
    static float logits[V];
    for (int i = 0; i < V; i++)
        logits[i] = 0.01f * (float)(i % 17);
    int32_t a[N], b[N], c[N], d[N];
    mw_sampler_params p = plain(1.0f, 42);
    mw_sampler *s = make(&p, V);
    for (int i = 0; i < N; i++) a[i] = mw_sampler_sample(s, logits);
    mw_sampler_reset(s);   /* reset restarts the RNG from the seed */
    for (int i = 0; i < N; i++) d[i] = mw_sampler_sample(s, logits);
    mw_sampler_free(s);
    s = make(&p, V);
    for (int i = 0; i < N; i++) b[i] = mw_sampler_sample(s, logits);
    mw_sampler_free(s);
    p.seed = 43;
    s = make(&p, V);
    for (int i = 0; i < N; i++) c[i] = mw_sampler_sample(s, logits);
    mw_sampler_free(s);
    CHECK(memcmp(a, b, sizeof(a)) == 0);
    CHECK(memcmp(a, d, sizeof(a)) == 0);
    int differ = 0;
    for (int i = 0; i < N; i++) differ += a[i] != c[i];
    CHECK_MSG(differ > N / 2, "seeds 42 and 43 agree on %d of %d draws", N - differ, N);
}

/* With 512 equal logits each id has probability 2^-9 exactly, so the draw is the top 9 bits of
 * the xoshiro256** output: id = next() >> 55. These values come from an independent Python
 * implementation of splitmix64 + xoshiro256** with seed 1234: every build must reproduce them. */
static void test_golden_sequence(void)
{
    static const int32_t want[12] = {23, 431, 353, 445, 51, 457, 230, 103, 296, 332, 257, 116};
    static float logits[512];
    mw_sampler_params p = plain(1.0f, 1234);
    mw_sampler *s = make(&p, 512);
    int ok = 1;
    for (int i = 0; i < 12; i++) {
        int32_t id = mw_sampler_sample(s, logits);
        if (id != want[i]) {
            ok = 0;
            fprintf(stderr, "draw %d: got %d, want %d\n", i, (int)id, (int)want[i]);
        }
    }
    CHECK(ok);
    mw_sampler_free(s);
}

static void test_frequencies(void)
{
    const float logits[3] = {logf(0.2f), logf(0.3f), logf(0.5f)};
    int hist[3];
    mw_sampler_params p = plain(1.0f, 2026);
    mw_sampler *s = make(&p, 3);
    histogram(s, logits, 3, 100000, hist);
    CHECK_NEAR(hist[0] / 100000.0, 0.2, 0.01);
    CHECK_NEAR(hist[1] / 100000.0, 0.3, 0.01);
    CHECK_NEAR(hist[2] / 100000.0, 0.5, 0.01);
    mw_sampler_free(s);

    /* temperature 2 flattens: p ~ sqrt(p0) -> {0.2, 0.3, 0.5}^(1/2) normalised */
    double w[3] = {sqrt(0.2), sqrt(0.3), sqrt(0.5)}, sum = w[0] + w[1] + w[2];
    p.temperature = 2.0f;
    s = make(&p, 3);
    histogram(s, logits, 3, 100000, hist);
    for (int i = 0; i < 3; i++)
        CHECK_NEAR(hist[i] / 100000.0, w[i] / sum, 0.01);
    mw_sampler_free(s);

    /* a tiny temperature is effectively greedy and must not produce NaN */
    p.temperature = 1e-30f;
    s = make(&p, 3);
    histogram(s, logits, 3, 1000, hist);
    CHECK(hist[2] == 1000);
    mw_sampler_free(s);
}

static size_t n_allocs;
static void *count_alloc(void *u, size_t n) { (void)u; n_allocs++; return malloc(n); }
static void *count_realloc(void *u, void *p, size_t n) { (void)u; n_allocs++; return realloc(p, n); }
static void count_free(void *u, void *p) { (void)u; free(p); }

static void test_no_allocation_while_sampling(void)
{
    mw_allocator a = {count_alloc, count_realloc, count_free, NULL};
    mw_set_allocator(&a);
    enum { V = 32000 };
    float *logits = malloc(sizeof(float) * V);
    for (int i = 0; i < V; i++)
        logits[i] = (float)((i * 7919) % 1000) * 0.01f;
    mw_sampler_params p = mw_sampler_params_default();
    p.repeat_penalty = 1.1f;
    mw_sampler *s = make(&p, V);
    size_t after_create = n_allocs;
    for (int i = 0; i < 50; i++)
        mw_sampler_accept(s, mw_sampler_sample(s, logits));
    CHECK(n_allocs == after_create);
    mw_sampler_free(s);
    mw_set_allocator(NULL);
    free(logits);
}

static void test_invalid(void)
{
    mw_sampler *s = (mw_sampler *)1;
    CHECK(mw_sampler_create(NULL, 0, &s) == MW_ERR_INVALID_ARG && s == NULL);
    CHECK(strlen(mw_last_error()) > 0);
    CHECK(mw_sampler_create(NULL, 10, NULL) == MW_ERR_INVALID_ARG);
    mw_sampler_params p = mw_sampler_params_default();
    p.top_k = -1;
    CHECK(mw_sampler_create(&p, 10, &s) == MW_ERR_INVALID_ARG);
    p = mw_sampler_params_default();
    p.repeat_penalty = 0.0f;
    CHECK(mw_sampler_create(&p, 10, &s) == MW_ERR_INVALID_ARG);
    p = mw_sampler_params_default();
    p.temperature = NAN;
    CHECK(mw_sampler_create(&p, 10, &s) == MW_ERR_INVALID_ARG);
    p = mw_sampler_params_default();
    p.penalty_last_n = -1;
    CHECK(mw_sampler_create(&p, 10, &s) == MW_ERR_INVALID_ARG);
    CHECK(mw_sampler_sample(NULL, NULL) == -1);
    CHECK(mw_sampler_create(NULL, 10, &s) == MW_OK && s);   /* NULL params = defaults */
    CHECK(mw_sampler_sample(s, NULL) == -1);
    mw_sampler_accept(NULL, 3);
    mw_sampler_reset(NULL);
    mw_sampler_free(s);
    mw_sampler_free(NULL);
}

int main(void)
{
    test_defaults();
    test_greedy();
    test_top_k_1_is_greedy();
    test_top_p();
    test_min_p();
    test_top_k();
    test_penalties();
    test_seeds();
    test_golden_sequence();
    test_frequencies();
    test_no_allocation_while_sampling();
    test_invalid();
    return TEST_REPORT();
}
