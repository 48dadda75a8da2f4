/* test_fuzz_replay_split.c — replays fuzz/corpus/split through the special-token split fuzz
 * target (tokenizer.c's split against llama.cpp's algorithm transcribed). */
#include "../fuzz/fuzz_split.c"
#include "fuzz_replay.h"

int main(void) { return replay_main("split", 4); }
