/*
 * pool.h — a persistent thread pool: workers are created once per session and run one task at
 * a time on all threads (the caller is thread 0 and does its share). Built without pthreads it
 * is a single-thread twin with the same API, so callers never special-case.
 */
#ifndef MW_POOL_H
#define MW_POOL_H

#include "base.h"

typedef struct mw_pool mw_pool;

/* fn(arg, ith, nth) runs share ith of nth. Every share runs exactly once, but not necessarily
 * on its own thread: the threads that are running take shares until none is left (a worker
 * that is asleep or descheduled does not hold the others up). So a share may use buffers of
 * its own (indexed by ith), never thread-local state. (A barrier between the shares of
 * mw_pool_run still holds, as every share then needs a thread of its own, but it waits for
 * every worker, the wait the pool otherwise avoids: test_pool uses one.) */
typedef void (*mw_task_fn)(void *arg, int ith, int nth);

mw_status mw_pool_create(int n_threads, mw_pool **out);
void mw_pool_free(mw_pool *pool);
int mw_pool_size(const mw_pool *pool);
/* Run the shares of fn and return when all have finished. `work` is a rough cost of the
 * task (multiply-adds, bytes): below MW_POOL_MIN_WORK the caller runs it alone as share 0 of 1,
 * since waking the other threads would cost more than it saves (tiny models, short attention
 * spans). mw_pool_run has one share per thread (mw_pool_size); mw_pool_run_shares takes
 * n_shares (more than the threads: the shares balance a late or slow thread). */
#define MW_POOL_MIN_WORK 32768
void mw_pool_run(mw_pool *pool, uint64_t work, mw_task_fn fn, void *arg);
void mw_pool_run_shares(mw_pool *pool, uint64_t work, int n_shares, mw_task_fn fn, void *arg);

/* Bench-only counters (tools/bench/bench_threads): compiled in with -DMW_POOL_STATS=ON, else
 * mw_pool_stats_get reports zeros, so the hot path pays nothing by default. Times are the
 * caller's (thread 0) wall clock. */
typedef struct mw_pool_stats {
    uint64_t runs;          /* tasks run on all threads: each one is a wake + a barrier */
    uint64_t inline_runs;   /* tasks below MW_POOL_MIN_WORK, run by the caller alone */
    uint64_t ns_parallel;   /* inside parallel runs, from publishing to the last share done */
    uint64_t ns_wait;       /* of which: waiting for the workers after its own share */
    uint64_t ns_inline;     /* inside inline runs */
    uint64_t worker_sleeps; /* times a worker blocked (spin and yield ran out) */
} mw_pool_stats;
bool mw_pool_stats_enabled(void);
void mw_pool_stats_get(const mw_pool *pool, mw_pool_stats *out);
void mw_pool_stats_reset(mw_pool *pool);

#endif
