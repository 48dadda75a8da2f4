/*
 * cli.h — what the `mw` subcommands share: error printing ("mw: error: ..." on stderr), a
 * monotonic clock, model/session opening with the engine's error message, tokenizing into a
 * grown buffer, id-list parsing with range checks, and streaming text output. One function per
 * subcommand, each returning the process exit status (0 ok, 1 error).
 * Only C stdio/stdlib/time.h: the same sources build for WASI.
 */
#ifndef MW_CLI_H
#define MW_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "args.h"
#include "mw.h"

int mw_cmd_generate(const mw_cli_opts *o);
int mw_cmd_chat(const mw_cli_opts *o);
int mw_cmd_logits(const mw_cli_opts *o);
int mw_cmd_tokenize(const mw_cli_opts *o);
int mw_cmd_detokenize(const mw_cli_opts *o);
int mw_cmd_info(const mw_cli_opts *o);
int mw_cmd_bench(const mw_cli_opts *o);

/* Print "mw: error: <message>\n" to stderr; returns 1 (the exit status) for `return cli_error(..)`. */
int cli_error(const char *fmt, ...);
/* Same with ": <mw_last_error()>" appended (the engine's reason for status st). */
int cli_engine_error(mw_status st, const char *what);

/* Seconds on a monotonic clock. */
double cli_now(void);

/* Open -m MODEL and fill *info (when not NULL); on failure prints the error and returns NULL. */
/* --expert-cache MB in bytes (0: experts resident; a tiny budget is 1, which the core refuses) */
uint64_t cli_expert_cache_bytes(const mw_cli_opts *o);
/* The models' memory_limit: this machine's physical memory, since the weights are read into
 * RAM (no mmap) and a model beyond it would only swap or be killed; 0 (the core's address-space
 * bound alone) where unknown, as in WASI. */
uint64_t cli_memory_limit(void);
/* acc += the expert cache's counters gained from before to after (mw_model_expert_stats
 * snapshots); the cache's size and budget are not counters and stay as they are in acc */
void cli_expert_stats_add(mw_expert_stats *acc, const mw_expert_stats *before,
                          const mw_expert_stats *after);
mw_model *cli_open_model(const mw_cli_opts *o, mw_model_info *info);
/* Create a session with -c / -t / --window, n_ctx raised to at least min_ctx; NULL on error. */
mw_session *cli_open_session(const mw_cli_opts *o, const mw_model *model, int32_t min_ctx);

/* Tokenize text into a malloc'd array (*ids, *n); 0 ok, 1 after printing an error. */
int cli_tokenize(const mw_model *model, const char *text, size_t len, int32_t flags,
                 int32_t **ids, int32_t *n);
/* Tokenize a conversation with the model's chat template into a malloc'd array. */
int cli_chat_tokenize(const mw_model *model, const mw_chat_message *msgs, int32_t n_msgs,
                      int32_t **ids, int32_t *n);
/* Detokenize into a malloc'd NUL-terminated string (*len bytes); NULL after printing an error. */
char *cli_detokenize(const mw_model *model, const int32_t *ids, int32_t n, size_t *len);
/* Parse an id list (what names the option, e.g. "--tokens") into a malloc'd array and check every
 * id is < n_vocab; 0 ok, 1 after printing an error. */
int cli_parse_ids(const char *s, const char *what, int32_t n_vocab, int32_t **ids, int32_t *n);

/* Read a whole file into a malloc'd NUL-terminated buffer; NULL after printing an error. */
char *cli_read_file(const char *path, size_t *size);

/* Streaming text output of generated ids through an mw_detok: writes to f as characters complete. */
int cli_detok_write(mw_detok *d, int32_t id, FILE *f);
int cli_detok_finish(mw_detok *d, FILE *f);

/* A sampler from the --temp/--top-k/... options; without --seed the seed comes from the clock
 * and is printed on stderr so the run can be repeated. NULL after printing an error. */
mw_sampler *cli_make_sampler(const mw_cli_opts *o, int32_t n_vocab);

/* The sampling loop shared by generate and chat. The session holds the evaluated prompt; each
 * step samples from its last logits, stops at an end-of-generation id (not printed), accepts the
 * id, prints it (text through d, or its number when print_ids), and evaluates it unless it was
 * the last of n_predict (-1 = no limit). A full context ends generation without error. */
typedef struct cli_gen_stats {
    int32_t n_gen;       /* ids produced (and printed) */
    int32_t n_eval;      /* of which evaluated: the first comes from the prompt's logits, and the
                          * last of n_predict is not evaluated, so rates count these */
    double seconds;      /* wall time of the loop */
    int hit_eog, hit_context_full;
} cli_gen_stats;
/* With a constraint (attached to smp, or NULL), each id is also accepted by it, and the loop
 * stops once its document is done. */
int cli_generate_loop(const mw_model *model, mw_session *s, mw_sampler *smp, mw_detok *d,
                      int32_t n_predict, int print_ids, FILE *out, int32_t *ids_out,
                      int32_t ids_cap, mw_constraint *constraint, cli_gen_stats *stats);

/* Write s as a JSON string literal (quotes and escapes included). */
void cli_json_string(FILE *f, const char *s);

/* The last path component ("models/x.gguf" -> "x.gguf"). */
const char *cli_basename(const char *path);

#endif
