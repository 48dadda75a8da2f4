/*
 * args.c — the `mw` option table and its parser. One table row per option says which
 * subcommands take it, where it is stored and its valid range; parsing, per-command defaults and
 * the --help text all come from that table, so an option is described exactly once.
 * The parser is pure (no I/O, no allocation, no exit): it is the CLI's fuzz surface.
 */
#include "args.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define BIT(c) (1u << (c))
#define GEN BIT(MW_CLI_GENERATE)
#define LOG BIT(MW_CLI_LOGITS)
#define TOK BIT(MW_CLI_TOKENIZE)
#define DETOK BIT(MW_CLI_DETOKENIZE)
#define INFO BIT(MW_CLI_INFO)
#define BENCH BIT(MW_CLI_BENCH)
#define CHAT BIT(MW_CLI_CHAT)
#define ALL (GEN | LOG | TOK | DETOK | INFO | BENCH | CHAT)
#define SAMPLING (GEN | CHAT)
#define SESSION (GEN | LOG | BENCH | CHAT)

/* OPT_CHOICE: one of the '|'-separated words of metavar; its index is stored as an int32 */
typedef enum { OPT_FLAG, OPT_STR, OPT_INT, OPT_FLOAT, OPT_U64, OPT_CHOICE } opt_kind;

typedef struct opt_def {
    const char *sname;   /* "-m" or NULL */
    const char *lname;   /* "--model" */
    opt_kind kind;
    size_t offset;       /* field in mw_cli_opts */
    unsigned cmds;       /* subcommands that accept it */
    double min, max;     /* inclusive range for numbers */
    const char *metavar;
    const char *help;
} opt_def;

#define F(field) offsetof(mw_cli_opts, field)
#define I32 2147483647.0

static const opt_def opts_table[] = {
    {"-m", "--model", OPT_STR, F(model), ALL, 0, 0, "MODEL", "GGUF model file (required)"},
    {"-p", "--prompt", OPT_STR, F(prompt), GEN, 0, 0, "TEXT", "prompt text, tokenized with BOS"},
    {NULL, "--prompt-ids", OPT_STR, F(prompt_ids), GEN, 0, 0, "IDS",
     "prompt as token ids instead of -p, e.g. \"1 403 407\""},
    {"-n", "--n-predict", OPT_INT, F(n_predict), GEN | CHAT, -1, I32, "N",
     "tokens to generate (default 64 / chat 512; -1 = until end of generation or full context)"},
    {NULL, "--temp", OPT_FLOAT, F(temperature), SAMPLING, -1e30, 1e30, "T",
     "temperature (default 0.8; <= 0 = greedy)"},
    {NULL, "--top-k", OPT_INT, F(top_k), SAMPLING, 0, I32, "K", "top-k (default 40; 0 = off)"},
    {NULL, "--top-p", OPT_FLOAT, F(top_p), SAMPLING, 0, 1, "P", "top-p (default 0.95; 1 = off)"},
    {NULL, "--min-p", OPT_FLOAT, F(min_p), SAMPLING, 0, 1, "M", "min-p (default 0.05; 0 = off)"},
    {NULL, "--repeat-penalty", OPT_FLOAT, F(repeat_penalty), SAMPLING, 1e-6, 1e6, "R",
     "repetition penalty (default 1.0 = off)"},
    {NULL, "--repeat-last-n", OPT_INT, F(repeat_last_n), SAMPLING, 0, 16777216, "N",
     "window of recent tokens the penalties look at (default 64)"},
    {NULL, "--frequency-penalty", OPT_FLOAT, F(frequency_penalty), SAMPLING, -100, 100, "F",
     "frequency penalty (default 0)"},
    {NULL, "--presence-penalty", OPT_FLOAT, F(presence_penalty), SAMPLING, -100, 100, "F",
     "presence penalty (default 0)"},
    {NULL, "--seed", OPT_U64, F(seed), SAMPLING, 0, 0, "S",
     "RNG seed (default: from the clock, printed on stderr)"},
    {NULL, "--print-ids", OPT_FLAG, F(print_ids), GEN, 0, 0, NULL,
     "print the generated ids (space-separated, one line) instead of text"},
    {NULL, "--chat", OPT_FLAG, F(chat), GEN, 0, 0, NULL,
     "wrap -p in the model's chat template as one user message"},
    {NULL, "--system", OPT_STR, F(system), GEN | CHAT, 0, 0, "TEXT", "system message (chat)"},
    {NULL, "--json", OPT_FLAG, F(json), GEN, 0, 0, NULL,
     "constrain the output to a JSON object (constrained decoding, ends within -n tokens)"},
    {NULL, "--json-schema", OPT_STR, F(json_schema), GEN, 0, 0, "FILE",
     "constrain the output to a JSON document matching the JSON Schema in FILE"},
    {NULL, "--tokens", OPT_STR, F(tokens), LOG, 0, 0, "IDS", "token ids to evaluate (required)"},
    {"-o", "--out", OPT_STR, F(out), LOG, 0, 0, "FILE",
     "output: little-endian float32 [n_tokens][n_vocab] (required)"},
    {NULL, "--stepwise", OPT_FLAG, F(stepwise), LOG, 0, 0, NULL,
     "evaluate one token at a time (the KV-cache path)"},
    {NULL, "--no-bos", OPT_FLAG, F(no_bos), TOK, 0, 0, NULL, "do not prepend BOS"},
    {NULL, "--special", OPT_FLAG, F(special), TOK, 0, 0, NULL,
     "parse control-token text such as [INST] into control tokens"},
    {"-f", "--file", OPT_STR, F(file), TOK, 0, 0, "F", "tokenize the contents of file F"},
    {NULL, "--ids", OPT_STR, F(ids), DETOK, 0, 0, "IDS", "token ids to detokenize (required)"},
    {NULL, "--tensors", OPT_FLAG, F(tensors), INFO, 0, 0, NULL, "list every tensor"},
    {NULL, "--json", OPT_FLAG, F(json), INFO, 0, 0, NULL, "machine-readable JSON output"},
    {"-p", "--n-prompt", OPT_INT, F(n_prompt), BENCH, 0, 16777216, "N",
     "prompt tokens evaluated in one batch (default 128)"},
    {"-n", "--n-gen", OPT_INT, F(n_predict), BENCH, 0, 16777216, "N",
     "tokens generated one at a time (default 64)"},
    {"-r", "--reps", OPT_INT, F(reps), BENCH, 1, 1000, "N",
     "repetitions; the median is reported (default 3)"},
    {NULL, "--warmup", OPT_INT, F(warmup), BENCH, 0, 1000, "N",
     "untimed runs first, as llama-bench's (default 1): caches, pages and a MoE's expert cache "
     "filled"},
    {NULL, "--experts", OPT_FLAG, F(experts), BENCH, 0, 0, NULL,
     "MoE: report the average number of distinct experts per layer"},
    {"-t", "--threads", OPT_INT, F(n_threads), SESSION, 1, 1024, "N", "threads (default 1)"},
    {"-c", "--ctx-size", OPT_INT, F(n_ctx), SESSION | INFO, 0, 16777216, "N",
     "context length in tokens (default: min(model's, 4096))"},
    {NULL, "--window", OPT_INT, F(window), SESSION, -1, 16777216, "N",
     "sliding-window attention size (default 0 = the model's; -1 = off)"},
    /* the words' order is the MW_KV_* values of mw.h: f32 = 0, f16 = 1 */
    {NULL, "--kv-type", OPT_CHOICE, F(kv_type), SESSION | INFO, 0, 0, "f32|f16",
     "KV cache element type (default f32; f16 halves the cache, logits move by ~1e-2)"},
    {NULL, "--expert-cache", OPT_FLOAT, F(expert_cache_mb), SESSION, 0, 1e9, "MB",
     "Mixtral: stream the experts from the file through a cache of MB MiB (at least one expert; "
     "default 0 = all experts resident)"},
    /* the words' order: on = 0, the default */
    {NULL, "--expert-prefetch", OPT_CHOICE, F(expert_prefetch_off), SESSION, 0, 0, "on|off",
     "with --expert-cache: pick the next layer's experts ahead with its router and have the file "
     "read them ahead (default on)"},
    {"-d", "--depth", OPT_INT, F(depth), BENCH, 0, 16777216, "N",
     "tokens already in the context before each pp/tg measurement (default 0)"},
    {"-h", "--help", OPT_FLAG, F(help), ALL, 0, 0, NULL, "show this help"},
};
#define N_OPTS (sizeof(opts_table) / sizeof(opts_table[0]))

static const struct {
    const char *name;
    const char *synopsis;
    const char *summary;
} cmd_info[MW_CLI_N_CMDS] = {
    [MW_CLI_NONE] = {"", "", ""},
    [MW_CLI_GENERATE] = {"generate", "-m MODEL (-p TEXT | --prompt-ids IDS) [options]",
                         "generate text after a prompt (text on stdout, timings on stderr)"},
    [MW_CLI_LOGITS] = {"logits", "-m MODEL --tokens IDS --out FILE [options]",
                       "write the logits of every input position as raw float32"},
    [MW_CLI_TOKENIZE] = {"tokenize", "-m MODEL [--no-bos] [--special] (TEXT | --file F)",
                         "print the token ids of a text, space-separated on one line"},
    [MW_CLI_DETOKENIZE] = {"detokenize", "-m MODEL --ids IDS", "print the text of token ids"},
    [MW_CLI_INFO] = {"info", "-m MODEL [-c CTX] [--tensors] [--json]",
                     "architecture, hyperparameters, tensor types, memory for a context"},
    [MW_CLI_BENCH] = {"bench", "-m MODEL [-p 128] [-n 64] [-d 0] [-t T] [-r 3] [--warmup 1] [--kv-type f32|f16] [--experts] [--expert-cache MB] [--expert-prefetch on|off]",
                      "prompt-processing and generation speed as one JSON line"},
    [MW_CLI_CHAT] = {"chat", "-m MODEL [--system TEXT] [options]",
                     "interactive chat in the terminal (one user line per turn)"},
};

const char *mw_cli_cmd_name(mw_cli_cmd cmd)
{
    return cmd > MW_CLI_NONE && cmd < MW_CLI_N_CMDS ? cmd_info[cmd].name : "mw";
}

static void set_err(char *err, size_t errcap, const char *fmt, ...)
{
    if (!err || errcap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errcap, fmt, ap);
    va_end(ap);
}

static void set_defaults(mw_cli_opts *o, mw_cli_cmd cmd)
{
    memset(o, 0, sizeof(*o));
    o->cmd = cmd;
    o->n_predict = cmd == MW_CLI_CHAT ? 512 : 64;
    o->n_prompt = 128;
    o->reps = 3;
    o->warmup = 1;
    o->n_threads = 1;
    o->temperature = 0.8f;
    o->top_k = 40;
    o->top_p = 0.95f;
    o->min_p = 0.05f;
    o->repeat_penalty = 1.0f;
    o->repeat_last_n = 64;
}

/* The row for an argument like "--temp", "--temp=0.5" or "-m" that this subcommand accepts.
 * *inline_value receives the text after '=' (long options only), else NULL. */
static const opt_def *find_opt(const char *arg, mw_cli_cmd cmd, const char **inline_value,
                               int *known_elsewhere)
{
    const char *eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    *inline_value = eq ? eq + 1 : NULL;
    *known_elsewhere = 0;
    for (size_t i = 0; i < N_OPTS; i++) {
        const opt_def *d = &opts_table[i];
        int match = (strlen(d->lname) == len && strncmp(d->lname, arg, len) == 0) ||
                    (!eq && d->sname && strcmp(d->sname, arg) == 0);
        if (!match)
            continue;
        if (d->cmds & BIT(cmd))
            return d;
        *known_elsewhere = 1;
    }
    return NULL;
}

static int parse_value(const opt_def *d, const char *v, mw_cli_opts *o, char *err, size_t errcap)
{
    char *field = (char *)o + d->offset;
    char *end = NULL;
    const char *name = d->lname;
    if (d->kind == OPT_STR) {
        *(const char **)field = v;
        return 0;
    }
    if (d->kind == OPT_CHOICE) {
        const size_t len = strlen(v);
        int32_t index = 0;
        for (const char *w = d->metavar; *w; index++) {
            const char *bar = strchr(w, '|');
            const size_t wlen = bar ? (size_t)(bar - w) : strlen(w);
            if (wlen == len && strncmp(w, v, len) == 0) {
                *(int32_t *)field = index;
                return 0;
            }
            w += wlen + (bar != NULL);
        }
        set_err(err, errcap, "%s: expected one of %s, got '%s'", name, d->metavar, v);
        return -1;
    }
    if (*v == '\0') {
        set_err(err, errcap, "%s: empty value", name);
        return -1;
    }
    errno = 0;
    if (d->kind == OPT_INT) {
        long long x = strtoll(v, &end, 10);
        if (*end != '\0' || errno) {
            set_err(err, errcap, "%s: expected an integer, got '%s'", name, v);
            return -1;
        }
        if ((double)x < d->min || (double)x > d->max) {
            set_err(err, errcap, "%s: %lld is outside [%.0f, %.0f]", name, x, d->min, d->max);
            return -1;
        }
        *(int32_t *)field = (int32_t)x;
    } else if (d->kind == OPT_FLOAT) {
        double x = strtod(v, &end);
        if (*end != '\0' || errno || !isfinite(x)) {
            set_err(err, errcap, "%s: expected a number, got '%s'", name, v);
            return -1;
        }
        if (x < d->min || x > d->max) {
            set_err(err, errcap, "%s: %g is outside [%g, %g]", name, x, d->min, d->max);
            return -1;
        }
        *(float *)field = (float)x;
    } else { /* OPT_U64 */
        const char *p = v;
        while (*p == ' ' || *p == '\t')
            p++;
        unsigned long long x = strtoull(v, &end, 10);
        if (*p == '-' || *p == '+' || *end != '\0' || errno) {
            set_err(err, errcap, "%s: expected an unsigned integer, got '%s'", name, v);
            return -1;
        }
        *(uint64_t *)field = (uint64_t)x;
        o->seed_set = 1;   /* --seed is the only U64 option */
    }
    return 0;
}

static mw_cli_cmd find_cmd(const char *name)
{
    for (int c = MW_CLI_NONE + 1; c < MW_CLI_N_CMDS; c++)
        if (strcmp(cmd_info[c].name, name) == 0)
            return (mw_cli_cmd)c;
    return MW_CLI_NONE;
}

/* what each subcommand cannot run without */
static int check_required(const mw_cli_opts *o, char *err, size_t errcap)
{
    const char *cmd = mw_cli_cmd_name(o->cmd);
    if (!o->model) {
        set_err(err, errcap, "%s: missing -m MODEL (see mw %s --help)", cmd, cmd);
        return -1;
    }
    switch (o->cmd) {
    case MW_CLI_GENERATE:
        if (o->prompt && o->prompt_ids) {
            set_err(err, errcap, "generate: give -p TEXT or --prompt-ids IDS, not both");
            return -1;
        }
        if (o->prompt_ids && o->chat) {
            set_err(err, errcap, "generate: --chat needs -p TEXT, not --prompt-ids");
            return -1;
        }
        break;
    case MW_CLI_LOGITS:
        if (!o->tokens || !o->out) {
            set_err(err, errcap, "logits: missing %s (see mw logits --help)",
                    !o->tokens ? "--tokens IDS" : "--out FILE");
            return -1;
        }
        break;
    case MW_CLI_TOKENIZE:
        if (!o->text == !o->file) {
            set_err(err, errcap, "tokenize: give either TEXT or --file F%s",
                    o->text ? ", not both" : "");
            return -1;
        }
        break;
    case MW_CLI_DETOKENIZE:
        if (!o->ids) {
            set_err(err, errcap, "detokenize: missing --ids IDS");
            return -1;
        }
        break;
    case MW_CLI_BENCH:
        if (o->n_prompt == 0 && o->n_predict == 0) {
            set_err(err, errcap, "bench: -p and -n are both 0: nothing to measure");
            return -1;
        }
        break;
    default:
        break;
    }
    return 0;
}

int mw_cli_parse(int argc, char **argv, mw_cli_opts *o, char *err, size_t errcap)
{
    if (err && errcap)
        err[0] = '\0';
    if (!o)
        return -1;
    set_defaults(o, MW_CLI_NONE);
    if (argc < 2 || !argv || !argv[1]) {
        set_err(err, errcap, "missing subcommand (see mw --help)");
        return -1;
    }
    const char *first = argv[1];
    if (strcmp(first, "-h") == 0 || strcmp(first, "--help") == 0 || strcmp(first, "help") == 0) {
        mw_cli_cmd c = argc > 2 && argv[2] ? find_cmd(argv[2]) : MW_CLI_NONE;
        o->cmd = c;
        o->help = 1;
        return 0;
    }
    if (strcmp(first, "--version") == 0) {
        o->version = 1;
        return 0;
    }
    mw_cli_cmd cmd = find_cmd(first);
    if (cmd == MW_CLI_NONE) {
        set_err(err, errcap, "unknown subcommand '%s' (see mw --help)", first);
        return -1;
    }
    set_defaults(o, cmd);

    int only_positional = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!a)
            break;
        if (!only_positional && strcmp(a, "--") == 0) {
            only_positional = 1;
            continue;
        }
        if (!only_positional && a[0] == '-' && a[1] != '\0') {
            const char *inline_value;
            int elsewhere;
            const opt_def *d = find_opt(a, cmd, &inline_value, &elsewhere);
            if (!d) {
                set_err(err, errcap, "%s: %s option '%s' (see mw %s --help)", first,
                        elsewhere ? "this subcommand has no" : "unknown", a, first);
                return -1;
            }
            if (d->kind == OPT_FLAG) {
                if (inline_value) {
                    set_err(err, errcap, "%s: %s takes no value", first, d->lname);
                    return -1;
                }
                *(int *)((char *)o + d->offset) = 1;
                if (d->offset == offsetof(mw_cli_opts, help))
                    return 0;   /* --help wins over anything else on the line */
                continue;
            }
            const char *v = inline_value;
            if (!v) {
                if (i + 1 >= argc || !argv[i + 1]) {
                    set_err(err, errcap, "%s: %s needs a value (%s)", first, d->lname,
                            d->metavar);
                    return -1;
                }
                v = argv[++i];
            }
            if (parse_value(d, v, o, err, errcap) != 0)
                return -1;
            continue;
        }
        /* positional: only tokenize takes one (the text) */
        if (cmd != MW_CLI_TOKENIZE || o->text) {
            set_err(err, errcap, "%s: unexpected argument '%s'%s", first, a,
                    cmd == MW_CLI_TOKENIZE ? " (quote the text as one argument)" : "");
            return -1;
        }
        o->text = a;
    }
    return check_required(o, err, errcap);
}

int mw_cli_parse_ids(const char *s, int32_t *out, int32_t cap, int32_t *n, char *err,
                     size_t errcap)
{
    int32_t count = 0;
    if (n)
        *n = 0;
    if (!s) {
        set_err(err, errcap, "no token ids given");
        return -1;
    }
    const char *p = s;
    int open_bracket = 0, closed = 0;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ',')
            p++;
        if (*p == '\0')
            break;
        if (*p == '[' && !open_bracket && count == 0) {
            open_bracket = 1;
            p++;
            continue;
        }
        if (*p == ']' && open_bracket && !closed) {
            closed = 1;
            p++;
            continue;
        }
        if (closed || *p < '0' || *p > '9') {
            set_err(err, errcap, "bad token id list at '%.20s': expected a non-negative integer",
                    p);
            return -1;
        }
        int64_t v = 0;
        const char *start = p;
        while (*p >= '0' && *p <= '9') {
            v = v * 10 + (*p - '0');
            if (v > 2147483647) {
                set_err(err, errcap, "token id '%.20s' is too large", start);
                return -1;
            }
            p++;
        }
        if (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && *p != ',' &&
            *p != ']') {
            set_err(err, errcap, "bad token id list at '%.20s': expected a non-negative integer",
                    start);
            return -1;
        }
        if (count == 2147483647) {
            set_err(err, errcap, "too many token ids");
            return -1;
        }
        if (out && count < cap)
            out[count] = (int32_t)v;
        count++;
    }
    if (open_bracket && !closed) {
        set_err(err, errcap, "bad token id list: '[' without ']'");
        return -1;
    }
    if (count == 0) {
        set_err(err, errcap, "empty token id list");
        return -1;
    }
    if (n)
        *n = count;
    return 0;
}

void mw_cli_usage(FILE *f, mw_cli_cmd cmd)
{
    if (cmd <= MW_CLI_NONE || cmd >= MW_CLI_N_CMDS) {
        fprintf(f, "usage: mw <command> [options]   (mw <command> --help for its options)\n\n"
                   "commands:\n");
        for (int c = MW_CLI_NONE + 1; c < MW_CLI_N_CMDS; c++)
            fprintf(f, "  %-11s %s\n", cmd_info[c].name, cmd_info[c].summary);
        fprintf(f, "\nOutput goes to stdout, errors and timings to stderr; exit status 0 on "
                   "success, 1 on any error.\nIDS are token ids separated by spaces or commas, "
                   "e.g. \"1 403 407\" or \"[1, 403, 407]\".\n");
        return;
    }
    fprintf(f, "usage: mw %s %s\n  %s\n\noptions:\n", cmd_info[cmd].name, cmd_info[cmd].synopsis,
            cmd_info[cmd].summary);
    for (size_t i = 0; i < N_OPTS; i++) {
        const opt_def *d = &opts_table[i];
        if (!(d->cmds & BIT(cmd)))
            continue;
        char left[64];
        snprintf(left, sizeof(left), "%s%s%s%s%s", d->sname ? d->sname : "    ",
                 d->sname ? ", " : "", d->lname, d->metavar ? " " : "",
                 d->metavar ? d->metavar : "");
        fprintf(f, "  %-28s %s\n", left, d->help);
    }
}
