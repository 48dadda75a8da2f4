/*
 * gguf_write.h — a streaming GGUF v3 writer for tools (stdio; not part of the core library).
 *
 * Use: gw_init; gw_kv_* for each key (kept in memory: the KV section must be counted before it
 * is written); gw_add_tensor for each tensor (name, shape, type: offsets are laid out here);
 * gw_write_header (header, KVs, tensor infos, padding); then, tensor by tensor in the order they
 * were added, gw_write_data as many times as needed (e.g. one quantized row at a time, so a
 * 7B-shaped file never has to be in memory) and gw_end_tensor (checks the byte count, pads to
 * the alignment); gw_finish. Every function returns 0 on success, -1 with gw->err set.
 * The format itself is described in core/gguf.h.
 */
#ifndef MW_GGUF_WRITE_H
#define MW_GGUF_WRITE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf.h"         /* MW_GGUF_* value types, mw_gguf_kv (copying keys from another file) */
#include "quant/quant.h"  /* mw_row_size */

typedef struct gw_tensor {
    char *name;
    uint32_t n_dims;
    int64_t ne[4];
    int32_t type;
    uint64_t offset, nbytes;
} gw_tensor;

typedef struct gw {
    FILE *f;
    uint64_t alignment;
    uint8_t *kv;               /* serialized KV section */
    size_t kv_len, kv_cap;
    uint64_t n_kv;
    gw_tensor *t;
    size_t n_t, cap_t;
    uint64_t data_size;        /* bytes of the data section laid out so far */
    size_t cur;                /* tensor being written */
    uint64_t cur_written;      /* bytes of it written */
    uint64_t file_pos;
    char err[256];
} gw;

static inline int gw_fail(gw *w, const char *msg, const char *what)
{
    if (!w->err[0])
        snprintf(w->err, sizeof w->err, "%s%s%s", msg, what ? ": " : "", what ? what : "");
    return -1;
}

static inline void gw_init(gw *w, uint64_t alignment)
{
    memset(w, 0, sizeof *w);
    w->alignment = alignment;
}

static inline void gw_free(gw *w)
{
    for (size_t i = 0; i < w->n_t; i++)
        free(w->t[i].name);
    free(w->t);
    free(w->kv);
    memset(w, 0, sizeof *w);
}

/* ---- KV section (in memory) ---- */

static inline int gw_bytes(gw *w, const void *p, size_t n)
{
    if (w->kv_len + n > w->kv_cap) {
        size_t cap = w->kv_cap ? w->kv_cap : 4096;
        while (cap < w->kv_len + n)
            cap *= 2;
        uint8_t *q = realloc(w->kv, cap);
        if (!q)
            return gw_fail(w, "out of memory", "KV section");
        w->kv = q;
        w->kv_cap = cap;
    }
    memcpy(w->kv + w->kv_len, p, n);
    w->kv_len += n;
    return 0;
}

/* little-endian integer of n bytes */
static inline int gw_le(gw *w, uint64_t v, int n)
{
    uint8_t b[8];
    for (int i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return gw_bytes(w, b, (size_t)n);
}

static inline int gw_strn(gw *w, const char *s, uint64_t len)
{
    return gw_le(w, len, 8) || gw_bytes(w, s, (size_t)len) ? -1 : 0;
}

static inline int gw_key(gw *w, const char *key, uint32_t type)
{
    w->n_kv++;
    return gw_strn(w, key, strlen(key)) || gw_le(w, type, 4) ? -1 : 0;
}

static inline uint32_t gw_f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static inline int gw_kv_u32(gw *w, const char *key, uint32_t v)
{
    return gw_key(w, key, MW_GGUF_UINT32) || gw_le(w, v, 4) ? -1 : 0;
}

static inline int gw_kv_f32(gw *w, const char *key, float v)
{
    return gw_key(w, key, MW_GGUF_FLOAT32) || gw_le(w, gw_f32_bits(v), 4) ? -1 : 0;
}

static inline int gw_kv_bool(gw *w, const char *key, int v)
{
    return gw_key(w, key, MW_GGUF_BOOL) || gw_le(w, v != 0, 1) ? -1 : 0;
}

static inline int gw_kv_str(gw *w, const char *key, const char *v)
{
    return gw_key(w, key, MW_GGUF_STRING) || gw_strn(w, v, strlen(v)) ? -1 : 0;
}

/* array header; the caller appends n elements of elem_type */
static inline int gw_kv_arr(gw *w, const char *key, uint32_t elem_type, uint64_t n)
{
    return gw_key(w, key, MW_GGUF_ARRAY) || gw_le(w, elem_type, 4) || gw_le(w, n, 8) ? -1 : 0;
}

/* Copy one parsed key/value (from core/gguf.h's reader) verbatim, same name and type. */
static inline int gw_kv_copy(gw *w, const mw_gguf_kv *kv)
{
    if (kv->type == MW_GGUF_STRING)
        return gw_key(w, kv->key, kv->type) || gw_strn(w, kv->v.str.ptr, kv->v.str.len) ? -1 : 0;
    if (kv->type == MW_GGUF_ARRAY) {
        if (gw_kv_arr(w, kv->key, kv->arr_type, kv->arr_n))
            return -1;
        if (kv->arr_type == MW_GGUF_STRING) {
            const mw_gguf_str *s = kv->v.arr;
            for (uint64_t i = 0; i < kv->arr_n; i++)
                if (gw_strn(w, s[i].ptr, s[i].len))
                    return -1;
            return 0;
        }
        int size = (int)mw_gguf_scalar_size(kv->arr_type);
        if (!size)
            return gw_fail(w, "cannot copy nested array", kv->key);
        /* elements are packed in their native C type: little-endian on every target we build */
        return gw_bytes(w, kv->v.arr, (size_t)(kv->arr_n * (uint64_t)size));
    }
    int size = (int)mw_gguf_scalar_size(kv->type);
    if (!size)
        return gw_fail(w, "unknown value type", kv->key);
    uint64_t bits = kv->v.u64;
    if (kv->type == MW_GGUF_FLOAT32)
        bits = gw_f32_bits((float)kv->v.f64);
    else if (kv->type == MW_GGUF_FLOAT64)
        memcpy(&bits, &kv->v.f64, 8);
    return gw_key(w, kv->key, kv->type) || gw_le(w, bits, size) ? -1 : 0;
}

/* ---- tensors ---- */

static inline uint64_t gw_pad(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

/* Lay out a tensor: ne[0] is the row length; unused dims are ignored. */
static inline int gw_add_tensor(gw *w, const char *name, uint32_t n_dims, const int64_t *ne, int32_t type)
{
    size_t row = mw_row_size(type, ne[0]);
    if (!row)
        return gw_fail(w, "row length is not a multiple of the type's block size", name);
    if (w->n_t == w->cap_t) {
        size_t cap = w->cap_t ? 2 * w->cap_t : 64;
        gw_tensor *t = realloc(w->t, cap * sizeof *t);
        if (!t)
            return gw_fail(w, "out of memory", name);
        w->t = t;
        w->cap_t = cap;
    }
    gw_tensor *t = &w->t[w->n_t];
    memset(t, 0, sizeof *t);
    if (!(t->name = malloc(strlen(name) + 1)))
        return gw_fail(w, "out of memory", name);
    strcpy(t->name, name);
    t->n_dims = n_dims;
    uint64_t rows = 1;
    for (uint32_t d = 0; d < 4; d++) {
        t->ne[d] = d < n_dims ? ne[d] : 1;
        if (d > 0)
            rows *= (uint64_t)t->ne[d];
    }
    t->type = type;
    t->offset = w->data_size;
    t->nbytes = rows * row;
    w->data_size = gw_pad(t->offset + t->nbytes, w->alignment);
    w->n_t++;
    return 0;
}

/* ---- file ---- */

static inline int gw_out(gw *w, const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, w->f) != n)
        return gw_fail(w, "write failed", NULL);
    w->file_pos += n;
    return 0;
}

static inline int gw_out_le(gw *w, uint64_t v, int n)
{
    uint8_t b[8];
    for (int i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return gw_out(w, b, (size_t)n);
}

static inline int gw_out_zeros(gw *w, uint64_t n)
{
    static const uint8_t zeros[64];
    while (n) {
        size_t k = n < sizeof zeros ? (size_t)n : sizeof zeros;
        if (gw_out(w, zeros, k))
            return -1;
        n -= k;
    }
    return 0;
}

static inline int gw_write_header(gw *w, FILE *f)
{
    w->f = f;
    w->file_pos = 0;
    if (gw_out(w, "GGUF", 4) || gw_out_le(w, 3, 4) || gw_out_le(w, w->n_t, 8) ||
        gw_out_le(w, w->n_kv, 8) || gw_out(w, w->kv, w->kv_len))
        return -1;
    for (size_t i = 0; i < w->n_t; i++) {
        const gw_tensor *t = &w->t[i];
        size_t len = strlen(t->name);
        if (gw_out_le(w, len, 8) || gw_out(w, t->name, len) || gw_out_le(w, t->n_dims, 4))
            return -1;
        for (uint32_t d = 0; d < t->n_dims; d++)
            if (gw_out_le(w, (uint64_t)t->ne[d], 8))
                return -1;
        if (gw_out_le(w, (uint32_t)t->type, 4) || gw_out_le(w, t->offset, 8))
            return -1;
    }
    w->cur = 0;
    w->cur_written = 0;
    return gw_out_zeros(w, gw_pad(w->file_pos, w->alignment) - w->file_pos);
}

static inline int gw_write_data(gw *w, const void *p, size_t n)
{
    if (w->cur >= w->n_t || w->cur_written + n > w->t[w->cur].nbytes)
        return gw_fail(w, "more data than the tensor holds",
                       w->cur < w->n_t ? w->t[w->cur].name : NULL);
    w->cur_written += n;
    return gw_out(w, p, n);
}

static inline int gw_end_tensor(gw *w)
{
    const gw_tensor *t = &w->t[w->cur];
    if (w->cur_written != t->nbytes)
        return gw_fail(w, "tensor data is short", t->name);
    w->cur++;
    w->cur_written = 0;
    return gw_out_zeros(w, gw_pad(w->file_pos, w->alignment) - w->file_pos);
}

static inline int gw_finish(gw *w)
{
    if (w->cur != w->n_t)
        return gw_fail(w, "not every tensor was written", NULL);
    if (fflush(w->f) != 0 || ferror(w->f))
        return gw_fail(w, "write failed", NULL);
    return 0;
}

#endif
