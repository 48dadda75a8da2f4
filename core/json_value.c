/*
 * json_value.c — RFC 8259 JSON parsing into mw_json trees, and compact writing (see
 * json_value.h). Recursive descent with an explicit depth limit; strings are checked to be
 * well-formed UTF-8 and their escapes decoded (surrogate pairs joined, lone surrogates refused).
 */
#include "json_value.h"
#include "utf8.h"

enum { MAX_DEPTH = 64 };

typedef struct parser {
    const char *s;
    size_t len, pos;
} parser;

static mw_status bad(const parser *p, const char *what)
{
    return mw_fail(MW_ERR_INVALID_ARG, "JSON schema: %s at byte %zu", what, p->pos);
}

static void skip_ws(parser *p)
{
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        p->pos++;
    }
}

void mw_json_free(mw_json *v)
{
    if (!v)
        return;
    for (int32_t i = 0; i < v->n; i++) {
        mw_json_free(v->items[i]);
        if (v->keys)
            mw_free(v->keys[i]);
    }
    mw_free(v->items);
    mw_free(v->keys);
    mw_free(v->key_lens);
    mw_free(v->text);
    mw_free(v);
}

/* growable byte buffer for decoded strings */
typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static int buf_put(buf *b, const char *src, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 32;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *q = mw_realloc(b->p, cap);
        if (!q)
            return 0;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
    b->p[b->n] = 0;
    return 1;
}

static int hex4(const char *s, uint32_t *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return 0;
        *v = *v * 16 + (uint32_t)d;
    }
    return 1;
}

/* p->pos is on the opening quote; on success *out / *out_len own a NUL-ended copy */
static mw_status parse_string(parser *p, char **out, size_t *out_len)
{
    buf b = { 0 };
    mw_status st = MW_OK;
    p->pos++;
    if (!buf_put(&b, "", 0))
        return mw_fail(MW_ERR_NO_MEMORY, "JSON schema: out of memory");
    for (;;) {
        if (p->pos >= p->len) { st = bad(p, "unterminated string"); break; }
        uint8_t c = (uint8_t)p->s[p->pos];
        if (c == '"') { p->pos++; break; }
        if (c < 0x20) { st = bad(p, "control character in string"); break; }
        if (c == '\\') {
            if (p->pos + 1 >= p->len) { st = bad(p, "unterminated escape"); break; }
            char e = p->s[p->pos + 1], one = 0;
            switch (e) {
            case '"': one = '"'; break;
            case '\\': one = '\\'; break;
            case '/': one = '/'; break;
            case 'b': one = '\b'; break;
            case 'f': one = '\f'; break;
            case 'n': one = '\n'; break;
            case 'r': one = '\r'; break;
            case 't': one = '\t'; break;
            case 'u': break;
            default: st = bad(p, "bad escape"); break;
            }
            if (st != MW_OK)
                break;
            if (e != 'u') {
                if (!buf_put(&b, &one, 1)) { st = MW_ERR_NO_MEMORY; break; }
                p->pos += 2;
                continue;
            }
            uint32_t cp, lo;
            if (p->pos + 6 > p->len || !hex4(p->s + p->pos + 2, &cp)) { st = bad(p, "bad \\u escape"); break; }
            p->pos += 6;
            if (cp >= 0xDC00 && cp <= 0xDFFF) { st = bad(p, "lone low surrogate"); break; }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (p->pos + 6 > p->len || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u' ||
                    !hex4(p->s + p->pos + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
                    st = bad(p, "lone high surrogate");
                    break;
                }
                p->pos += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            char enc[4];
            int n = mw_utf8_encode(cp, enc);
            if (!buf_put(&b, enc, (size_t)n)) { st = MW_ERR_NO_MEMORY; break; }
            continue;
        }
        uint32_t cp;
        int n = mw_utf8_decode((const uint8_t *)p->s + p->pos, p->len - p->pos, &cp);
        if (n <= 0) { st = bad(p, "ill-formed UTF-8 in string"); break; }
        if (!buf_put(&b, p->s + p->pos, (size_t)n)) { st = MW_ERR_NO_MEMORY; break; }
        p->pos += (size_t)n;
    }
    if (st != MW_OK) {
        mw_free(b.p);
        return st == MW_ERR_NO_MEMORY ? mw_fail(st, "JSON schema: out of memory") : st;
    }
    *out = b.p;
    *out_len = b.n;
    return MW_OK;
}

static mw_status parse_number(parser *p, mw_json *v)
{
    size_t start = p->pos, i = p->pos;
    const char *s = p->s;
    if (i < p->len && s[i] == '-')
        i++;
    if (i < p->len && s[i] == '0')
        i++;
    else if (i < p->len && s[i] >= '1' && s[i] <= '9')
        while (i < p->len && s[i] >= '0' && s[i] <= '9') i++;
    else
        return bad(p, "bad number");
    if (i < p->len && s[i] == '.') {
        i++;
        if (!(i < p->len && s[i] >= '0' && s[i] <= '9')) { p->pos = i; return bad(p, "bad fraction"); }
        while (i < p->len && s[i] >= '0' && s[i] <= '9') i++;
    }
    if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < p->len && (s[i] == '+' || s[i] == '-')) i++;
        if (!(i < p->len && s[i] >= '0' && s[i] <= '9')) { p->pos = i; return bad(p, "bad exponent"); }
        while (i < p->len && s[i] >= '0' && s[i] <= '9') i++;
    }
    v->len = i - start;
    v->text = mw_alloc(v->len + 1);
    if (!v->text)
        return mw_fail(MW_ERR_NO_MEMORY, "JSON schema: out of memory");
    memcpy(v->text, s + start, v->len);
    v->text[v->len] = 0;
    p->pos = i;
    return MW_OK;
}

static int take_word(parser *p, const char *w)
{
    size_t n = strlen(w);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, w, n) != 0)
        return 0;
    p->pos += n;
    return 1;
}

/* append (key, item) to an array / object value */
static int push_item(mw_json *v, mw_json *item, char *key, size_t key_len)
{
    size_t n = (size_t)v->n + 1;
    mw_json **items = mw_realloc(v->items, n * sizeof *items);
    if (!items)
        return 0;
    v->items = items;
    if (v->kind == MW_JSON_OBJECT) {
        char **keys = mw_realloc(v->keys, n * sizeof *keys);
        if (keys)
            v->keys = keys;
        size_t *lens = keys ? mw_realloc(v->key_lens, n * sizeof *lens) : NULL;
        if (lens)
            v->key_lens = lens;
        if (!keys || !lens)
            return 0;
        v->keys[v->n] = key;
        v->key_lens[v->n] = key_len;
    }
    v->items[v->n++] = item;
    return 1;
}

static mw_status parse_value(parser *p, int depth, mw_json **out);

static mw_status parse_container(parser *p, int depth, mw_json *v)
{
    int object = v->kind == MW_JSON_OBJECT;
    char close = object ? '}' : ']';
    p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        return MW_OK;
    }
    for (;;) {
        char *key = NULL;
        size_t key_len = 0;
        mw_status st;
        if (object) {
            if (p->pos >= p->len || p->s[p->pos] != '"')
                return bad(p, "expected a member name");
            if ((st = parse_string(p, &key, &key_len)) != MW_OK)
                return st;
            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':') {
                mw_free(key);
                return bad(p, "expected ':'");
            }
            p->pos++;
        }
        mw_json *item = NULL;
        if ((st = parse_value(p, depth + 1, &item)) != MW_OK) {
            mw_free(key);
            return st;
        }
        if (!push_item(v, item, key, key_len)) {
            mw_free(key);
            mw_json_free(item);
            return mw_fail(MW_ERR_NO_MEMORY, "JSON schema: out of memory");
        }
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            skip_ws(p);
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == close) {
            p->pos++;
            return MW_OK;
        }
        return bad(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static mw_status parse_value(parser *p, int depth, mw_json **out)
{
    *out = NULL;
    if (depth > MAX_DEPTH)
        return bad(p, "nesting deeper than 64 levels");
    skip_ws(p);
    if (p->pos >= p->len)
        return bad(p, "unexpected end of text");
    mw_json *v = mw_calloc(1, sizeof *v);
    if (!v)
        return mw_fail(MW_ERR_NO_MEMORY, "JSON schema: out of memory");
    mw_status st = MW_OK;
    char c = p->s[p->pos];
    if (c == '{' || c == '[') {
        v->kind = c == '{' ? MW_JSON_OBJECT : MW_JSON_ARRAY;
        st = parse_container(p, depth, v);
    } else if (c == '"') {
        v->kind = MW_JSON_STRING;
        st = parse_string(p, &v->text, &v->len);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        v->kind = MW_JSON_NUMBER;
        st = parse_number(p, v);
    } else if (take_word(p, "true") || take_word(p, "false")) {
        v->kind = MW_JSON_BOOL;
        v->boolean = c == 't';
    } else if (take_word(p, "null")) {
        v->kind = MW_JSON_NULL;
    } else {
        st = bad(p, "unexpected character");
    }
    if (st != MW_OK) {
        mw_json_free(v);
        return st;
    }
    *out = v;
    return MW_OK;
}

mw_status mw_json_parse(const char *text, size_t len, mw_json **out)
{
    if (!out || (!text && len > 0))
        return mw_fail(MW_ERR_INVALID_ARG, "mw_json_parse: bad arguments");
    parser p = { text, len, 0 };
    mw_status st = parse_value(&p, 0, out);
    if (st != MW_OK)
        return st;
    skip_ws(&p);
    if (p.pos != p.len) {
        mw_json_free(*out);
        *out = NULL;
        return bad(&p, "text after the value");
    }
    return MW_OK;
}

const mw_json *mw_json_get(const mw_json *v, const char *key)
{
    if (!v || v->kind != MW_JSON_OBJECT)
        return NULL;
    size_t n = strlen(key);
    for (int32_t i = 0; i < v->n; i++)
        if (v->key_lens[i] == n && memcmp(v->keys[i], key, n) == 0)
            return v->items[i];
    return NULL;
}

/* ---- writing ---- */

typedef struct out {
    char *p;
    size_t cap, n;
    int python;   /* Python's json.dumps(ensure_ascii=False) layout instead of compact */
} out;

static void put(out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++, o->n++)
        if (o->n < o->cap)
            o->p[o->n] = s[i];
}

static void put_string(out *o, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    put(o, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)s[i];
        char short_escape = 0;   /* Python writes these five as \b \f \n \r \t */
        if (o->python)
            short_escape = c == '\b' ? 'b' : c == '\f' ? 'f' : c == '\n' ? 'n' : c == '\r' ? 'r'
                         : c == '\t' ? 't' : 0;
        if (c == '"' || c == '\\') {
            char e[2] = { '\\', (char)c };
            put(o, e, 2);
        } else if (short_escape) {
            char e[2] = { '\\', short_escape };
            put(o, e, 2);
        } else if (c < 0x20) {
            char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
            put(o, e, 6);
        } else {
            put(o, (const char *)&c, 1);
        }
    }
    put(o, "\"", 1);
}

static void write_value(const mw_json *v, out *o)
{
    switch (v->kind) {
    case MW_JSON_NULL: put(o, "null", 4); break;
    case MW_JSON_BOOL: v->boolean ? put(o, "true", 4) : put(o, "false", 5); break;
    case MW_JSON_NUMBER: put(o, v->text, v->len); break;
    case MW_JSON_STRING: put_string(o, v->text, v->len); break;
    case MW_JSON_ARRAY:
    case MW_JSON_OBJECT: {
        int object = v->kind == MW_JSON_OBJECT;
        put(o, object ? "{" : "[", 1);
        for (int32_t i = 0; i < v->n; i++) {
            if (i)
                put(o, ", ", o->python ? 2 : 1);
            if (object) {
                put_string(o, v->keys[i], v->key_lens[i]);
                put(o, ": ", o->python ? 2 : 1);
            }
            write_value(v->items[i], o);
        }
        put(o, object ? "}" : "]", 1);
        break;
    }
    }
}

size_t mw_json_write(const mw_json *v, char *dst, size_t cap)
{
    out o = { dst, cap, 0, 0 };
    write_value(v, &o);
    return o.n;
}

size_t mw_json_write_python(const mw_json *v, char *dst, size_t cap)
{
    out o = { dst, cap, 0, 1 };
    write_value(v, &o);
    return o.n;
}

size_t mw_json_write_string(const char *s, size_t len, char *dst, size_t cap)
{
    out o = { dst, cap, 0, 0 };
    put_string(&o, s, len);
    return o.n;
}
