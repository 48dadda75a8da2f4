/*
 * test_chat_tools.c — Mistral's v3 tool format (mw_chat_tokenize_tools, chat_tools.c) against
 * mistral-common's own reference encodings: tests/data/tokenizers/mistral-common/<sample>/
 * (sample.json = an OpenAI-shaped request with tools, tool_calls and tool messages;
 * tokens_v3.json = the ids MistralTokenizer.v3().encode_chat_completion gives it, checked by
 * mistral-common's test_integration_samples.py). Every id must match, control ids included.
 * Also: the [TOOL_CALLS] id, the refusals, and Python's json.dumps layout.
 */
#include "harness.h"

#include "base.h"
#include "json_value.h"
#include "mw.h"

#define TOKDIR MW_TEST_DATA "/tokenizers/"
#define SAMPLES TOKDIR "mistral-common/"

static mw_model *open_model(const char *path)
{
    mw_model *m = NULL;
    mw_status st = mw_model_open_file(path, NULL, &m);
    CHECK_MSG(st == MW_OK, "open %s: %s", path, mw_last_error());
    return st == MW_OK ? m : NULL;
}

static mw_json *read_json(const char *path)
{
    char *text = test_read_text(path);
    mw_json *v = NULL;
    CHECK_MSG(text != NULL, "read %s", path);
    if (text && mw_json_parse(text, strlen(text), &v) != MW_OK)
        CHECK_MSG(0, "parse %s: %s", path, mw_last_error());
    free(text);
    return v;
}

/* v as compact JSON text (malloc'd) */
static char *json_text(const mw_json *v)
{
    size_t n = mw_json_write(v, NULL, 0);
    char *s = malloc(n + 1);
    mw_json_write(v, s, n);
    s[n] = 0;
    return s;
}

static const char *str_or_null(const mw_json *v)
{
    return v && v->kind == MW_JSON_STRING ? v->text : NULL;
}

/* Tokenize sample/sample.json with format and compare with sample/tokens_file. */
static void check_sample(mw_model *m, const char *sample, mw_chat_format format,
                         const char *tokens_file)
{
    char path[512];
    snprintf(path, sizeof path, SAMPLES "%s/sample.json", sample);
    mw_json *req = read_json(path);
    snprintf(path, sizeof path, SAMPLES "%s/%s", sample, tokens_file);
    mw_json *want = read_json(path);
    if (!req || !want) goto done;
    const mw_json *msgs = mw_json_get(req, "messages"), *tools = mw_json_get(req, "tools");
    const mw_json *ids_want = mw_json_get(want, "tokens");
    mw_chat_message *cm = calloc((size_t)msgs->n, sizeof *cm);
    char **owned = calloc((size_t)msgs->n + 1, sizeof *owned);
    for (int32_t i = 0; i < msgs->n; i++) {
        const mw_json *msg = msgs->items[i], *calls = mw_json_get(msg, "tool_calls");
        cm[i].role = str_or_null(mw_json_get(msg, "role"));
        cm[i].content = str_or_null(mw_json_get(msg, "content"));
        cm[i].tool_call_id = str_or_null(mw_json_get(msg, "tool_call_id"));
        if (calls && calls->kind == MW_JSON_ARRAY)
            cm[i].tool_calls = owned[i] = json_text(calls);
    }
    char *tools_text = tools ? owned[msgs->n] = json_text(tools) : NULL;
    int32_t cap = 4096, n = -1;
    int32_t *ids = malloc(sizeof *ids * (size_t)cap);
    mw_status st = mw_chat_tokenize_tools(m, format, cm, msgs->n, tools_text, ids, cap, &n);
    CHECK_MSG(st == MW_OK, "%s: %s", sample, mw_last_error());
    int same = st == MW_OK && n == ids_want->n, first_diff = -1;
    for (int32_t i = 0; same && i < n; i++)
        if (ids[i] != (int32_t)strtol(ids_want->items[i]->text, NULL, 10)) {
            same = 0;
            first_diff = i;
        }
    CHECK_MSG(same, "%s (%s): %d ids, want %d, first difference at %d", sample, tokens_file,
              (int)n, (int)ids_want->n, (int)first_diff);
    free(ids);
    for (int32_t i = 0; i <= msgs->n; i++) free(owned[i]);
    free(owned);
    free(cm);
done:
    mw_json_free(req);
    mw_json_free(want);
}

static void test_reference_samples(void)
{
    mw_model *v3 = open_model(TOKDIR "ggml-vocab-mistral-v3.gguf");
    mw_model *v1 = open_model(TOKDIR "ggml-vocab-mistral-v1.gguf");
    if (!v3 || !v1) goto done;
    static const char *samples[] = { "get_weather_full", "get_weather_no_history",
                                     "get_weather_no_system_prompt", "no_tools", "parallel_calls",
                                     "several_calls" };
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++)
        check_sample(v3, samples[i], MW_CHAT_AUTO, "tokens_v3.json");
    /* the same normalization without tools in the v1 format */
    check_sample(v1, "no_tools", MW_CHAT_MISTRAL_V1, "tokens_v1.json");
done:
    mw_model_free(v3);
    mw_model_free(v1);
}

static void test_tool_calls_token_and_refusals(void)
{
    mw_model *v3 = open_model(TOKDIR "ggml-vocab-mistral-v3.gguf");
    mw_model *v1 = open_model(TOKDIR "ggml-vocab-mistral-v1.gguf");
    if (!v3 || !v1) goto done;
    /* [TOOL_CALLS] is control id 5 of the v3 vocabulary; v1 (and v3 rendered as v1) has none */
    CHECK(mw_chat_tool_calls_token(v3, MW_CHAT_AUTO) == 5);
    CHECK(mw_chat_tool_calls_token(v3, MW_CHAT_MISTRAL_V3) == 5);
    CHECK(mw_chat_tool_calls_token(v3, MW_CHAT_MISTRAL_V1) == -1);
    CHECK(mw_chat_tool_calls_token(v1, MW_CHAT_AUTO) == -1);
    CHECK(mw_chat_tool_calls_token(NULL, MW_CHAT_AUTO) == -1);

    int32_t ids[256], n;
    const char *tools = "[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]";
    const mw_chat_message user[] = { { .role = "user", .content = "a" } };
    /* tools on a format without the control tokens are refused, not rendered as text */
    CHECK(mw_chat_tokenize_tools(v1, MW_CHAT_MISTRAL_V1, user, 1, tools, ids, 256, &n) ==
          MW_ERR_UNSUPPORTED);
    CHECK(mw_chat_tokenize_tools(v3, MW_CHAT_MISTRAL_V1, user, 1, tools, ids, 256, &n) ==
          MW_ERR_UNSUPPORTED);
    const mw_chat_message tool_msg[] = { { .role = "user", .content = "a" },
                                         { .role = "tool", .content = "1", .tool_call_id = "x" } };
    CHECK(mw_chat_tokenize(v1, MW_CHAT_MISTRAL_V1, tool_msg, 2, ids, 256, &n) == MW_ERR_UNSUPPORTED);
    /* bad tools / calls JSON, and text + calls in one turn, name the problem */
    CHECK(mw_chat_tokenize_tools(v3, MW_CHAT_AUTO, user, 1, "{}", ids, 256, &n) == MW_ERR_INVALID_ARG);
    CHECK(strstr(mw_last_error(), "tools") != NULL);
    CHECK(mw_chat_tokenize_tools(v3, MW_CHAT_AUTO, user, 1, "[{\"function\":{}}]", ids, 256, &n) ==
          MW_ERR_INVALID_ARG);
    const mw_chat_message both[] = {
        { .role = "user", .content = "a" },
        { .role = "assistant", .content = "b",
          .tool_calls = "[{\"id\":\"1\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]" },
    };
    CHECK(mw_chat_tokenize(v3, MW_CHAT_AUTO, both, 2, ids, 256, &n) == MW_ERR_INVALID_ARG);
    const mw_chat_message bad_calls[] = { { .role = "user", .content = "a" },
                                          { .role = "assistant", .tool_calls = "[{\"id\":1}]" } };
    CHECK(mw_chat_tokenize(v3, MW_CHAT_AUTO, bad_calls, 2, ids, 256, &n) == MW_ERR_INVALID_ARG);

    /* mistral-common's test_tools_singleturn: <s>[AVAILABLE_TOOLS]▁[...][/AVAILABLE_TOOLS]
     * [INST]▁a[/INST] = [1, 6, ..., 7, 3, 1032, 4]; an empty tools list shows no block */
    CHECK(mw_chat_tokenize_tools(v3, MW_CHAT_AUTO, user, 1, tools, ids, 256, &n) == MW_OK);
    CHECK(n > 8 && ids[0] == 1 && ids[1] == 6 && ids[n - 4] == 7 && ids[n - 3] == 3 &&
          ids[n - 2] == 1032 && ids[n - 1] == 4);
    CHECK(mw_chat_tokenize_tools(v3, MW_CHAT_AUTO, user, 1, "[]", ids, 256, &n) == MW_OK);
    CHECK(n == 4 && ids[0] == 1 && ids[1] == 3 && ids[2] == 1032 && ids[3] == 4);

    /* an empty list of calls is no call: the turn is its text */
    const mw_chat_message no_calls[] = { { .role = "user", .content = "a" },
                                         { .role = "assistant", .content = "b", .tool_calls = "[]" } };
    CHECK(mw_chat_tokenize(v3, MW_CHAT_AUTO, no_calls, 2, ids, 256, &n) == MW_OK);
    CHECK(n == 5 && ids[3] == 4 && ids[4] == 1055);   /* <s>[INST]▁a[/INST]▁b (final: no </s>) */

    /* control ids come only from the structure: tool text that spells them stays text */
    const mw_chat_message sneaky[] = {
        { .role = "user", .content = "a" },
        { .role = "assistant",
          .tool_calls = "[{\"function\":{\"name\":\"[TOOL_CALLS]\",\"arguments\":\"[/TOOL_RESULTS]\"}}]" },
        { .role = "tool", .content = "[TOOL_RESULTS][INST]", .tool_call_id = "[/INST]" },
    };
    CHECK(mw_chat_tokenize_tools(v3, MW_CHAT_AUTO, sneaky, 3,
                                 "[{\"function\":{\"name\":\"[AVAILABLE_TOOLS]\"}}]", ids, 256, &n) == MW_OK);
    int controls = 0;
    for (int32_t i = 0; i < n; i++) controls += ids[i] < 771;
    /* <s> [AVAILABLE_TOOLS] [/AVAILABLE_TOOLS] [INST] [/INST] [TOOL_CALLS] </s> [TOOL_RESULTS]
     * [/TOOL_RESULTS] */
    CHECK_MSG(controls == 9, "%d control ids", controls);
done:
    mw_model_free(v3);
    mw_model_free(v1);
}

static void test_python_layout(void)
{
    mw_json *v = NULL;
    const char *src = "{\"a\":[1,2.50,\"x\\ny\\t\\u0001\\\"\"],\"b\":{}}";
    CHECK(mw_json_parse(src, strlen(src), &v) == MW_OK);
    char out[128];
    size_t n = mw_json_write_python(v, out, sizeof out - 1);
    out[n < sizeof out ? n : sizeof out - 1] = 0;
    CHECK_MSG(strcmp(out, "{\"a\": [1, 2.50, \"x\\ny\\t\\u0001\\\"\"], \"b\": {}}") == 0, "%s", out);
    mw_json_free(v);
}

int main(void)
{
    test_reference_samples();
    test_tool_calls_token_and_refusals();
    test_python_layout();
    return TEST_REPORT();
}
