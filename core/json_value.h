/*
 * json_value.h — a small JSON document model for reading JSON Schemas: parse UTF-8 text into a
 * tree (objects keep their key order), look keys up, and write a value back as compact,
 * canonical JSON (the exact bytes an enum / const value must be generated as). Allocation
 * through the hook only, no stdio; errors name the byte offset.
 */
#ifndef MW_JSON_VALUE_H
#define MW_JSON_VALUE_H

#include "base.h"

typedef enum mw_json_kind {
    MW_JSON_NULL, MW_JSON_BOOL, MW_JSON_NUMBER, MW_JSON_STRING, MW_JSON_ARRAY, MW_JSON_OBJECT
} mw_json_kind;

typedef struct mw_json {
    mw_json_kind kind;
    int32_t boolean;
    char *text;              /* string: decoded UTF-8 bytes; number: its source text (NUL-ended) */
    size_t len;              /* bytes of text */
    int32_t n;               /* array items / object members */
    struct mw_json **items;  /* [n] array items or object member values */
    char **keys;             /* [n] object member names (decoded, NUL-ended) */
    size_t *key_lens;        /* [n] */
} mw_json;

/* Parse exactly one JSON value (surrounding whitespace allowed). MW_ERR_INVALID_ARG with the
 * offset of the first error; nesting deeper than 64 levels is refused. */
mw_status mw_json_parse(const char *text, size_t len, mw_json **out);
void mw_json_free(mw_json *v);

/* The value of member key in an object, or NULL (also when v is not an object). */
const mw_json *mw_json_get(const mw_json *v, const char *key);

/* Write v as compact JSON into out (cap bytes); returns the length needed (writes only what
 * fits). Strings escape '"', '\\' and control bytes only, so equal values give equal bytes. */
size_t mw_json_write(const mw_json *v, char *out, size_t cap);

/* Write v as Python's json.dumps(v, ensure_ascii=False) does (", " and ": " separators; \b \f
 * \n \r \t as short escapes): the JSON text Mistral's reference tokenizer (mistral-common)
 * puts in a tool prompt. Numbers keep their source text (Python would rewrite 1e2 as 100.0). */
size_t mw_json_write_python(const mw_json *v, char *out, size_t cap);

/* Write bytes s[0..len) as a JSON string literal (quotes included) into out; returns the length
 * needed. Shared by mw_json_write and the schema compiler (object keys). */
size_t mw_json_write_string(const char *s, size_t len, char *out, size_t cap);

#endif
