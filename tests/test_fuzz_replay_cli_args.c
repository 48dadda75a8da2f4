/* test_fuzz_replay_cli_args.c — replays fuzz/corpus/cli_args through the CLI argument-parsing
 * fuzz target. */
#include "../fuzz/fuzz_cli_args.c"
#include "fuzz_replay.h"

int main(void) { return replay_main("cli_args", 8); }
