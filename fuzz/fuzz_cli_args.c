/*
 * fuzz_cli_args.c — libFuzzer target for the CLI's argument parsing (tools/mw/args.c, the
 * same parser the WASI CLI uses). The input splits at NUL bytes into argv (argv[0] first);
 * the whole input is also parsed as a token-id list. Properties: mw_cli_parse returns 0 or -1
 * and an error always has a reason; mw_cli_parse_ids agrees with its own counting
 * mode, and every id it returns is non-negative.
 */
#include <stdlib.h>

#include "fuzz_common.h"
#include "../tools/mw/args.h"   /* args.c is linked in (tools/fuzz.sh, CMakeLists.txt) */

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';

    /* argv: the NUL-separated pieces (an empty input still has argv[0] = "") */
    char *argv[MAX_ARGS + 1];
    int argc = 0;
    for (size_t i = 0; i <= size && argc < MAX_ARGS; ) {
        argv[argc++] = buf + i;
        i += strlen(buf + i) + 1;
    }
    argv[argc] = NULL;
    mw_cli_opts opts;
    char err[256];
    err[0] = '\0';
    int r = mw_cli_parse(argc, argv, &opts, err, sizeof err);
    FUZZ_CHECK(r == 0 || r == -1);
    /* (the reason quotes the offending argument as given, control bytes included) */
    FUZZ_CHECK(r == 0 || (err[0] != '\0' && memchr(err, '\0', sizeof err)));

    /* the whole input (up to its first NUL) as an id list */
    int32_t n_count = 0, n = 0, ids[64];
    int rc_count = mw_cli_parse_ids(buf, NULL, 0, &n_count, err, sizeof err);
    int rc = mw_cli_parse_ids(buf, ids, 64, &n, err, sizeof err);
    FUZZ_CHECK(rc == rc_count);
    if (rc == 0) {
        FUZZ_CHECK(n == n_count && n >= 1);
        for (int32_t i = 0; i < n && i < 64; i++)
            FUZZ_CHECK(ids[i] >= 0);
    }
    free(buf);
    return 0;
}
