/* test_fuzz_replay_tokenize.c — replays fuzz/corpus/tokenize through the tokenizer fuzz target
 * (Mistral v3 vocabulary from tests/data/tokenizers). */
#include "../fuzz/fuzz_tokenize.c"
#include "fuzz_replay.h"

int main(void) { return replay_main("tokenize", 5); }
