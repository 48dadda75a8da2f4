/*
 * fuzz_json_schema.c — libFuzzer target for constrained decoding's schema compiler and JSON
 * recognizer (core/json_schema.c, json_bounds.c, json_match.c). Input: schema text, a NUL byte,
 * then document bytes. Properties: compiling never crashes and every error has a message; the
 * recognizer steps the document bytes until one is refused (budget: the shortest document plus
 * 0..159 bytes, from the input's hash), and at every state it accepted, the bytes used plus the
 * rest fit the budget and (rest > 0) some byte lowers the rest by exactly one; completing the
 * document by such bytes gives text that parses as JSON.
 */
#include "fuzz_common.h"
#include "json_schema.h"
#include "json_value.h"

enum { MAX_DOC = 160, MAX_SLACK = 160 };

/* a byte that lowers the rest by one (the smallest), or -1 */
static int lowering_byte(const mw_jstate *st, int32_t budget)
{
    mw_jstate next;
    int32_t rest = mw_jstate_rest(st);
    for (int b = 0; b < 256; b++) {
        mw_jstate_copy(&next, st);
        if (mw_jstate_step(&next, (uint8_t)b, budget) && mw_jstate_rest(&next) == rest - 1)
            return b;
    }
    return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *sep = memchr(data, 0, size);
    size_t schema_len = sep ? (size_t)(sep - data) : size;
    const uint8_t *doc = sep ? sep + 1 : data + size;
    size_t doc_len = sep ? size - schema_len - 1 : 0;
    mw_jschema *s = NULL;
    mw_status st = mw_jschema_compile((const char *)data, schema_len, &s);
    FUZZ_CHECK_ERROR(st);
    if (st != MW_OK)
        return 0;
    const mw_jnode *root = mw_jschema_root(s);
    if (root->min_bytes > 4000) {   /* an absurd minimum: nothing to walk */
        mw_jschema_free(s);
        return 0;
    }
    /* from just enough to roomy: a tight budget is where a wrong rest would strand a document */
    int32_t budget = (int32_t)root->min_bytes + (int32_t)(fuzz_hash(data, size) % MAX_SLACK);
    static mw_jstate state, next;
    mw_jstate_init(&state, root);
    char text[MAX_DOC + 4096 + MAX_SLACK];
    size_t n = 0;
    for (size_t i = 0; i < doc_len && i < MAX_DOC; i++) {
        mw_jstate_copy(&next, &state);
        if (!mw_jstate_step(&next, doc[i], budget))
            break;
        mw_jstate_copy(&state, &next);
        text[n++] = (char)doc[i];
        FUZZ_CHECK(state.used == (int32_t)n && n + (size_t)mw_jstate_rest(&state) <= (size_t)budget);
        FUZZ_CHECK(mw_jstate_rest(&state) == 0 || lowering_byte(&state, budget) >= 0);
    }
    while (mw_jstate_rest(&state) > 0) {   /* the shortest completion */
        int b = lowering_byte(&state, budget);
        FUZZ_CHECK(b >= 0 && n < sizeof text);
        FUZZ_CHECK(mw_jstate_step(&state, (uint8_t)b, budget));
        text[n++] = (char)b;
    }
    mw_json *v = NULL;
    FUZZ_CHECK(mw_json_parse(text, n, &v) == MW_OK);
    mw_json_free(v);
    mw_jschema_free(s);
    return 0;
}
