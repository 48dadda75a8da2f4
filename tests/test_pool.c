/*
 * test_pool.c — the thread pool (core/pool.c) and the kernel table's first use from many threads:
 *   - the kernel table filled by threads racing into mw_kernels_init() at once (the first thing
 *     this program does: the table is filled once per process) — the ThreadSanitizer stage
 *     (tools/test.sh tsan) reports any unsynchronised access;
 *   - parallel-for over many sizes x thread counts: every index written exactly once, by the
 *     share of the thread that owns it, and every share 0..nth-1 run once per task;
 *   - work below MW_POOL_MIN_WORK runs on the caller alone (ith 0 of 1);
 *   - more shares than threads (mw_pool_run_shares): every share once, whoever runs it;
 *   - reuse: thousands of tasks on one pool, alternating task functions;
 *   - shutdown: pools freed right after creation, after one task, after many, in a loop;
 *   - bad thread counts.
 * Without pthreads (WASI) the pool is its single-thread twin: the same checks with nth = 1.
 */
#include <stdatomic.h>

#include "harness.h"

#include "kernels/kernels.h"
#include "pool.h"

/* Threads a pool can have here: the Emscripten test programs pre-start 4 workers and cannot
 * create more (PTHREAD_POOL_SIZE in cmake/emscripten.cmake), so 4 + the caller. */
#ifdef __EMSCRIPTEN__
#define MAX_THREADS 5
#else
#define MAX_THREADS 16
#endif

/* ---- first use of the kernel table from many threads at once --------------------------- */

typedef struct init_race {
    atomic_int arrived;
    int nth;
    const char *name[64];
} init_race;

static void init_task(void *p, int ith, int nth)
{
    init_race *r = p;
    /* a barrier: every thread enters mw_kernels_init() at the same moment */
    atomic_fetch_add(&r->arrived, 1);
    while (atomic_load(&r->arrived) < nth)
        ;
    mw_kernels_init();
    r->name[ith] = mw_kern->name;
}

static void test_kernels_init_race(void)
{
    mw_pool *pool = NULL;
    CHECK(mw_pool_create(MAX_THREADS, &pool) == MW_OK);
    if (!pool) return;
    init_race r = { 0 };
    r.nth = mw_pool_size(pool);
    mw_pool_run(pool, MW_POOL_MIN_WORK, init_task, &r);
    int same = 1;
    for (int i = 0; i < r.nth; i++)
        same &= r.name[i] != NULL && r.name[i] == mw_kernels_name();
    CHECK_MSG(same, "%d threads filled the kernel table at once: every one sees the same table", r.nth);
    printf("kernel table filled from %d threads at once: %s\n", r.nth, mw_kernels_name());
    mw_pool_free(pool);
}

/* ---- parallel-for ----------------------------------------------------------------------- */

typedef struct pfor {
    size_t n;
    uint32_t *hits;        /* [n] times index i was written */
    uint32_t *owner;       /* [n] the share that wrote it */
    uint32_t shares[256];  /* times share ith ran (each written by its own thread only) */
    int nth_seen[256];
} pfor;

static void pfor_task(void *p, int ith, int nth)
{
    pfor *f = p;
    size_t a = f->n * (size_t)ith / (size_t)nth, b = f->n * (size_t)(ith + 1) / (size_t)nth;
    for (size_t i = a; i < b; i++) {
        f->hits[i]++;
        f->owner[i] = (uint32_t)ith;
    }
    f->shares[ith]++;
    f->nth_seen[ith] = nth;
}

/* one task over n indices in n_shares shares (0: one per thread); 1 when every index was
 * written once by its share */
static int run_pfor_shares(mw_pool *pool, size_t n, uint64_t work, int n_shares, int want_nth)
{
    pfor f = { 0 };
    f.n = n;
    f.hits = calloc(n + 1, sizeof *f.hits);
    f.owner = calloc(n + 1, sizeof *f.owner);
    if (n_shares)
        mw_pool_run_shares(pool, work, n_shares, pfor_task, &f);
    else
        mw_pool_run(pool, work, pfor_task, &f);
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        size_t o = f.owner[i];
        ok &= f.hits[i] == 1 && o < (size_t)want_nth && n * o / (size_t)want_nth <= i &&
              i < n * (o + 1) / (size_t)want_nth;
    }
    for (int s = 0; s < 256; s++) {
        if (s < want_nth)
            ok &= f.shares[s] == 1 && f.nth_seen[s] == want_nth;
        else
            ok &= f.shares[s] == 0;
    }
    free(f.hits);
    free(f.owner);
    return ok;
}

static int run_pfor(mw_pool *pool, size_t n, uint64_t work, int want_nth)
{
    return run_pfor_shares(pool, n, work, 0, want_nth);
}

/* 1 when this build has worker threads (without pthreads the pool is its one-thread twin);
 * asked before any other pool exists, since Emscripten's workers are a fixed set */
static int have_threads;

static int threaded(void)
{
    mw_pool *pool = NULL;
    int n = mw_pool_create(2, &pool) == MW_OK ? mw_pool_size(pool) : 0;
    mw_pool_free(pool);
    return n == 2;
}

static void test_parallel_for(void)
{
    static const int threads[] = { 1, 2, 3, 4, 5, 8, 13, 16 };
    static const size_t sizes[] = { 0, 1, 2, 3, 7, 15, 16, 17, 100, 255, 1000, 4097, 100003 };
    for (size_t t = 0; t < sizeof threads / sizeof threads[0] && threads[t] <= MAX_THREADS; t++) {
        mw_pool *pool = NULL;
        CHECK(mw_pool_create(threads[t], &pool) == MW_OK && pool);
        if (!pool) continue;
        int nth = mw_pool_size(pool);
        CHECK(nth == (have_threads ? threads[t] : 1));
        int ok = 1, ok_small = 1;
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            ok &= run_pfor(pool, sizes[s], MW_POOL_MIN_WORK, nth);
            ok_small &= run_pfor(pool, sizes[s], MW_POOL_MIN_WORK - 1, 1);   /* caller alone */
        }
        CHECK_MSG(ok, "%d threads: every index written once by its share", nth);
        int ok_shares = 1;
        for (int n_shares = 2; n_shares <= 256; n_shares = n_shares * 3 + 1) {
            for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
                ok_shares &= run_pfor_shares(pool, sizes[s], MW_POOL_MIN_WORK, n_shares,
                                             have_threads && nth > 1 ? n_shares : 1);
            for (int r = 0; r < 200; r++)   /* many tasks: shares taken while workers come and go */
                ok_shares &= run_pfor_shares(pool, 1000, MW_POOL_MIN_WORK, n_shares,
                                             have_threads && nth > 1 ? n_shares : 1);
        }
        CHECK_MSG(ok_shares, "%d threads, 2..256 shares: every share run once, every index once", nth);
        CHECK_MSG(ok_small, "%d threads: small work runs on the caller alone", nth);
        mw_pool_free(pool);
    }
    CHECK(mw_pool_size(NULL) == 1);
    CHECK(run_pfor(NULL, 1000, UINT64_MAX, 1));   /* no pool: inline */
}

/* ---- reuse ------------------------------------------------------------------------------ */

typedef struct sum_task {
    const uint32_t *x;
    size_t n;
    uint64_t partial[256];
} sum_task;

static void sum_fn(void *p, int ith, int nth)
{
    sum_task *s = p;
    uint64_t acc = 0;
    for (size_t i = s->n * (size_t)ith / (size_t)nth; i < s->n * (size_t)(ith + 1) / (size_t)nth; i++)
        acc += s->x[i];
    s->partial[ith] = acc;
}

typedef struct scale_task {
    uint32_t *x;
    size_t n;
    uint32_t k;
} scale_task;

static void scale_fn(void *p, int ith, int nth)
{
    scale_task *s = p;
    for (size_t i = s->n * (size_t)ith / (size_t)nth; i < s->n * (size_t)(ith + 1) / (size_t)nth; i++)
        s->x[i] = s->x[i] * s->k + 1;
}

/* Alternate two task functions (each reading what the previous task wrote) many times: the
 * results equal the same steps done serially. */
static void test_reuse(int n_threads, int rounds)
{
    mw_pool *pool = NULL;
    CHECK(mw_pool_create(n_threads, &pool) == MW_OK && pool);
    if (!pool) return;
    int nth = mw_pool_size(pool);
    enum { N = 4099 };
    static uint32_t x[N], y[N];
    for (size_t i = 0; i < N; i++) x[i] = y[i] = (uint32_t)i;
    int ok = 1;
    for (int r = 0; r < rounds; r++) {
        scale_task sc = { x, N, (uint32_t)(r % 7) + 1 };
        mw_pool_run(pool, MW_POOL_MIN_WORK, scale_fn, &sc);
        uint64_t want = 0;
        for (size_t i = 0; i < N; i++) {
            y[i] = y[i] * sc.k + 1;
            want += y[i];
        }
        sum_task su = { x, N, { 0 } };
        mw_pool_run(pool, MW_POOL_MIN_WORK, sum_fn, &su);
        uint64_t got = 0;
        for (int i = 0; i < nth; i++) got += su.partial[i];
        ok &= got == want;
    }
    CHECK_MSG(ok, "%d threads, %d rounds of two alternating tasks: results equal the serial ones",
              nth, rounds);
    mw_pool_free(pool);
}

/* ---- shutdown --------------------------------------------------------------------------- */

static void nop_fn(void *p, int ith, int nth)
{
    (void)ith;
    (void)nth;
    atomic_fetch_add((atomic_int *)p, 1);
}

static void test_shutdown(void)
{
    int ok = 1;
    for (int i = 0; i < 40; i++) {
        mw_pool *pool = NULL;
        int n = 1 + i % MW_MIN(9, MAX_THREADS);
        ok &= mw_pool_create(n, &pool) == MW_OK && pool;
        if (!pool) continue;
        atomic_int count = 0;
        int runs = i % 3 == 0 ? 0 : i % 3 == 1 ? 1 : 50;   /* freed at once, after 1, after 50 */
        for (int r = 0; r < runs; r++)
            mw_pool_run(pool, MW_POOL_MIN_WORK, nop_fn, &count);
        ok &= atomic_load(&count) == runs * mw_pool_size(pool);
        mw_pool_free(pool);
    }
    CHECK_MSG(ok, "40 pools created, used 0/1/50 times and freed");
    mw_pool_free(NULL);

    mw_pool *pool = (mw_pool *)1;
    if (have_threads)
        CHECK(mw_pool_create(257, &pool) == MW_ERR_INVALID_ARG && pool == NULL);
    CHECK(mw_pool_create(0, &pool) == MW_OK && pool && mw_pool_size(pool) == 1);
    mw_pool_free(pool);
    CHECK(mw_pool_create(-3, &pool) == MW_OK && pool && mw_pool_size(pool) == 1);
    mw_pool_free(pool);
}

int main(void)
{
    have_threads = threaded();
    test_kernels_init_race();   /* before anything fills the kernel table */
    test_parallel_for();
    test_reuse(4, 2000);
    test_reuse(MAX_THREADS, 200);
    test_shutdown();
    return TEST_REPORT();
}
