/*
 * pool.c — persistent worker threads for one task at a time (see pool.h).
 *
 * A task is published by bumping a generation counter; workers spin on it for a short while
 * (a decode step issues tasks every few microseconds, and a sleep/wake round trip would cost
 * more than the work) and then sleep on a condition variable. The caller runs share 0 and
 * spins until the pending count drops to zero. Without pthreads (WASI, single-thread wasm)
 * the same API runs every task inline on one thread. The freestanding wasm64 module defines
 * MW_POOL_WASM and brings its own backend (wasm atomics, workers started by JS).
 */
#include "pool.h"

#if defined(MW_HAVE_PTHREADS)
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

/* A waiting thread first spins (tasks of one forward pass come microseconds apart), then
 * yields its core (when other processes share the cores, the thread we wait for may need it),
 * and a worker finally sleeps on the condition variable (between user requests). */
#define SPIN_ITERS 2000
#define YIELD_ITERS 2000

struct mw_pool {
    int n_threads;
    pthread_t *threads;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    atomic_int generation;
    atomic_int pending;
    atomic_int stop;
    mw_task_fn fn;
    void *arg;
};

typedef struct worker_arg { mw_pool *pool; int ith; } worker_arg;

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void *worker_main(void *p)
{
    worker_arg wa = *(worker_arg *)p;
    mw_free(p);
    mw_pool *pool = wa.pool;
    int seen = 0; /* the generation at creation: a task published before this thread ran still counts */
    for (;;) {
        int spins = 0;
        while (atomic_load_explicit(&pool->generation, memory_order_acquire) == seen &&
               !atomic_load(&pool->stop)) {
            if (++spins < SPIN_ITERS) {
                cpu_relax();
                continue;
            }
            if (spins < SPIN_ITERS + YIELD_ITERS) {
                sched_yield();
                continue;
            }
            pthread_mutex_lock(&pool->mutex);
            while (atomic_load(&pool->generation) == seen && !atomic_load(&pool->stop))
                pthread_cond_wait(&pool->wake, &pool->mutex);
            pthread_mutex_unlock(&pool->mutex);
        }
        if (atomic_load(&pool->stop))
            return NULL;
        seen = atomic_load(&pool->generation);
        pool->fn(pool->arg, wa.ith, pool->n_threads);
        atomic_fetch_sub_explicit(&pool->pending, 1, memory_order_acq_rel);
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

void mw_pool_run(mw_pool *pool, uint64_t work, mw_task_fn fn, void *arg)
{
    if (!pool || pool->n_threads == 1 || work < MW_POOL_MIN_WORK) {
        fn(arg, 0, 1);
        return;
    }
    pool->fn = fn;
    pool->arg = arg;
    atomic_store(&pool->pending, pool->n_threads - 1);
    pthread_mutex_lock(&pool->mutex);
    atomic_fetch_add_explicit(&pool->generation, 1, memory_order_release);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    fn(arg, 0, pool->n_threads);
    for (int spins = 0; atomic_load_explicit(&pool->pending, memory_order_acquire) != 0; spins++) {
        if (spins < SPIN_ITERS)
            cpu_relax();
        else
            sched_yield();
    }
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

#endif
