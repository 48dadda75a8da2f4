/*
 * main.c — entry point of the `mw` CLI: parses the command line (args.c) and dispatches to one
 * subcommand file (generate.c, logits.c, tokenize.c, info.c, bench.c, chat.c). stdout carries
 * only the requested output; errors go to stderr as "mw: error: ..." with exit status 1.
 */
#include "cli.h"

int main(int argc, char **argv)
{
    mw_cli_opts o;
    char err[512];
    if (mw_cli_parse(argc, argv, &o, err, sizeof(err)) != 0) {
        cli_error("%s", err);
        return 1;
    }
    if (o.version) {
        printf("mw (kernels: %s)\n", mw_kernels_name());
        return 0;
    }
    if (o.help) {
        mw_cli_usage(stdout, o.cmd);
        return 0;
    }
    switch (o.cmd) {
    case MW_CLI_GENERATE: return mw_cmd_generate(&o);
    case MW_CLI_LOGITS: return mw_cmd_logits(&o);
    case MW_CLI_TOKENIZE: return mw_cmd_tokenize(&o);
    case MW_CLI_DETOKENIZE: return mw_cmd_detokenize(&o);
    case MW_CLI_INFO: return mw_cmd_info(&o);
    case MW_CLI_BENCH: return mw_cmd_bench(&o);
    case MW_CLI_CHAT: return mw_cmd_chat(&o);
    default: break;
    }
    mw_cli_usage(stderr, MW_CLI_NONE);
    return 1;
}
