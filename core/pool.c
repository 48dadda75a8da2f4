/*
 * pool.c — persistent worker threads for one task at a time (see pool.h).
 *
 * A task is a number of shares. The caller publishes it in one word, `ticket`: a generation
 * (the high bits) and the seats still open to workers (the low 8 bits, n_threads - 1). A worker
 * that sees a new generation takes a seat (compare-and-swap); the caller and the seated workers
 * then take shares from one counter until none is left. The caller closes the task (takes the
 * seats still open) and waits only for the workers that were seated. So a worker that is
 * asleep, descheduled by another process, or slow to wake (a browser's futex) never holds the
 * caller up: its shares are done by whoever is running, and it finds the task closed. Which
 * thread runs a share does not change the numbers: a share is always the same piece of work.
 *
 * Workers spin on the ticket for a short while (a decode step issues tasks microseconds
 * apart), then yield their core, then sleep on a condition variable (between requests); the
 * caller signals it only when a worker sleeps. Without pthreads (WASI, single-thread wasm) the
 * same API runs every task inline on one thread. The freestanding wasm64 module defines
 * MW_POOL_WASM and brings its own backend (wasm atomics, workers started by JS).
 */
#include "pool.h"

#if defined(MW_HAVE_PTHREADS)
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#if defined(MW_POOL_STATS)
#include <time.h>
#endif

/* A waiting thread first spins (tasks of one forward pass come microseconds apart), then
 * yields its core (when other processes share the cores, the thread we wait for may need it),
 * and a worker finally sleeps on the condition variable (between user requests). */
#define SPIN_ITERS 2000
#define YIELD_ITERS 2000

#define SEAT_BITS 8                     /* up to 255 workers: mw_pool_create allows 256 threads */
#define SEATS(t) ((t) & ((1u << SEAT_BITS) - 1))
#define GEN(t) ((t) >> SEAT_BITS)

struct mw_pool {
    int n_threads;
    pthread_t *threads;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    atomic_int sleepers;            /* workers in (or entering) pthread_cond_wait */
    atomic_int stop;
    /* the task: written by the caller before the ticket publishes it */
    mw_task_fn fn;
    void *arg;
    int n_shares;
    /* each on its own cache line (padding, not alignas: the allocation hook aligns to 16):
     * the ticket is read by spinning workers, the share counter is taken by every thread
     * during the task, the done count is written once per seated worker */
    char pad0[64];
    atomic_uint ticket;
    char pad1[64];
    atomic_int next_share;
    char pad2[64];
    atomic_int done;    /* seated workers finished with this task */
    char pad3[64];
#if defined(MW_POOL_STATS)
    mw_pool_stats stats;   /* written by the caller, except: */
    atomic_ullong worker_sleeps;
#endif
};

#if defined(MW_POOL_STATS)
static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
#define STAT(x) x
#else
#define STAT(x)
#endif

typedef struct worker_arg { mw_pool *pool; int ith; } worker_arg;

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* take shares until none is left */
static void run_shares(mw_pool *pool)
{
    const int n = pool->n_shares;
    for (int s; (s = atomic_fetch_add_explicit(&pool->next_share, 1, memory_order_relaxed)) < n;)
        pool->fn(pool->arg, s, n);
}

/* the ticket once its generation differs from `seen` (or stop): spin, yield, then sleep */
static unsigned wait_ticket(mw_pool *pool, unsigned seen)
{
    for (int spins = 0;; spins++) {
        unsigned t = atomic_load_explicit(&pool->ticket, memory_order_acquire);
        if (GEN(t) != seen || atomic_load_explicit(&pool->stop, memory_order_relaxed))
            return t;
        if (spins < SPIN_ITERS) {
            cpu_relax();
        } else if (spins < SPIN_ITERS + YIELD_ITERS) {
            sched_yield();
        } else {
            STAT(atomic_fetch_add_explicit(&pool->worker_sleeps, 1, memory_order_relaxed));
            pthread_mutex_lock(&pool->mutex);
            /* seq_cst, as the caller's publish then load of sleepers: one of us sees the other */
            atomic_fetch_add(&pool->sleepers, 1);
            while (GEN(atomic_load(&pool->ticket)) == seen && !atomic_load(&pool->stop))
                pthread_cond_wait(&pool->wake, &pool->mutex);
            atomic_fetch_sub(&pool->sleepers, 1);
            pthread_mutex_unlock(&pool->mutex);
            spins = 0;
        }
    }
}

static void *worker_main(void *p)
{
    worker_arg wa = *(worker_arg *)p;
    mw_free(p);
    mw_pool *pool = wa.pool;
    /* the generation at creation (0): a task published before this thread ran still counts */
    unsigned seen = 0;
    for (;;) {
        unsigned t = wait_ticket(pool, seen);
        if (atomic_load(&pool->stop))
            return NULL;
        seen = GEN(t);
        /* a seat, while the task is open; a failed swap reloads t (a newer task: next loop) */
        while (GEN(t) == seen && SEATS(t) > 0 &&
               !atomic_compare_exchange_weak_explicit(&pool->ticket, &t, t - 1,
                                                      memory_order_acquire, memory_order_acquire))
            ;
        if (GEN(t) != seen || SEATS(t) == 0)
            continue;
        run_shares(pool);
        atomic_fetch_add_explicit(&pool->done, 1, memory_order_release);
    }
}

mw_status mw_pool_create(int n_threads, mw_pool **out)
{
    *out = NULL;
    if (n_threads < 1)
        n_threads = 1;
    if (n_threads > 256)
        return mw_fail(MW_ERR_INVALID_ARG, "%d threads is more than the 256 supported", n_threads);
    mw_pool *pool = mw_calloc(1, sizeof *pool);
    if (!pool)
        return mw_fail(MW_ERR_NO_MEMORY, "out of memory creating the thread pool");
    pool->n_threads = 1;
    pthread_mutex_init(&pool->mutex, NULL);
    pthread_cond_init(&pool->wake, NULL);
    if (n_threads > 1) {
        pool->threads = mw_calloc((size_t)n_threads, sizeof *pool->threads);
        if (!pool->threads) {
            mw_pool_free(pool);
            return mw_fail(MW_ERR_NO_MEMORY, "out of memory creating the thread pool");
        }
    }
    for (int i = 1; i < n_threads; i++) {
        worker_arg *wa = mw_alloc(sizeof *wa);
        if (!wa) {
            mw_pool_free(pool);
            return mw_fail(MW_ERR_NO_MEMORY, "out of memory starting worker %d", i);
        }
        wa->pool = pool;
        wa->ith = i;
        if (pthread_create(&pool->threads[i], NULL, worker_main, wa) != 0) {
            mw_free(wa);
            mw_pool_free(pool);
            return mw_fail(MW_ERR_NO_MEMORY, "could not start worker thread %d of %d", i, n_threads);
        }
        pool->n_threads = i + 1;
    }
    *out = pool;
    return MW_OK;
}

void mw_pool_free(mw_pool *pool)
{
    if (!pool)
        return;
    pthread_mutex_lock(&pool->mutex);
    atomic_store(&pool->stop, 1);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    for (int i = 1; i < pool->n_threads; i++)
        pthread_join(pool->threads[i], NULL);
    pthread_mutex_destroy(&pool->mutex);
    pthread_cond_destroy(&pool->wake);
    mw_free(pool->threads);
    mw_free(pool);
}

int mw_pool_size(const mw_pool *pool) { return pool ? pool->n_threads : 1; }

void mw_pool_run_shares(mw_pool *pool, uint64_t work, int n_shares, mw_task_fn fn, void *arg)
{
    if (!pool || pool->n_threads == 1 || work < MW_POOL_MIN_WORK || n_shares <= 1) {
        STAT(const uint64_t t0 = pool ? now_ns() : 0);
        fn(arg, 0, 1);
        STAT(if (pool) { pool->stats.inline_runs++; pool->stats.ns_inline += now_ns() - t0; });
        return;
    }
    STAT(const uint64_t t0 = now_ns());
    pool->fn = fn;
    pool->arg = arg;
    pool->n_shares = n_shares;
    atomic_store_explicit(&pool->next_share, 0, memory_order_relaxed);
    atomic_store_explicit(&pool->done, 0, memory_order_relaxed);
    const unsigned gen = GEN(atomic_load_explicit(&pool->ticket, memory_order_relaxed)) + 1;
    /* seq_cst: ordered before the load of sleepers below (see wait_ticket) */
    atomic_store(&pool->ticket, gen << SEAT_BITS | (unsigned)(pool->n_threads - 1));
    if (atomic_load(&pool->sleepers) > 0) {
        pthread_mutex_lock(&pool->mutex);
        pthread_cond_broadcast(&pool->wake);
        pthread_mutex_unlock(&pool->mutex);
    }
    run_shares(pool);
    STAT(const uint64_t t1 = now_ns());
    /* close the task: the seats still open stay empty; wait for the seated workers */
    const unsigned left = SEATS(atomic_exchange_explicit(&pool->ticket, gen << SEAT_BITS,
                                                         memory_order_acq_rel));
    const int seated = pool->n_threads - 1 - (int)left;
    for (int spins = 0; atomic_load_explicit(&pool->done, memory_order_acquire) != seated; spins++) {
        if (spins < SPIN_ITERS)
            cpu_relax();
        else
            sched_yield();
    }
    STAT(const uint64_t t2 = now_ns(); pool->stats.runs++; pool->stats.ns_parallel += t2 - t0;
         pool->stats.ns_wait += t2 - t1);
}

void mw_pool_run(mw_pool *pool, uint64_t work, mw_task_fn fn, void *arg)
{
    mw_pool_run_shares(pool, work, mw_pool_size(pool), fn, arg);
}

#if defined(MW_POOL_STATS)
bool mw_pool_stats_enabled(void) { return true; }
#else
bool mw_pool_stats_enabled(void) { return false; }
#endif

void mw_pool_stats_get(const mw_pool *pool, mw_pool_stats *out)
{
    memset(out, 0, sizeof *out);
#if defined(MW_POOL_STATS)
    if (pool) {
        *out = pool->stats;
        out->worker_sleeps = atomic_load(&((mw_pool *)pool)->worker_sleeps);
    }
#else
    (void)pool;
#endif
}

void mw_pool_stats_reset(mw_pool *pool)
{
#if defined(MW_POOL_STATS)
    if (pool) {
        memset(&pool->stats, 0, sizeof pool->stats);
        atomic_store(&pool->worker_sleeps, 0);
    }
#else
    (void)pool;
#endif
}

#elif !defined(MW_POOL_WASM) /* single-thread twin; MW_POOL_WASM: web/freestanding/pool_wasm.c */

struct mw_pool { int n_threads; };

mw_status mw_pool_create(int n_threads, mw_pool **out)
{
    (void)n_threads;
    *out = mw_calloc(1, sizeof **out);
    if (!*out)
        return mw_fail(MW_ERR_NO_MEMORY, "out of memory creating the thread pool");
    (*out)->n_threads = 1;
    return MW_OK;
}

void mw_pool_free(mw_pool *pool) { mw_free(pool); }
int mw_pool_size(const mw_pool *pool) { (void)pool; return 1; }
void mw_pool_run(mw_pool *pool, uint64_t work, mw_task_fn fn, void *arg)
{
    (void)pool;
    (void)work;
    fn(arg, 0, 1);
}

void mw_pool_run_shares(mw_pool *pool, uint64_t work, int n_shares, mw_task_fn fn, void *arg)
{
    (void)n_shares;
    mw_pool_run(pool, work, fn, arg);
}

bool mw_pool_stats_enabled(void) { return false; }
void mw_pool_stats_get(const mw_pool *pool, mw_pool_stats *out) { (void)pool; memset(out, 0, sizeof *out); }
void mw_pool_stats_reset(mw_pool *pool) { (void)pool; }

#endif
