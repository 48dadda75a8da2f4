/*
 * matmul.c — quantize the input once, then split the output rows of one or more weights
 * across the pool's threads; each thread hands its rows of each weight, against all tokens, to
 * the kernel set's matmul_rows (which tiles rows and tokens its own way). Weights the model
 * repacked at load (mw_tensor.repacked) are split in whole groups of MW_REPACK_ROWS rows.
 * The rows are cut into a few shares per thread (pool.h): a thread that is late to a task (asleep,
 * descheduled by another process, slow to wake in a browser) leaves its shares to the others
 * instead of holding them up. Each row's numbers do not depend on the cut.
 */
#include "matmul.h"
#include "kernels/kernels.h"
#include "ops.h"

typedef struct act_view {
    int32_t type;          /* vec_dot type */
    const uint8_t *data;   /* [n_tok] rows of row_bytes */
    size_t row_bytes;
} act_view;

typedef struct matmul_task {
    int32_t n_tok, n_cols, n_jobs;
    const mw_matmul_job *jobs;
    const act_view *act_for_job[8];
    int64_t total_rows;   /* rows split into shares: of all jobs, or of each (swiglu) */
    bool swiglu;          /* jobs gate, up (same rows): then gate = silu(gate) * up */
} matmul_task;

#define SHARES_PER_THREAD 4
#define SHARE_ROWS 16   /* shares start on a multiple of this many rows (of all jobs' rows) */

/* first row of share i of n */
static int64_t share_row(int64_t total_rows, int i, int n)
{
    return i == n ? total_rows : total_rows * i / n / SHARE_ROWS * SHARE_ROWS;
}

static void matmul_worker(void *arg, int ith, int nth)
{
    const matmul_task *t = arg;
    const int64_t r0 = share_row(t->total_rows, ith, nth), r1 = share_row(t->total_rows, ith + 1, nth);
    int64_t base = 0;
    for (int32_t j = 0; j < t->n_jobs; j++) {
        const mw_tensor *w = t->jobs[j].w;
        const int64_t n_rows = w->ne[1];
        const int64_t lo = MW_MAX(r0, base) - base, hi = MW_MIN(r1, base + n_rows) - base;
        if (!t->swiglu)
            base += n_rows;
        if (lo >= hi)
            continue;
        const act_view *a = t->act_for_job[j];
        mw_matmul_rows m = { w->type, t->n_cols, t->n_tok, w->repacked, w->data, lo, hi,
                             a->data, a->row_bytes, t->jobs[j].out, (size_t)n_rows };
        if (w->repacked) {   /* whole groups: those whose first row is in [lo, hi) */
            m.r0 = (lo + MW_REPACK_ROWS - 1) / MW_REPACK_ROWS * MW_REPACK_ROWS;
            m.r1 = (hi + MW_REPACK_ROWS - 1) / MW_REPACK_ROWS * MW_REPACK_ROWS;
        }
        if (m.r0 < m.r1)
            mw_kern->matmul_rows[w->type](&m);
    }
    /* the share's rows of both (repacked weights have a multiple of MW_REPACK_ROWS rows and the
     * cuts are multiples of SHARE_ROWS, so the groups computed are exactly [r0, r1)) */
    if (t->swiglu && r0 < r1) {
        const size_t n = (size_t)t->total_rows;
        float *g = t->jobs[0].out;
        const float *u = t->jobs[1].out;
        for (int32_t tok = 0; tok < t->n_tok; tok++)
            mw_swiglu(g + tok * n + r0, g + tok * n + r0, u + tok * n + r0, (int)(r1 - r0));
    }
}

static void matmul_run(mw_pool *pool, mw_scratch *sc, int32_t n_tok, const float *x,
                       int32_t n_jobs, const mw_matmul_job *jobs, bool swiglu)
{
    const int32_t n_cols = (int32_t)jobs[0].w->ne[0];
    act_view acts[3];
    int n_acts = 0;
    matmul_task task = { n_tok, n_cols, n_jobs, jobs, { 0 }, 0, swiglu };
    for (int32_t j = 0; j < n_jobs; j++) {
        const int32_t vdt = mw_type_traits_get(jobs[j].w->type)->vec_dot_type;
        int a = 0;
        while (a < n_acts && acts[a].type != vdt)
            a++;
        if (a == n_acts) {
            acts[a].type = vdt;
            acts[a].row_bytes = mw_row_size(vdt, n_cols);
            if (vdt == MW_TYPE_F32) {
                acts[a].data = (const uint8_t *)x;
            } else {
                uint8_t *buf = sc->act[a];
                const mw_quantize_fn quantize = mw_kern->quantize_row[vdt];
                for (int32_t tok = 0; tok < n_tok; tok++)
                    quantize(x + (size_t)tok * n_cols, buf + (size_t)tok * acts[a].row_bytes, n_cols);
                acts[a].data = buf;
            }
            n_acts++;
        }
        task.act_for_job[j] = &acts[a];
        task.total_rows += jobs[j].w->ne[1];
    }
    const uint64_t work = (uint64_t)task.total_rows * n_cols * n_tok;
    if (swiglu)
        task.total_rows = jobs[0].w->ne[1];
    const int64_t max_shares = (task.total_rows + SHARE_ROWS - 1) / SHARE_ROWS;
    const int n_shares = (int)MW_MIN((int64_t)mw_pool_size(pool) * SHARES_PER_THREAD, max_shares);
    mw_pool_run_shares(pool, work, n_shares, matmul_worker, &task);
}

void mw_matmul(mw_pool *pool, mw_scratch *sc, int32_t n_tok, const float *x, int32_t n_jobs,
               const mw_matmul_job *jobs)
{
    matmul_run(pool, sc, n_tok, x, n_jobs, jobs, false);
}

void mw_matmul_swiglu(mw_pool *pool, mw_scratch *sc, int32_t n_tok, const float *x,
                      const mw_matmul_job gate_up[2])
{
    matmul_run(pool, sc, n_tok, x, 2, gate_up, true);
}
