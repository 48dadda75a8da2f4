/*
 * chat_tools.h — the JSON texts of Mistral's v3 tool format (mistral-common's
 * InstructTokenizerV3 after InstructRequestNormalizer), made from OpenAI-shaped input. Each
 * makes *out, a new NUL-terminated string (mw_free) of *len bytes in Python's json.dumps layout,
 * or fails with MW_ERR_INVALID_ARG naming what is wrong (or MW_ERR_NO_MEMORY).
 */
#ifndef MW_CHAT_TOOLS_H
#define MW_CHAT_TOOLS_H

#include "base.h"

/* tools = [{"type": "function", "function": {"name", "description"?, "parameters"?}}] ->
 * [{"type": "function", "function": {"name", "description" (default ""), "parameters"
 * (default {})}}], the list between [AVAILABLE_TOOLS] and [/AVAILABLE_TOOLS]. */
mw_status mw_chat_tools_text(const char *tools, char **out, size_t *len);

/* The calls of a run of assistant messages, each tool_calls[i] (NULL = none) OpenAI's
 * [{"id"?, "function": {"name", "arguments"}}] (arguments a JSON text, an object, or empty =
 * {}) -> one list of {"name", "arguments" (parsed when it is JSON), "id" (when given and not
 * "null")}: what follows [TOOL_CALLS]. */
mw_status mw_chat_calls_text(const char *const *tool_calls, int32_t n, char **out, size_t *len);

/* A tool message -> {"content": content (parsed when it is JSON; empty = {}), "call_id": id},
 * what goes between [TOOL_RESULTS] and [/TOOL_RESULTS]. */
mw_status mw_chat_result_text(const char *content, const char *call_id, char **out, size_t *len);

#endif
