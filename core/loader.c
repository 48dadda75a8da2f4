/*
 * loader.c — model loading from bytes: the push loader (the core primitive), and the memory
 * buffer and read-callback byte sources built on it (the file source is io_file.c).
 *
 * The push loader buffers bytes until the GGUF header parses, then allocates the tensor data
 * section once (checked against the memory limit and what the platform can address) and copies
 * every later byte straight into it, skipping the padding before the data section and ignoring
 * anything after it. No second full copy of the weights is ever held.
 */
#include "loader.h"
#include "gguf.h"
#include "model.h"

/* The header is reparsed only when the buffered prefix has doubled, so a header of H bytes
 * costs O(H) parsing in total however it is chunked. */
#define FIRST_PARSE_BYTES 16384
/* The pulling sources read the header through a small bounce buffer, and the tensor data
 * straight into its final place in reads of up to DIRECT_CHUNK bytes. */
#define BOUNCE_BYTES ((size_t)1 << 16)
#define DIRECT_CHUNK ((uint64_t)1 << 26)
/* Tensor data in a borrowed buffer must be at least this aligned for the kernels. */
#define BORROW_ALIGN 16

struct mw_loader {
    mw_model_params params;
    uint8_t *head;            /* bytes buffered before the header parses */
    size_t head_len, head_cap;
    size_t next_parse;        /* parse again once head_len reaches this */
    mw_gguf *g;               /* NULL until the header parses */
    uint8_t *data;            /* g->data_size bytes */
    uint64_t pos;             /* bytes fed so far = file offset of the next byte */
    mw_status error;          /* sticky: once failed, every call reports it */
    char error_msg[256];
};

mw_model_params mw_model_params_default(void)
{
    mw_model_params p;
    memset(&p, 0, sizeof p);
    return p;
}

/* Bytes of the file a complete model needs. A file without tensors (a vocabulary) may end
 * right after its header, before the padding that would precede a data section. */
static uint64_t needed_end(const mw_gguf *g)
{
    return g->data_size ? g->data_offset + g->data_size : 0;
}

/* Record a failure so later feeds and finish report the same reason. */
static mw_status stick(mw_loader *l, mw_status st)
{
    l->error = st;
    mw_format(l->error_msg, sizeof l->error_msg, "%s", mw_last_error());
    return st;
}

/* The weights must fit the caller's budget and the address space (4 GiB on wasm32). */
static mw_status check_budget(const mw_gguf *g, const mw_model_params *params)
{
    uint64_t limit = params->memory_limit;
    const char *what = "memory_limit";
    if (sizeof(size_t) < 8 && (limit == 0 || limit > (uint64_t)SIZE_MAX)) {
        limit = (uint64_t)SIZE_MAX;
        what = "the 32-bit address space";
    }
    if (limit && g->data_size > limit)
        return mw_fail(MW_ERR_TOO_LARGE, "model needs %llu bytes of tensor data, more than %s "
                       "allows (%llu bytes)", (unsigned long long)g->data_size, what,
                       (unsigned long long)limit);
    return MW_OK;
}

/* Allocate the data section (NULL for a model without tensors). */
static mw_status alloc_data(const mw_gguf *g, const mw_model_params *params, uint8_t **data)
{
    *data = NULL;
    mw_status st = check_budget(g, params);
    if (st || g->data_size == 0)
        return st;
    if (g->data_size > (uint64_t)SIZE_MAX)
        return mw_fail(MW_ERR_TOO_LARGE, "model needs %llu bytes of tensor data, more than this "
                       "platform can address", (unsigned long long)g->data_size);
    *data = mw_alloc((size_t)g->data_size);
    if (!*data)
        return mw_fail(MW_ERR_NO_MEMORY, "out of memory allocating %llu bytes of tensor data",
                       (unsigned long long)g->data_size);
    return MW_OK;
}

mw_status mw_loader_create(const mw_model_params *params, mw_loader **out)
{
    if (!out)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_loader_create: out is NULL");
    *out = NULL;
    mw_loader *l = mw_calloc(1, sizeof *l);
    if (!l)
        return mw_fail(MW_ERR_NO_MEMORY, "out of memory creating a loader");
    l->params = params ? *params : mw_model_params_default();
    l->next_parse = FIRST_PARSE_BYTES;
    *out = l;
    return MW_OK;
}

void mw_loader_free(mw_loader *l)
{
    if (!l)
        return;
    mw_free(l->head);
    mw_gguf_free(l->g);
    mw_free(l->data);
    mw_free(l);
}

/* Copy bytes at file offset l->pos into the data section where they belong, then advance. */
static void place(mw_loader *l, const uint8_t *src, size_t n)
{
    uint64_t start = l->g->data_offset, end = start + l->g->data_size;
    uint64_t a = MW_MAX(l->pos, start), b = MW_MIN(l->pos + n, end);
    if (a < b)
        memcpy(l->data + (a - start), src + (a - l->pos), (size_t)(b - a));
    l->pos += n;
}

/* Try to parse the buffered prefix. MW_OK with l->g set, MW_ERR_TRUNCATED to wait for more,
 * or a real error. On success the buffered bytes past the header move into the data section. */
static mw_status try_header(mw_loader *l)
{
    mw_gguf *g;
    mw_status st = mw_gguf_parse(l->head, l->head_len, &g);
    if (st)
        return st;
    uint8_t *data;
    if ((st = alloc_data(g, &l->params, &data))) {
        mw_gguf_free(g);
        return st;
    }
    l->g = g;
    l->data = data;
    /* replay the buffered bytes through place(): pos restarts at the head's first byte */
    l->pos -= l->head_len;
    place(l, l->head, l->head_len);
    mw_free(l->head);
    l->head = NULL;
    l->head_len = l->head_cap = 0;
    return MW_OK;
}

/* Append up to n bytes to the header buffer; returns how many were taken. Takes only what the
 * next parse attempt needs, so one huge chunk is never buffered whole. */
static mw_status buffer_head(mw_loader *l, const uint8_t *src, size_t n, size_t *taken)
{
    size_t want = MW_MIN(n, l->next_parse - l->head_len);
    if (l->head_len + want > l->head_cap) {
        size_t cap = MW_MAX(l->head_cap * 2, l->next_parse);
        uint8_t *p = mw_realloc(l->head, cap);
        if (!p)
            return mw_fail(MW_ERR_NO_MEMORY, "out of memory buffering %zu bytes of GGUF header", cap);
        l->head = p;
        l->head_cap = cap;
    }
    memcpy(l->head + l->head_len, src, want);
    l->head_len += want;
    l->pos += want;
    *taken = want;
    return MW_OK;
}

mw_status mw_loader_feed(mw_loader *l, const void *data, size_t size)
{
    if (!l || (!data && size))
        return mw_fail(MW_ERR_INVALID_ARG, "mw_loader_feed: NULL argument");
    if (l->error)
        return mw_fail(l->error, "%s", l->error_msg);
    const uint8_t *src = data;
    while (size && !l->g) {
        size_t taken;
        mw_status st = buffer_head(l, src, size, &taken);
        if (st)
            return stick(l, st);
        src += taken;
        size -= taken;
        if (l->head_len < l->next_parse)
            break;   /* all of this chunk buffered; wait for more */
        st = try_header(l);
        if (st == MW_ERR_TRUNCATED) {
            /* the header is longer than the prefix: double and keep buffering */
            if (l->next_parse > SIZE_MAX / 2)
                return stick(l, mw_fail(MW_ERR_TOO_LARGE, "GGUF header larger than memory"));
            l->next_parse *= 2;
        } else if (st) {
            return stick(l, st);
        }
    }
    if (size && l->g)
        place(l, src, size);
    return MW_OK;
}

int32_t mw_loader_header_ready(const mw_loader *l, uint64_t *file_size)
{
    if (!l || !l->g)
        return 0;
    if (file_size)
        *file_size = l->g->data_offset + l->g->data_size;   /* padding included when no tensors */
    return 1;
}

mw_status mw_loader_get_info(const mw_loader *l, mw_model_info *info)
{
    if (!l || !info)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_loader_get_info: NULL argument");
    if (!l->g)
        return mw_fail(MW_ERR_STATE, "mw_loader_get_info: the GGUF header has not arrived yet "
                       "(%llu bytes fed)", (unsigned long long)l->pos);
    return mw_model_info_from_gguf(l->g, info);
}

/* Parse whatever is buffered at end of input; truncation here is final. */
static mw_status final_header(mw_loader *l)
{
    if (l->pos == 0)
        return mw_fail(MW_ERR_TRUNCATED, "empty input: no GGUF header");
    return try_header(l);
}

mw_status mw_loader_finish(mw_loader *l, mw_model **out)
{
    if (!out) {
        mw_loader_free(l);
        return mw_fail(MW_ERR_INVALID_ARG, "mw_loader_finish: out is NULL");
    }
    *out = NULL;
    if (!l)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_loader_finish: loader is NULL");
    mw_status st = l->error ? mw_fail(l->error, "%s", l->error_msg) : MW_OK;
    if (!st && !l->g)
        st = final_header(l);
    if (!st) {
        uint64_t end = needed_end(l->g);
        if (l->pos < end)
            st = mw_fail(MW_ERR_TRUNCATED, "file ends at byte %llu, tensor data needs %llu",
                         (unsigned long long)l->pos, (unsigned long long)end);
    }
    if (st) {
        mw_loader_free(l);
        return st;
    }
    mw_gguf *g = l->g;
    uint8_t *data = l->data;
    l->g = NULL;
    l->data = NULL;
    mw_loader_free(l);
    return mw_model_create(g, data, g->data_size, true, out);
}

/* ---- pulling sources: a read callback (and, through io_file.c, a file) ---- */

/* Where the next bytes can be read directly, skipping the bounce buffer: the unfilled part of
 * the data section, once the header has parsed. 0 when the bounce buffer must be used. */
static size_t direct_window(mw_loader *l, uint8_t **dst)
{
    if (!l->g || l->error || l->pos < l->g->data_offset)
        return 0;
    uint64_t end = l->g->data_offset + l->g->data_size;
    if (l->pos >= end)
        return 0;
    *dst = l->data + (l->pos - l->g->data_offset);
    return (size_t)MW_MIN(end - l->pos, DIRECT_CHUNK);
}

static int complete(const mw_loader *l)
{
    return l->g && l->pos >= needed_end(l->g);
}

mw_status mw_loader_pull(const mw_model_params *params, mw_read_fn read, void *user,
                         uint64_t known_size, mw_model **out)
{
    mw_loader *l;
    mw_status st = mw_loader_create(params, &l);
    if (st)
        return st;
    uint8_t *bounce = mw_alloc(BOUNCE_BYTES);
    if (!bounce) {
        mw_loader_free(l);
        return mw_fail(MW_ERR_NO_MEMORY, "out of memory for a read buffer");
    }
    int checked_size = 0;
    while (!complete(l)) {
        uint8_t *dst;
        size_t cap = direct_window(l, &dst);
        if (!cap) {
            dst = bounce;
            cap = BOUNCE_BYTES;
        }
        int64_t n = read(user, dst, cap);
        if (n < 0) {
            st = mw_fail(MW_ERR_IO, "read failed at byte %llu", (unsigned long long)l->pos);
            break;
        }
        if (n == 0)
            break;
        if ((uint64_t)n > cap) {
            st = mw_fail(MW_ERR_IO, "read callback returned %lld bytes for a %zu-byte request",
                         (long long)n, cap);
            break;
        }
        if (dst == bounce) {
            if ((st = mw_loader_feed(l, bounce, (size_t)n)))
                break;
        } else {
            l->pos += (uint64_t)n;
        }
        /* a file whose size is known can be rejected before reading it all */
        if (known_size && !checked_size && l->g) {
            checked_size = 1;
            uint64_t end = needed_end(l->g);
            if (known_size < end) {
                st = mw_fail(MW_ERR_TRUNCATED, "file ends at byte %llu, tensor data needs %llu",
                             (unsigned long long)known_size, (unsigned long long)end);
                break;
            }
        }
    }
    mw_free(bounce);
    if (st) {
        mw_loader_free(l);
        return st;
    }
    return mw_loader_finish(l, out);
}

mw_status mw_model_open_reader(mw_read_fn read, void *user, const mw_model_params *params,
                               mw_model **out)
{
    if (!out)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_model_open_reader: out is NULL");
    *out = NULL;
    if (!read)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_model_open_reader: read callback is NULL");
    return mw_loader_pull(params, read, user, 0, out);
}

/* ---- the memory source: parse in place, then borrow or copy the data section ---- */

mw_status mw_model_open_memory(const void *data, size_t size, const mw_model_params *params,
                               mw_model **out)
{
    if (!out)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_model_open_memory: out is NULL");
    *out = NULL;
    if (!data && size)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_model_open_memory: data is NULL");
    mw_model_params p = params ? *params : mw_model_params_default();
    if (size == 0)
        return mw_fail(MW_ERR_TRUNCATED, "empty input: no GGUF header");
    mw_gguf *g;
    mw_status st = mw_gguf_parse(data, size, &g);
    if (st)
        return st;
    uint64_t end = needed_end(g);
    if ((st = check_budget(g, &p)))
        goto fail;
    if (size < end) {
        st = mw_fail(MW_ERR_TRUNCATED, "file ends at byte %zu, tensor data needs %llu", size,
                     (unsigned long long)end);
        goto fail;
    }
    const uint8_t *src = (const uint8_t *)data + g->data_offset;
    /* borrowed data must be aligned for the kernels; otherwise fall back to a copy */
    if (p.borrow_memory && (uintptr_t)src % BORROW_ALIGN == 0)
        return mw_model_create(g, (void *)(uintptr_t)src, g->data_size, false, out);
    uint8_t *copy;
    if ((st = alloc_data(g, &p, &copy)))
        goto fail;
    if (g->data_size)
        memcpy(copy, src, (size_t)g->data_size);
    return mw_model_create(g, copy, g->data_size, true, out);
fail:
    mw_gguf_free(g);
    return st;
}
