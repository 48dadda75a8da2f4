/*
 * matmul.c — quantize the input once, then split the output rows of one or more weights
 * across the pool's threads. Each thread walks its rows and, for each row, all tokens: the
 * weight row stays in cache while the (much smaller) activations are re-read. Weights the
 * model repacked at load (mw_tensor.repacked) go eight rows at a time through vec_dot_rows8,
 * and in a prefill through vec_dot_rows8xn (tiles of up to 16 tokens per unpacked group) or
 * vec_dot_rows8x2 (pairs of tokens) where the kernel set has them.
 */
#include "matmul.h"
#include "kernels/kernels.h"

typedef struct act_view {
    int32_t type;          /* vec_dot type */
    const uint8_t *data;   /* [n_tok] rows of row_bytes */
    size_t row_bytes;
} act_view;

typedef struct matmul_task {
    int32_t n_tok, n_cols, n_jobs;
    const mw_matmul_job *jobs;
    const act_view *act_for_job[8];
    int64_t total_rows;
} matmul_task;

/* Prefill tiles of vec_dot_rows8xn: up to TOK_TILE tokens per call (the group's blocks are
 * unpacked once per tile; 16 measured as fast as 64 and keeps s[] small), the tokens split
 * evenly over the tiles so no tile is left with one token. From XN_MIN tokens on (below it,
 * rows8x2 / rows8 measured as fast: too few tokens to pay for unpacking into L1). The groups
 * stay the outer loop: walking all groups per tile instead measured slower on the 7B shape. */
enum { TOK_TILE = 16, XN_MIN = 4 };

/* Rows [lo, hi) of a weight repacked at load: this thread's groups (those whose first row is
 * in [lo, hi)), each against every token while its eight rows stay in L1. */
static void matmul_repacked(const matmul_task *t, const mw_tensor *w, const act_view *a, float *out,
                            int64_t lo, int64_t hi)
{
    const int64_t n_rows = w->ne[1];
    const mw_vec_dot_rows8_fn dot8 = mw_kern->vec_dot_rows8[w->type];
    const mw_vec_dot_rows8x2_fn dot8x2 = mw_kern->vec_dot_rows8x2[w->type];
    const mw_vec_dot_rows8xn_fn dot8xn = t->n_tok >= XN_MIN ? mw_kern->vec_dot_rows8xn[w->type] : NULL;
    const size_t group_bytes = (size_t)mw_kern->repack_group_bytes[w->type] * (t->n_cols / 32);
    const int32_t n_tiles = (t->n_tok + TOK_TILE - 1) / TOK_TILE;
    for (int64_t g = (lo + MW_REPACK_ROWS - 1) / MW_REPACK_ROWS; g * MW_REPACK_ROWS < hi; g++) {
        const uint8_t *wg = (const uint8_t *)w->data + (size_t)g * group_bytes;
        float *o = out + (size_t)g * MW_REPACK_ROWS;
        float s[TOK_TILE * MW_REPACK_ROWS];
        int32_t tok = 0;
        for (int32_t tile = 0; dot8xn && tile < n_tiles; tile++) {
            const int32_t nt = (t->n_tok - tok) / (n_tiles - tile);
            dot8xn(t->n_cols, s, wg, a->data + (size_t)tok * a->row_bytes, a->row_bytes, nt);
            for (int32_t k = 0; k < nt; k++)
                memcpy(&o[(size_t)(tok + k) * n_rows], s + k * MW_REPACK_ROWS, sizeof s[0] * MW_REPACK_ROWS);
            tok += nt;
        }
        /* the group against two tokens, unpacking it once */
        for (; dot8x2 && tok + 2 <= t->n_tok; tok += 2) {
            dot8x2(t->n_cols, s, wg, a->data + (size_t)tok * a->row_bytes, a->row_bytes);
            memcpy(&o[(size_t)tok * n_rows], s, sizeof s[0] * MW_REPACK_ROWS);
            memcpy(&o[(size_t)(tok + 1) * n_rows], s + MW_REPACK_ROWS, sizeof s[0] * MW_REPACK_ROWS);
        }
        for (; tok < t->n_tok; tok++) {
            dot8(t->n_cols, s, wg, a->data + (size_t)tok * a->row_bytes);
            memcpy(&o[(size_t)tok * n_rows], s, sizeof s[0] * MW_REPACK_ROWS);
        }
    }
}

static void matmul_worker(void *arg, int ith, int nth)
{
    const matmul_task *t = arg;
    const int64_t r0 = t->total_rows * ith / nth, r1 = t->total_rows * (ith + 1) / nth;
    int64_t base = 0;
    for (int32_t j = 0; j < t->n_jobs; j++) {
        const mw_tensor *w = t->jobs[j].w;
        const int64_t n_rows = w->ne[1];
        const int64_t lo = MW_MAX(r0, base) - base, hi = MW_MIN(r1, base + n_rows) - base;
        base += n_rows;
        if (lo >= hi)
            continue;
        const act_view *a = t->act_for_job[j];
        float *out = t->jobs[j].out;
        if (w->repacked) {
            matmul_repacked(t, w, a, out, lo, hi);
            continue;
        }
        const size_t w_row_bytes = mw_row_size(w->type, t->n_cols);
        const mw_vec_dot_fn dot = mw_kern->vec_dot[w->type];
        const mw_vec_dot_4rows_fn dot4 = mw_kern->vec_dot_4rows[w->type];
        const mw_vec_dot_4cols_fn dot4c = mw_kern->vec_dot_4cols[w->type];
        int64_t r = lo;
        /* decode: four weight rows per pass over the activation row, where the kernel set
         * has it (prefill prefers the 4-token kernel below) */
        for (; dot4 && !(dot4c && t->n_tok >= 4) && r + 4 <= hi; r += 4) {
            const uint8_t *wr = (const uint8_t *)w->data + (size_t)r * w_row_bytes;
            for (int32_t tok = 0; tok < t->n_tok; tok++) {
                float s4[4];
                dot4(t->n_cols, s4, wr, w_row_bytes, a->data + (size_t)tok * a->row_bytes);
                memcpy(&out[(size_t)tok * n_rows + r], s4, sizeof s4);
            }
        }
        for (; r < hi; r++) {
            const uint8_t *wr = (const uint8_t *)w->data + (size_t)r * w_row_bytes;
            int32_t tok = 0;
            /* prefill: one weight row against four tokens, unpacking the row once */
            for (; dot4c && tok + 4 <= t->n_tok; tok += 4) {
                float s4[4];
                dot4c(t->n_cols, s4, wr, a->data + (size_t)tok * a->row_bytes, a->row_bytes);
                for (int i = 0; i < 4; i++)
                    out[(size_t)(tok + i) * n_rows + r] = s4[i];
            }
            for (; tok < t->n_tok; tok++)
                dot(t->n_cols, &out[(size_t)tok * n_rows + r], wr, a->data + (size_t)tok * a->row_bytes);
        }
    }
}

void mw_matmul(mw_session *s, int32_t n_tok, const float *x, int32_t n_jobs,
               const mw_matmul_job *jobs)
{
    const int32_t n_cols = (int32_t)jobs[0].w->ne[0];
    act_view acts[3];
    int n_acts = 0;
    matmul_task task = { n_tok, n_cols, n_jobs, jobs, { 0 }, 0 };
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
                uint8_t *buf = s->sc.act[a];
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
    mw_pool_run(s->pool, (uint64_t)task.total_rows * n_cols * n_tok, matmul_worker, &task);
}
