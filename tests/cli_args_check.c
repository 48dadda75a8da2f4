/*
 * cli_args_check.c — unit checks of the `mw` argument parser (tools/mw/args.c): defaults per
 * subcommand, every value form (--x v, --x=v, -x v), range and syntax errors with a message,
 * subcommand-specific options, required options, and the token-id list parser. Built by
 * tests/cli.cmake together with args.c (it is not linked into mw_core, so it is not a test_*.c).
 */
#include <stdarg.h>

#include "harness.h"

#include "../tools/mw/args.h"

static char err[256];

/* parse a NULL-terminated list of arguments after "mw" */
static int parse(mw_cli_opts *o, const char *a0, ...)
{
    char *argv[64];
    int argc = 0;
    argv[argc++] = "mw";
    va_list ap;
    va_start(ap, a0);
    for (const char *a = a0; a && argc < 63; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    return mw_cli_parse(argc, argv, o, err, sizeof(err));
}

static void test_commands(void)
{
    mw_cli_opts o;
    CHECK(parse(&o, NULL) == -1 && strstr(err, "missing subcommand"));
    CHECK(parse(&o, "frobnicate", NULL) == -1 && strstr(err, "unknown subcommand 'frobnicate'"));
    CHECK(parse(&o, "--help", NULL) == 0 && o.help && o.cmd == MW_CLI_NONE);
    CHECK(parse(&o, "help", "bench", NULL) == 0 && o.help && o.cmd == MW_CLI_BENCH);
    CHECK(parse(&o, "generate", "--help", NULL) == 0 && o.help && o.cmd == MW_CLI_GENERATE);
    /* --help wins even when required options are missing or later ones are bad */
    CHECK(parse(&o, "logits", "-h", "--bogus", NULL) == 0 && o.help);
    CHECK(parse(&o, "--version", NULL) == 0 && o.version);
}

static void test_generate(void)
{
    mw_cli_opts o;
    CHECK(parse(&o, "generate", "-m", "x.gguf", "-p", "Once upon a time", NULL) == 0);
    CHECK(o.cmd == MW_CLI_GENERATE && strcmp(o.model, "x.gguf") == 0);
    CHECK(strcmp(o.prompt, "Once upon a time") == 0);
    CHECK(o.n_predict == 64 && o.top_k == 40 && o.n_threads == 1 && o.n_ctx == 0);
    CHECK_NEAR(o.temperature, 0.8, 1e-7);
    CHECK_NEAR(o.top_p, 0.95, 1e-7);
    CHECK_NEAR(o.min_p, 0.05, 1e-7);
    CHECK_NEAR(o.repeat_penalty, 1.0, 0);
    CHECK(!o.seed_set);

    CHECK(parse(&o, "generate", "-m", "x", "-p", "hi", "-n", "40", "--temp", "0", "--top-k=5",
                "--top-p", "0.5", "--min-p", "0.1", "--repeat-penalty", "1.1", "--seed",
                "18446744073709551615", "-t", "2", "-c", "256", "--print-ids", NULL) == 0);
    CHECK(o.n_predict == 40 && o.top_k == 5 && o.n_threads == 2 && o.n_ctx == 256);
    CHECK_NEAR(o.temperature, 0.0, 0);
    CHECK_NEAR(o.top_p, 0.5, 1e-7);
    CHECK_NEAR(o.repeat_penalty, 1.1, 1e-6);
    CHECK(o.seed_set && o.seed == UINT64_MAX);
    CHECK(o.print_ids);
    CHECK(parse(&o, "generate", "-m", "x", "--temp", "-1", NULL) == 0);   /* negative = greedy */
    CHECK_NEAR(o.temperature, -1.0, 0);
    CHECK(parse(&o, "generate", "-m", "x", "--prompt-ids", "1 2 3", NULL) == 0 &&
          strcmp(o.prompt_ids, "1 2 3") == 0);
    CHECK(parse(&o, "generate", "-m", "x", "--chat", "--system", "be brief", "-p", "hi",
                NULL) == 0 && o.chat && strcmp(o.system, "be brief") == 0);

    CHECK(parse(&o, "generate", "-p", "hi", NULL) == -1 && strstr(err, "missing -m"));
    CHECK(parse(&o, "generate", "-m", "x", "-p", "a", "--prompt-ids", "1", NULL) == -1 &&
          strstr(err, "not both"));
    CHECK(parse(&o, "generate", "-m", "x", "--temp", "abc", NULL) == -1 &&
          strstr(err, "--temp") && strstr(err, "abc"));
    CHECK(parse(&o, "generate", "-m", "x", "--temp", "nan", NULL) == -1);
    CHECK(parse(&o, "generate", "-m", "x", "--temp", "inf", NULL) == -1);
    CHECK(parse(&o, "generate", "-m", "x", "-n", "12x", NULL) == -1 && strstr(err, "integer"));
    CHECK(parse(&o, "generate", "-m", "x", "-n", "", NULL) == -1 && strstr(err, "empty"));
    CHECK(parse(&o, "generate", "-m", "x", "-n", "99999999999", NULL) == -1);
    CHECK(parse(&o, "generate", "-m", "x", "-n", "-2", NULL) == -1 && strstr(err, "outside"));
    CHECK(parse(&o, "generate", "-m", "x", "--top-p", "1.5", NULL) == -1);
    CHECK(parse(&o, "generate", "-m", "x", "--top-k", "-1", NULL) == -1);
    CHECK(parse(&o, "generate", "-m", "x", "--repeat-penalty", "0", NULL) == -1);
    CHECK(parse(&o, "generate", "-m", "x", "-t", "0", NULL) == -1);
    CHECK(parse(&o, "generate", "-m", "x", "--seed", "-5", NULL) == -1 && strstr(err, "--seed"));
    CHECK(parse(&o, "generate", "-m", "x", "--seed", "18446744073709551616", NULL) == -1);
    CHECK(parse(&o, "generate", "-m", "x", "-n", NULL) == -1 && strstr(err, "needs a value"));
    CHECK(parse(&o, "generate", "-m", "x", "--print-ids=1", NULL) == -1);
    CHECK(parse(&o, "generate", "-m", "x", "--bogus", NULL) == -1 &&
          strstr(err, "unknown option '--bogus'"));
    CHECK(parse(&o, "generate", "-m", "x", "--tokens", "1", NULL) == -1 &&
          strstr(err, "has no option"));   /* a logits option */
    CHECK(parse(&o, "generate", "-m", "x", "stray", NULL) == -1 && strstr(err, "unexpected"));
}

static void test_other_commands(void)
{
    mw_cli_opts o;
    CHECK(parse(&o, "logits", "-m", "x", "--tokens", "1 2", "--out", "f.bin", NULL) == 0);
    CHECK(strcmp(o.tokens, "1 2") == 0 && strcmp(o.out, "f.bin") == 0 && !o.stepwise);
    CHECK(parse(&o, "logits", "-m", "x", "--tokens", "1", "-o", "f", "--stepwise", NULL) == 0 &&
          o.stepwise);
    CHECK(parse(&o, "logits", "-m", "x", "--tokens", "1", NULL) == -1 && strstr(err, "--out"));
    CHECK(parse(&o, "logits", "-m", "x", "--out", "f", NULL) == -1 && strstr(err, "--tokens"));

    CHECK(parse(&o, "tokenize", "-m", "x", "Hello world", NULL) == 0 &&
          strcmp(o.text, "Hello world") == 0 && !o.no_bos);
    CHECK(parse(&o, "tokenize", "-m", "x", "--no-bos", "--special", "--", "-dash", NULL) == 0 &&
          o.no_bos && o.special && strcmp(o.text, "-dash") == 0);
    CHECK(parse(&o, "tokenize", "-m", "x", "--file", "f.txt", NULL) == 0 &&
          strcmp(o.file, "f.txt") == 0 && !o.text);
    CHECK(parse(&o, "tokenize", "-m", "x", NULL) == -1);
    CHECK(parse(&o, "tokenize", "-m", "x", "a", "b", NULL) == -1);
    CHECK(parse(&o, "tokenize", "-m", "x", "a", "--file", "f", NULL) == -1);
    CHECK(parse(&o, "detokenize", "-m", "x", "--ids", "1,2", NULL) == 0 &&
          strcmp(o.ids, "1,2") == 0);
    CHECK(parse(&o, "detokenize", "-m", "x", NULL) == -1 && strstr(err, "--ids"));

    CHECK(parse(&o, "info", "-m", "x", "-c", "1024", "--tensors", "--json", NULL) == 0 &&
          o.n_ctx == 1024 && o.tensors && o.json);
    CHECK(parse(&o, "info", "-m", "x", "-t", "2", NULL) == -1);

    CHECK(parse(&o, "bench", "-m", "x", NULL) == 0 && o.n_prompt == 128 && o.n_predict == 64 &&
          o.reps == 3 && !o.experts);
    /* in bench, -p is a token count, not text */
    CHECK(parse(&o, "bench", "-m", "x", "-p", "16", "-n", "8", "-r", "1", "-t", "2", "--experts",
                NULL) == 0 && o.n_prompt == 16 && o.n_predict == 8 && o.reps == 1 &&
          o.n_threads == 2 && o.experts);
    CHECK(parse(&o, "bench", "-m", "x", "-p", "hello", NULL) == -1);
    CHECK(parse(&o, "bench", "-m", "x", "-p", "0", "-n", "0", NULL) == -1);
    CHECK(parse(&o, "bench", "-m", "x", "-r", "0", NULL) == -1);
    CHECK(parse(&o, "chat", "-m", "x", "--system", "s", "--temp", "0.2", NULL) == 0 &&
          o.n_predict == 512);
}

static void test_ids(void)
{
    int32_t ids[8], n = -1;
    CHECK(mw_cli_parse_ids("1 403 407", ids, 8, &n, err, sizeof(err)) == 0 && n == 3 &&
          ids[0] == 1 && ids[1] == 403 && ids[2] == 407);
    CHECK(mw_cli_parse_ids("[1, 2,3]\n", ids, 8, &n, err, sizeof(err)) == 0 && n == 3 &&
          ids[2] == 3);
    CHECK(mw_cli_parse_ids("  7\t8  ", ids, 8, &n, err, sizeof(err)) == 0 && n == 2);
    CHECK(mw_cli_parse_ids("2147483647", ids, 8, &n, err, sizeof(err)) == 0 &&
          ids[0] == 2147483647);
    /* counting without storage, and a too-small buffer still counts everything */
    CHECK(mw_cli_parse_ids("1 2 3 4 5", NULL, 0, &n, err, sizeof(err)) == 0 && n == 5);
    CHECK(mw_cli_parse_ids("1 2 3 4 5", ids, 2, &n, err, sizeof(err)) == 0 && n == 5 &&
          ids[1] == 2);
    CHECK(mw_cli_parse_ids("", ids, 8, &n, err, sizeof(err)) == -1 && strstr(err, "empty"));
    CHECK(mw_cli_parse_ids("[]", ids, 8, &n, err, sizeof(err)) == -1);
    CHECK(mw_cli_parse_ids(NULL, ids, 8, &n, err, sizeof(err)) == -1);
    CHECK(mw_cli_parse_ids("1 x 3", ids, 8, &n, err, sizeof(err)) == -1 && strstr(err, "x 3"));
    CHECK(mw_cli_parse_ids("1 -2", ids, 8, &n, err, sizeof(err)) == -1);
    CHECK(mw_cli_parse_ids("12abc", ids, 8, &n, err, sizeof(err)) == -1);
    CHECK(mw_cli_parse_ids("1.5", ids, 8, &n, err, sizeof(err)) == -1);
    CHECK(mw_cli_parse_ids("2147483648", ids, 8, &n, err, sizeof(err)) == -1 &&
          strstr(err, "too large"));
    CHECK(mw_cli_parse_ids("[1 2", ids, 8, &n, err, sizeof(err)) == -1);
    CHECK(mw_cli_parse_ids("1] 2", ids, 8, &n, err, sizeof(err)) == -1);
    CHECK(mw_cli_parse_ids("[1] 2", ids, 8, &n, err, sizeof(err)) == -1);
    /* a tiny error buffer is never overrun */
    char small[4] = "zzz";
    CHECK(mw_cli_parse_ids("q", ids, 8, &n, small, sizeof(small)) == -1 && small[3] == '\0');
}

int main(void)
{
    test_commands();
    test_generate();
    test_other_commands();
    test_ids();
    return TEST_REPORT();
}
