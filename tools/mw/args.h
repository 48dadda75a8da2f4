/*
 * args.h — command-line parsing for the `mw` CLI, separated from everything that does I/O so a
 * fuzz target can call it: mw_cli_parse() and mw_cli_parse_ids() never print, exit, abort or
 * allocate; strings in mw_cli_opts point into argv. Usage text is printed by mw_cli_usage().
 */
#ifndef MW_CLI_ARGS_H
#define MW_CLI_ARGS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum mw_cli_cmd {
    MW_CLI_NONE = 0,      /* no subcommand (only `mw --help` / `mw --version`) */
    MW_CLI_GENERATE,
    MW_CLI_LOGITS,
    MW_CLI_TOKENIZE,
    MW_CLI_DETOKENIZE,
    MW_CLI_INFO,
    MW_CLI_BENCH,
    MW_CLI_CHAT,
    MW_CLI_N_CMDS
} mw_cli_cmd;

typedef struct mw_cli_opts {
    mw_cli_cmd cmd;
    int help;                 /* -h / --help: print usage of cmd (or the overview) and exit 0 */
    int version;              /* --version */

    const char *model;        /* -m MODEL.gguf (every subcommand) */
    const char *prompt;       /* generate/chat -p TEXT */
    const char *prompt_ids;   /* generate --prompt-ids "1 2 3" */
    const char *system;       /* generate/chat --system TEXT */
    const char *tokens;       /* logits --tokens "1 2 3" */
    const char *out;          /* logits --out FILE */
    const char *ids;          /* detokenize --ids "1 2 3" */
    const char *file;         /* tokenize --file F */
    const char *text;         /* tokenize TEXT (positional) */
    const char *json_schema;  /* generate --json-schema FILE */

    int32_t n_predict;        /* generate/bench -n */
    int32_t n_prompt;         /* bench -p */
    int32_t reps;             /* bench -r */
    int32_t warmup;           /* bench --warmup: untimed runs before the timed reps */
    int32_t n_threads;        /* -t */
    int32_t n_ctx;            /* -c (0 = the engine's default) */
    int32_t window;           /* --window (0 = the model's sliding window, <0 = off) */
    int32_t kv_type;          /* --kv-type f32|f16: MW_KV_F32 (0, default) / MW_KV_F16 (1) */
    int32_t depth;            /* bench -d: tokens already in the context before each measurement */
    float expert_cache_mb;    /* --expert-cache MB: stream Mixtral experts through a cache of
                                 this many MiB (0 = all experts resident) */
    int32_t expert_prefetch_off;  /* --expert-prefetch on|off: 0 = on (default), 1 = off */

    float temperature, top_p, min_p, repeat_penalty, frequency_penalty, presence_penalty;
    int32_t top_k, repeat_last_n;
    uint64_t seed;
    int seed_set;             /* 1 when --seed was given */

    int print_ids, chat, stepwise, no_bos, special, tensors, json, experts;   /* json: info
                                 output / generate: constrain the output to a JSON object */
} mw_cli_opts;

/* Parse argv (argv[0] is the program name). Returns 0 on success (check opts->help /
 * opts->version first), -1 on a usage error with a one-line reason in err. Fills defaults for the
 * chosen subcommand. Never prints, exits or allocates. */
int mw_cli_parse(int argc, char **argv, mw_cli_opts *out, char *err, size_t errcap);

/* Parse a list of token ids: non-negative integers separated by spaces, tabs, newlines or commas,
 * optionally inside [ ] (so a JSON array works). Writes up to cap ids to out (out may be NULL to
 * count); *n receives the total count. Returns 0, or -1 with a reason in err (bad character,
 * number too large, empty list). */
int mw_cli_parse_ids(const char *s, int32_t *out, int32_t cap, int32_t *n, char *err,
                     size_t errcap);

/* Print usage: the overview when cmd is MW_CLI_NONE, else the subcommand's options. */
void mw_cli_usage(FILE *f, mw_cli_cmd cmd);

/* "generate", "logits", ... */
const char *mw_cli_cmd_name(mw_cli_cmd cmd);

#endif
