/*
 * bench.c — `mw bench`: prompt processing (-p ids in one mw_session_eval) and generation (-n ids
 * evaluated one at a time), each from an empty context, repeated -r times after --warmup untimed
 * runs (default 1, as llama-bench: a streamed MoE's first run fills its expert cache, whose fresh
 * pages cost more than the reads); prints ONE JSON line with the median tokens/s. Ids are
 * pseudo-random from a fixed seed so invocations are comparable; each run has its own (make_ids).
 * -d N first fills the context with N tokens (untimed), so pp and tg are measured at that depth
 * (attention over a long cache); the JSON reports the KV cache type and bytes, and (native
 * builds) tg_cpu_tps: generation speed from the process's CPU time (all threads), steadier than
 * wall time on a loaded machine. WASI has no process clock and Emscripten's is wall time.
 * --experts on a MoE model adds how many distinct experts each layer used (mw_session_expert_counts).
 * A MoE model's JSON has the expert cache's counters (mw_model_expert_stats; zeros when the
 * experts are resident): expert_hits, expert_misses and expert_bytes_read summed over the timed
 * generation runs (-n), expert_cache_bytes held at the end, expert_cache_budget (--expert-cache),
 * and the picks made ahead (--expert-prefetch): expert_predicted, expert_predicted_used (the
 * next layer used them) and expert_hinted (not cached: named to the file for read-ahead).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#if defined(__wasi__)
#define BUILD_NAME "wasi"
#elif defined(__EMSCRIPTEN_PTHREADS__)
#define BUILD_NAME "emscripten-mt"   /* build-web/mw.js: the core of mw-mt.mjs */
#elif defined(__EMSCRIPTEN__)
#define BUILD_NAME "emscripten-st"   /* build-web/mw-st.js: the core of mw-st.mjs */
#else
#define BUILD_NAME "native"
#endif

/* Process CPU seconds, or -1 where there is no process clock. */
static double cpu_seconds(void)
{
#if defined(__wasi__) || defined(__EMSCRIPTEN__)
    return -1;
#else
    return (double)clock() / CLOCKS_PER_SEC;
#endif
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *x, int n)
{
    qsort(x, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

/* expert-usage bookkeeping: counts are cumulative, so usage is the difference of snapshots */
typedef struct expert_stats {
    int32_t n_layer, n_expert;
    uint64_t *before, *after;   /* [n_layer][n_expert] */
    double pp_distinct_sum;     /* sum over pp runs of the mean distinct experts per layer */
    double tg_distinct_sum;     /* sum over generated tokens of the same */
    int64_t pp_runs, tg_tokens;
} expert_stats;

static int experts_snapshot(const mw_session *s, expert_stats *e, uint64_t *dst)
{
    size_t n = (size_t)e->n_layer * (size_t)e->n_expert;
    mw_status st = mw_session_expert_counts(s, dst, n);
    return st == MW_OK ? 0 : cli_engine_error(st, "expert counts");
}

/* mean over layers of the number of experts whose count grew between the snapshots */
static double experts_distinct(const expert_stats *e)
{
    int64_t distinct = 0;
    for (int32_t i = 0; i < e->n_layer * e->n_expert; i++)
        distinct += e->after[i] > e->before[i];
    return (double)distinct / (double)e->n_layer;
}

/* The ids of one run: block `block` of a fixed pseudo-random stream (seed "mw-bench"), so every
 * invocation sees the same ids. Rep r takes block r (rep 0: the ids tools/bench/browser's
 * bench-ids.mjs also makes); the warm-up runs take the blocks after the reps. A MoE routes other
 * ids to other experts, so no run replays another's routing through a warm expert cache. */
static void make_ids(int32_t *ids, int32_t n_ids, int32_t n_vocab, int32_t block)
{
    uint64_t x = 0x6d772d62656e6368ull;
    for (int64_t i = 0; i < (int64_t)block * n_ids; i++)
        x = x * 6364136223846793005ull + 1442695040888963407ull;
    for (int32_t i = 0; i < n_ids; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        ids[i] = (int32_t)((x >> 33) % (uint64_t)n_vocab);
    }
}

/* an empty context, then `depth` tokens evaluated (not timed) */
static int fill_depth(mw_session *s, const int32_t *ids, int32_t depth)
{
    mw_session_reset(s);
    mw_status st = depth > 0 ? mw_session_eval(s, ids, depth, NULL) : MW_OK;
    return st == MW_OK ? 0 : cli_engine_error(st, "filling the context to -d tokens failed");
}

int mw_cmd_bench(const mw_cli_opts *o)
{
    int rc = 1;
    mw_model *model = NULL;
    mw_session *s = NULL;
    int32_t *ids = NULL;
    double *t_pp = NULL, *t_tg = NULL, *c_tg = NULL;
    expert_stats ex;
    memset(&ex, 0, sizeof(ex));
    mw_model_info info;
    mw_status st;
    int32_t n_pp = o->n_prompt, n_tg = o->n_predict, reps = o->reps, depth = o->depth;
    mw_expert_stats tg_experts, e0, e1;   /* the cache's counters over the timed generation */
    memset(&tg_experts, 0, sizeof tg_experts);

    if (!(model = cli_open_model(o, &info)))
        goto done;
    int32_t n_ids = depth + (n_pp > n_tg ? n_pp : n_tg);
    if (n_ids < depth) {
        cli_error("bench: -d + max(-p, -n) is too large");
        goto done;
    }
    if (!(s = cli_open_session(o, model, n_ids)))
        goto done;
    ids = malloc((size_t)n_ids * sizeof(int32_t));
    t_pp = calloc((size_t)reps, sizeof(double));
    t_tg = calloc((size_t)reps, sizeof(double));
    c_tg = calloc((size_t)reps, sizeof(double));
    if (!ids || !t_pp || !t_tg || !c_tg) {
        cli_error("out of memory");
        goto done;
    }
    int track_experts = o->experts && info.n_expert > 0;
    if (track_experts) {
        ex.n_layer = info.n_layer;
        ex.n_expert = info.n_expert;
        ex.before = calloc((size_t)info.n_layer * (size_t)info.n_expert, sizeof(uint64_t));
        ex.after = calloc((size_t)info.n_layer * (size_t)info.n_expert, sizeof(uint64_t));
        if (!ex.before || !ex.after) {
            cli_error("out of memory");
            goto done;
        }
    } else if (o->experts) {
        fprintf(stderr, "mw: --experts: this model has no experts (dense)\n");
    }

    /* r < 0: the warm-up runs, the same work untimed and uncounted */
    for (int r = -o->warmup; r < reps; r++) {
        const int timed = r >= 0;
        double pp_run = 0, tg_run = 0;
        make_ids(ids, n_ids, info.n_vocab, timed ? r : reps + r + o->warmup);
        if (n_pp > 0) {
            if (fill_depth(s, ids, depth))
                goto done;
            if (timed && track_experts && experts_snapshot(s, &ex, ex.before))
                goto done;
            double t0 = cli_now();
            if ((st = mw_session_eval(s, ids + depth, n_pp, NULL)) != MW_OK) {
                cli_engine_error(st, "prompt evaluation failed");
                goto done;
            }
            pp_run = cli_now() - t0;
            if (timed)
                t_pp[r] = pp_run;
            if (timed && track_experts) {
                if (experts_snapshot(s, &ex, ex.after))
                    goto done;
                ex.pp_distinct_sum += experts_distinct(&ex);
                ex.pp_runs++;
            }
        }
        if (n_tg > 0) {
            if (fill_depth(s, ids, depth))
                goto done;
            double t_experts = 0;   /* snapshot time is not generation time */
            mw_model_expert_stats(model, &e0);
            const double c0 = cpu_seconds();
            double t0 = cli_now();
            for (int32_t i = 0; i < n_tg; i++) {
                double te = cli_now();
                if (timed && track_experts && experts_snapshot(s, &ex, ex.before))
                    goto done;
                t_experts += cli_now() - te;
                if ((st = mw_session_eval(s, &ids[depth + i], 1, NULL)) != MW_OK) {
                    cli_engine_error(st, "generation evaluation failed");
                    goto done;
                }
                if (timed && track_experts) {
                    te = cli_now();
                    if (experts_snapshot(s, &ex, ex.after))
                        goto done;
                    ex.tg_distinct_sum += experts_distinct(&ex);
                    ex.tg_tokens++;
                    t_experts += cli_now() - te;
                }
            }
            tg_run = cli_now() - t0 - t_experts;
            if (timed) {
                t_tg[r] = tg_run;
                c_tg[r] = c0 < 0 ? -1 : cpu_seconds() - c0;
                mw_model_expert_stats(model, &e1);
                cli_expert_stats_add(&tg_experts, &e0, &e1);
            }
        }
        if (timed)
            fprintf(stderr, "mw: rep %d/%d: pp %.4f s, tg %.4f s\n", r + 1, reps, pp_run, tg_run);
        else
            fprintf(stderr, "mw: warm-up run %d/%d (untimed): pp %.4f s, tg %.4f s\n", r + o->warmup + 1,
                    (int)o->warmup, pp_run, tg_run);
    }

    double pp_s = median(t_pp, reps), tg_s = median(t_tg, reps), tg_cpu = median(c_tg, reps);
    FILE *f = stdout;
    fputs("{\"model\":", f);
    cli_json_string(f, cli_basename(o->model));
    fputs(",\"type\":", f);
    cli_json_string(f, mw_type_name(info.weight_type) ? mw_type_name(info.weight_type) : "unknown");
    fprintf(f, ",\"threads\":%d,\"pp\":%d,\"tg\":%d,\"pp_tps\":%.2f,\"tg_tps\":%.2f,\"reps\":%d",
            (int)o->n_threads, (int)n_pp, (int)n_tg, pp_s > 0 ? n_pp / pp_s : 0.0,
            tg_s > 0 ? n_tg / tg_s : 0.0, (int)reps);
    if (tg_cpu >= 0)
        fprintf(f, ",\"tg_cpu_tps\":%.2f", tg_cpu > 0 ? n_tg / tg_cpu : 0.0);
    fprintf(f, ",\"depth\":%d,\"kv_type\":\"%s\",\"kv_bytes\":%llu", (int)depth,
            o->kv_type == MW_KV_F16 ? "f16" : "f32", (unsigned long long)mw_session_kv_bytes(s));
    if (track_experts)
        fprintf(f, ",\"n_expert\":%d,\"n_expert_used\":%d,\"experts_pp_distinct\":%.3f,"
                   "\"experts_tg_distinct\":%.3f",
                (int)info.n_expert, (int)info.n_expert_used,
                ex.pp_runs ? ex.pp_distinct_sum / (double)ex.pp_runs : 0.0,
                ex.tg_tokens ? ex.tg_distinct_sum / (double)ex.tg_tokens : 0.0);
    if (info.n_expert > 0) {
        mw_model_expert_stats(model, &e1);
        fprintf(f, ",\"expert_hits\":%llu,\"expert_misses\":%llu,\"expert_bytes_read\":%llu,"
                   "\"expert_cache_bytes\":%llu,\"expert_cache_budget\":%llu",
                (unsigned long long)tg_experts.hits, (unsigned long long)tg_experts.misses,
                (unsigned long long)tg_experts.bytes_read, (unsigned long long)e1.cache_bytes,
                (unsigned long long)e1.budget_bytes);
        fprintf(f, ",\"expert_predicted\":%llu,\"expert_predicted_used\":%llu,\"expert_hinted\":%llu",
                (unsigned long long)tg_experts.predicted, (unsigned long long)tg_experts.predicted_used,
                (unsigned long long)tg_experts.hinted);
    }
    fputs(",\"kernels\":", f);
    cli_json_string(f, mw_kernels_name());
    fputs(",\"build\":\"" BUILD_NAME "\"}\n", f);
    rc = fflush(f) == 0 ? 0 : cli_error("write failed");
done:
    free(ex.before);
    free(ex.after);
    free(t_pp);
    free(t_tg);
    free(c_tg);
    free(ids);
    mw_session_free(s);
    mw_model_free(model);
    return rc;
}
