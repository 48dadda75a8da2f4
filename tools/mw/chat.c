/*
 * chat.c — `mw chat`: an interactive conversation in the terminal. Each stdin line is a user
 * turn; the whole conversation is re-rendered with the model's chat template (mw_chat_tokenize),
 * the session keeps the KV cache of the longest common prefix (mw_session_truncate) and only the
 * new tokens are evaluated, then the reply is streamed to stdout. "/reset" starts over, "/quit"
 * or end of input leaves.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* one line of stdin without its newline, malloc'd; NULL at end of input */
static char *read_line(FILE *in)
{
    size_t cap = 256, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    for (;;) {
        if (!fgets(buf + len, (int)(cap - len), in)) {
            if (len == 0) {
                free(buf);
                return NULL;
            }
            break;
        }
        len += strlen(buf + len);
        if (len > 0 && buf[len - 1] == '\n') {
            buf[--len] = '\0';
            if (len > 0 && buf[len - 1] == '\r')
                buf[--len] = '\0';
            break;
        }
        if (len + 1 >= cap) {
            char *grown = realloc(buf, cap * 2);
            if (!grown) {
                free(buf);
                return NULL;
            }
            buf = grown;
            cap *= 2;
        }
    }
    return buf;
}

typedef struct conversation {
    mw_chat_message *msgs;
    char **owned;   /* the strings msgs point to (system excepted: it is argv's) */
    int32_t n, cap;
} conversation;

static int conv_add(conversation *c, const char *role, char *content_owned)
{
    if (c->n == c->cap) {
        int32_t cap = c->cap ? c->cap * 2 : 16;
        mw_chat_message *m = realloc(c->msgs, (size_t)cap * sizeof(*m));
        if (!m)
            return -1;
        c->msgs = m;
        char **o = realloc(c->owned, (size_t)cap * sizeof(*o));
        if (!o)
            return -1;
        c->owned = o;
        c->cap = cap;
    }
    c->msgs[c->n] = (mw_chat_message){ .role = role, .content = content_owned };
    c->owned[c->n] = content_owned;
    c->n++;
    return 0;
}

static void conv_clear(conversation *c, int32_t keep)
{
    while (c->n > keep)
        free(c->owned[--c->n]);
}

/* evaluate what the session does not have yet of ids[0..n), reusing the common prefix */
static mw_status sync_session(mw_session *s, mw_sampler *smp, const int32_t *ids, int32_t n)
{
    const int32_t *have = mw_session_tokens(s);
    int32_t n_past = mw_session_n_past(s), common = 0;
    while (have && common < n_past && common < n && have[common] == ids[common])
        common++;
    if (common == n)
        common = n - 1;   /* re-evaluate the last token: its logits start the reply */
    mw_status st = mw_session_truncate(s, common);
    if (st != MW_OK)
        return st;
    for (int32_t i = common; i < n; i++)
        mw_sampler_accept(smp, ids[i]);
    return mw_session_eval(s, ids + common, n - common, NULL);
}

int mw_cmd_chat(const mw_cli_opts *o)
{
    int rc = 1;
    mw_model *model = NULL;
    mw_session *s = NULL;
    mw_sampler *smp = NULL;
    mw_detok *d = NULL;
    int32_t *reply = NULL;
    conversation conv = {0};
    mw_model_info info;
    mw_status st;

    if (!(model = cli_open_model(o, &info)))
        goto done;
    if (!(s = cli_open_session(o, model, 0)) || !(smp = cli_make_sampler(o, info.n_vocab)))
        goto done;
    if ((st = mw_detok_create(model, &d)) != MW_OK) {
        cli_engine_error(st, "cannot create detokenizer");
        goto done;
    }
    int32_t reply_cap = o->n_predict >= 0 ? o->n_predict : 4096;
    if (!(reply = malloc((size_t)(reply_cap ? reply_cap : 1) * sizeof(int32_t)))) {
        cli_error("out of memory");
        goto done;
    }
    int32_t n_fixed = 0;
    if (o->system) {
        char *sys = malloc(strlen(o->system) + 1);
        if (sys)
            strcpy(sys, o->system);
        if (!sys || conv_add(&conv, "system", sys)) {
            free(sys);
            cli_error("out of memory");
            goto done;
        }
        n_fixed = 1;
    }
    fprintf(stderr, "mw chat: one line per message; /reset starts over, /quit leaves\n");

    for (;;) {
        fputs("> ", stdout);
        fflush(stdout);
        char *line = read_line(stdin);
        if (!line || strcmp(line, "/quit") == 0) {
            free(line);
            break;
        }
        if (strcmp(line, "/reset") == 0 || line[0] == '\0') {
            if (line[0]) {
                conv_clear(&conv, n_fixed);
                mw_session_reset(s);
                mw_sampler_reset(smp);
            }
            free(line);
            continue;
        }
        if (conv_add(&conv, "user", line)) {
            free(line);
            cli_error("out of memory");
            goto done;
        }
        int32_t *ids = NULL, n = 0;
        if (cli_chat_tokenize(model, conv.msgs, conv.n, &ids, &n) != 0)
            goto done;
        double t0 = cli_now();
        st = sync_session(s, smp, ids, n);
        double t_prompt = cli_now() - t0;
        free(ids);
        if (st == MW_ERR_CONTEXT_FULL) {
            cli_error("the conversation no longer fits the context (-c); /reset to start over");
            free(conv.owned[--conv.n]);
            continue;
        }
        if (st != MW_OK) {
            cli_engine_error(st, "evaluation failed");
            goto done;
        }
        mw_detok_reset(d);
        cli_gen_stats gs;
        if (cli_generate_loop(model, s, smp, d, o->n_predict, 0, stdout, reply, reply_cap, NULL, &gs) ||
            cli_detok_finish(d, stdout))
            goto done;
        fputc('\n', stdout);
        fprintf(stderr, "[%d tokens, %.1f tokens/s; prompt %.3f s]\n", (int)gs.n_gen,
                gs.seconds > 0 ? gs.n_eval / gs.seconds : 0.0, t_prompt);

        /* the reply text becomes the assistant message of the next rendering */
        int32_t n_reply = gs.n_gen < reply_cap ? gs.n_gen : reply_cap;
        size_t len = 0;
        char *text = cli_detokenize(model, reply, n_reply, &len);
        if (!text)
            goto done;
        if (conv_add(&conv, "assistant", text)) {
            free(text);
            cli_error("out of memory");
            goto done;
        }
        if (gs.hit_context_full)
            fprintf(stderr, "mw: context full; /reset to start over\n");
    }
    rc = 0;
done:
    conv_clear(&conv, 0);
    free(conv.msgs);
    free(conv.owned);
    free(reply);
    mw_detok_free(d);
    mw_sampler_free(smp);
    mw_session_free(s);
    mw_model_free(model);
    return rc;
}
