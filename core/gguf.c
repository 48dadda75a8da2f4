/*
 * gguf.c — GGUF v2/v3 header parser over an in-memory prefix of a file (format: see gguf.h).
 *
 * The header is walked twice by the same code: pass 1 validates everything and measures how
 * many bytes the parsed form needs (nothing is allocated, so an absurd count can never turn
 * into a huge allocation); pass 2 allocates one block and fills it. The block holds the
 * mw_gguf, the kv and tensor arrays, the array elements and every string NUL-terminated, so a
 * 32k-token vocabulary costs one allocation, not 32k. If the prefix ends inside the header the
 * result is MW_ERR_TRUNCATED: a streaming caller feeds more bytes and parses again.
 * Reading tensor data is not done here (see loader.c).
 */
#include "gguf.h"
#include "quant/quant.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "gguf.c copies little-endian array elements as is: little-endian hosts only"
#endif

/* No real header comes near this (a 128k-token vocabulary with its merges is ~10 MB). A
 * count or length that would need more is corrupt, not a file still downloading. */
#define MAX_HEADER_BYTES ((uint64_t)1 << 30)
#define MAX_KEY_LEN 65535u
#define MAX_ALIGNMENT ((uint64_t)1 << 30)
#define DEFAULT_ALIGNMENT 32

/* Smallest encodings, to reject counts that cannot fit before walking them. */
#define MIN_KV_BYTES (8 + 1 + 4 + 1)             /* key len, 1-byte key, type, 1-byte value */
#define MIN_TENSOR_BYTES (8 + 4 + 8 + 4 + 8)     /* empty name, n_dims, one dim, type, offset */

typedef struct walker {
    const uint8_t *buf;
    size_t len;
    uint64_t pos;
    /* pass 2 only (NULL in pass 1): where parsed values go */
    mw_gguf *g;
    uint8_t *arr_next;   /* next free 8-aligned byte for array elements */
    char *str_next;      /* next free byte for strings */
    /* pass 1 totals */
    uint64_t arr_bytes, str_bytes;
} walker;

static const char *type_names[] = {
    "uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool",
    "string", "array", "uint64", "int64", "float64"
};

size_t mw_gguf_scalar_size(uint32_t type)
{
    switch (type) {
    case MW_GGUF_UINT8: case MW_GGUF_INT8: case MW_GGUF_BOOL: return 1;
    case MW_GGUF_UINT16: case MW_GGUF_INT16: return 2;
    case MW_GGUF_UINT32: case MW_GGUF_INT32: case MW_GGUF_FLOAT32: return 4;
    case MW_GGUF_UINT64: case MW_GGUF_INT64: case MW_GGUF_FLOAT64: return 8;
    default: return 0;
    }
}

static mw_status truncated(const walker *w, uint64_t need, const char *what)
{
    return mw_fail(MW_ERR_TRUNCATED, "GGUF header truncated: %s at byte %llu needs %llu bytes, "
                   "only %llu available", what, (unsigned long long)w->pos,
                   (unsigned long long)need, (unsigned long long)w->len);
}

static mw_status need(const walker *w, uint64_t n, const char *what)
{
    if (n > MAX_HEADER_BYTES || w->pos + n > MAX_HEADER_BYTES)
        return mw_fail(MW_ERR_BAD_FORMAT, "GGUF header corrupt: %s at byte %llu claims %llu bytes "
                       "(limit %llu)", what, (unsigned long long)w->pos, (unsigned long long)n,
                       (unsigned long long)MAX_HEADER_BYTES);
    if (w->pos + n > w->len)
        return truncated(w, w->pos + n, what);
    return MW_OK;
}

static uint64_t rd_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static mw_status read_u32(walker *w, uint32_t *v, const char *what)
{
    mw_status st = need(w, 4, what);
    if (st) return st;
    *v = (uint32_t)rd_le(w->buf + w->pos, 4);
    w->pos += 4;
    return MW_OK;
}

static mw_status read_u64(walker *w, uint64_t *v, const char *what)
{
    mw_status st = need(w, 8, what);
    if (st) return st;
    *v = rd_le(w->buf + w->pos, 8);
    w->pos += 8;
    return MW_OK;
}

/* Printable copy of a (possibly huge, possibly unterminated) name for error messages. */
static const char *show(char *dst, size_t cap, const uint8_t *src, uint64_t len)
{
    size_t n = len < cap - 4 ? (size_t)len : cap - 4;
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i] >= 32 && src[i] < 127 ? (char)src[i] : '?';
    if (n < len) { dst[n++] = '.'; dst[n++] = '.'; dst[n++] = '.'; }
    dst[n] = '\0';
    return dst;
}

/* Reads a string; in pass 2 copies it NUL-terminated into the string area. */
static mw_status read_str(walker *w, mw_gguf_str *out, const char *what)
{
    uint64_t n;
    mw_status st = read_u64(w, &n, what);
    if (st) return st;
    if ((st = need(w, n, what)))
        return st;
    const uint8_t *src = w->buf + w->pos;
    w->pos += n;
    if (!w->g) {
        w->str_bytes += n + 1;
        return MW_OK;
    }
    memcpy(w->str_next, src, (size_t)n);
    w->str_next[n] = '\0';
    out->ptr = w->str_next;
    out->len = n;
    w->str_next += n + 1;
    return MW_OK;
}

static void store_scalar(mw_gguf_kv *kv, uint32_t type, const uint8_t *p)
{
    uint64_t raw = rd_le(p, (int)mw_gguf_scalar_size(type));
    switch (type) {
    case MW_GGUF_INT8: kv->v.i64 = (int8_t)raw; break;
    case MW_GGUF_INT16: kv->v.i64 = (int16_t)raw; break;
    case MW_GGUF_INT32: kv->v.i64 = (int32_t)raw; break;
    case MW_GGUF_INT64: kv->v.i64 = (int64_t)raw; break;
    case MW_GGUF_FLOAT32: { float f; uint32_t u = (uint32_t)raw; memcpy(&f, &u, 4); kv->v.f64 = f; break; }
    case MW_GGUF_FLOAT64: { double d; memcpy(&d, &raw, 8); kv->v.f64 = d; break; }
    default: kv->v.u64 = raw; break;   /* unsigned and bool */
    }
}

static mw_status read_value(walker *w, mw_gguf_kv *kv, uint32_t type, const char *key)
{
    mw_status st;
    if (type == MW_GGUF_STRING) {
        mw_gguf_str dummy;
        return read_str(w, kv ? &kv->v.str : &dummy, "string value");
    }
    if (type != MW_GGUF_ARRAY) {
        size_t sz = mw_gguf_scalar_size(type);
        if ((st = need(w, sz, "value")))
            return st;
        if (kv)
            store_scalar(kv, type, w->buf + w->pos);
        w->pos += sz;
        return MW_OK;
    }
    uint32_t et;
    uint64_t n;
    if ((st = read_u32(w, &et, "array element type")) || (st = read_u64(w, &n, "array count")))
        return st;
    if (et == MW_GGUF_ARRAY)
        return mw_fail(MW_ERR_UNSUPPORTED, "GGUF key '%s': arrays of arrays are not supported", key);
    if (et != MW_GGUF_STRING && !mw_gguf_scalar_size(et))
        return mw_fail(MW_ERR_BAD_FORMAT, "GGUF key '%s': unknown array element type %u", key, et);
    /* each element takes at least 1 byte (8 for a string's length) in the file */
    uint64_t min_el = et == MW_GGUF_STRING ? 8 : mw_gguf_scalar_size(et);
    if (n > MAX_HEADER_BYTES / min_el)
        return mw_fail(MW_ERR_BAD_FORMAT, "GGUF key '%s': array count %llu cannot fit in a header "
                       "(limit %llu bytes)", key, (unsigned long long)n,
                       (unsigned long long)MAX_HEADER_BYTES);
    /* in memory: strings become mw_gguf_str, scalars keep their size */
    uint64_t mem_el = et == MW_GGUF_STRING ? sizeof(mw_gguf_str) : mw_gguf_scalar_size(et);
    uint64_t mem = (n * mem_el + 7) & ~(uint64_t)7;
    if (kv) {
        kv->arr_type = et;
        kv->arr_n = n;
        kv->v.arr = w->arr_next;
    }
    if (et != MW_GGUF_STRING) {
        if ((st = need(w, n * min_el, "array elements")))
            return st;
        if (kv)
            memcpy(w->arr_next, w->buf + w->pos, (size_t)(n * min_el));
        w->pos += n * min_el;
    } else {
        mw_gguf_str *strs = kv ? (mw_gguf_str *)(void *)w->arr_next : NULL;
        mw_gguf_str dummy;
        for (uint64_t i = 0; i < n; i++)
            if ((st = read_str(w, strs ? &strs[i] : &dummy, "array string")))
                return st;
    }
    if (kv)
        w->arr_next += mem;
    else
        w->arr_bytes += mem;
    return MW_OK;
}

/* ---- duplicate detection: an open-addressing set of (ptr, len) names, FNV-1a hashed ---- */

typedef struct name_ref { const uint8_t *p; uint64_t len; } name_ref;
typedef struct name_set { name_ref *slots; uint64_t mask; } name_set;

/* Sized for at most n names, and never more than the prefix can hold (each name costs at least
 * its 8-byte length), so a huge claimed count cannot cause a huge table. */
static mw_status set_init(name_set *s, uint64_t n, const walker *w)
{
    uint64_t fit = (w->len - w->pos) / 8 + 1;
    n = MW_MIN(n, fit);
    uint64_t cap = 16;
    while (cap < 2 * n)
        cap <<= 1;
    s->slots = mw_calloc((size_t)cap, sizeof *s->slots);
    s->mask = cap - 1;
    if (!s->slots)
        return mw_fail(MW_ERR_NO_MEMORY, "GGUF: out of memory for a %llu-entry name table",
                       (unsigned long long)n);
    return MW_OK;
}

/* 1 if the name was already present, 0 after inserting it. */
static int set_insert(name_set *s, const uint8_t *p, uint64_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (uint64_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    for (uint64_t i = h & s->mask;; i = (i + 1) & s->mask) {
        name_ref *r = &s->slots[i];
        if (!r->p) { r->p = p; r->len = len; return 0; }
        if (r->len == len && memcmp(r->p, p, (size_t)len) == 0)
            return 1;
    }
}

/* ---- the walk ---- */

static mw_status walk_kvs(walker *w, uint64_t n_kv, name_set *keys, uint64_t *alignment)
{
    char name[80];
    mw_status st;
    for (uint64_t i = 0; i < n_kv; i++) {
        mw_gguf_kv *kv = w->g ? &w->g->kv[i] : NULL;
        uint64_t key_pos = w->pos;
        mw_gguf_str key = { 0 };
        if ((st = read_str(w, &key, "key")))
            return st;
        const uint8_t *kp = w->buf + key_pos + 8;
        uint64_t klen = w->pos - key_pos - 8;
        if (klen == 0 || klen > MAX_KEY_LEN)
            return mw_fail(MW_ERR_BAD_FORMAT, "GGUF key %llu at byte %llu has invalid length %llu",
                           (unsigned long long)i, (unsigned long long)key_pos,
                           (unsigned long long)klen);
        show(name, sizeof name, kp, klen);
        /* keys are looked up as C strings: an embedded NUL would make two keys collide */
        if (memchr(kp, 0, (size_t)klen))
            return mw_fail(MW_ERR_BAD_FORMAT, "GGUF key '%s' at byte %llu contains a NUL byte",
                           name, (unsigned long long)key_pos);
        if (keys && set_insert(keys, kp, klen))
            return mw_fail(MW_ERR_BAD_FORMAT, "GGUF key '%s' appears twice", name);
        uint32_t type;
        if ((st = read_u32(w, &type, "value type")))
            return st;
        if (type != MW_GGUF_STRING && type != MW_GGUF_ARRAY && !mw_gguf_scalar_size(type))
            return mw_fail(MW_ERR_BAD_FORMAT, "GGUF key '%s': unknown value type %u", name, type);
        if (kv) {
            kv->key = key.ptr;
            kv->type = type;
        }
        uint64_t val_pos = w->pos;
        if ((st = read_value(w, kv, type, name)))
            return st;
        if (klen == 17 && memcmp(kp, "general.alignment", 17) == 0) {
            if (type == MW_GGUF_STRING || type == MW_GGUF_ARRAY || type == MW_GGUF_FLOAT32 ||
                type == MW_GGUF_FLOAT64 || type == MW_GGUF_BOOL)
                return mw_fail(MW_ERR_BAD_FORMAT, "GGUF general.alignment has type %s, expected an "
                               "integer", type_names[type]);
            uint64_t a = rd_le(w->buf + val_pos, (int)mw_gguf_scalar_size(type));
            if (a == 0 || (a & (a - 1)))
                return mw_fail(MW_ERR_BAD_FORMAT, "GGUF general.alignment %llu is not a power of two",
                               (unsigned long long)a);
            if (a > MAX_ALIGNMENT)
                return mw_fail(MW_ERR_BAD_FORMAT, "GGUF general.alignment %llu is larger than 2^30",
                               (unsigned long long)a);
            *alignment = a;
        }
    }
    return MW_OK;
}

static mw_status walk_tensors(walker *w, uint64_t n_tensors, name_set *names, uint64_t alignment,
                              uint64_t *data_size)
{
    char name[80];
    mw_status st;
    for (uint64_t i = 0; i < n_tensors; i++) {
        mw_gguf_tensor *t = w->g ? &w->g->tensors[i] : NULL;
        uint64_t name_pos = w->pos;
        mw_gguf_str s = { 0 };
        if ((st = read_str(w, &s, "tensor name")))
            return st;
        uint64_t nlen = w->pos - name_pos - 8;
        const uint8_t *np = w->buf + name_pos + 8;
        show(name, sizeof name, np, nlen);
        if (nlen > MAX_KEY_LEN)
            return mw_fail(MW_ERR_BAD_FORMAT, "GGUF tensor %llu: name length %llu too long",
                           (unsigned long long)i, (unsigned long long)nlen);
        if (memchr(np, 0, (size_t)nlen))
            return mw_fail(MW_ERR_BAD_FORMAT, "GGUF tensor %llu ('%s') has a NUL byte in its name",
                           (unsigned long long)i, name);
        if (names && set_insert(names, np, nlen))
            return mw_fail(MW_ERR_BAD_FORMAT, "GGUF tensor '%s' appears twice", name);
        uint32_t n_dims;
        if ((st = read_u32(w, &n_dims, "tensor n_dims")))
            return st;
        if (n_dims < 1 || n_dims > 4)
            return mw_fail(MW_ERR_BAD_FORMAT, "GGUF tensor '%s': n_dims %u (must be 1..4)", name, n_dims);
        int64_t ne[4] = { 1, 1, 1, 1 };
        uint64_t n_elem = 1;
        for (uint32_t d = 0; d < n_dims; d++) {
            uint64_t v;
            if ((st = read_u64(w, &v, "tensor dimension")))
                return st;
            if (v == 0 || v > (uint64_t)INT64_MAX)
                return mw_fail(MW_ERR_BAD_FORMAT, "GGUF tensor '%s': dimension %u is %lld (must be "
                               "positive)", name, d, (long long)v);
            if (n_elem > (uint64_t)INT64_MAX / v)
                return mw_fail(MW_ERR_BAD_FORMAT, "GGUF tensor '%s': element count overflows", name);
            n_elem *= v;
            ne[d] = (int64_t)v;
        }
        uint32_t type;
        uint64_t offset;
        if ((st = read_u32(w, &type, "tensor type")))
            return st;
        const mw_type_traits *tr = type < MW_TYPE_COUNT ? mw_type_traits_get((int32_t)type) : NULL;
        if (!tr)
            return mw_fail(MW_ERR_UNSUPPORTED, "GGUF tensor '%s': tensor type %u is not supported",
                           name, type);
        if (ne[0] % tr->block_size)
            return mw_fail(MW_ERR_BAD_FORMAT, "GGUF tensor '%s': row length %lld is not a multiple "
                           "of the %s block size %d", name, (long long)ne[0], tr->name,
                           (int)tr->block_size);
        if ((st = read_u64(w, &offset, "tensor offset")))
            return st;
        if (offset % alignment)
            return mw_fail(MW_ERR_BAD_FORMAT, "GGUF tensor '%s': offset %llu is not a multiple of "
                           "the alignment %llu", name, (unsigned long long)offset,
                           (unsigned long long)alignment);
        /* bytes = blocks * type_size, checked for overflow */
        uint64_t blocks = n_elem / (uint64_t)tr->block_size;
        if (blocks > UINT64_MAX / tr->type_size)
            return mw_fail(MW_ERR_BAD_FORMAT, "GGUF tensor '%s': byte size overflows", name);
        uint64_t nbytes = blocks * tr->type_size;
        if (offset > UINT64_MAX - nbytes)
            return mw_fail(MW_ERR_BAD_FORMAT, "GGUF tensor '%s': offset %llu + size %llu overflows",
                           name, (unsigned long long)offset, (unsigned long long)nbytes);
        if (offset + nbytes > *data_size)
            *data_size = offset + nbytes;
        if (t) {
            t->name = s.ptr;
            t->n_dims = n_dims;
            memcpy(t->ne, ne, sizeof ne);
            t->type = (int32_t)type;
            t->offset = offset;
            t->nbytes = nbytes;
        }
    }
    return MW_OK;
}

/* One walk over the header. sets (pass 1 only) detect duplicates. */
static mw_status walk(walker *w, uint32_t *version, uint64_t *n_tensors, uint64_t *n_kv,
                      name_set *keys, name_set *names, uint64_t *alignment, uint64_t *data_size)
{
    mw_status st;
    if ((st = need(w, 4, "magic")))
        return st;
    if (memcmp(w->buf, "GGUF", 4) != 0) {
        char m[8];
        return mw_fail(MW_ERR_BAD_FORMAT, "not a GGUF file: magic is '%s', expected 'GGUF'",
                       show(m, sizeof m, w->buf, 4));
    }
    w->pos = 4;
    if ((st = read_u32(w, version, "version")))
        return st;
    if (*version != 2 && *version != 3)
        return mw_fail(MW_ERR_UNSUPPORTED, "GGUF version %u is not supported (only 2 and 3)", *version);
    if ((st = read_u64(w, n_tensors, "n_tensors")) || (st = read_u64(w, n_kv, "n_kv")))
        return st;
    if (*n_kv > MAX_HEADER_BYTES / MIN_KV_BYTES)
        return mw_fail(MW_ERR_BAD_FORMAT, "GGUF n_kv %llu cannot fit in a header (limit %llu bytes)",
                       (unsigned long long)*n_kv, (unsigned long long)MAX_HEADER_BYTES);
    if (*n_tensors > MAX_HEADER_BYTES / MIN_TENSOR_BYTES)
        return mw_fail(MW_ERR_BAD_FORMAT, "GGUF n_tensors %llu cannot fit in a header (limit %llu "
                       "bytes)", (unsigned long long)*n_tensors, (unsigned long long)MAX_HEADER_BYTES);
    if (keys && (st = set_init(keys, *n_kv, w)))
        return st;
    if ((st = walk_kvs(w, *n_kv, keys, alignment)))
        return st;
    if (names && (st = set_init(names, *n_tensors, w)))
        return st;
    return walk_tensors(w, *n_tensors, names, *alignment, data_size);
}

mw_status mw_gguf_parse(const uint8_t *buf, size_t len, mw_gguf **out)
{
    if (!out || (!buf && len))
        return mw_fail(MW_ERR_INVALID_ARG, "mw_gguf_parse: NULL argument");
    *out = NULL;
    uint32_t version = 0;
    uint64_t n_tensors = 0, n_kv = 0, alignment = DEFAULT_ALIGNMENT, data_size = 0;

    /* pass 1: validate and measure */
    walker w = { .buf = buf, .len = len };
    name_set keys = { 0 }, names = { 0 };
    mw_status st = walk(&w, &version, &n_tensors, &n_kv, &keys, &names, &alignment, &data_size);
    mw_free(keys.slots);
    mw_free(names.slots);
    if (st)
        return st;
    uint64_t header_end = w.pos;

    /* one block: struct, kv[], tensors[], array elements (8-aligned), strings */
    uint64_t off_kv = (sizeof(mw_gguf) + 7) & ~(uint64_t)7;
    uint64_t off_t = off_kv + n_kv * sizeof(mw_gguf_kv);
    uint64_t off_arr = (off_t + n_tensors * sizeof(mw_gguf_tensor) + 7) & ~(uint64_t)7;
    uint64_t off_str = off_arr + w.arr_bytes;
    uint64_t total = off_str + w.str_bytes;
    if (total > SIZE_MAX)
        return mw_fail(MW_ERR_TOO_LARGE, "GGUF header needs %llu bytes in memory, more than this "
                       "platform can address", (unsigned long long)total);
    uint8_t *block = mw_alloc((size_t)total);
    if (!block)
        return mw_fail(MW_ERR_NO_MEMORY, "GGUF: out of memory for a %llu-byte header",
                       (unsigned long long)total);
    mw_gguf *g = (mw_gguf *)(void *)block;
    memset(g, 0, sizeof *g);
    g->kv = (mw_gguf_kv *)(void *)(block + off_kv);
    g->tensors = (mw_gguf_tensor *)(void *)(block + off_t);
    memset(g->kv, 0, (size_t)(off_arr - off_kv));
    g->arena = block;

    /* pass 2: same walk, filling the block; it cannot fail after pass 1 succeeded */
    walker w2 = { .buf = buf, .len = len, .g = g, .arr_next = block + off_arr,
                  .str_next = (char *)block + off_str };
    uint64_t data_size2 = 0, alignment2 = DEFAULT_ALIGNMENT;
    st = walk(&w2, &g->version, &g->n_tensors, &g->n_kv, NULL, NULL, &alignment2, &data_size2);
    if (st || w2.pos != header_end) {
        mw_free(block);
        return st ? st : mw_fail(MW_ERR_INTERNAL, "GGUF: second pass disagrees with the first");
    }
    g->alignment = alignment;
    g->data_offset = (header_end + alignment - 1) & ~(alignment - 1);
    g->data_size = data_size;
    *out = g;
    return MW_OK;
}

void mw_gguf_free(mw_gguf *g)
{
    if (g)
        mw_free(g->arena);
}

/* ---- lookups ---- */

const mw_gguf_kv *mw_gguf_find(const mw_gguf *g, const char *key)
{
    if (!g || !key)
        return NULL;
    for (uint64_t i = 0; i < g->n_kv; i++)
        if (strcmp(g->kv[i].key, key) == 0)
            return &g->kv[i];
    return NULL;
}

const mw_gguf_tensor *mw_gguf_find_tensor(const mw_gguf *g, const char *name)
{
    if (!g || !name)
        return NULL;
    for (uint64_t i = 0; i < g->n_tensors; i++)
        if (strcmp(g->tensors[i].name, name) == 0)
            return &g->tensors[i];
    return NULL;
}

static int wrong_type(const mw_gguf_kv *kv, const char *expected)
{
    const char *have = kv->type < sizeof type_names / sizeof *type_names ? type_names[kv->type] : "?";
    return mw_fail(MW_ERR_BAD_FORMAT, "GGUF key '%s' has type %s, expected %s", kv->key, have,
                   expected);
}

static int is_signed(uint32_t t)
{
    return t == MW_GGUF_INT8 || t == MW_GGUF_INT16 || t == MW_GGUF_INT32 || t == MW_GGUF_INT64;
}

static int is_unsigned(uint32_t t)
{
    return t == MW_GGUF_UINT8 || t == MW_GGUF_UINT16 || t == MW_GGUF_UINT32 ||
           t == MW_GGUF_UINT64 || t == MW_GGUF_BOOL;
}

int mw_gguf_get_int(const mw_gguf *g, const char *key, int64_t *out)
{
    const mw_gguf_kv *kv = mw_gguf_find(g, key);
    if (!kv)
        return 0;
    if (is_signed(kv->type)) {
        *out = kv->v.i64;
        return 1;
    }
    if (!is_unsigned(kv->type))
        return wrong_type(kv, "an integer");
    if (kv->v.u64 > (uint64_t)INT64_MAX)
        return mw_fail(MW_ERR_BAD_FORMAT, "GGUF key '%s': value %llu out of range", kv->key,
                       (unsigned long long)kv->v.u64);
    *out = (int64_t)kv->v.u64;
    return 1;
}

int mw_gguf_get_float(const mw_gguf *g, const char *key, double *out)
{
    const mw_gguf_kv *kv = mw_gguf_find(g, key);
    if (!kv)
        return 0;
    if (kv->type == MW_GGUF_FLOAT32 || kv->type == MW_GGUF_FLOAT64)
        *out = kv->v.f64;
    else if (is_signed(kv->type))
        *out = (double)kv->v.i64;
    else if (is_unsigned(kv->type) && kv->type != MW_GGUF_BOOL)
        *out = (double)kv->v.u64;
    else
        return wrong_type(kv, "a number");
    return 1;
}

int mw_gguf_get_str(const mw_gguf *g, const char *key, const char **out)
{
    const mw_gguf_kv *kv = mw_gguf_find(g, key);
    if (!kv)
        return 0;
    if (kv->type != MW_GGUF_STRING)
        return wrong_type(kv, "string");
    *out = kv->v.str.ptr;
    return 1;
}

int mw_gguf_get_arr(const mw_gguf *g, const char *key, uint32_t *arr_type, uint64_t *n,
                    const void **data)
{
    const mw_gguf_kv *kv = mw_gguf_find(g, key);
    if (!kv)
        return 0;
    if (kv->type != MW_GGUF_ARRAY)
        return wrong_type(kv, "array");
    if (arr_type) *arr_type = kv->arr_type;
    if (n) *n = kv->arr_n;
    if (data) *data = kv->v.arr;
    return 1;
}
