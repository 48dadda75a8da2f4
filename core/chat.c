/*
 * chat.c — Mistral instruct prompts as token ids (mw_chat_tokenize) and the choice of format
 * (mw_chat_format_detect). The formats follow mistral-common, Mistral's reference tokenizer
 * (src/mistral_common/tokens/tokenizers/instruct.py and protocol/instruct/normalize.py), where
 * encode(s) is SentencePiece's encode of s alone: dummy prefix "▁", no BOS/EOS, no special tokens.
 *
 * Normalization (InstructRequestNormalizer): the system prompt is all non-empty system contents
 * joined by "\n\n"; the other messages are grouped into runs of the same role (system messages
 * end a run), each run's non-empty contents joined by "\n\n"; if the first message is not from
 * the user, an empty user message goes first.
 *
 * MW_CHAT_MISTRAL_V1 (InstructTokenizerV1; v1 vocabulary, [INST] is plain text):
 *   BOS, then per user message encode("[INST] " + content + " [/INST]"), where the FIRST user
 *   message's content is system + "\n\n" + content; per assistant message encode(content) + EOS.
 * MW_CHAT_MISTRAL_V3 (InstructTokenizerV2/V3; [INST] = control id 3, [/INST] = 4 in v3):
 *   BOS, then per user message [INST] + encode(content) + [/INST], where the LAST user message's
 *   content is system + "\n\n" + content (encode_user_content: `if is_last and system_prompt`);
 *   per assistant message encode(content.rstrip(" ")) + EOS.
 * A final assistant message is a prefix for the reply to continue: no EOS after it.
 * Tools (v3 only: its control tokens; chat_tools.c writes the JSON texts):
 *   [AVAILABLE_TOOLS] encode(tools) [/AVAILABLE_TOOLS] right before the LAST user message's
 *   [INST]; an assistant message with tool_calls is [TOOL_CALLS] encode(calls) EOS (a run of
 *   assistant messages joins its calls into one list; calls and text in one turn are refused, as
 *   mistral-common does); every tool message is [TOOL_RESULTS] encode(result) [/TOOL_RESULTS]
 *   (tool messages are never merged).
 * MW_CHAT_RAW: the contents concatenated, tokenized as one text (BOS when the vocabulary asks).
 */
#include "chat_tools.h"
#include "model.h"
#include "tokenizer_impl.h"

typedef enum role { ROLE_NONE = -1, ROLE_SYSTEM, ROLE_USER, ROLE_ASSISTANT, ROLE_TOOL } role;

typedef struct turn {
    role role;
    char *content;   /* owned, NUL-terminated; the calls' JSON when calls, the result's for a tool */
    size_t len;
    int calls;       /* assistant: content is the list after [TOOL_CALLS] */
} turn;

/* the v3 tool control tokens (all of them, or the vocabulary has no tool format) */
typedef struct tool_ids {
    int32_t available, end_available, calls, results, end_results;
} tool_ids;

static int find_control(const mw_tokenizer *t, const char *s, int32_t *id)
{
    *id = mw_tokenizer_find(t, s, strlen(s));
    return *id >= 0 && t->type[*id] == MW_TOKEN_CONTROL;
}

static int find_tool_ids(const mw_tokenizer *t, tool_ids *ids)
{
    return find_control(t, "[AVAILABLE_TOOLS]", &ids->available) &&
           find_control(t, "[/AVAILABLE_TOOLS]", &ids->end_available) &&
           find_control(t, "[TOOL_CALLS]", &ids->calls) &&
           find_control(t, "[TOOL_RESULTS]", &ids->results) &&
           find_control(t, "[/TOOL_RESULTS]", &ids->end_results);
}

static role parse_role(const char *s)
{
    if (!s) return ROLE_NONE;
    if (strcmp(s, "system") == 0) return ROLE_SYSTEM;
    if (strcmp(s, "user") == 0) return ROLE_USER;
    if (strcmp(s, "assistant") == 0) return ROLE_ASSISTANT;
    if (strcmp(s, "tool") == 0) return ROLE_TOOL;
    return ROLE_NONE;
}

/* Join the non-empty contents of messages[from..to) with role r by "\n\n" into a new string. */
static char *join(const mw_chat_message *messages, int32_t from, int32_t to, role r, size_t *len)
{
    size_t total = 0;
    for (int32_t i = from; i < to; i++) {
        role mr = parse_role(messages[i].role);
        const char *c = messages[i].content ? messages[i].content : "";
        if (mr == r && *c)
            total += strlen(c) + 2;
    }
    char *s = mw_alloc(total + 1);
    if (!s) return NULL;
    size_t n = 0;
    for (int32_t i = from; i < to; i++) {
        role mr = parse_role(messages[i].role);
        const char *c = messages[i].content ? messages[i].content : "";
        if (mr != r || !*c) continue;
        if (n > 0) { memcpy(s + n, "\n\n", 2); n += 2; }
        size_t l = strlen(c);
        memcpy(s + n, c, l);
        n += l;
    }
    s[n] = 0;
    *len = n;
    return s;
}

/* a + sep + b (each may be empty), newly allocated */
static char *concat3(const char *a, size_t la, const char *sep, const char *b, size_t lb,
                     size_t *len)
{
    size_t ls = strlen(sep);
    char *s = mw_alloc(la + ls + lb + 1);
    if (!s) return NULL;
    memcpy(s, a, la);
    memcpy(s + la, sep, ls);
    memcpy(s + la + ls, b, lb);
    s[la + ls + lb] = 0;
    *len = la + ls + lb;
    return s;
}

static void free_turns(turn *turns, int32_t n)
{
    for (int32_t i = 0; i < n; i++)
        mw_free(turns[i].content);
    mw_free(turns);
}

/* The turn of a run messages[i..j) of assistant messages: their text joined, or their calls
 * (an empty list of calls is none, as in mistral-common). */
static mw_status assistant_turn(const mw_chat_message *messages, int32_t i, int32_t j, turn *out)
{
    out->role = ROLE_ASSISTANT;
    out->content = join(messages, i, j, ROLE_ASSISTANT, &out->len);
    if (!out->content)
        return mw_fail(MW_ERR_NO_MEMORY, "chat: out of memory");
    int32_t n_calls = 0;
    for (int32_t m = i; m < j; m++)
        n_calls += messages[m].tool_calls != NULL;
    if (n_calls == 0)
        return MW_OK;
    const char **calls = mw_alloc(sizeof *calls * (size_t)(j - i));
    if (!calls)
        return mw_fail(MW_ERR_NO_MEMORY, "chat: out of memory");
    for (int32_t m = i; m < j; m++)
        calls[m - i] = messages[m].tool_calls;
    char *text = NULL;
    size_t len = 0;
    mw_status st = mw_chat_calls_text(calls, j - i, &text, &len);
    mw_free(calls);
    if (st != MW_OK || len == 2) {   /* "[]" */
        mw_free(text);
        return st;
    }
    if (out->len > 0) {
        mw_free(text);
        return mw_fail(MW_ERR_INVALID_ARG, "chat: an assistant turn has both text and tool_calls "
                                           "(the Mistral v3 format has one or the other)");
    }
    mw_free(out->content);
    out->content = text;
    out->len = len;
    out->calls = 1;
    return MW_OK;
}

/* mistral-common's normalization: runs of user / assistant messages, each tool message a turn
 * of its own, an empty user turn first when needed. */
static mw_status normalize(const mw_chat_message *messages, int32_t n, turn **out, int32_t *n_out)
{
    turn *turns = mw_calloc((size_t)n + 1, sizeof *turns);
    if (!turns)
        return mw_fail(MW_ERR_NO_MEMORY, "chat: out of memory");
    int32_t k = 0;
    mw_status st = MW_OK;
    for (int32_t i = 0; i < n;) {
        role r = parse_role(messages[i].role);
        int32_t j = i + 1;
        while (r != ROLE_TOOL && j < n && parse_role(messages[j].role) == r)
            j++;
        if (r != ROLE_SYSTEM) {
            if (k == 0 && r != ROLE_USER) {
                turns[k].role = ROLE_USER;
                turns[k].content = concat3("", 0, "", "", 0, &turns[k].len);
                if (!turns[k++].content) goto oom;
            }
            if (r == ROLE_ASSISTANT) {
                st = assistant_turn(messages, i, j, &turns[k++]);
                if (st != MW_OK) goto fail;
            } else if (r == ROLE_TOOL) {
                turns[k].role = ROLE_TOOL;
                st = mw_chat_result_text(messages[i].content, messages[i].tool_call_id,
                                         &turns[k].content, &turns[k].len);
                k++;
                if (st != MW_OK) goto fail;
            } else {
                turns[k].role = r;
                turns[k].content = join(messages, i, j, r, &turns[k].len);
                if (!turns[k++].content) goto oom;
            }
        }
        i = j;
    }
    if (k == 0) {
        turns[0].role = ROLE_USER;
        turns[0].content = concat3("", 0, "", "", 0, &turns[0].len);
        if (!turns[k++].content) goto oom;
    }
    *out = turns;
    *n_out = k;
    return MW_OK;
oom:
    st = mw_fail(MW_ERR_NO_MEMORY, "chat: out of memory");
fail:
    free_turns(turns, k);
    return st;
}

mw_chat_format mw_chat_format_detect(const mw_model *model)
{
    const mw_tokenizer *t = model ? model->tokenizer : NULL;
    if (!t)
        return MW_CHAT_RAW;
    int32_t inst = mw_tokenizer_find(t, "[INST]", 6);
    if (inst >= 0 && t->type[inst] == MW_TOKEN_CONTROL)
        return MW_CHAT_MISTRAL_V3;
    if (t->chat_template && strstr(t->chat_template, "[INST]"))
        return MW_CHAT_MISTRAL_V1;
    return MW_CHAT_RAW;
}

/* open, encode(text), close: a v3 block between two control ids */
static mw_status encode_block(const mw_tokenizer *t, int32_t open, const char *text, size_t len,
                              int32_t close, mw_id_sink *sink)
{
    mw_id_sink_push(sink, open);
    mw_status st = mw_tokenizer_encode(t, text, len, 0, sink);
    mw_id_sink_push(sink, close);
    return st;
}

static mw_status encode_user(const mw_tokenizer *t, mw_chat_format format, const turn *u,
                             const char *sys, size_t sys_len, int with_system, int32_t inst,
                             int32_t end_inst, mw_id_sink *sink)
{
    const char *c = u->content;
    size_t len = u->len;
    char *merged = NULL;
    if (with_system) {
        merged = concat3(sys, sys_len, "\n\n", c, len, &len);
        if (!merged)
            return mw_fail(MW_ERR_NO_MEMORY, "chat: out of memory");
        c = merged;
    }
    mw_status st;
    if (format == MW_CHAT_MISTRAL_V1) {
        /* f"[INST] {content} [/INST]", all text */
        char *open = concat3("[INST] ", 7, "", c, len, &len);
        char *msg = open ? concat3(open, len, "", " [/INST]", 8, &len) : NULL;
        st = msg ? mw_tokenizer_encode(t, msg, len, 0, sink)
                 : mw_fail(MW_ERR_NO_MEMORY, "chat: out of memory");
        mw_free(open);
        mw_free(msg);
    } else {
        st = encode_block(t, inst, c, len, end_inst, sink);
    }
    mw_free(merged);
    return st;
}

static mw_status encode_assistant(const mw_tokenizer *t, mw_chat_format format, const turn *a,
                                  int is_final, int32_t tool_calls_id, mw_id_sink *sink)
{
    size_t len = a->len;
    if (a->calls)
        mw_id_sink_push(sink, tool_calls_id);
    if (format == MW_CHAT_MISTRAL_V3)
        while (len > 0 && a->content[len - 1] == ' ')   /* v2+: content.rstrip(" ") */
            len--;
    mw_status st = mw_tokenizer_encode(t, a->content, len, 0, sink);
    if (st == MW_OK && !is_final && t->eos_id >= 0)
        mw_id_sink_push(sink, t->eos_id);
    return st;
}

static mw_status chat_raw(const mw_tokenizer *t, const mw_chat_message *messages, int32_t n,
                          mw_id_sink *sink)
{
    size_t total = 0;
    for (int32_t i = 0; i < n; i++)
        total += messages[i].content ? strlen(messages[i].content) : 0;
    char *s = mw_alloc(total + 1);
    if (!s)
        return mw_fail(MW_ERR_NO_MEMORY, "chat: out of memory");
    size_t k = 0;
    for (int32_t i = 0; i < n; i++) {
        if (!messages[i].content) continue;
        size_t l = strlen(messages[i].content);
        memcpy(s + k, messages[i].content, l);
        k += l;
    }
    mw_status st = mw_tokenizer_encode(t, s, k, t->add_bos ? MW_TOKENIZE_ADD_BOS : 0, sink);
    mw_free(s);
    return st;
}

int32_t mw_chat_tool_calls_token(const mw_model *model, mw_chat_format format)
{
    const mw_tokenizer *t = mw_model_tokenizer(model);
    tool_ids ids;
    if (format == MW_CHAT_AUTO && t)
        format = mw_chat_format_detect(model);
    return t && format == MW_CHAT_MISTRAL_V3 && find_tool_ids(t, &ids) ? ids.calls : -1;
}

mw_status mw_chat_tokenize(const mw_model *model, mw_chat_format format,
                           const mw_chat_message *messages, int32_t n_messages, int32_t *out,
                           int32_t cap, int32_t *n_out)
{
    return mw_chat_tokenize_tools(model, format, messages, n_messages, NULL, out, cap, n_out);
}

mw_status mw_chat_tokenize_tools(const mw_model *model, mw_chat_format format,
                                 const mw_chat_message *messages, int32_t n_messages,
                                 const char *tools, int32_t *out, int32_t cap, int32_t *n_out)
{
    const mw_tokenizer *t = mw_model_tokenizer(model);
    if (!t)
        return model ? mw_fail(MW_ERR_UNSUPPORTED, "mw_chat_tokenize: the model has no tokenizer")
                     : mw_fail(MW_ERR_INVALID_ARG, "mw_chat_tokenize: model is NULL");
    if (n_messages < 0 || (!messages && n_messages > 0) || cap < 0 || (!out && cap > 0) || !n_out)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_chat_tokenize: bad arguments");
    *n_out = 0;
    for (int32_t i = 0; i < n_messages; i++) {
        if (parse_role(messages[i].role) == ROLE_NONE)
            return mw_fail(MW_ERR_INVALID_ARG,
                           "mw_chat_tokenize: message %d has role \"%s\" (system, user, assistant or tool)",
                           (int)i, messages[i].role ? messages[i].role : "(null)");
    }
    if (format == MW_CHAT_AUTO)
        format = mw_chat_format_detect(model);
    if (format != MW_CHAT_MISTRAL_V1 && format != MW_CHAT_MISTRAL_V3 && format != MW_CHAT_RAW)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_chat_tokenize: unknown format %d", (int)format);

    /* the tools' JSON text ("[]" = none: mistral-common shows no empty block) */
    size_t tools_len = 0;
    char *tools_text = NULL;
    mw_status st = tools ? mw_chat_tools_text(tools, &tools_text, &tools_len) : MW_OK;
    if (st != MW_OK)
        return st;
    if (tools_text && tools_len == 2) {
        mw_free(tools_text);
        tools_text = NULL;
    }
    int uses_tools = tools_text != NULL;
    for (int32_t i = 0; i < n_messages; i++)
        uses_tools |= parse_role(messages[i].role) == ROLE_TOOL || messages[i].tool_calls != NULL;
    tool_ids tid = { -1, -1, -1, -1, -1 };
    if (uses_tools && (format != MW_CHAT_MISTRAL_V3 || !find_tool_ids(t, &tid))) {
        mw_free(tools_text);
        return mw_fail(MW_ERR_UNSUPPORTED,
                       "mw_chat_tokenize: tools, tool messages and tool_calls need the Mistral v3 "
                       "format and its tool control tokens ([AVAILABLE_TOOLS], [TOOL_CALLS], "
                       "[TOOL_RESULTS]); render them as text for this format");
    }

    mw_id_sink sink = { out, cap, 0 };
    if (format == MW_CHAT_RAW) {
        st = chat_raw(t, messages, n_messages, &sink);
    } else {
        int32_t inst = -1, end_inst = -1;
        if (format == MW_CHAT_MISTRAL_V3) {
            inst = mw_tokenizer_find(t, "[INST]", 6);
            end_inst = mw_tokenizer_find(t, "[/INST]", 7);
            if (inst < 0 || end_inst < 0 || t->type[inst] != MW_TOKEN_CONTROL ||
                t->type[end_inst] != MW_TOKEN_CONTROL) {
                mw_free(tools_text);
                return mw_fail(MW_ERR_UNSUPPORTED,
                               "chat format mistral-v3 needs [INST] / [/INST] control tokens, "
                               "which this vocabulary lacks (use MW_CHAT_MISTRAL_V1)");
            }
        }
        size_t sys_len = 0;
        char *sys = join(messages, 0, n_messages, ROLE_SYSTEM, &sys_len);
        turn *turns = NULL;
        int32_t n = 0;
        if (!sys) {
            mw_free(tools_text);
            return mw_fail(MW_ERR_NO_MEMORY, "chat: out of memory");
        }
        st = normalize(messages, n_messages, &turns, &n);
        if (st != MW_OK) {
            mw_free(sys);
            mw_free(tools_text);
            return st;
        }
        int32_t first_user = -1, last_user = -1;
        for (int32_t i = 0; i < n; i++)
            if (turns[i].role == ROLE_USER) {
                if (first_user < 0) first_user = i;
                last_user = i;
            }
        if (t->bos_id >= 0)
            mw_id_sink_push(&sink, t->bos_id);
        for (int32_t i = 0; i < n && st == MW_OK; i++) {
            if (turns[i].role == ROLE_USER) {
                int with_system = sys_len > 0 &&
                                  (format == MW_CHAT_MISTRAL_V1 ? i == first_user : i == last_user);
                if (tools_text && i == last_user)
                    st = encode_block(t, tid.available, tools_text, tools_len, tid.end_available,
                                      &sink);
                if (st == MW_OK)
                    st = encode_user(t, format, &turns[i], sys, sys_len, with_system, inst, end_inst,
                                     &sink);
            } else if (turns[i].role == ROLE_TOOL) {
                st = encode_block(t, tid.results, turns[i].content, turns[i].len, tid.end_results,
                                  &sink);
            } else {
                st = encode_assistant(t, format, &turns[i], i == n - 1, tid.calls, &sink);
            }
        }
        free_turns(turns, n);
        mw_free(sys);
        mw_free(tools_text);
    }
    if (st != MW_OK)
        return st;
    *n_out = sink.n;
    if (sink.n > cap)
        return mw_fail(MW_ERR_BUFFER_TOO_SMALL, "mw_chat_tokenize: %d ids, buffer holds %d",
                       (int)sink.n, (int)cap);
    return MW_OK;
}
