/*
 * generate.c — `mw generate`: tokenize the prompt (with BOS, or through the chat template with
 * --chat, or take --prompt-ids), evaluate it in one mw_session_eval, then sample and evaluate
 * one token at a time until an end-of-generation id or -n tokens. The text is streamed to stdout
 * through mw_detok (or the ids with --print-ids); timings go to stderr.
 * Also holds the sampling loop and sampler setup that `mw chat` reuses.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

mw_sampler *cli_make_sampler(const mw_cli_opts *o, int32_t n_vocab)
{
    mw_sampler_params p = mw_sampler_params_default();
    p.temperature = o->temperature;
    p.top_k = o->top_k;
    p.top_p = o->top_p;
    p.min_p = o->min_p;
    p.repeat_penalty = o->repeat_penalty;
    p.frequency_penalty = o->frequency_penalty;
    p.presence_penalty = o->presence_penalty;
    p.penalty_last_n = o->repeat_last_n;
    if (o->seed_set) {
        p.seed = o->seed;
    } else {
        /* wall clock mixed with the monotonic clock's fraction: differs run to run */
        p.seed = (uint64_t)time(NULL) * 1000003u + (uint64_t)(cli_now() * 1e9);
        if (p.temperature > 0.0f)
            fprintf(stderr, "mw: seed %llu\n", (unsigned long long)p.seed);
    }
    mw_sampler *s = NULL;
    mw_status st = mw_sampler_create(&p, n_vocab, &s);
    if (st != MW_OK) {
        cli_engine_error(st, "cannot create sampler");
        return NULL;
    }
    return s;
}

int cli_generate_loop(const mw_model *model, mw_session *s, mw_sampler *smp, mw_detok *d,
                      int32_t n_predict, int print_ids, FILE *out, int32_t *ids_out,
                      int32_t ids_cap, mw_constraint *constraint, cli_gen_stats *stats)
{
    memset(stats, 0, sizeof(*stats));
    double t0 = cli_now();
    int rc = 0;
    for (int32_t i = 0; n_predict < 0 || i < n_predict; i++) {
        int32_t id = mw_sampler_sample(smp, mw_session_logits(s));
        if (id < 0) {
            rc = cli_error("sampling failed (no logits)");
            break;
        }
        if (mw_token_is_eog(model, id)) {
            stats->hit_eog = 1;
            break;
        }
        mw_sampler_accept(smp, id);
        mw_status cst = constraint ? mw_constraint_accept(constraint, id) : MW_OK;
        if (cst != MW_OK) {
            rc = cli_engine_error(cst, "constrained decoding");
            break;
        }
        if (print_ids) {
            fprintf(out, stats->n_gen ? " %d" : "%d", (int)id);
        } else if ((rc = cli_detok_write(d, id, out)) != 0) {
            break;
        }
        fflush(out);   /* stream: the reader sees each token as it is produced */
        if (ids_out && stats->n_gen < ids_cap)
            ids_out[stats->n_gen] = id;
        stats->n_gen++;
        if ((n_predict >= 0 && i + 1 >= n_predict) || mw_constraint_done(constraint))
            break;   /* the last id needs no evaluation */
        mw_status st = mw_session_eval(s, &id, 1, NULL);
        if (st == MW_ERR_CONTEXT_FULL) {
            stats->hit_context_full = 1;
            break;
        }
        if (st != MW_OK) {
            rc = cli_engine_error(st, "evaluation failed");
            break;
        }
        stats->n_eval++;
    }
    stats->seconds = cli_now() - t0;
    return rc;
}

static void print_rate(const char *what, int32_t n, double seconds)
{
    fprintf(stderr, "%s %d tokens in %.3f s (%.1f tokens/s)", what, (int)n, seconds,
            seconds > 0 ? n / seconds : 0.0);
}

/* the generation's rate counts the ids it evaluated (cli_gen_stats.n_eval), not those printed */
static void print_generation_rate(const cli_gen_stats *gs)
{
    fprintf(stderr, ", generation %d tokens (%d evaluated) in %.3f s (%.2f tokens/s)", (int)gs->n_gen,
            (int)gs->n_eval, gs->seconds, gs->seconds > 0 ? gs->n_eval / gs->seconds : 0.0);
}

/* --expert-cache: the generated tokens' share of the cache counters (from after the prompt),
 * per evaluated token */
static void print_expert_stats(const mw_model *model, const mw_expert_stats *at_prompt, int32_t n_eval)
{
    mw_expert_stats now, gen = { 0 };
    if (mw_model_expert_stats(model, &now) != MW_OK || now.budget_bytes == 0)
        return;
    cli_expert_stats_add(&gen, at_prompt, &now);
    const uint64_t hits = gen.hits, misses = gen.misses, bytes = gen.bytes_read;
    const uint64_t picked = gen.predicted, picked_used = gen.predicted_used;
    fprintf(stderr, "mw: experts in generation: %llu hits, %llu misses (%.1f %% hits), "
            "%.1f MB read per token; the cache holds %.1f of %.1f MiB; picked ahead %llu, "
            "used %llu (%.1f %%), read ahead %llu\n",
            (unsigned long long)hits, (unsigned long long)misses,
            hits + misses ? 100.0 * (double)hits / (double)(hits + misses) : 0.0,
            n_eval > 0 ? (double)bytes / n_eval / 1e6 : 0.0,
            (double)now.cache_bytes / (1 << 20), (double)now.budget_bytes / (1 << 20),
            (unsigned long long)picked, (unsigned long long)picked_used,
            picked ? 100.0 * (double)picked_used / (double)picked : 0.0,
            (unsigned long long)gen.hinted);
}

/* prompt ids from --prompt-ids, --chat -p, or -p (with BOS) */
static int prompt_ids(const mw_cli_opts *o, const mw_model *model, int32_t n_vocab,
                      int32_t **ids, int32_t *n)
{
    if (o->prompt_ids)
        return cli_parse_ids(o->prompt_ids, "--prompt-ids", n_vocab, ids, n);
    const char *text = o->prompt ? o->prompt : "";
    if (o->chat) {
        mw_chat_message msgs[2];
        int32_t n_msgs = 0;
        if (o->system)
            msgs[n_msgs++] = (mw_chat_message){ .role = "system", .content = o->system };
        msgs[n_msgs++] = (mw_chat_message){ .role = "user", .content = text };
        return cli_chat_tokenize(model, msgs, n_msgs, ids, n);
    }
    return cli_tokenize(model, text, strlen(text), MW_TOKENIZE_ADD_BOS, ids, n);
}

/* --json / --json-schema: the document must fit in -n tokens, and every token is at least one
 * byte, so its byte budget is n - 1 (room for EOS); with -n -1 the engine's default budget */
static mw_constraint *make_constraint(const mw_cli_opts *o, const mw_model *model,
                                      mw_sampler *smp)
{
    size_t len = 0;
    char *schema = NULL;
    if (o->json_schema && !(schema = cli_read_file(o->json_schema, &len)))
        return NULL;
    int32_t max_bytes = o->n_predict > 1 ? o->n_predict - 1 : o->n_predict < 0 ? 0 : 1;
    mw_constraint *c = NULL;
    mw_status st = mw_constraint_create_json(model, schema, len, max_bytes, &c);
    free(schema);
    if (st == MW_OK)
        st = mw_sampler_set_constraint(smp, c);
    if (st != MW_OK) {
        cli_engine_error(st, o->json_schema ? o->json_schema : "--json");
        mw_constraint_free(c);
        return NULL;
    }
    return c;
}

int mw_cmd_generate(const mw_cli_opts *o)
{
    int rc = 1;
    mw_model *model = NULL;
    mw_session *s = NULL;
    mw_sampler *smp = NULL;
    mw_detok *d = NULL;
    mw_constraint *constraint = NULL;
    int32_t *ids = NULL, n_prompt = 0;
    mw_model_info info;
    mw_status st;

    if (!(model = cli_open_model(o, &info)))
        goto done;
    if (prompt_ids(o, model, info.n_vocab, &ids, &n_prompt) != 0)
        goto done;
    if (n_prompt == 0) {
        cli_error("generate: the prompt is empty and the model has no BOS token");
        goto done;
    }
    if (!(s = cli_open_session(o, model, n_prompt + 1)) ||
        !(smp = cli_make_sampler(o, info.n_vocab)))
        goto done;
    if ((st = mw_detok_create(model, &d)) != MW_OK) {
        cli_engine_error(st, "cannot create detokenizer");
        goto done;
    }

    double t0 = cli_now();
    if ((st = mw_session_eval(s, ids, n_prompt, NULL)) != MW_OK) {
        cli_engine_error(st, "prompt evaluation failed");
        goto done;
    }
    double t_prompt = cli_now() - t0;
    mw_expert_stats experts_at_prompt;
    if (mw_model_expert_stats(model, &experts_at_prompt) != MW_OK)
        experts_at_prompt = (mw_expert_stats){ 0 };

    /* the penalties see the prompt; the detokenizer is fed it (output dropped) so the first
     * generated piece keeps or drops its leading space exactly as after this prompt */
    for (int32_t i = 0; i < n_prompt; i++) {
        char sink[1024];
        size_t n_sink;
        mw_sampler_accept(smp, ids[i]);
        mw_detok_push(d, ids[i], sink, sizeof(sink), &n_sink);
    }

    if ((o->json || o->json_schema) && !(constraint = make_constraint(o, model, smp)))
        goto done;
    cli_gen_stats gs;
    if (cli_generate_loop(model, s, smp, d, o->n_predict, o->print_ids, stdout, NULL, 0,
                          constraint, &gs))
        goto done;
    if (o->print_ids) {
        fputc('\n', stdout);
        fflush(stdout);
    } else {
        if (cli_detok_finish(d, stdout) != 0)
            goto done;
        fputc('\n', stderr);   /* the text has no trailing newline: timings on their own line */
    }
    if (gs.hit_context_full)
        fprintf(stderr, "mw: context full after %d tokens (-c to enlarge)\n",
                (int)mw_session_n_past(s));
    print_rate("mw: prompt", n_prompt, t_prompt);
    print_generation_rate(&gs);
    fputc('\n', stderr);
    print_expert_stats(model, &experts_at_prompt, gs.n_eval);
    rc = 0;
done:
    free(ids);
    mw_constraint_free(constraint);
    mw_detok_free(d);
    mw_sampler_free(smp);
    mw_session_free(s);
    mw_model_free(model);
    return rc;
}
