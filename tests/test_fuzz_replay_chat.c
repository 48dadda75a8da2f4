/* test_fuzz_replay_chat.c — replays fuzz/corpus/chat through the chat-formatting fuzz target
 * (Mistral v1 and v3 vocabularies from tests/data/tokenizers). */
#include "../fuzz/fuzz_chat.c"
#include "fuzz_replay.h"

int main(void) { return replay_main("chat", 5); }
