/*
 * sampler.c — picks the next token id from a row of logits.
 *
 * Order (llama.cpp's common sampler chain): penalties over the last penalty_last_n accepted ids
 * -> top-k -> top-p -> min-p -> temperature -> softmax -> one draw from our own seeded RNG.
 * temperature <= 0 is greedy: argmax after penalties (which are off by default), lowest id on
 * ties. The RNG (xoshiro256**, seeded through splitmix64) and every sort are fully specified so
 * one seed gives the same ids on every build (native, wasm32, 32/64-bit) for the same logits.
 * All buffers are sized for n_vocab at create: sampling a token never allocates.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>   /* qsort only: no allocation from stdlib */

#include "base.h"
#include "constraint.h"

typedef struct cand {
    float logit;
    int32_t id;
} cand;

struct mw_sampler {
    mw_sampler_params params;
    int32_t n_vocab;
    cand *cands;        /* [n_vocab] working set, sorted by (logit desc, id asc) when filtered */
    float *probs;       /* [n_vocab] softmax of cands[0..n) */
    uint32_t *counts;   /* [n_vocab] occurrences of each id in the penalty window */
    uint32_t *stamp;    /* [n_vocab] epoch of the last sample() that penalised this id */
    uint32_t epoch;
    int32_t *window;    /* [penalty_last_n] ring of accepted ids */
    int32_t window_len; /* ids currently in the ring (<= penalty_last_n) */
    int32_t window_head;/* next slot to write */
    uint64_t rng[4];    /* xoshiro256** state */
    mw_constraint *constraint;   /* tokens it forbids are never drawn (NULL = none) */
};

mw_sampler_params mw_sampler_params_default(void)
{
    mw_sampler_params p;
    p.temperature = 0.8f;
    p.top_k = 40;
    p.top_p = 0.95f;
    p.min_p = 0.05f;
    p.repeat_penalty = 1.0f;
    p.frequency_penalty = 0.0f;
    p.presence_penalty = 0.0f;
    p.penalty_last_n = 64;
    p.seed = 0;
    return p;
}

/* ---- RNG: splitmix64 seeds xoshiro256** (Blackman & Vigna), both exactly specified ---- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t xoshiro_next(uint64_t s[4])
{
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static void rng_seed(uint64_t s[4], uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        s[i] = splitmix64(&x);
}

/* uniform in [0, 1): the top 24 bits, so the value is exact in a float on every platform */
static double rng_uniform(uint64_t s[4])
{
    return (double)(xoshiro_next(s) >> 40) * (1.0 / 16777216.0);
}

/* ---- ordering: logit descending, then id ascending (a total order: ids are unique) ---- */

static int better(const cand *a, const cand *b)
{
    return a->logit > b->logit || (a->logit == b->logit && a->id < b->id);
}

static int cand_cmp(const void *pa, const void *pb)
{
    const cand *a = pa, *b = pb;
    if (better(a, b)) return -1;
    if (better(b, a)) return 1;
    return 0;
}

/* min-heap on "better": the root is the worst of the kept k */
static void sift_down(cand *h, int32_t n, int32_t i)
{
    for (;;) {
        int32_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && better(&h[w], &h[l])) w = l;
        if (r < n && better(&h[w], &h[r])) w = r;
        if (w == i) return;
        cand t = h[i]; h[i] = h[w]; h[w] = t;
        i = w;
    }
}

/* Keep the best k of c[0..n) sorted in c[0..k): O(n log k) instead of sorting all n. */
static void select_top_k(cand *c, int32_t n, int32_t k)
{
    for (int32_t i = k / 2 - 1; i >= 0; i--)
        sift_down(c, k, i);
    for (int32_t i = k; i < n; i++) {
        if (better(&c[i], &c[0])) {
            c[0] = c[i];
            sift_down(c, k, 0);
        }
    }
    qsort(c, (size_t)k, sizeof(cand), cand_cmp);
}

/* ---- create / free ---- */

static int bad_float(float x) { return x != x; }

mw_status mw_sampler_create(const mw_sampler_params *params, int32_t n_vocab, mw_sampler **out)
{
    if (!out)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_sampler_create: out is NULL");
    *out = NULL;
    mw_sampler_params p = params ? *params : mw_sampler_params_default();
    if (n_vocab <= 0)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_sampler_create: n_vocab %d must be positive",
                       (int)n_vocab);
    if (bad_float(p.temperature) || bad_float(p.top_p) || bad_float(p.min_p) ||
        bad_float(p.repeat_penalty) || bad_float(p.frequency_penalty) ||
        bad_float(p.presence_penalty))
        return mw_fail(MW_ERR_INVALID_ARG, "mw_sampler_create: a sampling parameter is NaN");
    if (p.top_k < 0)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_sampler_create: top_k %d is negative (0 = off)",
                       (int)p.top_k);
    if (!(p.repeat_penalty > 0.0f))
        return mw_fail(MW_ERR_INVALID_ARG,
                       "mw_sampler_create: repeat_penalty must be > 0 (1 = off)");
    if (p.penalty_last_n < 0 || p.penalty_last_n > (1 << 24))
        return mw_fail(MW_ERR_INVALID_ARG,
                       "mw_sampler_create: penalty_last_n %d outside [0, 16777216]",
                       (int)p.penalty_last_n);

    mw_sampler *s = mw_calloc(1, sizeof(*s));
    if (!s)
        return mw_fail(MW_ERR_NO_MEMORY, "mw_sampler_create: out of memory");
    s->params = p;
    s->n_vocab = n_vocab;
    s->cands = mw_calloc((size_t)n_vocab, sizeof(cand));
    s->probs = mw_calloc((size_t)n_vocab, sizeof(float));
    s->counts = mw_calloc((size_t)n_vocab, sizeof(uint32_t));
    s->stamp = mw_calloc((size_t)n_vocab, sizeof(uint32_t));
    if (p.penalty_last_n > 0)
        s->window = mw_calloc((size_t)p.penalty_last_n, sizeof(int32_t));
    if (!s->cands || !s->probs || !s->counts || !s->stamp ||
        (p.penalty_last_n > 0 && !s->window)) {
        mw_sampler_free(s);
        return mw_fail(MW_ERR_NO_MEMORY, "mw_sampler_create: out of memory for %d candidates",
                       (int)n_vocab);
    }
    rng_seed(s->rng, p.seed);
    *out = s;
    return MW_OK;
}

void mw_sampler_free(mw_sampler *s)
{
    if (!s)
        return;
    mw_free(s->cands);
    mw_free(s->probs);
    mw_free(s->counts);
    mw_free(s->stamp);
    mw_free(s->window);
    mw_free(s);
}

void mw_sampler_reset(mw_sampler *s)
{
    if (!s)
        return;
    memset(s->counts, 0, (size_t)s->n_vocab * sizeof(uint32_t));
    memset(s->stamp, 0, (size_t)s->n_vocab * sizeof(uint32_t));
    s->epoch = 0;
    s->window_len = 0;
    s->window_head = 0;
    rng_seed(s->rng, s->params.seed);
}

void mw_sampler_accept(mw_sampler *s, int32_t id)
{
    if (!s || s->params.penalty_last_n <= 0 || id < 0 || id >= s->n_vocab)
        return;
    int32_t cap = s->params.penalty_last_n;
    if (s->window_len == cap)
        s->counts[s->window[s->window_head]]--;   /* the oldest id leaves the window */
    else
        s->window_len++;
    s->window[s->window_head] = id;
    s->counts[id]++;
    s->window_head = (s->window_head + 1) % cap;
}

/* ---- the chain ---- */

static int penalties_on(const mw_sampler_params *p)
{
    return p->penalty_last_n > 0 &&
           (p->repeat_penalty != 1.0f || p->frequency_penalty != 0.0f ||
            p->presence_penalty != 0.0f);
}

/* cands[i] is still the id i here, so the window ids index it directly */
static void apply_penalties(mw_sampler *s)
{
    const mw_sampler_params *p = &s->params;
    if (++s->epoch == 0) {   /* wrapped: clear stamps so no id looks already done */
        memset(s->stamp, 0, (size_t)s->n_vocab * sizeof(uint32_t));
        s->epoch = 1;
    }
    for (int32_t i = 0; i < s->window_len; i++) {
        int32_t id = s->window[i];
        if (s->stamp[id] == s->epoch)
            continue;   /* each distinct id is penalised once */
        s->stamp[id] = s->epoch;
        uint32_t count = s->counts[id];
        float *l = &s->cands[id].logit;
        if (*l <= 0.0f)
            *l *= p->repeat_penalty;
        else
            *l /= p->repeat_penalty;
        *l -= (float)count * p->frequency_penalty + (count > 0 ? p->presence_penalty : 0.0f);
    }
}

/* probs[0..n) = softmax(cands[0..n).logit); cands must be sorted (max first) */
static void softmax_sorted(mw_sampler *s, int32_t n)
{
    float max = s->cands[0].logit;
    double sum = 0.0;
    for (int32_t i = 0; i < n; i++) {
        float e = expf(s->cands[i].logit - max);
        s->probs[i] = e;
        sum += e;
    }
    for (int32_t i = 0; i < n; i++)
        s->probs[i] = (float)(s->probs[i] / sum);
}

/* ---- constrained decoding: forbidden ids get -inf, allowed ones stay above it ---- */

mw_status mw_sampler_set_constraint(mw_sampler *s, mw_constraint *c)
{
    if (!s)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_sampler_set_constraint: sampler is NULL");
    if (c && mw_constraint_n_vocab(c) != s->n_vocab)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_sampler_set_constraint: the constraint's "
                       "vocabulary has %d tokens, the sampler %d",
                       (int)mw_constraint_n_vocab(c), (int)s->n_vocab);
    s->constraint = c;
    return MW_OK;
}

/* cands[i] is still the id i here */
static mw_status apply_constraint(mw_sampler *s)
{
    const uint8_t *mask;
    mw_status st = mw_constraint_mask(s->constraint, &mask);
    if (st != MW_OK)
        return st;
    for (int32_t i = 0; i < s->n_vocab; i++) {
        if (!mask[i])
            s->cands[i].logit = -INFINITY;
        else if (!(s->cands[i].logit >= -FLT_MAX))
            s->cands[i].logit = -FLT_MAX;
    }
    return MW_OK;
}

int32_t mw_sampler_sample(mw_sampler *s, const float *logits)
{
    if (!s || !logits)
        return -1;
    const mw_sampler_params *p = &s->params;
    int32_t n = s->n_vocab;
    for (int32_t i = 0; i < n; i++) {
        float l = logits[i];
        s->cands[i].logit = l != l ? -INFINITY : l;   /* a NaN would break the total order */
        s->cands[i].id = i;
    }
    if (penalties_on(p))
        apply_penalties(s);
    if (s->constraint && apply_constraint(s) != MW_OK)
        return -1;

    if (p->temperature <= 0.0f) {
        int32_t best = 0;
        for (int32_t i = 1; i < n; i++)
            if (s->cands[i].logit > s->cands[best].logit)
                best = i;
        return best;
    }

    /* top-k (0 or >= n keeps all, then everything is sorted for top-p / min-p) */
    if (p->top_k > 0 && p->top_k < n) {
        select_top_k(s->cands, n, p->top_k);
        n = p->top_k;
    } else {
        qsort(s->cands, (size_t)n, sizeof(cand), cand_cmp);
    }

    /* +-inf at the top would turn the softmax into NaN: the best candidate wins outright */
    if (isinf(s->cands[0].logit))
        return s->cands[0].id;

    /* top-p: the smallest prefix whose probability reaches top_p (at least one token) */
    if (p->top_p < 1.0f) {
        softmax_sorted(s, n);
        double cum = 0.0;
        int32_t keep = n;
        for (int32_t i = 0; i < n; i++) {
            cum += s->probs[i];
            if (cum >= p->top_p) {
                keep = i + 1;
                break;
            }
        }
        n = keep;
    }

    /* min-p: keep p_i >= min_p * p_max, i.e. logit_i >= logit_max + log(min_p) */
    if (p->min_p > 0.0f) {
        float threshold = s->cands[0].logit + logf(p->min_p);
        int32_t keep = 1;
        while (keep < n && s->cands[keep].logit >= threshold)
            keep++;
        n = keep;
    }

    /* temperature on the offsets from the max, so a tiny temperature cannot overflow to inf */
    float max = s->cands[0].logit;
    for (int32_t i = 0; i < n; i++)
        s->cands[i].logit = (s->cands[i].logit - max) / p->temperature;
    softmax_sorted(s, n);

    /* one draw: the first candidate whose cumulative probability exceeds u */
    double u = rng_uniform(s->rng);
    double cum = 0.0;
    for (int32_t i = 0; i < n; i++) {
        cum += s->probs[i];
        if (u < cum)
            return s->cands[i].id;
    }
    return s->cands[n - 1].id;   /* rounding left u just above the total */
}
