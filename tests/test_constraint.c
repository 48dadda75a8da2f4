/*
 * test_constraint.c — constrained JSON decoding: schema errors, the byte recognizer on
 * hand-written documents, and the property that matters: driven by random logits (and by
 * random-weight models), sampling under the mask always ends within the byte budget with text
 * that parses as JSON and validates against the schema. The validator here is written against
 * the parsed document and schema (core's plain JSON parser), independent of the recognizer;
 * and unmasked sampling is shown to fail it, so the property test can fail.
 * MW_SHOW=1 prints every generated document; MW_WALKS=N sets the byte walks per schema (40).
 */
#include "harness.h"
#include "json_schema.h"
#include "json_value.h"
#include "mw.h"

/* ---- an independent validator over parsed JSON ---- */

static int json_equal(const mw_json *a, const mw_json *b)
{
    if (a->kind != b->kind || a->n != b->n)
        return 0;
    switch (a->kind) {
    case MW_JSON_BOOL: return a->boolean == b->boolean;
    case MW_JSON_NUMBER: return strtod(a->text, NULL) == strtod(b->text, NULL);
    case MW_JSON_STRING: return a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
    case MW_JSON_ARRAY:
        for (int32_t i = 0; i < a->n; i++)
            if (!json_equal(a->items[i], b->items[i])) return 0;
        return 1;
    case MW_JSON_OBJECT:
        for (int32_t i = 0; i < a->n; i++) {
            const mw_json *o = mw_json_get(b, a->keys[i]);
            if (!o || !json_equal(a->items[i], o)) return 0;
        }
        return 1;
    default: return 1;
    }
}

static long count_chars(const char *s, size_t len)
{
    long n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

static long num_of(const mw_json *s, const char *key, long dflt)
{
    const mw_json *v = mw_json_get(s, key);
    return v ? strtol(v->text, NULL, 10) : dflt;
}

static int type_ok(const char *t, const mw_json *v)
{
    if (!strcmp(t, "null")) return v->kind == MW_JSON_NULL;
    if (!strcmp(t, "boolean")) return v->kind == MW_JSON_BOOL;
    if (!strcmp(t, "number")) return v->kind == MW_JSON_NUMBER;
    if (!strcmp(t, "integer"))
        return v->kind == MW_JSON_NUMBER && strtod(v->text, NULL) == floor(strtod(v->text, NULL));
    if (!strcmp(t, "string")) return v->kind == MW_JSON_STRING;
    if (!strcmp(t, "array")) return v->kind == MW_JSON_ARRAY;
    if (!strcmp(t, "object")) return v->kind == MW_JSON_OBJECT;
    return 0;
}

static int validate(const mw_json *doc, const mw_json *s, const mw_json *v)
{
    if (s->kind == MW_JSON_BOOL)
        return s->boolean;
    const mw_json *k;
    if ((k = mw_json_get(s, "$ref"))) {   /* "#/$defs/name" only */
        const char *name = strrchr(k->text, '/') + 1;
        return validate(doc, mw_json_get(mw_json_get(doc, "$defs"), name), v);
    }
    if ((k = mw_json_get(s, "enum"))) {
        int any = 0;
        for (int32_t i = 0; i < k->n; i++) any |= json_equal(k->items[i], v);
        if (!any) return 0;
    }
    if ((k = mw_json_get(s, "const")) && !json_equal(k, v))
        return 0;
    if ((k = mw_json_get(s, "anyOf"))) {
        int any = 0;
        for (int32_t i = 0; i < k->n; i++) any |= validate(doc, k->items[i], v);
        if (!any) return 0;
    }
    if ((k = mw_json_get(s, "oneOf"))) {
        int n = 0;
        for (int32_t i = 0; i < k->n; i++) n += validate(doc, k->items[i], v);
        if (n != 1) return 0;
    }
    if ((k = mw_json_get(s, "type"))) {
        int any = 0;
        if (k->kind == MW_JSON_STRING) any = type_ok(k->text, v);
        for (int32_t i = 0; k->kind == MW_JSON_ARRAY && i < k->n; i++)
            any |= type_ok(k->items[i]->text, v);
        if (!any) return 0;
    }
    if (v->kind == MW_JSON_NUMBER) {
        double x = strtod(v->text, NULL);
        if (((k = mw_json_get(s, "minimum")) && x < strtod(k->text, NULL)) ||
            ((k = mw_json_get(s, "maximum")) && x > strtod(k->text, NULL)) ||
            ((k = mw_json_get(s, "exclusiveMinimum")) && x <= strtod(k->text, NULL)) ||
            ((k = mw_json_get(s, "exclusiveMaximum")) && x >= strtod(k->text, NULL)))
            return 0;
    }
    if (v->kind == MW_JSON_STRING) {
        long n = count_chars(v->text, v->len);
        if (n < num_of(s, "minLength", 0) || n > num_of(s, "maxLength", 1L << 30)) return 0;
    }
    if (v->kind == MW_JSON_ARRAY) {
        if (v->n < num_of(s, "minItems", 0) || v->n > num_of(s, "maxItems", 1L << 30)) return 0;
        const mw_json *items = mw_json_get(s, "items");
        for (int32_t i = 0; items && i < v->n; i++)
            if (!validate(doc, items, v->items[i])) return 0;
    }
    if (v->kind == MW_JSON_OBJECT) {
        const mw_json *props = mw_json_get(s, "properties"), *req = mw_json_get(s, "required");
        const mw_json *addl = mw_json_get(s, "additionalProperties");
        for (int32_t i = 0; req && i < req->n; i++)
            if (!mw_json_get(v, req->items[i]->text)) return 0;
        for (int32_t i = 0; i < v->n; i++) {
            const mw_json *ps = mw_json_get(props, v->keys[i]);
            if (ps ? !validate(doc, ps, v->items[i]) : addl && !validate(doc, addl, v->items[i]))
                return 0;
        }
    }
    return 1;
}

/* 1 if text parses as JSON and validates against schema (NULL = any object) */
static int valid_doc(const char *schema, const char *text, size_t len)
{
    mw_json *v = NULL, *s = NULL;
    if (mw_json_parse(text, len, &v) != MW_OK)
        return 0;
    int ok;
    if (!schema) {
        ok = v->kind == MW_JSON_OBJECT;
    } else {
        ok = mw_json_parse(schema, strlen(schema), &s) == MW_OK && validate(s, s, v);
        if (ok && !mw_json_get(s, "type") && !mw_json_get(s, "$ref"))
            ok = v->kind == MW_JSON_OBJECT;
    }
    mw_json_free(v);
    mw_json_free(s);
    return ok;
}

/* ---- schemas ---- */

static const char *const schemas[] = {
    NULL,   /* json_object mode */
    "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},\"age\":{\"type\":"
    "\"integer\"}},\"required\":[\"name\",\"age\"],\"additionalProperties\":false}",
    "{\"type\":\"object\",\"properties\":{\"color\":{\"enum\":[\"red\",\"green\",\"blue\",1,12,"
    "null]},\"n\":{\"const\":3},\"ok\":{\"type\":\"boolean\"}},\"required\":[\"color\",\"n\","
    "\"ok\"]}",
    "{\"type\":\"object\",\"properties\":{\"tags\":{\"type\":\"array\",\"items\":{\"type\":"
    "\"string\",\"maxLength\":5},\"minItems\":1,\"maxItems\":3}},\"required\":[\"tags\"],"
    "\"additionalProperties\":false}",
    "{\"type\":\"object\",\"properties\":{\"user\":{\"type\":\"object\",\"properties\":{\"id\":"
    "{\"type\":\"integer\"},\"email\":{\"type\":\"string\",\"minLength\":3}},\"required\":[\"id\","
    "\"email\"],\"additionalProperties\":false},\"score\":{\"type\":\"number\"}},\"required\":"
    "[\"user\"],\"additionalProperties\":false}",
    "{\"type\":\"object\",\"properties\":{\"v\":{\"anyOf\":[{\"type\":\"string\"},{\"type\":"
    "\"null\"}]},\"w\":{\"oneOf\":[{\"type\":\"integer\"},{\"type\":\"boolean\"}]}},\"required\":"
    "[\"v\",\"w\"]}",
    "{\"type\":\"object\",\"properties\":{\"x\":{\"type\":[\"number\",\"string\",\"null\"]}},"
    "\"required\":[\"x\"]}",
    "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"},\"b\":{\"type\":"
    "\"string\"},\"c\":{\"type\":\"boolean\"}},\"additionalProperties\":false}",
    "{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"minItems\":2,\"maxItems\":4}",
    "{\"type\":\"string\",\"minLength\":2,\"maxLength\":8}",
    "{\"type\":\"object\",\"additionalProperties\":{\"type\":\"integer\"}}",
    "{\"$defs\":{\"pt\":{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"number\"},\"y\":"
    "{\"type\":\"number\"}},\"required\":[\"x\",\"y\"],\"additionalProperties\":false}},\"type\":"
    "\"object\",\"properties\":{\"points\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/pt\"},"
    "\"maxItems\":3}},\"required\":[\"points\"],\"additionalProperties\":false}",
    "{\"type\":\"object\",\"properties\":{\"location\":{\"type\":\"string\",\"description\":"
    "\"City, e.g. Paris\"},\"unit\":{\"type\":\"string\",\"enum\":[\"celsius\",\"fahrenheit\"]}},"
    "\"required\":[\"location\",\"unit\"],\"additionalProperties\":false}",
    "{\"type\":\"number\"}",
    "{\"type\":\"object\",\"additionalProperties\":false}",
    "{\"type\":\"object\",\"properties\":{\"age\":{\"type\":\"integer\",\"minimum\":0,"
    "\"maximum\":150},\"n\":{\"type\":\"integer\",\"minimum\":10},\"p\":{\"type\":\"number\","
    "\"exclusiveMinimum\":0,\"maximum\":100000},\"t\":{\"type\":[\"integer\",\"null\"],"
    "\"minimum\":-3,\"maximum\":3}},\"required\":[\"age\",\"n\",\"p\",\"t\"]}",
    "{\"type\":\"object\",\"properties\":{\"q\":{\"type\":\"string\",\"minLength\":4,"
    "\"maxLength\":4},\"list\":{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":"
    "{\"type\":\"boolean\"},\"minItems\":1}}},\"required\":[\"list\",\"q\"]}",
    /* a forced choice between two tools: told apart only by the "name" member */
    "{\"anyOf\":[{\"type\":\"object\",\"properties\":{\"name\":{\"const\":\"get_weather\"},"
    "\"arguments\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},"
    "\"required\":[\"city\"],\"additionalProperties\":false}},\"required\":[\"name\","
    "\"arguments\"],\"additionalProperties\":false},{\"type\":\"object\",\"properties\":"
    "{\"name\":{\"const\":\"add\"},\"arguments\":{\"type\":\"object\",\"properties\":{\"a\":"
    "{\"type\":\"integer\"},\"b\":{\"type\":\"integer\"}},\"required\":[\"a\",\"b\"],"
    "\"additionalProperties\":false}},\"required\":[\"name\",\"arguments\"],"
    "\"additionalProperties\":false}]}",
    "{\"type\":\"array\",\"items\":{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"string\","
    "\"maxLength\":2},{\"type\":\"string\",\"minLength\":5,\"maxLength\":7},{\"type\":"
    "\"number\"}]},\"maxItems\":5}",
};
enum { N_SCHEMAS = sizeof schemas / sizeof schemas[0] };

/* ---- the recognizer on hand-written documents ---- */

static int match(const char *schema, const char *doc, int32_t budget)
{
    mw_jschema *s = NULL;
    if (mw_jschema_compile(schema, schema ? strlen(schema) : 0, &s) != MW_OK)
        return -1;
    mw_jstate st;
    mw_jstate_init(&st, mw_jschema_root(s));
    int ok = 1;
    for (const char *p = doc; *p && ok; p++)
        ok = mw_jstate_step(&st, (uint8_t)*p, budget);
    ok = ok && mw_jstate_rest(&st) == 0;
    mw_jschema_free(s);
    return ok;
}

static void test_recognizer(void)
{
    const char *person = schemas[1];
    CHECK(match(person, "{\"name\":\"Bob\",\"age\":42}", 1000) == 1);
    CHECK(match(person, " {\"name\": \"Bob\", \"age\": -7}", 1000) == 1);
    CHECK(match(person, "{\"name\":\"Bob\"\n,\"age\":0}", 1000) == 1);
    CHECK(match(person, "{\"age\":42,\"name\":\"Bob\"}", 1000) == 0);      /* schema order */
    CHECK(match(person, "{\"name\":\"Bob\"}", 1000) == 0);                 /* required */
    CHECK(match(person, "{\"name\":\"Bob\",\"age\":4.5}", 1000) == 0);     /* integer */
    CHECK(match(person, "{\"name\":\"Bob\",\"age\":042}", 1000) == 0);
    CHECK(match(person, "{\"name\":\"Bob\",\"age\":1,\"x\":1}", 1000) == 0);
    CHECK(match(person, "{\"name\":\"Bob\",  \"age\":1}", 1000) == 0);     /* one space per gap */
    CHECK(match(person, "{\"name\":\"Bob\",\"age\":1} ", 1000) == 0);      /* nothing after */
    CHECK(match(person, "{\"name\":\"Bob\",\"age\":1}", 21) == 0);         /* 22 bytes > budget */
    CHECK(match(person, "{\"name\":\"Bob\",\"age\":1}", 22) == 1);
    /* strings: escapes, UTF-8 (a split character is fine byte by byte), bad bytes */
    CHECK(match(person, "{\"name\":\"a\\\"\\\\\\n\\u00e9\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\",\"age\":1}", 1000) == 1);
    CHECK(match(person, "{\"name\":\"\\ud800\",\"age\":1}", 1000) == 0);   /* lone surrogate */
    CHECK(match(person, "{\"name\":\"\xc0\x80\",\"age\":1}", 1000) == 0);  /* overlong */
    CHECK(match(person, "{\"name\":\"\xed\xa0\x80\",\"age\":1}", 1000) == 0);
    CHECK(match(person, "{\"name\":\"\x80\",\"age\":1}", 1000) == 0);
    CHECK(match(person, "{\"name\":\"a\tb\",\"age\":1}", 1000) == 0);     /* raw control */
    CHECK(match(person, "{\"name\":\"\\x\",\"age\":1}", 1000) == 0);
    /* enum / const / literals, including a number enum where one value prefixes another */
    CHECK(match(schemas[2], "{\"color\":\"green\",\"n\":3,\"ok\":false}", 1000) == 1);
    CHECK(match(schemas[2], "{\"color\":12,\"n\":3,\"ok\":true}", 1000) == 1);
    CHECK(match(schemas[2], "{\"color\":1,\"n\":3,\"ok\":true}", 1000) == 1);
    CHECK(match(schemas[2], "{\"color\":null,\"n\":3,\"ok\":true}", 1000) == 1);
    CHECK(match(schemas[2], "{\"color\":\"pink\",\"n\":3,\"ok\":true}", 1000) == 0);
    CHECK(match(schemas[2], "{\"color\":123,\"n\":3,\"ok\":true}", 1000) == 0);
    CHECK(match(schemas[2], "{\"color\":\"red\",\"n\":4,\"ok\":true}", 1000) == 0);
    /* arrays */
    CHECK(match(schemas[3], "{\"tags\":[\"a\", \"bcdef\"]}", 1000) == 1);
    CHECK(match(schemas[3], "{\"tags\":[]}", 1000) == 0);                 /* minItems */
    CHECK(match(schemas[3], "{\"tags\":[\"a\",\"b\",\"c\",\"d\"]}", 1000) == 0);
    CHECK(match(schemas[3], "{\"tags\":[\"abcdef\"]}", 1000) == 0);       /* maxLength */
    CHECK(match(schemas[8], "[1,2,3]", 1000) == 1);
    CHECK(match(schemas[8], "[1]", 1000) == 0);
    /* anyOf, type lists, optional members skipped, numbers */
    CHECK(match(schemas[5], "{\"v\":null,\"w\":true}", 1000) == 1);
    CHECK(match(schemas[5], "{\"v\":\"s\",\"w\":-3}", 1000) == 1);
    CHECK(match(schemas[5], "{\"v\":1,\"w\":1}", 1000) == 0);
    CHECK(match(schemas[6], "{\"x\":-0.5e+10}", 1000) == 1);
    CHECK(match(schemas[6], "{\"x\":1.}", 1000) == 0);
    CHECK(match(schemas[7], "{}", 1000) == 1);
    CHECK(match(schemas[7], "{\"c\":true}", 1000) == 1);
    CHECK(match(schemas[7], "{\"a\":1,\"c\":true}", 1000) == 1);
    CHECK(match(schemas[7], "{\"c\":true,\"a\":1}", 1000) == 0);
    CHECK(match(schemas[13], "1.25E-3", 1000) == 1);
    CHECK(match(schemas[13], "-9e99", 1000) == 1 && match(schemas[13], "1e-07", 1000) == 1);
    CHECK(match(schemas[13], "1e100", 1000) == 0 && match(schemas[13], "1e+308", 1000) == 0);
    CHECK(match(schemas[13], "123456789012345678901234", 1000) == 1);   /* 24 characters */
    CHECK(match(schemas[13], "1234567890123456789012345", 1000) == 0);
    CHECK(match(schemas[14], "{}", 1000) == 1);
    CHECK(match(schemas[14], "{\"a\":1}", 1000) == 0);
    CHECK(match(schemas[11], "{\"points\":[{\"x\":1,\"y\":2.5}]}", 1000) == 1);
    CHECK(match(schemas[11], "{\"points\":[{\"x\":1}]}", 1000) == 0);
    /* json_object mode: any object, nothing else at the root */
    CHECK(match(NULL, "{\"a\":[1,{\"b\":null},\"x\",true],\"\":{}}", 1000) == 1);
    CHECK(match(NULL, "[1]", 1000) == 0);
    CHECK(match(NULL, "{\"a\":[ ]}", 1000) == 0);
    CHECK(match("{}", "{\"k\":false}", 1000) == 1);
    CHECK(match("{}", "3", 1000) == 0);
    CHECK(match(schemas[10], "{\"a\":1,\"b\":2}", 1000) == 1);
    CHECK(match(schemas[10], "{\"a\":\"x\"}", 1000) == 0);
    /* anyOf alternatives that share their first bytes stay open until told apart */
    const char *tools = schemas[N_SCHEMAS - 2], *mixed = schemas[N_SCHEMAS - 1];
    CHECK(match(tools, "{\"name\":\"add\",\"arguments\":{\"a\":1,\"b\":2}}", 1000) == 1);
    CHECK(match(tools, "{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}}", 1000) == 1);
    CHECK(match(tools, "{\"name\":\"add\",\"arguments\":{\"city\":\"Paris\"}}", 1000) == 0);
    CHECK(match(tools, "{\"name\":\"sub\",\"arguments\":{}}", 1000) == 0);
    CHECK(match(tools, "{\"name\":\"add\",\"arguments\":{\"a\":1,\"b\":2}}", 40) == 1);   /* 40 bytes */
    CHECK(match(tools, "{\"name\":\"add\",\"arguments\":{\"a\":1,\"b\":2}}", 39) == 0);
    CHECK(match(mixed, "[12,3.5,\"ab\",\"abcde\",-0]", 1000) == 1);
    CHECK(match(mixed, "[\"abc\"]", 1000) == 0);
    CHECK(match(mixed, "[\"abcdefgh\"]", 1000) == 0);
    /* numeric bounds: exact enumeration of narrow ranges, digit-count subsets of wide ones */
    const char *r15 = "{\"type\":\"integer\",\"minimum\":1,\"maximum\":5}";
    CHECK(match(r15, "3", 100) == 1 && match(r15, "5", 100) == 1 && match(r15, "1", 100) == 1);
    CHECK(match(r15, "0", 100) == 0 && match(r15, "6", 100) == 0 && match(r15, "-1", 100) == 0);
    CHECK(match(r15, "3.0", 100) == 0);
    const char *nonneg = "{\"type\":\"integer\",\"minimum\":0}";
    CHECK(match(nonneg, "0", 100) == 1 && match(nonneg, "9876543210", 100) == 1);
    CHECK(match(nonneg, "-1", 100) == 0 && match(nonneg, "01", 100) == 0);
    const char *adult = "{\"type\":\"integer\",\"minimum\":18}";
    CHECK(match(adult, "100", 100) == 1 && match(adult, "18", 100) == 0 && match(adult, "5", 100) == 0);
    const char *wide = "{\"type\":\"number\",\"minimum\":0,\"maximum\":1e6}";
    CHECK(match(wide, "999999", 100) == 1 && match(wide, "1000000", 100) == 0);
    CHECK(match(wide, "0.5", 100) == 0 && match(wide, "-2", 100) == 0);
    const char *orNull = "{\"type\":[\"integer\",\"null\"],\"minimum\":-3,\"maximum\":3}";
    CHECK(match(orNull, "null", 100) == 1 && match(orNull, "-3", 100) == 1);
    CHECK(match(orNull, "-4", 100) == 0 && match(orNull, "4", 100) == 0);
    const char *excl = "{\"type\":\"integer\",\"exclusiveMinimum\":0,\"exclusiveMaximum\":10}";
    CHECK(match(excl, "1", 100) == 1 && match(excl, "9", 100) == 1);
    CHECK(match(excl, "0", 100) == 0 && match(excl, "10", 100) == 0);
    /* an enum value that is a prefix of an earlier-listed one ends where it is complete */
    const char *upto3 = "{\"type\":\"array\",\"items\":{\"type\":\"integer\",\"maximum\":3}}";
    CHECK(match(upto3, "[-3,3,-1020]", 100) == 1 && match(upto3, "[-1021]", 100) == 0);
    const char *neg = "{\"type\":\"integer\",\"maximum\":-5}";
    CHECK(match(neg, "-5", 100) == 1 && match(neg, "-900", 100) == 1 && match(neg, "-4", 100) == 0);
}

/* Byte-level walks: from every state a random walk reaches, some byte lowers the fewest bytes
 * to completion by exactly one (so the budget can never strand a document), and the walk ends
 * with a document that parses and validates. */
static void test_byte_walks(int seeds)
{
    int walks = 0, stuck = 0;
    for (int si = 0; si < N_SCHEMAS; si++) {
        mw_jschema *s = NULL;
        CHECK(mw_jschema_compile(schemas[si], schemas[si] ? strlen(schemas[si]) : 0, &s) == MW_OK);
        if (!s)
            continue;
        for (int seed = 0; seed < seeds; seed++) {
            uint64_t rnd = 0x243F6A8885A308D3ull + (uint64_t)(seed * 977 + si);
            int32_t budget = (int32_t)mw_jschema_root(s)->min_bytes + seed % 4 * 20;
            mw_jstate st, next;
            mw_jstate_init(&st, mw_jschema_root(s));
            char doc[1024];
            int32_t len = 0;
            for (;;) {
                int32_t rest = mw_jstate_rest(&st);
                uint8_t ok[256];
                int n_ok = 0, lowers = 0;
                for (int b = 0; b < 256; b++) {
                    mw_jstate_copy(&next, &st);
                    ok[b] = (uint8_t)mw_jstate_step(&next, (uint8_t)b, budget);
                    n_ok += ok[b];
                    lowers |= ok[b] && mw_jstate_rest(&next) == rest - 1;
                }
                if (rest > 0 && !lowers) {
                    stuck++;
                    CHECK_MSG(0, "schema %d seed %d: stuck after \"%.*s\" (rest %d)", si, seed,
                              (int)len, doc, (int)rest);
                    break;
                }
                /* stop at a complete document sometimes, always when nothing may follow */
                if (n_ok == 0 || (rest == 0 && test_rnd_u32(&rnd) % 4 == 0))
                    break;
                int pick = (int)(test_rnd_u32(&rnd) % (uint32_t)n_ok);
                int b = 0;
                for (;; b++)
                    if (ok[b] && pick-- == 0)
                        break;
                CHECK(mw_jstate_step(&st, (uint8_t)b, budget));
                doc[len++] = (char)b;
                if (len >= (int32_t)sizeof doc - 1) {
                    CHECK_MSG(0, "schema %d seed %d: no end within the budget", si, seed);
                    break;
                }
            }
            CHECK(len <= budget);
            CHECK_MSG(mw_jstate_rest(&st) != 0 || valid_doc(schemas[si], doc, (size_t)len),
                      "schema %d seed %d: \"%.*s\"", si, seed, (int)len, doc);
            walks++;
        }
        mw_jschema_free(s);
    }
    printf("ok byte walks: %d, %d stuck\n", walks, stuck);
}

static void expect_error(const char *schema, mw_status want, const char *fragment)
{
    mw_jschema *s = NULL;
    mw_status st = mw_jschema_compile(schema, strlen(schema), &s);
    CHECK_MSG(st == want && !s && strstr(mw_last_error(), fragment),
              "%s: status %d, error \"%s\"", schema, (int)st, mw_last_error());
    mw_jschema_free(s);
}

static void test_schema_errors(void)
{
    expect_error("{\"type\":", MW_ERR_INVALID_ARG, "at byte 8");
    expect_error("{\"type\":\"strin\"}", MW_ERR_INVALID_ARG, "\"type\"");
    expect_error("{\"type\":[]}", MW_ERR_INVALID_ARG, "\"type\"");
    expect_error("{\"type\":\"string\",\"minLength\":5,\"maxLength\":2}", MW_ERR_INVALID_ARG,
                 "minLength 5 > maxLength 2");
    expect_error("{\"type\":\"array\",\"minItems\":-1}", MW_ERR_INVALID_ARG, "minItems");
    expect_error("{\"enum\":[]}", MW_ERR_INVALID_ARG, "enum");
    expect_error("false", MW_ERR_INVALID_ARG, "false");
    expect_error("[1]", MW_ERR_INVALID_ARG, "object or a boolean");
    expect_error("{\"type\":\"string\",\"pattern\":\"^a\"}", MW_ERR_UNSUPPORTED, "\"pattern\"");
    expect_error("{\"type\":\"integer\",\"multipleOf\":2}", MW_ERR_UNSUPPORTED, "\"multipleOf\"");
    expect_error("{\"type\":\"integer\",\"minimum\":5,\"maximum\":2}", MW_ERR_INVALID_ARG,
                 "no integer");
    expect_error("{\"type\":\"integer\",\"minimum\":\"1\"}", MW_ERR_INVALID_ARG, "\"minimum\"");
    expect_error("{\"$ref\":\"http://x\"}", MW_ERR_UNSUPPORTED, "$ref");
    expect_error("{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/a\"}},\"$ref\":\"#/$defs/a\"}",
                 MW_ERR_UNSUPPORTED, "recursive");
    expect_error("{\"properties\":{\"a\":{}},\"required\":[\"b\"],\"additionalProperties\":false}",
                 MW_ERR_INVALID_ARG, "\"b\"");
    expect_error("{\"type\":\"string\",\"description\":\"\\ud800\"}", MW_ERR_INVALID_ARG,
                 "surrogate");
}

/* ---- generation under the mask ---- */

typedef struct gen_result {
    int32_t n_tokens;
    int ended;          /* done() or EOS within the step cap */
    size_t len;
    char text[8192];
} gen_result;

/* Sample up to cap tokens; logits come from the session when given, else random. */
static void generate(mw_model *m, mw_session *sess, const mw_sampler_params *sp,
                     mw_constraint *c, uint64_t rnd, int32_t cap, gen_result *r)
{
    mw_model_info info;
    mw_model_get_info(m, &info);
    int32_t n_vocab = info.n_vocab, eos = mw_token_eos(m);
    float *logits = malloc(sizeof(float) * (size_t)n_vocab);
    mw_sampler *smp = NULL;
    mw_sampler_create(sp, n_vocab, &smp);
    if (c)
        CHECK(mw_sampler_set_constraint(smp, c) == MW_OK);
    int32_t ids[4096 + 1];
    ids[0] = mw_token_bos(m);   /* keeps the first piece's leading space in the text */
    r->n_tokens = 0;
    r->ended = 0;
    float scale = 1.0f + (float)(test_rnd_u32(&rnd) % 12);
    while (r->n_tokens < cap && r->n_tokens < 4096) {
        if (c && mw_constraint_done(c)) { r->ended = 1; break; }
        if (sess) {
            memcpy(logits, mw_session_logits(sess), sizeof(float) * (size_t)n_vocab);
        } else {
            for (int32_t i = 0; i < n_vocab; i++) logits[i] = scale * test_rnd_unit(&rnd);
        }
        int32_t id = mw_sampler_sample(smp, logits);
        CHECK_MSG(id >= 0, "sampling failed: %s", mw_last_error());
        if (id < 0)
            break;
        if (c)
            CHECK_MSG(mw_constraint_accept(c, id) == MW_OK, "accept %d: %s", (int)id, mw_last_error());
        if (id == eos) { r->ended = 1; break; }
        ids[1 + r->n_tokens++] = id;
        if (sess && mw_session_eval(sess, &id, 1, NULL) != MW_OK)
            break;
    }
    mw_detokenize(m, ids, r->n_tokens + 1, r->text, sizeof r->text - 1, &r->len);
    if (r->len >= sizeof r->text) r->len = sizeof r->text - 1;
    r->text[r->len] = 0;
    mw_sampler_free(smp);
    free(logits);
}

static mw_sampler_params params_for(int variant, uint64_t seed)
{
    mw_sampler_params p = mw_sampler_params_default();
    p.seed = seed;
    if (variant == 0) { p.temperature = 1.0f; p.top_k = 0; p.top_p = 1.0f; p.min_p = 0.0f; }
    if (variant == 2) p.temperature = 0.0f;
    if (variant == 3) { p.repeat_penalty = 1.3f; p.presence_penalty = 0.5f; }
    return p;
}

static int32_t shortest(const char *schema)
{
    mw_jschema *s = NULL;
    mw_jschema_compile(schema, schema ? strlen(schema) : 0, &s);
    int32_t n = s ? (int32_t)mw_jschema_root(s)->min_bytes : 0;
    mw_jschema_free(s);
    return n;
}

static void test_random_logits(mw_model *m, int seeds)
{
    int runs = 0, failures = 0;
    for (int si = 0; si < N_SCHEMAS; si++) {
        for (int seed = 0; seed < seeds; seed++) {
            const char *schema = schemas[si];
            /* default, roomy, tight, and just above the shortest document */
            int32_t budget = seed % 4 == 0 ? 0 : seed % 4 == 1 ? 700 : seed % 4 == 2
                           ? 60 + seed % 50 : shortest(schema) + seed % 9;
            mw_constraint *c = NULL;
            mw_status st = mw_constraint_create_json(m, schema, schema ? strlen(schema) : 0,
                                                     budget, &c);
            CHECK_MSG(st == MW_OK, "schema %d: %s", si, mw_last_error());
            if (st != MW_OK)
                continue;
            int32_t bytes = budget ? budget : 4096;
            mw_sampler_params p = params_for(seed % 4, (uint64_t)seed * 7919 + (uint64_t)si);
            gen_result r;
            generate(m, NULL, &p, c, 0x9E3779B97F4A7C15ull ^ (uint64_t)(seed * 131 + si), bytes + 1, &r);
            int ok = r.ended && (int32_t)r.len <= bytes && valid_doc(schema, r.text, r.len);
            CHECK_MSG(ok, "schema %d seed %d budget %d: ended %d after %d tokens, %zu bytes: %s",
                      si, seed, (int)bytes, r.ended, (int)r.n_tokens, r.len, r.text);
            failures += !ok;
            if (getenv("MW_SHOW")) printf("[%d/%d b%d] %s\n", si, seed, (int)bytes, r.text);
            runs++;
            mw_constraint_free(c);
        }
    }
    printf("ok random logits: %d runs over %d schemas, %d invalid\n", runs, N_SCHEMAS, failures);
}

/* Without the mask the same random sampling almost never yields a valid document. */
static void test_unmasked_fails(mw_model *m)
{
    int valid = 0;
    for (int seed = 0; seed < 40; seed++) {
        mw_sampler_params p = params_for(0, (uint64_t)seed);
        gen_result r;
        generate(m, NULL, &p, NULL, 12345u + (uint64_t)seed, 40, &r);
        valid += valid_doc(schemas[1], r.text, r.len);
    }
    CHECK_MSG(valid <= 1, "%d of 40 unmasked random generations were valid", valid);
    printf("ok unmasked random sampling: %d of 40 valid\n", valid);
}

/* The model's own logits (random weights), through a session. */
static void test_model_logits(const char *path, int seeds, int32_t max_tokens)
{
    mw_model *m = NULL;
    if (mw_model_open_file(path, NULL, &m) != MW_OK) {
        CHECK_MSG(0, "open %s: %s", path, mw_last_error());
        return;
    }
    const char *prompt = "Reply in JSON: ";
    int32_t ids[64], n = 0;
    mw_tokenize(m, prompt, strlen(prompt), MW_TOKENIZE_ADD_BOS, ids, 64, &n);
    int invalid = 0, runs = 0;
    for (int si = 0; si < N_SCHEMAS; si++) {
        for (int seed = 0; seed < seeds; seed++) {
            mw_session *s = NULL;
            mw_session_params sp = mw_session_params_default();
            sp.n_ctx = 512;
            CHECK(mw_session_create(m, &sp, &s) == MW_OK);
            CHECK(mw_session_eval(s, ids, n, NULL) == MW_OK);
            mw_constraint *c = NULL;
            int32_t budget = max_tokens - n - 1;   /* tokens left, minus EOS */
            CHECK(mw_constraint_create_json(m, schemas[si], schemas[si] ? strlen(schemas[si]) : 0,
                                            budget, &c) == MW_OK);
            mw_sampler_params p = params_for(seed % 4, (uint64_t)seed + 1);
            gen_result r;
            generate(m, s, &p, c, 1, budget + 1, &r);
            int ok = r.ended && valid_doc(schemas[si], r.text, r.len);
            CHECK_MSG(ok, "%s schema %d seed %d: %s", path, si, seed, r.text);
            invalid += !ok;
            if (getenv("MW_SHOW")) printf("[m %d/%d] %s\n", si, seed, r.text);
            runs++;
            mw_constraint_free(c);
            mw_session_free(s);
        }
    }
    printf("ok model logits (%s): %d runs, %d invalid\n", path, runs, invalid);
    mw_model_free(m);
}

static void test_api(mw_model *m)
{
    mw_model_info info;
    mw_model_get_info(m, &info);
    mw_constraint *c = NULL;
    CHECK(mw_constraint_create_json(m, "{\"type\":\"number\"}", 17, 1, &c) == MW_OK);
    mw_constraint_free(c);
    CHECK(mw_constraint_create_json(m, schemas[1], strlen(schemas[1]), 10, &c) ==
          MW_ERR_INVALID_ARG && strstr(mw_last_error(), "budget"));
    CHECK(c == NULL);
    CHECK(mw_constraint_create_json(m, "{", 1, 0, &c) == MW_ERR_INVALID_ARG && !c);
    CHECK(mw_constraint_create_json(m, schemas[14], strlen(schemas[14]), 0, &c) == MW_OK);
    float *logits = calloc((size_t)info.n_vocab, sizeof(float));
    CHECK(mw_constraint_apply(c, logits, info.n_vocab - 1) == MW_ERR_INVALID_ARG);
    CHECK(mw_constraint_apply(c, logits, info.n_vocab) == MW_OK);
    int allowed = 0;
    for (int32_t i = 0; i < info.n_vocab; i++) allowed += logits[i] > -INFINITY;
    CHECK(allowed > 0 && logits[mw_token_eos(m)] == -INFINITY);
    /* feed "{" then "}" as byte tokens; then only EOS, and done */
    int32_t open = -1, close = -1;
    for (int32_t i = 0; i < info.n_vocab; i++) {
        const char *t = mw_token_text(m, i);
        if (!strcmp(t, "<0x7B>")) open = i;
        if (!strcmp(t, "<0x7D>")) close = i;
    }
    CHECK(open >= 0 && close >= 0);
    CHECK(mw_constraint_accept(c, close) == MW_ERR_INVALID_ARG);   /* state unchanged */
    CHECK(mw_constraint_accept(c, open) == MW_OK && !mw_constraint_done(c));
    CHECK(mw_constraint_accept(c, mw_token_eos(m)) == MW_ERR_INVALID_ARG);
    CHECK(mw_constraint_accept(c, close) == MW_OK && mw_constraint_done(c));
    memset(logits, 0, sizeof(float) * (size_t)info.n_vocab);
    CHECK(mw_constraint_apply(c, logits, info.n_vocab) == MW_OK);
    allowed = 0;
    for (int32_t i = 0; i < info.n_vocab; i++) allowed += logits[i] > -INFINITY;
    CHECK(allowed == 1 && logits[mw_token_eos(m)] == 0.0f);
    CHECK(mw_constraint_accept(c, mw_token_eos(m)) == MW_OK);
    CHECK(mw_constraint_apply(c, logits, info.n_vocab) == MW_ERR_STATE);
    mw_constraint_reset(c);
    CHECK(!mw_constraint_done(c));
    mw_sampler *smp = NULL;
    mw_sampler_create(NULL, info.n_vocab + 1, &smp);
    CHECK(mw_sampler_set_constraint(smp, c) == MW_ERR_INVALID_ARG);
    mw_sampler_free(smp);
    mw_constraint_free(c);
    free(logits);
}

int main(void)
{
    test_schema_errors();
    test_recognizer();
    test_byte_walks(getenv("MW_WALKS") ? atoi(getenv("MW_WALKS")) : 40);
    mw_model *m = NULL;
    if (mw_model_open_file(MW_SOURCE_DIR "/models/stories260K.gguf", NULL, &m) != MW_OK) {
        CHECK_MSG(0, "open stories260K: %s", mw_last_error());
        return TEST_REPORT();
    }
    test_api(m);
    test_unmasked_fails(m);
    test_random_logits(m, 24);
    mw_model_free(m);
    /* a real 32000-token Mistral vocabulary: fewer tokens, its masks cost 60x the 512-token ones */
    test_model_logits(MW_SOURCE_DIR "/models/stories260K.gguf", 2, 400);
    test_model_logits(MW_TEST_DATA "/reference/mistral-v32k.Q4_K_M.gguf", 1, 100);
    return TEST_REPORT();
}
