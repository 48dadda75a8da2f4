/* test_fuzz_replay_gguf.c — replays fuzz/corpus/gguf through the mw_gguf_parse fuzz target. */
#include "../fuzz/fuzz_gguf.c"
#include "fuzz_replay.h"

int main(void) { return replay_main("gguf", 5); }
