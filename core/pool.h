/*
 * pool.h — a persistent thread pool: workers are created once per session and run one task at
 * a time on all threads (the caller is thread 0 and does its share). Built without pthreads it
 * is a single-thread twin with the same API, so callers never special-case.
 */
#ifndef MW_POOL_H
#define MW_POOL_H

#include "base.h"

typedef struct mw_pool mw_pool;

/* fn(arg, ith, nth) runs once on each of nth threads; ith = 0 is the caller. */
typedef void (*mw_task_fn)(void *arg, int ith, int nth);

mw_status mw_pool_create(int n_threads, mw_pool **out);
void mw_pool_free(mw_pool *pool);
int mw_pool_size(const mw_pool *pool);
/* Run fn on every thread and return when all have finished. `work` is a rough cost of the
 * task (multiply-adds, bytes): below MW_POOL_MIN_WORK the caller runs it alone, since waking
 * the other threads would cost more than it saves (tiny models, short attention spans). */
#define MW_POOL_MIN_WORK 32768
void mw_pool_run(mw_pool *pool, uint64_t work, mw_task_fn fn, void *arg);

#endif
