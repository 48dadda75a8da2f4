/*
 * json_lite.h — just enough JSON for the reference files (tests/data/reference/ JSON files): find a
 * top-level key and read its string (with escapes, \uXXXX and surrogate pairs) or its integer
 * array. Not a validator; test code only.
 */
#ifndef MW_TEST_JSON_LITE_H
#define MW_TEST_JSON_LITE_H

#include <stdlib.h>
#include <string.h>

/* Pointer just past `"key":` (and spaces), or NULL. */
static const char *json_find(const char *json, const char *key)
{
    size_t klen = strlen(key);
    for (const char *p = json; (p = strchr(p, '"')) != NULL; p++) {
        if (strncmp(p + 1, key, klen) == 0 && p[1 + klen] == '"') {
            const char *q = p + 2 + klen;
            while (*q == ' ' || *q == '\n' || *q == '\t' || *q == '\r') q++;
            if (*q != ':') continue;
            q++;
            while (*q == ' ' || *q == '\n' || *q == '\t' || *q == '\r') q++;
            return q;
        }
    }
    return NULL;
}

static int json_hex4(const char *p, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return 0;
        *v = *v * 16 + (unsigned)d;
    }
    return 1;
}

static size_t json_put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | cp >> 6); o[1] = (char)(0x80 | (cp & 63)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12); o[1] = (char)(0x80 | ((cp >> 6) & 63));
        o[2] = (char)(0x80 | (cp & 63)); return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18); o[1] = (char)(0x80 | ((cp >> 12) & 63));
    o[2] = (char)(0x80 | ((cp >> 6) & 63)); o[3] = (char)(0x80 | (cp & 63)); return 4;
}

/* malloc'd decoded string of key (length in *len), or NULL if absent / null / not a string. */
static char *json_string(const char *json, const char *key, size_t *len)
{
    const char *p = json_find(json, key);
    if (!p || *p != '"') return NULL;
    p++;
    char *out = malloc(strlen(p) + 1), *o = out;
    if (!out) return NULL;
    while (*p && *p != '"') {
        if (*p != '\\') { *o++ = *p++; continue; }
        p++;
        switch (*p) {
        case 'n': *o++ = '\n'; break;
        case 't': *o++ = '\t'; break;
        case 'r': *o++ = '\r'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'u': {
            unsigned cp, lo;
            if (!json_hex4(p + 1, &cp)) { free(out); return NULL; }
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && p[1] == '\\' && p[2] == 'u' && json_hex4(p + 3, &lo)) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            }
            o += json_put_utf8(o, cp);
            break;
        }
        default: *o++ = *p; break;   /* \" \\ \/ */
        }
        p++;
    }
    *o = 0;
    if (len) *len = (size_t)(o - out);
    return out;
}

/* Reads the integer array of key into out (up to cap); returns the count, -1 if absent. */
static int json_ints(const char *json, const char *key, int *out, int cap)
{
    const char *p = json_find(json, key);
    if (!p || *p != '[') return -1;
    p++;
    int n = 0;
    for (;;) {
        while (*p == ' ' || *p == ',' || *p == '\n') p++;
        if (*p == ']' || !*p) break;
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p) return -1;
        if (n < cap) out[n] = (int)v;
        n++;
        p = end;
    }
    return n;
}

#endif
