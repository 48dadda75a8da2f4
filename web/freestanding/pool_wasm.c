/*
 * pool_wasm.c — core/pool.h for the freestanding wasm64 module (built with MW_POOL_WASM, which
 * turns off pool.c's single-thread twin): the same protocol as pool.c's pthreads pool, on wasm
 * atomics. The threads are Web Workers that the JS glue (web/wasm64/glue.mjs) starts on the
 * module's shared memory; each calls mw_wasm_worker_run(ith) once and never returns. A pool of
 * n threads uses workers 1..n-1 (the caller is thread 0), so mw_pool_create fails clearly
 * when the page started fewer workers.
 *
 * A task is published seqlock-style: the generation counter goes odd while its fields are
 * written and even when they are complete, so a worker never mixes two tasks. Workers spin on it for a while (the
 * tasks of a decode step come microseconds apart; a wait/notify round trip costs more) and
 * then sleep in memory.atomic.wait32. The caller runs share 0 and spins until the pending
 * count is zero: it never blocks, since the page's main thread may not atomic.wait.
 */
#include "pool.h"

#define MAX_THREADS 256
#define SPIN_ITERS (1 << 15)

struct mw_pool { int n_threads; };

/* one task slot for the whole module; runs from different sessions take turns (run_lock) */
static struct {
    int32_t generation;
    int32_t pending;
    int32_t n_workers;    /* workers that entered mw_wasm_worker_run */
    int32_t run_lock;
    int32_t n_threads;    /* threads of the current task */
    int32_t worker_runs;  /* task shares run by workers (tests check the workers really work) */
    mw_task_fn fn;
    void *arg;
} hub;

__attribute__((export_name("mw_wasm_worker_run"))) void mw_wasm_worker_run(int32_t ith)
{
    int32_t seen = __atomic_load_n(&hub.generation, __ATOMIC_ACQUIRE);
    __atomic_fetch_add(&hub.n_workers, 1, __ATOMIC_SEQ_CST);
    for (;;) {
        int32_t g;
        for (int spins = 0;; spins++) {
            g = __atomic_load_n(&hub.generation, __ATOMIC_ACQUIRE);
            if (g != seen && !(g & 1))
                break;
            if (spins >= SPIN_ITERS && g == seen) /* odd: a task is being written, keep spinning */
                __builtin_wasm_memory_atomic_wait32(&hub.generation, seen, -1);
        }
        seen = g;
        const int32_t nth = hub.n_threads;
        const mw_task_fn fn = hub.fn;
        void *const arg = hub.arg;
        /* Moved on already: task g finished without this worker (a selected worker holds it
         * up until it is done), and the fields may belong to the next one. */
        if (__atomic_load_n(&hub.generation, __ATOMIC_ACQUIRE) != g)
            continue;
        if (ith < nth) {
            fn(arg, ith, nth);
            __atomic_fetch_add(&hub.worker_runs, 1, __ATOMIC_RELAXED);
            __atomic_fetch_sub(&hub.pending, 1, __ATOMIC_ACQ_REL);
        }
    }
}

/* Workers running mw_wasm_worker_run: the glue waits for this before creating sessions. */
__attribute__((export_name("mw_wasm_workers_ready"))) int32_t mw_wasm_workers_ready(void)
{
    return __atomic_load_n(&hub.n_workers, __ATOMIC_ACQUIRE);
}

/* Task shares the workers have run so far. */
__attribute__((export_name("mw_wasm_worker_runs"))) int32_t mw_wasm_worker_runs(void)
{
    return __atomic_load_n(&hub.worker_runs, __ATOMIC_RELAXED);
}

mw_status mw_pool_create(int n_threads, mw_pool **out)
{
    *out = NULL;
    if (n_threads < 1)
        n_threads = 1;
    if (n_threads > MAX_THREADS)
        return mw_fail(MW_ERR_INVALID_ARG, "%d threads is more than the %d supported", n_threads, MAX_THREADS);
    const int32_t workers = mw_wasm_workers_ready();
    if (n_threads - 1 > workers)
        return mw_fail(MW_ERR_INVALID_ARG,
                       "%d threads need %d workers, but the page started %d (the glue's threads option)",
                       n_threads, n_threads - 1, (int)workers);
    mw_pool *pool = mw_calloc(1, sizeof *pool);
    if (!pool)
        return mw_fail(MW_ERR_NO_MEMORY, "out of memory creating the thread pool");
    pool->n_threads = n_threads;
    *out = pool;
    return MW_OK;
}

void mw_pool_free(mw_pool *pool) { mw_free(pool); }

int mw_pool_size(const mw_pool *pool) { return pool ? pool->n_threads : 1; }

void mw_pool_run(mw_pool *pool, uint64_t work, mw_task_fn fn, void *arg)
{
    if (!pool || pool->n_threads == 1 || work < MW_POOL_MIN_WORK) {
        fn(arg, 0, 1);
        return;
    }
    while (__atomic_exchange_n(&hub.run_lock, 1, __ATOMIC_ACQUIRE))
        ;
    __atomic_fetch_add(&hub.generation, 1, __ATOMIC_SEQ_CST); /* odd: writing */
    hub.fn = fn;
    hub.arg = arg;
    hub.n_threads = pool->n_threads;
    __atomic_store_n(&hub.pending, pool->n_threads - 1, __ATOMIC_RELEASE);
    __atomic_fetch_add(&hub.generation, 1, __ATOMIC_SEQ_CST); /* even: published */
    __builtin_wasm_memory_atomic_notify(&hub.generation, (uint32_t)-1);
    fn(arg, 0, pool->n_threads);
    while (__atomic_load_n(&hub.pending, __ATOMIC_ACQUIRE) != 0)
        ;
    __atomic_store_n(&hub.run_lock, 0, __ATOMIC_RELEASE);
}
