/*
 * test_expert_cache.c — streamed Mixtral experts (mw_model_params.expert_cache_bytes): on every
 * Mixtral reference model, at three budgets (one expert, one layer's experts, all experts), the
 * logits of a prompt chunk and of single decode steps are memcmp-identical to the fully resident
 * model's, and the counters add up: every use is a hit or a miss; with one expert's budget
 * every use misses (consecutive uses are always of different experts); with all experts' budget
 * each distinct expert misses exactly once. Also: the positional source (short reads, close
 * called once), a source failing while streaming (MW_ERR_IO, the session still usable) or while
 * loading, budgets below one expert, push loaders refusing to stream, and the memory rule
 * (a model refused resident names --expert-cache; streamed it fits).
 */
#include <stdbool.h>

#include "harness.h"
#include "mw.h"

#define N_STEPS 6
#define MAX_LOGITS (64 * 1024 * 64)

static const char *const models[] = {
    "mixtral-s.F32", "mixtral-s.Q8_0", "mixtral-s.Q4_0", "mixtral-s.Q4_K_M",
};

typedef struct run {
    float *logits;          /* [n_prompt + N_STEPS][n_vocab] */
    int32_t ids[64 + N_STEPS];
    int32_t n_prompt;
    uint64_t uses;          /* expert uses: distinct experts per layer per chunk */
    uint64_t distinct;      /* (layer, expert) pairs used at all */
    mw_expert_stats step_stats[N_STEPS];
} run;

static void model_path(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/reference/%s.gguf", MW_TEST_DATA, name);
}

/* (layer, expert) pairs with a count: the distinct experts used so far */
static uint64_t count_used(const mw_session *s, const mw_model_info *info, uint64_t *counts)
{
    const size_t n = (size_t)info->n_layer * (size_t)info->n_expert;
    CHECK(mw_session_expert_counts(s, counts, n) == MW_OK);
    uint64_t used = 0;
    for (size_t i = 0; i < n; i++)
        used += counts[i] > 0;
    return used;
}

/* Evaluate the prompt as one chunk, then N_STEPS greedy tokens one at a time (ids given when
 * r->n_prompt is set, else chosen here by argmax). */
static int run_model(mw_model *m, run *r, bool choose)
{
    mw_model_info info;
    mw_model_get_info(m, &info);
    mw_session_params sp = mw_session_params_default();
    sp.n_ctx = 128;
    mw_session *s = NULL;
    if (mw_session_create(m, &sp, &s) != MW_OK) {
        CHECK_MSG(0, "session: %s", mw_last_error());
        return 0;
    }
    if (choose) {
        const char *text = "Once upon a time, in a land far away, there lived";
        CHECK(mw_tokenize(m, text, strlen(text), MW_TOKENIZE_ADD_BOS, r->ids, 64, &r->n_prompt) == MW_OK);
    }
    uint64_t *counts = calloc((size_t)info.n_layer * info.n_expert, sizeof *counts);
    const size_t row = (size_t)info.n_vocab;
    mw_status st = mw_session_eval(s, r->ids, r->n_prompt, r->logits);
    CHECK_MSG(st == MW_OK, "prompt: %s", mw_last_error());
    r->uses = count_used(s, &info, counts);   /* one chunk: each distinct expert once */
    for (int i = 0; i < N_STEPS && st == MW_OK; i++) {
        const int32_t at = r->n_prompt + i;
        if (choose) {
            const float *l = r->logits + (size_t)(at - 1) * row;
            int32_t best = 0;
            for (int32_t v = 1; v < info.n_vocab; v++)
                if (l[v] > l[best]) best = v;
            r->ids[at] = best;
        }
        st = mw_session_eval(s, &r->ids[at], 1, r->logits + (size_t)at * row);
        CHECK_MSG(st == MW_OK, "step %d: %s", i, mw_last_error());
        r->uses += (uint64_t)info.n_layer * info.n_expert_used;
        CHECK(mw_model_expert_stats(m, &r->step_stats[i]) == MW_OK);
    }
    r->distinct = count_used(s, &info, counts);
    free(counts);
    mw_session_free(s);
    return st == MW_OK;
}

static void test_model(const char *name)
{
    char path[1024];
    model_path(path, sizeof path, name);
    mw_model *m = NULL;
    mw_status st = mw_model_open_file(path, NULL, &m);
    CHECK_MSG(st == MW_OK, "%s: %s", name, mw_last_error());
    if (st) return;
    mw_model_info info;
    mw_model_get_info(m, &info);
    CHECK(info.n_expert > 1 && info.expert_bytes > 0 && info.expert_max_bytes > 0);
    CHECK(info.expert_bytes < info.weight_bytes + 48u * info.n_layer * info.n_expert);
    CHECK(info.expert_max_bytes * info.n_layer * info.n_expert >= info.expert_bytes);
    const size_t n_rows = 64 + N_STEPS, row_bytes = (size_t)info.n_vocab * sizeof(float);
    run resident = { 0 };
    resident.logits = calloc(n_rows, row_bytes);
    const int ok = run_model(m, &resident, true);
    mw_expert_stats zero;
    CHECK(mw_model_expert_stats(m, &zero) == MW_OK);
    CHECK(zero.hits == 0 && zero.misses == 0 && zero.bytes_read == 0 && zero.cache_bytes == 0 &&
          zero.budget_bytes == 0);
    mw_model_free(m);
    if (!ok) { free(resident.logits); return; }
    const size_t n_bytes = (size_t)(resident.n_prompt + N_STEPS) * row_bytes;

    const uint64_t budgets[3] = { info.expert_max_bytes,
                                  info.expert_max_bytes * (uint64_t)info.n_expert,
                                  info.expert_bytes };
    for (int b = 0; b < 3; b++) {
        mw_model_params mp = mw_model_params_default();
        mp.expert_cache_bytes = budgets[b];
        st = mw_model_open_file(path, &mp, &m);
        CHECK_MSG(st == MW_OK, "%s budget %llu: %s", name, (unsigned long long)budgets[b], mw_last_error());
        if (st) continue;
        run r = resident;
        r.logits = calloc(n_rows, row_bytes);
        if (run_model(m, &r, false)) {
            CHECK_MSG(memcmp(r.logits, resident.logits, n_bytes) == 0,
                      "%s budget %d: logits differ from the resident model's", name, b);
            CHECK(r.uses == resident.uses && r.distinct == resident.distinct);
            mw_expert_stats es;
            CHECK(mw_model_expert_stats(m, &es) == MW_OK);
            CHECK(es.budget_bytes == budgets[b]);
            CHECK(es.cache_bytes > 0 && es.cache_bytes <= budgets[b]);
            CHECK_MSG(es.hits + es.misses == r.uses, "%s budget %d: %llu hits + %llu misses != %llu uses",
                      name, b, (unsigned long long)es.hits, (unsigned long long)es.misses,
                      (unsigned long long)r.uses);
            CHECK(es.bytes_read > 0 && es.misses >= r.distinct);
            if (b == 0) {
                /* one expert: each use replaces the last, so every use misses, every token */
                CHECK(es.hits == 0 && es.misses == r.uses);
                for (int i = 1; i < N_STEPS; i++)
                    CHECK(r.step_stats[i].misses == r.step_stats[i - 1].misses +
                                                        (uint64_t)info.n_layer * info.n_expert_used);
            }
            if (b == 2) {
                /* all experts fit: each distinct expert is read once, all later uses hit */
                CHECK_MSG(es.misses == r.distinct, "%s: %llu misses, %llu distinct experts", name,
                          (unsigned long long)es.misses, (unsigned long long)r.distinct);
                CHECK(es.hits == r.uses - r.distinct && es.hits > 0);
            }
            if (b == 1)
                CHECK(es.misses <= r.uses);
        }
        free(r.logits);
        mw_model_free(m);
    }
    free(resident.logits);
}

/* ---- a positional source over a file in memory, with failures on demand ---- */

typedef struct mem_src {
    const uint8_t *bytes;
    uint64_t size;
    int fail;           /* 1: every read fails */
    uint64_t fail_from; /* reads at or past this offset fail (0 = none) */
    int closes;
    uint64_t reads;
    uint64_t hints;     /* will_read calls */
    uint64_t bad_hints; /* of them, past the end of the source */
} mem_src;

static int64_t mem_read_at(void *user, uint64_t offset, void *dst, size_t size)
{
    mem_src *s = user;
    s->reads++;
    if (s->fail || (s->fail_from && offset + size > s->fail_from))
        return -1;
    if (offset >= s->size)
        return 0;
    size_t n = size < 4097 ? size : 4097;   /* short reads: the core asks again */
    if (n > s->size - offset)
        n = (size_t)(s->size - offset);
    memcpy(dst, s->bytes + offset, n);
    return (int64_t)n;
}

static void mem_close(void *user)
{
    ((mem_src *)user)->closes++;
}

static void mem_will_read(void *user, uint64_t offset, uint64_t size)
{
    mem_src *s = user;
    s->hints++;
    s->bad_hints += size == 0 || offset + size > s->size;
}

/* expert_prefetch: the next layer's picks are counted against its routing and, when not
 * cached, named to the source (three slices each); off, nothing is picked; logits the same */
static void test_prefetch(const uint8_t *bytes, size_t size, const run *resident, size_t n_bytes,
                          const mw_model_info *info)
{
    mem_src ms = { bytes, size, 0, 0, 0, 0, 0, 0 };
    mw_source src = { mem_read_at, &ms, size, mem_close, mem_will_read };
    mw_model_params mp = mw_model_params_default();
    CHECK(mp.expert_prefetch == 1);
    mp.expert_cache_bytes = info->expert_max_bytes;   /* one expert: every pick is uncached */
    run r = *resident;
    r.logits = calloc(64 + N_STEPS, (size_t)info->n_vocab * sizeof(float));
    mw_model *m = NULL;
    mw_expert_stats es;
    CHECK(mw_model_open_source(&src, &mp, &m) == MW_OK);
    if (m) {
        CHECK(run_model(m, &r, false) && memcmp(r.logits, resident->logits, n_bytes) == 0);
        mw_model_expert_stats(m, &es);
        /* layers 1.. are picked ahead once per chunk: the prompt's chunk, then each step */
        const uint64_t visits = (uint64_t)(info->n_layer - 1) * (1 + N_STEPS);
        CHECK_MSG(es.predicted >= visits * info->n_expert_used && es.predicted_used <= es.predicted,
                  "predicted %llu used %llu, %llu visits", (unsigned long long)es.predicted,
                  (unsigned long long)es.predicted_used, (unsigned long long)visits);
        CHECK(es.predicted_used > 0);
        CHECK_MSG(es.hinted > 0 && es.hinted <= es.predicted && ms.hints == 3 * es.hinted && ms.bad_hints == 0,
                  "hinted %llu, %llu calls, %llu bad", (unsigned long long)es.hinted,
                  (unsigned long long)ms.hints, (unsigned long long)ms.bad_hints);
        mw_model_free(m);
    }
    /* a source without will_read: picked and counted, nothing hinted */
    ms = (mem_src){ bytes, size, 0, 0, 0, 0, 0, 0 };
    src.will_read = NULL;
    CHECK(mw_model_open_source(&src, &mp, &m) == MW_OK);
    if (m) {
        CHECK(run_model(m, &r, false) && memcmp(r.logits, resident->logits, n_bytes) == 0);
        mw_model_expert_stats(m, &es);
        CHECK(es.predicted > 0 && es.hinted == 0);
        mw_model_free(m);
    }
    /* off: nothing picked, nothing hinted */
    ms = (mem_src){ bytes, size, 0, 0, 0, 0, 0, 0 };
    src.will_read = mem_will_read;
    mp.expert_prefetch = 0;
    CHECK(mw_model_open_source(&src, &mp, &m) == MW_OK);
    if (m) {
        CHECK(run_model(m, &r, false) && memcmp(r.logits, resident->logits, n_bytes) == 0);
        mw_model_expert_stats(m, &es);
        CHECK(es.predicted == 0 && es.predicted_used == 0 && es.hinted == 0 && ms.hints == 0);
        mw_model_free(m);
    }
    free(r.logits);
}

static void test_source(void)
{
    char path[1024];
    model_path(path, sizeof path, "mixtral-s.Q4_0");
    size_t size = 0;
    uint8_t *bytes = test_read_file(path, &size);
    CHECK(bytes != NULL);
    if (!bytes) return;
    mw_model *m = NULL;
    CHECK(mw_model_open_file(path, NULL, &m) == MW_OK);
    mw_model_info info;
    mw_model_get_info(m, &info);
    run resident = { 0 };
    resident.logits = calloc(64 + N_STEPS, (size_t)info.n_vocab * sizeof(float));
    run_model(m, &resident, true);
    mw_model_free(m);
    const size_t n_bytes = (size_t)(resident.n_prompt + N_STEPS) * info.n_vocab * sizeof(float);

    /* resident through the source: closed once, right after loading */
    mem_src ms = { bytes, size, 0, 0, 0, 0, 0, 0 };
    mw_source src = { mem_read_at, &ms, size, mem_close, NULL };
    CHECK(mw_model_open_source(&src, NULL, &m) == MW_OK);
    CHECK(ms.closes == 1);
    mw_model_free(m);
    CHECK(ms.closes == 1);

    /* streamed: the model keeps the source until freed; short reads change nothing */
    ms = (mem_src){ bytes, size, 0, 0, 0, 0, 0, 0 };
    mw_model_params mp = mw_model_params_default();
    mp.expert_cache_bytes = info.expert_max_bytes;
    CHECK(mw_model_open_source(&src, &mp, &m) == MW_OK);
    CHECK(ms.closes == 0);
    run r = resident;
    r.logits = calloc(64 + N_STEPS, (size_t)info.n_vocab * sizeof(float));
    CHECK(run_model(m, &r, false) && memcmp(r.logits, resident.logits, n_bytes) == 0);

    test_prefetch(bytes, size, &resident, n_bytes, &info);

    /* a read error while streaming: MW_ERR_IO, nothing evaluated, the session still works */
    mw_session *s = NULL;
    CHECK(mw_session_create(m, NULL, &s) == MW_OK);
    ms.fail = 1;
    mw_status st = mw_session_eval(s, resident.ids, resident.n_prompt, NULL);
    CHECK_MSG(st == MW_ERR_IO, "%s: %s", mw_status_name(st), mw_last_error());
    CHECK(strstr(mw_last_error(), "streaming expert") != NULL);
    CHECK(mw_session_n_past(s) == 0);
    mw_expert_stats es;
    mw_model_expert_stats(m, &es);
    CHECK(es.cache_bytes <= es.budget_bytes);
    ms.fail = 0;
    CHECK(mw_session_eval(s, resident.ids, resident.n_prompt, r.logits) == MW_OK);
    CHECK(memcmp(r.logits, resident.logits, (size_t)resident.n_prompt * info.n_vocab * sizeof(float)) == 0);
    mw_session_free(s);
    mw_model_free(m);
    CHECK(ms.closes == 1);

    /* a source that ends early while streaming: MW_ERR_TRUNCATED, not a crash */
    ms = (mem_src){ bytes, size, 0, 0, 0, 0, 0, 0 };
    CHECK(mw_model_open_source(&src, &mp, &m) == MW_OK);
    ms.size = 4096;
    CHECK(mw_session_create(m, NULL, &s) == MW_OK);
    st = mw_session_eval(s, resident.ids, 2, NULL);
    CHECK_MSG(st == MW_ERR_TRUNCATED, "%s: %s", mw_status_name(st), mw_last_error());
    mw_session_free(s);
    mw_model_free(m);

    /* a read error while loading: MW_ERR_IO, closed once, no model */
    ms = (mem_src){ bytes, size, 0, size / 2, 0, 0, 0, 0 };
    st = mw_model_open_source(&src, &mp, &m);
    CHECK_MSG(st == MW_ERR_IO && m == NULL, "%s: %s", mw_status_name(st), mw_last_error());
    CHECK(ms.closes == 1);
    ms = (mem_src){ bytes, size, 1, 0, 0, 0, 0, 0 };
    CHECK(mw_model_open_source(&src, NULL, &m) == MW_ERR_IO && ms.closes == 1);
    /* a source shorter than the file's tensors say */
    ms = (mem_src){ bytes, size, 0, 0, 0, 0, 0, 0 };
    src.size = size - 100;
    CHECK(mw_model_open_source(&src, &mp, &m) == MW_ERR_TRUNCATED && ms.closes == 1);
    src.size = size;
    CHECK(mw_model_open_source(NULL, NULL, &m) == MW_ERR_INVALID_ARG);

    /* a budget below one expert is refused, naming the size of one */
    mp.expert_cache_bytes = info.expert_max_bytes - 1;
    ms = (mem_src){ bytes, size, 0, 0, 0, 0, 0, 0 };
    st = mw_model_open_source(&src, &mp, &m);
    CHECK_MSG(st == MW_ERR_INVALID_ARG && strstr(mw_last_error(), "cannot hold one expert"),
              "%s: %s", mw_status_name(st), mw_last_error());
    CHECK(ms.closes == 1);
    CHECK(mw_model_open_file(path, &mp, &m) == MW_ERR_INVALID_ARG);
    mp.expert_cache_bytes = 1;
    CHECK(mw_model_open_file(path, &mp, &m) == MW_ERR_INVALID_ARG);

    /* push loaders cannot stream: refused rather than silently resident */
    mp.expert_cache_bytes = info.expert_max_bytes;
    st = mw_model_open_memory(bytes, size, &mp, &m);
    CHECK_MSG(st == MW_ERR_INVALID_ARG && strstr(mw_last_error(), "positional"), "%s",
              mw_last_error());

    /* the memory rule: a limit that the streamed model fits and the resident one does not */
    mw_memory_need resident_need, streamed_need;
    CHECK(mw_memory_check(&info, NULL, 0, &resident_need) == MW_OK);
    CHECK(mw_memory_check_experts(&info, NULL, 0, info.expert_max_bytes, &streamed_need) == MW_OK);
    CHECK(streamed_need.expert_cache_bytes == info.expert_max_bytes);
    CHECK(streamed_need.weight_bytes == info.weight_bytes - info.expert_bytes);
    CHECK(streamed_need.total_bytes < resident_need.total_bytes);
    CHECK(mw_memory_check_experts(&info, NULL, 0, info.expert_max_bytes - 1, NULL) == MW_ERR_INVALID_ARG);
    mw_memory_need huge;
    CHECK(mw_memory_check_experts(&info, NULL, 0, (uint64_t)1 << 40, &huge) == MW_OK);
    CHECK(huge.expert_cache_bytes == info.expert_bytes && huge.total_bytes == resident_need.total_bytes);
    mp = mw_model_params_default();
    mp.memory_limit = streamed_need.total_bytes;
    st = mw_model_open_file(path, &mp, &m);
    CHECK_MSG(st == MW_ERR_TOO_LARGE && strstr(mw_last_error(), "--expert-cache") &&
              strstr(mw_last_error(), "expertCache"), "%s: %s", mw_status_name(st), mw_last_error());
    mp.expert_cache_bytes = info.expert_max_bytes;
    st = mw_model_open_file(path, &mp, &m);
    CHECK_MSG(st == MW_OK, "%s", mw_last_error());
    if (!st) {
        /* its smallest session fits; a larger one is refused by the same rule */
        mw_session_params sp = mw_session_params_default();
        sp.n_ctx = 1, sp.n_batch = 1, sp.kv_type = MW_KV_F16;
        CHECK(mw_session_create(m, &sp, &s) == MW_OK);
        mw_session_free(s);
        sp.n_ctx = 512;
        st = mw_session_create(m, &sp, &s);
        CHECK_MSG(st == MW_ERR_TOO_LARGE && strstr(mw_last_error(), "expert cache"), "%s", mw_last_error());
        mw_model_free(m);
    }
    free(r.logits);
    free(resident.logits);
    free(bytes);
}

/* a dense model ignores the budget */
static void test_dense(void)
{
    char path[1024];
    model_path(path, sizeof path, "mistral-s.Q4_0");
    mw_model_params mp = mw_model_params_default();
    mp.expert_cache_bytes = 1;
    mw_model *m = NULL;
    CHECK(mw_model_open_file(path, &mp, &m) == MW_OK);
    mw_model_info info;
    mw_model_get_info(m, &info);
    CHECK(info.expert_bytes == 0 && info.expert_max_bytes == 0);
    mw_expert_stats es;
    CHECK(mw_model_expert_stats(m, &es) == MW_OK && es.budget_bytes == 0);
    mw_model_free(m);
}

int main(void)
{
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
        test_model(models[i]);
    test_source();
    test_dense();
    return TEST_REPORT();
}
