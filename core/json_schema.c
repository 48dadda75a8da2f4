/*
 * json_schema.c — compiles JSON Schema text into mw_jnode trees for the recognizer
 * (json_match.c). Supported: type (one or a list), enum, const, properties + required +
 * additionalProperties, items, minItems / maxItems, minLength / maxLength, anyOf / oneOf,
 * allOf of one schema, $ref into the same document ("#/$defs/..."; not recursive), boolean
 * schemas, and minimum / maximum / exclusiveMinimum / exclusiveMaximum on numbers (generated as
 * integers in the range: json_bounds.c). Annotations (title, description, default, format, ...) are ignored. Keywords whose
 * constraint the recognizer cannot enforce ("pattern", "minimum", ...) are refused with
 * MW_ERR_UNSUPPORTED rather than silently producing documents that might not validate.
 */
#include "json_schema.h"
#include "json_value.h"

struct mw_jschema {
    void **allocs;            /* every block the compiled tree owns */
    size_t n_allocs, cap_allocs;
    const mw_jnode *root;
    const mw_json *doc;       /* during compilation: the schema document, for $ref */
};

/* Free-form value: any JSON, containers bounded (json_schema.h). Its own items / values. */
static const mw_jnode any_node = {
    .types = MW_JT_ANY, .extra = &any_node, .max_members = MW_JM_MAX_MEMBERS,
    .items = &any_node, .max_items = MW_JM_MAX_MEMBERS, .max_len = MW_JM_MAX_STRING,
    .min_bytes = 1,
};

void *mw_jschema_take(mw_jschema *s, size_t size)
{
    if (s->n_allocs == s->cap_allocs) {
        size_t cap = s->cap_allocs ? s->cap_allocs * 2 : 16;
        void **a = mw_realloc(s->allocs, cap * sizeof *a);
        if (!a)
            return NULL;
        s->allocs = a;
        s->cap_allocs = cap;
    }
    void *p = mw_calloc(1, size ? size : 1);
    if (p)
        s->allocs[s->n_allocs++] = p;
    return p;
}

void mw_jschema_free(mw_jschema *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_allocs; i++)
        mw_free(s->allocs[i]);
    mw_free(s->allocs);
    mw_free(s);
}

const mw_jnode *mw_jschema_root(const mw_jschema *s) { return s ? s->root : NULL; }

static mw_status oom(void) { return mw_fail(MW_ERR_NO_MEMORY, "JSON schema: out of memory"); }

/* A non-negative integer keyword (minLength, maxItems, ...), at most 1e6. */
static mw_status get_count(const mw_json *schema, const char *key, int32_t *out, int *present)
{
    const mw_json *v = mw_json_get(schema, key);
    *present = v != NULL;
    if (!v)
        return MW_OK;
    int64_t x = 0;
    int ok = v->kind == MW_JSON_NUMBER && v->len > 0 && v->len <= 7;
    for (size_t i = 0; ok && i < v->len; i++) {
        if (v->text[i] < '0' || v->text[i] > '9')
            ok = 0;
        else
            x = x * 10 + (v->text[i] - '0');
    }
    if (!ok || x > 1000000)
        return mw_fail(MW_ERR_INVALID_ARG,
                       "JSON schema: \"%s\" must be a non-negative integer up to 1000000", key);
    *out = (int32_t)x;
    return MW_OK;
}

/* A min / max pair of counts (minItems / maxItems, ...); an absent max is max(dflt, min). */
static mw_status get_range(const mw_json *v, const char *min_key, const char *max_key,
                           int32_t dflt, int32_t *lo, int32_t *hi)
{
    int has_min, has_max;
    mw_status st;
    if ((st = get_count(v, min_key, lo, &has_min)) != MW_OK ||
        (st = get_count(v, max_key, hi, &has_max)) != MW_OK)
        return st;
    if (!has_max)
        *hi = MW_MAX(dflt, *lo);
    if (*lo > *hi)
        return mw_fail(MW_ERR_INVALID_ARG, "JSON schema: %s %d > %s %d", min_key, (int)*lo,
                       max_key, (int)*hi);
    return MW_OK;
}

static const char *const unsupported[] = {
    "pattern", "multipleOf",
    "not", "if", "then", "else", "patternProperties", "propertyNames", "minProperties",
    "maxProperties", "uniqueItems", "contains", "minContains", "maxContains", "prefixItems",
    "additionalItems", "dependentRequired", "dependentSchemas", "dependencies",
    "unevaluatedProperties", "unevaluatedItems", "$dynamicRef", "$recursiveRef",
};

static mw_status compile(mw_jschema *s, const mw_json *v, int depth, int refs,
                         const mw_jnode **out);

static uint32_t type_bit(const mw_json *t)
{
    static const struct { const char *name; uint32_t bit; } names[] = {
        { "null", MW_JT_NULL }, { "boolean", MW_JT_BOOL }, { "integer", MW_JT_INT },
        { "number", MW_JT_NUM }, { "string", MW_JT_STR }, { "array", MW_JT_ARR },
        { "object", MW_JT_OBJ },
    };
    if (t->kind != MW_JSON_STRING)
        return 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(t->text, names[i].name) == 0)
            return names[i].bit;
    return 0;
}

static mw_status compile_types(const mw_json *v, mw_jnode *n)
{
    const mw_json *t = mw_json_get(v, "type");
    if (!t) {   /* untyped: whichever type the other keywords talk about, else anything */
        if (mw_json_get(v, "properties") || mw_json_get(v, "required") ||
            mw_json_get(v, "additionalProperties"))
            n->types |= MW_JT_OBJ;
        if (mw_json_get(v, "items") || mw_json_get(v, "minItems") || mw_json_get(v, "maxItems"))
            n->types |= MW_JT_ARR;
        if (mw_json_get(v, "minLength") || mw_json_get(v, "maxLength"))
            n->types |= MW_JT_STR;
        if (!n->types)
            n->types = MW_JT_ANY;
        return MW_OK;
    }
    if (t->kind == MW_JSON_ARRAY && t->n > 0) {
        for (int32_t i = 0; i < t->n; i++) {
            uint32_t b = type_bit(t->items[i]);
            if (!b)
                return mw_fail(MW_ERR_INVALID_ARG, "JSON schema: unknown \"type\" in the list");
            n->types |= b;
        }
        return MW_OK;
    }
    n->types = type_bit(t);
    if (!n->types)
        return mw_fail(MW_ERR_INVALID_ARG,
                       "JSON schema: \"type\" must be a type name or a non-empty list of them");
    return MW_OK;
}

/* enum / const: each value written once as its exact bytes */
static mw_status compile_lits(mw_jschema *s, const mw_json *const *vals, int32_t n_vals,
                              mw_jnode *n)
{
    n->lit = mw_jschema_take(s, (size_t)n_vals * sizeof *n->lit);
    n->lit_len = mw_jschema_take(s, (size_t)n_vals * sizeof *n->lit_len);
    if (!n->lit || !n->lit_len)
        return oom();
    n->min_bytes = 1u << 30;
    for (int32_t i = 0; i < n_vals; i++) {
        size_t len = mw_json_write(vals[i], NULL, 0);
        if (len > 4096)
            return mw_fail(MW_ERR_UNSUPPORTED, "JSON schema: an enum value over 4096 bytes");
        if (!(n->lit[i] = mw_jschema_take(s, len + 1)))
            return oom();
        mw_json_write(vals[i], n->lit[i], len);
        n->lit_len[i] = (uint32_t)len;
        n->min_bytes = MW_MIN(n->min_bytes, (uint32_t)len);
    }
    n->n_lits = n_vals;
    return MW_OK;
}

static mw_status compile_alts(mw_jschema *s, const mw_json *list, int depth, int refs,
                              mw_jnode *n)
{
    if (list->kind != MW_JSON_ARRAY || list->n == 0)
        return mw_fail(MW_ERR_INVALID_ARG, "JSON schema: anyOf / oneOf must be a non-empty array");
    n->alt = mw_jschema_take(s, (size_t)list->n * sizeof *n->alt);
    if (!n->alt)
        return oom();
    n->min_bytes = 1u << 30;
    for (int32_t i = 0; i < list->n; i++) {
        mw_status st = compile(s, list->items[i], depth + 1, refs, &n->alt[i]);
        if (st != MW_OK)
            return st;
        n->min_bytes = MW_MIN(n->min_bytes, n->alt[i]->min_bytes);
    }
    n->n_alts = list->n;
    return MW_OK;
}

static int name_in(const mw_json *list, const char *name, size_t len)
{
    for (int32_t i = 0; list && i < list->n; i++)
        if (list->items[i]->len == len && memcmp(list->items[i]->text, name, len) == 0)
            return 1;
    return 0;
}

static mw_status compile_object(mw_jschema *s, const mw_json *v, int depth, int refs,
                                mw_jnode *n)
{
    const mw_json *props = mw_json_get(v, "properties");
    const mw_json *req = mw_json_get(v, "required");
    const mw_json *addl = mw_json_get(v, "additionalProperties");
    if (props && props->kind != MW_JSON_OBJECT)
        return mw_fail(MW_ERR_INVALID_ARG, "JSON schema: \"properties\" must be an object");
    if (req && req->kind != MW_JSON_ARRAY)
        return mw_fail(MW_ERR_INVALID_ARG, "JSON schema: \"required\" must be an array");
    for (int32_t i = 0; req && i < req->n; i++)
        if (req->items[i]->kind != MW_JSON_STRING)
            return mw_fail(MW_ERR_INVALID_ARG, "JSON schema: \"required\" must list strings");
    int closed = addl && addl->kind == MW_JSON_BOOL && !addl->boolean;

    /* members: the listed properties, then required names that are not listed (any value) */
    int32_t n_listed = props ? props->n : 0, n_members = n_listed;
    for (int32_t i = 0; req && i < req->n; i++) {
        const mw_json *r = req->items[i];
        int listed = 0;
        for (int32_t k = 0; k < n_listed && !listed; k++)
            listed = props->key_lens[k] == r->len && memcmp(props->keys[k], r->text, r->len) == 0;
        if (listed)
            continue;
        if (closed)
            return mw_fail(MW_ERR_INVALID_ARG,
                           "JSON schema: required \"%s\" is not in properties and "
                           "additionalProperties is false", r->text);
        n_members++;
    }
    if (n_members == 0) {   /* free-form members */
        if (addl && addl->kind != MW_JSON_BOOL) {
            mw_status st = compile(s, addl, depth + 1, refs, &n->extra);
            if (st != MW_OK)
                return st;
        } else {
            n->extra = &any_node;
        }
        n->max_members = closed ? 0 : MW_JM_MAX_MEMBERS;
        return MW_OK;
    }
    size_t m = (size_t)n_members;
    n->key = mw_jschema_take(s, m * sizeof *n->key);
    n->key_len = mw_jschema_take(s, m * sizeof *n->key_len);
    n->prop = mw_jschema_take(s, m * sizeof *n->prop);
    n->required = mw_jschema_take(s, m);
    n->req_bytes = mw_jschema_take(s, (m + 1) * sizeof *n->req_bytes);
    n->req_count = mw_jschema_take(s, (m + 1) * sizeof *n->req_count);
    n->opt_min = mw_jschema_take(s, (m + 1) * sizeof *n->opt_min);
    if (!n->key || !n->key_len || !n->prop || !n->required || !n->req_bytes || !n->req_count ||
        !n->opt_min)
        return oom();
    int32_t j = 0;
    for (int32_t i = 0; i < n_listed + (req ? req->n : 0); i++) {
        const char *name;
        size_t len;
        const mw_json *sub;
        if (i < n_listed) {
            name = props->keys[i];
            len = props->key_lens[i];
            sub = props->items[i];
        } else {
            const mw_json *r = req->items[i - n_listed];
            name = r->text;
            len = r->len;
            sub = NULL;
            int listed = 0;
            for (int32_t k = 0; k < n_listed && !listed; k++)
                listed = props->key_lens[k] == len && memcmp(props->keys[k], name, len) == 0;
            if (listed)
                continue;
        }
        size_t klen = mw_json_write_string(name, len, NULL, 0);
        if (!(n->key[j] = mw_jschema_take(s, klen + 2)))
            return oom();
        mw_json_write_string(name, len, n->key[j], klen);
        n->key[j][klen] = ':';
        n->key_len[j] = (uint32_t)klen + 1;
        for (int32_t k = 0; k < j; k++)
            if (n->key_len[k] == n->key_len[j] && memcmp(n->key[k], n->key[j], klen) == 0)
                return mw_fail(MW_ERR_INVALID_ARG, "JSON schema: property \"%s\" listed twice",
                               name);
        n->required[j] = (uint8_t)name_in(req, name, len);
        if (sub) {
            mw_status st = compile(s, sub, depth + 1, refs, &n->prop[j]);
            if (st != MW_OK)
                return st;
        } else {
            n->prop[j] = &any_node;
        }
        j++;
    }
    n->n_props = j;
    n->req_bytes[j] = 0;
    n->req_count[j] = 0;
    n->opt_min[j] = 1u << 30;
    for (int32_t k = j - 1; k >= 0; k--) {
        uint32_t member = mw_jsat_add(n->key_len[k], n->prop[k]->min_bytes);
        n->req_bytes[k] = n->required[k] ? mw_jsat_add(n->req_bytes[k + 1], member)
                                         : n->req_bytes[k + 1];
        n->req_count[k] = n->req_count[k + 1] + n->required[k];
        n->opt_min[k] = MW_MIN(n->opt_min[k + 1], member);
    }
    return MW_OK;
}

static mw_status compile_array(mw_jschema *s, const mw_json *v, int depth, int refs,
                               mw_jnode *n)
{
    const mw_json *items = mw_json_get(v, "items");
    mw_status st = get_range(v, "minItems", "maxItems", MW_JM_MAX_ITEMS, &n->min_items,
                             &n->max_items);
    if (st != MW_OK)
        return st;
    if (items && items->kind == MW_JSON_ARRAY)
        return mw_fail(MW_ERR_UNSUPPORTED, "JSON schema: tuple \"items\" (an array) is not supported");
    if (items)
        return compile(s, items, depth + 1, refs, &n->items);
    n->items = &any_node;
    return MW_OK;
}

static mw_status compile_string(const mw_json *v, mw_jnode *n)
{
    return get_range(v, "minLength", "maxLength", MW_JM_MAX_STRING, &n->min_len, &n->max_len);
}

/* fewest bytes of a typed node (no enum / anyOf) */
uint32_t mw_jnode_typed_min_bytes(const mw_jnode *n)
{
    uint32_t best = 1u << 30;
    if (n->types & (MW_JT_INT | MW_JT_NUM))
        best = (uint32_t)MW_MAX(1, n->num_min_digits);
    if (n->types & (MW_JT_NULL | MW_JT_BOOL))
        best = MW_MIN(best, 4u);
    if (n->types & MW_JT_STR)
        best = MW_MIN(best, mw_jsat_add((uint32_t)n->min_len, 2));
    if (n->types & MW_JT_ARR) {
        uint32_t k = (uint32_t)n->min_items, b = 2;
        if (k > 0)
            b = mw_jsat_add(mw_jsat_add((uint32_t)MW_MIN((uint64_t)k * n->items->min_bytes,
                                                         1u << 30), k - 1), 2);
        best = MW_MIN(best, b);
    }
    if (n->types & MW_JT_OBJ)
        best = MW_MIN(best, n->n_props ? mw_jsat_add(mw_jnode_close_cost(n, 0, 1), 1) : 2u);
    return best;
}

/* "#/a/b" inside the document (JSON Pointer, ~0 / ~1 escapes not decoded) */
static const mw_json *resolve_ref(const mw_json *doc, const char *ref)
{
    if (ref[0] != '#')
        return NULL;
    const mw_json *v = doc;
    const char *p = ref + 1;
    while (*p == '/' && v) {
        p++;
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const mw_json *next = NULL;
        for (int32_t i = 0; v->kind == MW_JSON_OBJECT && i < v->n && !next; i++)
            if (v->key_lens[i] == len && memcmp(v->keys[i], p, len) == 0)
                next = v->items[i];
        v = next;
        p += len;
    }
    return *p ? NULL : v;
}

static mw_status compile(mw_jschema *s, const mw_json *v, int depth, int refs,
                         const mw_jnode **out)
{
    if (depth > MW_JM_SCHEMA_DEPTH)
        return mw_fail(MW_ERR_UNSUPPORTED, "JSON schema: nested deeper than %d levels",
                       (int)MW_JM_SCHEMA_DEPTH);
    if (v->kind == MW_JSON_BOOL) {
        if (!v->boolean)
            return mw_fail(MW_ERR_INVALID_ARG, "JSON schema: schema false accepts no value");
        *out = &any_node;
        return MW_OK;
    }
    if (v->kind != MW_JSON_OBJECT)
        return mw_fail(MW_ERR_INVALID_ARG, "JSON schema: a schema must be an object or a boolean");
    for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++)
        if (mw_json_get(v, unsupported[i]))
            return mw_fail(MW_ERR_UNSUPPORTED,
                           "JSON schema: keyword \"%s\" is not supported by constrained decoding",
                           unsupported[i]);
    const mw_json *ref = mw_json_get(v, "$ref");
    if (ref) {
        const mw_json *target = ref->kind == MW_JSON_STRING ? resolve_ref(s->doc, ref->text) : NULL;
        if (!target)
            return mw_fail(MW_ERR_UNSUPPORTED, "JSON schema: $ref must point into this document "
                           "(\"#/$defs/name\")");
        if (refs >= 8)
            return mw_fail(MW_ERR_UNSUPPORTED, "JSON schema: recursive $ref is not supported");
        return compile(s, target, depth + 1, refs + 1, out);
    }
    const mw_json *all = mw_json_get(v, "allOf");
    if (all) {
        if (all->kind != MW_JSON_ARRAY || all->n != 1)
            return mw_fail(MW_ERR_UNSUPPORTED, "JSON schema: allOf is supported with one schema only");
        return compile(s, all->items[0], depth + 1, refs, out);
    }
    mw_jnode *n = mw_jschema_take(s, sizeof *n);
    if (!n)
        return oom();
    *out = n;
    const mw_json *en = mw_json_get(v, "enum"), *cn = mw_json_get(v, "const");
    const mw_json *any = mw_json_get(v, "anyOf");
    if (!any)
        any = mw_json_get(v, "oneOf");
    if (en) {
        if (en->kind != MW_JSON_ARRAY || en->n == 0)
            return mw_fail(MW_ERR_INVALID_ARG, "JSON schema: \"enum\" must be a non-empty array");
        return compile_lits(s, (const mw_json *const *)en->items, en->n, n);
    }
    if (cn)
        return compile_lits(s, &cn, 1, n);
    if (any)
        return compile_alts(s, any, depth, refs, n);
    mw_status st = compile_types(v, n);
    if (st == MW_OK && (n->types & MW_JT_OBJ))
        st = compile_object(s, v, depth, refs, n);
    if (st == MW_OK && (n->types & MW_JT_ARR))
        st = compile_array(s, v, depth, refs, n);
    if (st == MW_OK && (n->types & MW_JT_STR))
        st = compile_string(v, n);
    if (st == MW_OK)
        n->min_bytes = mw_jnode_typed_min_bytes(n);
    if (st == MW_OK && (n->types & (MW_JT_INT | MW_JT_NUM)))
        st = mw_jschema_compile_bounds(s, v, n);
    return st;
}

mw_status mw_jschema_compile(const char *text, size_t len, mw_jschema **out)
{
    if (!out || (!text && len > 0))
        return mw_fail(MW_ERR_INVALID_ARG, "mw_jschema_compile: bad arguments");
    *out = NULL;
    mw_jschema *s = mw_calloc(1, sizeof *s);
    if (!s)
        return oom();
    mw_json *doc = NULL;
    mw_status st = MW_OK;
    const mw_jnode *root = &any_node;
    if (len > 0) {
        st = mw_json_parse(text, len, &doc);
        s->doc = doc;
        if (st == MW_OK)
            st = compile(s, doc, 0, 0, &root);
    }
    if (st == MW_OK && root->types == MW_JT_ANY && !root->n_lits && !root->n_alts) {
        /* an unrestricted root is an object: response_format and tool arguments are objects */
        mw_jnode *obj = mw_jschema_take(s, sizeof *obj);
        if (!obj) {
            st = oom();
        } else {
            *obj = *root;
            obj->types = MW_JT_OBJ;
            obj->min_bytes = mw_jnode_typed_min_bytes(obj);
            root = obj;
        }
    }
    mw_json_free(doc);
    s->doc = NULL;
    if (st != MW_OK) {
        mw_jschema_free(s);
        return st;
    }
    s->root = root;
    *out = s;
    return MW_OK;
}
