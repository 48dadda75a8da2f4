/*
 * chat_tools.c — the JSON texts of Mistral's v3 tool format (see chat_tools.h). The rules are
 * mistral-common's (protocol/instruct/normalize.py, tokens/tokenizers/instruct.py):
 *   - tools: Tool.model_dump() without "strict": {"type", "function": {"name", "description",
 *     "parameters"}} in that key order, description "" and parameters {} when missing;
 *   - calls: arguments normalized (empty -> "{}", JSON text -> its value, else the text as a
 *     string), "id" only when given and not "null";
 *   - results: content normalized the same way, then {"content", "call_id"};
 *   - all written by json.dumps(ensure_ascii=False): ", " and ": " separators.
 */
#include "chat_tools.h"
#include "json_value.h"

typedef struct text {
    char *s;
    size_t n, cap;
    int failed;
} text;

static void reserve(text *t, size_t more)
{
    if (t->failed || t->n + more + 1 <= t->cap)
        return;
    size_t cap = t->cap ? t->cap : 256;
    while (cap < t->n + more + 1)
        cap *= 2;
    char *s = mw_alloc(cap);
    if (!s) {
        t->failed = 1;
        return;
    }
    if (t->n)
        memcpy(s, t->s, t->n);
    mw_free(t->s);
    t->s = s;
    t->cap = cap;
}

static void add(text *t, const char *s)
{
    size_t n = strlen(s);
    reserve(t, n);
    if (t->failed) return;
    memcpy(t->s + t->n, s, n);
    t->n += n;
}

static void add_json(text *t, const mw_json *v)
{
    size_t need = mw_json_write_python(v, NULL, 0);
    reserve(t, need);
    if (t->failed) return;
    mw_json_write_python(v, t->s + t->n, need);
    t->n += need;
}

static void add_string(text *t, const char *s, size_t len)
{
    mw_json v = { 0 };
    v.kind = MW_JSON_STRING;
    v.text = (char *)s;
    v.len = len;
    add_json(t, &v);
}

/* *out = the text, NUL-terminated */
static mw_status finish(text *t, char **out, size_t *len)
{
    reserve(t, 0);
    if (t->failed) {
        mw_free(t->s);
        return mw_fail(MW_ERR_NO_MEMORY, "chat: out of memory");
    }
    t->s[t->n] = 0;
    *out = t->s;
    *len = t->n;
    return MW_OK;
}

static void drop(text *t)
{
    mw_free(t->s);
    t->s = NULL;
}

/* mistral-common's _normalize_json_content + _parse_json_content: empty -> {}, JSON text ->
 * its value, anything else -> the text as a string. */
static void add_normalized(text *t, const char *s)
{
    size_t len = s ? strlen(s) : 0;
    if (len == 0) {
        add(t, "{}");
        return;
    }
    mw_json *v = NULL;
    if (mw_json_parse(s, len, &v) == MW_OK) {
        add_json(t, v);
        mw_json_free(v);
    } else {
        add_string(t, s, len);
    }
}

static int is_string(const mw_json *v) { return v && v->kind == MW_JSON_STRING; }

mw_status mw_chat_tools_text(const char *tools, char **out, size_t *len)
{
    mw_json *list = NULL;
    if (!tools || mw_json_parse(tools, strlen(tools), &list) != MW_OK || list->kind != MW_JSON_ARRAY) {
        mw_json_free(list);
        return mw_fail(MW_ERR_INVALID_ARG, "chat: tools must be a JSON array of "
                                           "{\"type\": \"function\", \"function\": {\"name\", ...}}");
    }
    text t = { 0 };
    add(&t, "[");
    for (int32_t i = 0; i < list->n; i++) {
        const mw_json *tool = list->items[i], *type = mw_json_get(tool, "type");
        const mw_json *f = mw_json_get(tool, "function");
        const mw_json *name = mw_json_get(f, "name"), *desc = mw_json_get(f, "description");
        const mw_json *params = mw_json_get(f, "parameters");
        if ((type && !(is_string(type) && strcmp(type->text, "function") == 0)) || !is_string(name) ||
            (desc && desc->kind != MW_JSON_NULL && !is_string(desc)) ||
            (params && params->kind != MW_JSON_NULL && params->kind != MW_JSON_OBJECT)) {
            drop(&t);
            mw_json_free(list);
            return mw_fail(MW_ERR_INVALID_ARG,
                           "chat: tools[%d] must be {\"type\": \"function\", \"function\": {\"name\": "
                           "string, \"description\"?: string, \"parameters\"?: object}}", (int)i);
        }
        add(&t, i ? ", {\"type\": \"function\", \"function\": {\"name\": "
                  : "{\"type\": \"function\", \"function\": {\"name\": ");
        add_json(&t, name);
        add(&t, ", \"description\": ");
        if (is_string(desc)) add_json(&t, desc);
        else add(&t, "\"\"");
        add(&t, ", \"parameters\": ");
        if (params && params->kind == MW_JSON_OBJECT) add_json(&t, params);
        else add(&t, "{}");
        add(&t, "}}");
    }
    add(&t, "]");
    mw_json_free(list);
    return finish(&t, out, len);
}

mw_status mw_chat_calls_text(const char *const *tool_calls, int32_t n, char **out, size_t *len)
{
    text t = { 0 };
    int32_t k = 0;
    add(&t, "[");
    for (int32_t m = 0; m < n; m++) {
        if (!tool_calls[m]) continue;
        mw_json *calls = NULL;
        if (mw_json_parse(tool_calls[m], strlen(tool_calls[m]), &calls) != MW_OK ||
            calls->kind != MW_JSON_ARRAY) {
            mw_json_free(calls);
            drop(&t);
            return mw_fail(MW_ERR_INVALID_ARG, "chat: tool_calls must be a JSON array of "
                                               "{\"id\", \"function\": {\"name\", \"arguments\"}}");
        }
        for (int32_t i = 0; i < calls->n; i++) {
            const mw_json *c = calls->items[i], *id = mw_json_get(c, "id");
            const mw_json *f = mw_json_get(c, "function");
            const mw_json *name = mw_json_get(f, "name"), *args = mw_json_get(f, "arguments");
            if (!is_string(name)) {
                mw_json_free(calls);
                drop(&t);
                return mw_fail(MW_ERR_INVALID_ARG, "chat: tool_calls[%d] needs function.name (a string)",
                               (int)i);
            }
            add(&t, k++ ? ", {\"name\": " : "{\"name\": ");
            add_json(&t, name);
            add(&t, ", \"arguments\": ");
            if (!args || args->kind == MW_JSON_NULL) add(&t, "{}");
            else if (is_string(args)) add_normalized(&t, args->text);
            else add_json(&t, args);
            if (is_string(id) && id->len > 0 && strcmp(id->text, "null") != 0) {
                add(&t, ", \"id\": ");
                add_json(&t, id);
            }
            add(&t, "}");
        }
        mw_json_free(calls);
    }
    add(&t, "]");
    return finish(&t, out, len);
}

mw_status mw_chat_result_text(const char *content, const char *call_id, char **out, size_t *len)
{
    text t = { 0 };
    add(&t, "{\"content\": ");
    add_normalized(&t, content);
    add(&t, ", \"call_id\": ");
    if (call_id) add_string(&t, call_id, strlen(call_id));
    else add(&t, "null");   /* mistral-common requires an id; OpenAI clients always send one */
    add(&t, "}");
    return finish(&t, out, len);
}
