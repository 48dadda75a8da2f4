/*
 * pool_wasm.c — core/pool.h for the freestanding wasm64 module (built with MW_POOL_WASM, which
 * turns off pool.c's single-thread twin), on wasm atomics. The threads are Web Workers that the
 * JS glue (web/wasm64/glue.mjs) starts on the module's shared memory; each calls
 * mw_wasm_worker_run(ith) once and never returns. A pool of n threads seats n - 1 of them
 * beside the caller, so mw_pool_create fails clearly when the page started fewer workers.
 *
 * The protocol is pool.c's pthreads pool: the caller publishes a task in one word, `ticket`
 * (a generation and the seats open to workers); a worker takes a seat by compare-and-swap; the
 * caller and the seated workers take shares from one counter; the caller closes the task and
 * waits only for the seated workers, so a worker that sleeps or wakes late never holds it up.
 * Workers spin on the ticket for a while (the tasks of a decode step come microseconds apart;
 * a wait/notify round trip costs more) and then sleep in memory.atomic.wait32; the caller
 * notifies only when one sleeps. The caller spins while it waits: it never blocks, since the
 * page's main thread may not atomic.wait.
 */
#include "pool.h"

#define MAX_THREADS 256
/* About a millisecond of loads. 1 << 15 (tens of microseconds) let a worker fall asleep in the
 * serial steps between a 7B decode step's tasks (~25 times a token); woken by atomic.notify it
 * came late to the next task, which the caller then mostly ran alone: 7B Q4_K_M, 2 threads,
 * decode 4.60 -> 5.22 tok/s in Chromium, 3.60 -> 4.67 in Firefox (decode_pool counters: worker
 * sleeps 801 -> 25, worker's share of the shares 42 % -> 55 %). */
#define SPIN_ITERS (1 << 20)
#define SEAT_BITS 8
#define SEATS(t) ((t) & ((1u << SEAT_BITS) - 1))
#define GEN(t) ((t) >> SEAT_BITS)

struct mw_pool { int n_threads; };

/* Counters of the pool's tasks (bench harness: tools/bench/browser/ours.mjs), each a relaxed add
 * once per task or per share, so they cost nothing measurable: */
enum {
    COUNT_TASKS,          /* tasks run on the pool (not inline) */
    COUNT_SHARES,         /* their shares */
    COUNT_WORKER_SHARES,  /* of which workers ran (mw_wasm_worker_runs: tests check they work) */
    COUNT_SEATS_EMPTY,    /* seats still open when the caller closed a task: a worker came late */
    COUNT_CALLER_SPINS,   /* the caller's wait loops for seated workers after its own shares */
    COUNT_WORKER_SLEEPS,  /* workers that went to atomic.wait32 */
    MW_WASM_POOL_COUNTS
};
/* their names, in the enum's order (the glue reads them: mw_wasm_pool_count_names) */
static const char COUNT_NAMES[] = "tasks shares worker_shares seats_empty caller_spins worker_sleeps";

/* one task slot for the whole module; runs from different sessions take turns (run_lock).
 * The words workers spin on or take in turn each sit on their own cache line. */
static struct {
    uint32_t ticket;       /* GEN << SEAT_BITS | seats still open */
    char pad0[60];
    int32_t next_share;
    char pad1[60];
    int32_t done;          /* seated workers finished with the task */
    char pad2[60];
    int32_t sleepers;      /* workers in (or entering) atomic.wait32 */
    int32_t n_workers;     /* workers that entered mw_wasm_worker_run */
    int32_t run_lock;
    int32_t n_shares;
    mw_task_fn fn;
    void *arg;
    char pad3[64];         /* the counters, written at each task's end, away from what it reads */
    int64_t counts[MW_WASM_POOL_COUNTS];   /* mw_wasm_pool_counts: where a parallel step's time goes */
} hub;

#define COUNT(i, n) __atomic_fetch_add(&hub.counts[i], (int64_t)(n), __ATOMIC_RELAXED)

static void run_shares(int from_worker)
{
    const int32_t n = hub.n_shares;
    int32_t ran = 0;
    for (int32_t s; (s = __atomic_fetch_add(&hub.next_share, 1, __ATOMIC_RELAXED)) < n; ran++)
        hub.fn(hub.arg, s, n);
    if (from_worker && ran)
        COUNT(COUNT_WORKER_SHARES, ran);
}

__attribute__((export_name("mw_wasm_worker_run"))) void mw_wasm_worker_run(int32_t ith)
{
    (void)ith;   /* any worker takes any seat: the share, not the worker, is the unit */
    uint32_t seen = GEN(__atomic_load_n(&hub.ticket, __ATOMIC_ACQUIRE));
    __atomic_fetch_add(&hub.n_workers, 1, __ATOMIC_SEQ_CST);
    for (;;) {
        uint32_t t;
        for (int spins = 0;; spins++) {
            t = __atomic_load_n(&hub.ticket, __ATOMIC_ACQUIRE);
            if (GEN(t) != seen)
                break;
            if (spins >= SPIN_ITERS) {
                /* seq_cst (as every wasm atomic): the caller's publish then its load of
                 * sleepers, or this add then the wait's compare, sees the other */
                __atomic_fetch_add(&hub.sleepers, 1, __ATOMIC_SEQ_CST);
                COUNT(COUNT_WORKER_SLEEPS, 1);
                __builtin_wasm_memory_atomic_wait32((int32_t *)&hub.ticket, (int32_t)t, -1);
                __atomic_fetch_sub(&hub.sleepers, 1, __ATOMIC_SEQ_CST);
                spins = 0;
            }
        }
        seen = GEN(t);
        /* a seat, while the task is open; a failed swap reloads t (a newer task: next loop) */
        while (GEN(t) == seen && SEATS(t) > 0 &&
               !__atomic_compare_exchange_n(&hub.ticket, &t, t - 1, 1, __ATOMIC_ACQUIRE,
                                            __ATOMIC_ACQUIRE))
            ;
        if (GEN(t) != seen || SEATS(t) == 0)
            continue;
        run_shares(1);
        __atomic_fetch_add(&hub.done, 1, __ATOMIC_RELEASE);
    }
}

/* Workers running mw_wasm_worker_run: the glue waits for this before creating sessions. */
__attribute__((export_name("mw_wasm_workers_ready"))) int32_t mw_wasm_workers_ready(void)
{
    return __atomic_load_n(&hub.n_workers, __ATOMIC_ACQUIRE);
}

/* The pool's counters (the enum above, in its order) into out[0 .. MW_WASM_POOL_COUNTS). */
__attribute__((export_name("mw_wasm_pool_counts"))) int32_t mw_wasm_pool_counts(int64_t *out)
{
    for (int i = 0; i < MW_WASM_POOL_COUNTS; i++)
        out[i] = __atomic_load_n(&hub.counts[i], __ATOMIC_RELAXED);
    return MW_WASM_POOL_COUNTS;
}

/* The counters' names, space-separated, in the order mw_wasm_pool_counts writes them. */
__attribute__((export_name("mw_wasm_pool_count_names"))) const char *mw_wasm_pool_count_names(void)
{
    return COUNT_NAMES;
}

/* Task shares the workers have run so far. */
__attribute__((export_name("mw_wasm_worker_runs"))) int32_t mw_wasm_worker_runs(void)
{
    return (int32_t)__atomic_load_n(&hub.counts[COUNT_WORKER_SHARES], __ATOMIC_RELAXED);
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

void mw_pool_run_shares(mw_pool *pool, uint64_t work, int n_shares, mw_task_fn fn, void *arg)
{
    if (!pool || pool->n_threads == 1 || work < MW_POOL_MIN_WORK || n_shares <= 1) {
        fn(arg, 0, 1);
        return;
    }
    while (__atomic_exchange_n(&hub.run_lock, 1, __ATOMIC_ACQUIRE))
        ;
    hub.fn = fn;
    hub.arg = arg;
    hub.n_shares = n_shares;
    __atomic_store_n(&hub.next_share, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&hub.done, 0, __ATOMIC_RELAXED);
    const uint32_t gen = GEN(__atomic_load_n(&hub.ticket, __ATOMIC_RELAXED)) + 1;
    __atomic_store_n(&hub.ticket, gen << SEAT_BITS | (uint32_t)(pool->n_threads - 1), __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&hub.sleepers, __ATOMIC_SEQ_CST) > 0)
        __builtin_wasm_memory_atomic_notify((int32_t *)&hub.ticket, (uint32_t)-1);
    run_shares(0);
    /* close the task: the seats still open stay empty; wait for the seated workers */
    const uint32_t left = SEATS(__atomic_exchange_n(&hub.ticket, gen << SEAT_BITS, __ATOMIC_ACQ_REL));
    const int32_t seated = pool->n_threads - 1 - (int32_t)left;
    int64_t spins = 0;
    while (__atomic_load_n(&hub.done, __ATOMIC_ACQUIRE) != seated)
        spins++;
    COUNT(COUNT_TASKS, 1);
    COUNT(COUNT_SHARES, n_shares);
    COUNT(COUNT_SEATS_EMPTY, left);
    COUNT(COUNT_CALLER_SPINS, spins);
    __atomic_store_n(&hub.run_lock, 0, __ATOMIC_RELEASE);
}

void mw_pool_run(mw_pool *pool, uint64_t work, mw_task_fn fn, void *arg)
{
    mw_pool_run_shares(pool, work, mw_pool_size(pool), fn, arg);
}

/* The probe's task: each share waits (spinning, bounded) until every share has started, so the
 * caller cannot run them all alone; each thread of the pool therefore runs exactly one. */
#define PROBE_SPINS (1u << 30)   /* ~1 s: long enough for a worker asleep in atomic.wait32 */
static int32_t probe_started;

static void probe_share(void *arg, int ith, int n_shares)
{
    (void)arg; (void)ith;
    __atomic_fetch_add(&probe_started, 1, __ATOMIC_SEQ_CST);
    for (uint32_t spins = 0; spins < PROBE_SPINS; spins++)
        if (__atomic_load_n(&probe_started, __ATOMIC_SEQ_CST) >= n_shares)
            return;
}

/* Runs one task of n_threads shares on a pool of n_threads and returns the shares the workers
 * ran: n_threads - 1 when every worker is alive and takes part (-1 if the pool is refused). A
 * test's proof that does not depend on timing, as the shares of a tiny model's matvecs do: there
 * the caller may finish a task before a sleeping worker has woken. */
__attribute__((export_name("mw_wasm_pool_probe"))) int32_t mw_wasm_pool_probe(int32_t n_threads)
{
    mw_pool *pool;
    if (mw_pool_create(n_threads, &pool) != MW_OK)
        return -1;
    const int32_t before = mw_wasm_worker_runs();
    __atomic_store_n(&probe_started, 0, __ATOMIC_SEQ_CST);
    mw_pool_run_shares(pool, MW_POOL_MIN_WORK, n_threads, probe_share, NULL);
    mw_pool_free(pool);
    return mw_wasm_worker_runs() - before;
}

/* pool.h's bench-only counters: not kept in this module */
bool mw_pool_stats_enabled(void) { return false; }
void mw_pool_stats_get(const mw_pool *pool, mw_pool_stats *out) { (void)pool; memset(out, 0, sizeof *out); }
void mw_pool_stats_reset(mw_pool *pool) { (void)pool; }
