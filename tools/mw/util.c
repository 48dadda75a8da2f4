/*
 * util.c — helpers shared by the `mw` subcommands (see cli.h): error messages, the clock,
 * opening models and sessions, tokenizing, id lists, file reading and streamed text output.
 */
#define _POSIX_C_SOURCE 199309L   /* clock_gettime; also in wasi-libc */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

int cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("mw: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

int cli_engine_error(mw_status st, const char *what)
{
    const char *why = mw_last_error();
    if (!why || !*why)
        why = mw_status_name(st);
    return cli_error("%s: %s", what, why);
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

uint64_t cli_expert_cache_bytes(const mw_cli_opts *o)
{
    const uint64_t bytes = (uint64_t)((double)o->expert_cache_mb * 1048576.0);
    return o->expert_cache_mb > 0 && bytes == 0 ? 1   /* a tiny budget is refused by the core, never ignored */
                                                : bytes;
}

uint64_t cli_memory_limit(void)
{
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0)
        return (uint64_t)pages * (uint64_t)page;
#endif
    return 0;
}

void cli_expert_stats_add(mw_expert_stats *acc, const mw_expert_stats *before,
                          const mw_expert_stats *after)
{
    acc->hits += after->hits - before->hits;
    acc->misses += after->misses - before->misses;
    acc->bytes_read += after->bytes_read - before->bytes_read;
    acc->predicted += after->predicted - before->predicted;
    acc->predicted_used += after->predicted_used - before->predicted_used;
    acc->hinted += after->hinted - before->hinted;
}

mw_model *cli_open_model(const mw_cli_opts *o, mw_model_info *info)
{
    mw_model *model = NULL;
    mw_model_params mp = mw_model_params_default();
    mp.memory_limit = cli_memory_limit();
    mp.expert_cache_bytes = cli_expert_cache_bytes(o);
    mp.expert_prefetch = !o->expert_prefetch_off;
    mw_status st = mw_model_open_file(o->model, &mp, &model);
    if (st == MW_OK && info)
        st = mw_model_get_info(model, info);
    if (st != MW_OK) {
        char what[512];
        snprintf(what, sizeof(what), "cannot load model '%s'", o->model);
        cli_engine_error(st, what);
        mw_model_free(model);
        return NULL;
    }
    return model;
}

mw_session *cli_open_session(const mw_cli_opts *o, const mw_model *model, int32_t min_ctx)
{
    mw_session_params sp = mw_session_params_default();
    sp.n_threads = o->n_threads;
    sp.sliding_window = o->window;
    sp.kv_type = o->kv_type;
    sp.n_ctx = o->n_ctx;
    if (sp.n_ctx == 0 && min_ctx > 0) {
        /* the engine's default context (shrunk to fit memory), raised only when needed */
        mw_model_info info;
        if (mw_model_get_info(model, &info) == MW_OK &&
            min_ctx > mw_session_n_ctx_fit(&info, &sp, cli_memory_limit(), cli_expert_cache_bytes(o)))
            sp.n_ctx = min_ctx;
    }
    mw_session *s = NULL;
    mw_status st = mw_session_create(model, &sp, &s);
    if (st != MW_OK) {
        cli_engine_error(st, "cannot create session");
        return NULL;
    }
    return s;
}

/* Both tokenizers report the needed size with MW_ERR_BUFFER_TOO_SMALL: try a generous buffer,
 * then exactly the size asked for. */
typedef mw_status (*ids_fn)(const void *ctx, int32_t *out, int32_t cap, int32_t *n_out);

static int collect_ids(ids_fn fn, const void *ctx, size_t cap, const char *what, int32_t **ids,
                       int32_t *n)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (cap > 0x7fffffff)
            return cli_error("%s: input too long", what);
        int32_t *buf = malloc((cap ? cap : 1) * sizeof(int32_t));
        if (!buf)
            return cli_error("out of memory for %zu token ids", cap);
        int32_t got = 0;
        mw_status st = fn(ctx, buf, (int32_t)cap, &got);
        if (st == MW_OK) {
            *ids = buf;
            *n = got;
            return 0;
        }
        free(buf);
        if (st != MW_ERR_BUFFER_TOO_SMALL || got <= 0)
            return cli_engine_error(st, what);
        cap = (size_t)got;
    }
    return cli_error("%s: the needed buffer size kept changing", what);
}

typedef struct text_job {
    const mw_model *model;
    const char *text;
    size_t len;
    int32_t flags;
} text_job;

static mw_status tokenize_job(const void *ctx, int32_t *out, int32_t cap, int32_t *n_out)
{
    const text_job *j = ctx;
    return mw_tokenize(j->model, j->text, j->len, j->flags, out, cap, n_out);
}

int cli_tokenize(const mw_model *model, const char *text, size_t len, int32_t flags,
                 int32_t **ids, int32_t *n)
{
    text_job j = {model, text, len, flags};
    /* byte fallback gives at most one token per byte, plus BOS/EOS */
    return collect_ids(tokenize_job, &j, len + 4, "tokenize failed", ids, n);
}

typedef struct chat_job {
    const mw_model *model;
    const mw_chat_message *msgs;
    int32_t n_msgs;
} chat_job;

static mw_status chat_job_run(const void *ctx, int32_t *out, int32_t cap, int32_t *n_out)
{
    const chat_job *j = ctx;
    return mw_chat_tokenize(j->model, MW_CHAT_AUTO, j->msgs, j->n_msgs, out, cap, n_out);
}

int cli_chat_tokenize(const mw_model *model, const mw_chat_message *msgs, int32_t n_msgs,
                      int32_t **ids, int32_t *n)
{
    chat_job j = {model, msgs, n_msgs};
    size_t cap = 16;
    for (int32_t i = 0; i < n_msgs; i++)
        cap += strlen(msgs[i].content) + 16;   /* template text + one token per byte at most */
    return collect_ids(chat_job_run, &j, cap, "chat template failed", ids, n);
}

char *cli_detokenize(const mw_model *model, const int32_t *ids, int32_t n, size_t *len)
{
    size_t cap = (size_t)n * 16 + 16;
    for (int attempt = 0; attempt < 2; attempt++) {
        char *text = malloc(cap + 1);
        if (!text) {
            cli_error("out of memory for %zu bytes of text", cap);
            return NULL;
        }
        size_t got = 0;
        mw_status st = mw_detokenize(model, ids, n, text, cap, &got);
        if (st == MW_OK && got <= cap) {
            text[got] = '\0';
            *len = got;
            return text;
        }
        free(text);
        if (st != MW_ERR_BUFFER_TOO_SMALL || got <= cap) {
            cli_engine_error(st, "detokenize failed");
            return NULL;
        }
        cap = got;
    }
    cli_error("detokenize: the needed buffer size kept changing");
    return NULL;
}

int cli_parse_ids(const char *s, const char *what, int32_t n_vocab, int32_t **ids, int32_t *n)
{
    char err[256];
    int32_t count = 0;
    if (mw_cli_parse_ids(s, NULL, 0, &count, err, sizeof(err)) != 0)
        return cli_error("%s: %s", what, err);
    int32_t *buf = malloc((size_t)count * sizeof(int32_t));
    if (!buf)
        return cli_error("out of memory for %d token ids", (int)count);
    mw_cli_parse_ids(s, buf, count, &count, err, sizeof(err));
    for (int32_t i = 0; i < count; i++) {
        if (buf[i] >= n_vocab) {
            int id = (int)buf[i];
            free(buf);
            return cli_error("%s: token id %d (position %d) is out of range: the vocabulary has "
                             "%d tokens (0..%d)", what, id, (int)i, (int)n_vocab,
                             (int)n_vocab - 1);
        }
    }
    *ids = buf;
    *n = count;
    return 0;
}

char *cli_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_error("cannot open '%s'", path);
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (len + 1 >= cap) {
            char *grown = realloc(buf, cap * 2);
            if (!grown) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - 1 - len, f);
        len += got;
        if (got == 0)
            break;
    }
    int no_memory = !buf, read_error = ferror(f);
    fclose(f);
    if (no_memory || read_error) {
        free(buf);
        cli_error(no_memory ? "out of memory reading '%s'" : "cannot read '%s'", path);
        return NULL;
    }
    buf[len] = '\0';
    if (size)
        *size = len;
    return buf;
}

int cli_detok_write(mw_detok *d, int32_t id, FILE *f)
{
    char buf[1024];
    size_t n = 0;
    mw_status st = mw_detok_push(d, id, buf, sizeof(buf), &n);
    if (st != MW_OK)
        return cli_engine_error(st, "detokenize failed");
    if (n && fwrite(buf, 1, n, f) != n)
        return cli_error("write failed");
    return 0;
}

int cli_detok_finish(mw_detok *d, FILE *f)
{
    char buf[64];
    size_t n = 0;
    mw_status st = mw_detok_flush(d, buf, sizeof(buf), &n);
    if (st != MW_OK)
        return cli_engine_error(st, "detokenize failed");
    if (n && fwrite(buf, 1, n, f) != n)
        return cli_error("write failed");
    return fflush(f) == 0 ? 0 : cli_error("write failed");
}

const char *cli_basename(const char *path)
{
    const char *b = path;
    for (const char *p = path; *p; p++)
        if (*p == '/' || *p == '\\')
            b = p + 1;
    return b;
}

void cli_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);   /* UTF-8 passes through: JSON text is UTF-8 */
    }
    fputc('"', f);
}
