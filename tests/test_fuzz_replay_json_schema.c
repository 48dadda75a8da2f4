/* test_fuzz_replay_json_schema.c — replays fuzz/corpus/json_schema through the schema compiler /
 * JSON recognizer fuzz target (constrained decoding). */
#include "../fuzz/fuzz_json_schema.c"
#include "fuzz_replay.h"

int main(void) { return replay_main("json_schema", 5); }
