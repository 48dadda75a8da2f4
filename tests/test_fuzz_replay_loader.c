/* test_fuzz_replay_loader.c — replays fuzz/corpus/gguf through the loader fuzz target (every
 * byte source). The loader and parser targets share one corpus: both eat GGUF files. */
#include "../fuzz/fuzz_loader.c"
#include "fuzz_replay.h"

int main(void) { return replay_main("gguf", 5); }
