/*
 * loader.c — model loading from bytes: the push loader (the core primitive), and the memory
 * buffer and read-callback byte sources built on it (the file source is io_file.c).
 *
 * The push loader buffers bytes until the GGUF header parses, checks the size the header claims
 * (against the memory limit, what the platform can address and, when known, the size of the
 * file) before allocating anything, then plans the tensor data section as aligned blocks
 * (tensor_data.h) and copies every later byte straight into its block, allocating each block
 * when the first of its bytes arrives: a stream that ends early never costs more than the bytes
 * it delivered plus one block. Padding before the data section and anything after it are
 * skipped. No second full copy of the weights is ever held.
 *
 * The positional source (mw_model_open_source, and mw_model_open_file on a regular file) reads
 * the header, then only the blocks that stay resident: with mw_model_params.expert_cache_bytes
 * the expert tensors are left in the source, which the model keeps for its expert cache.
 */
#include "loader.h"
#include "expert_cache.h"
#include "gguf.h"
#include "model.h"
#include "tensor_data.h"

/* The header is reparsed only when the buffered prefix has doubled, so a header of H bytes
 * costs O(H) parsing in total however it is chunked. */
#define FIRST_PARSE_BYTES 16384
/* The pulling sources read the header through a small bounce buffer, and the tensor data
 * straight into its final place in reads of up to DIRECT_CHUNK bytes. */
#define BOUNCE_BYTES ((size_t)1 << 16)
#define DIRECT_CHUNK ((uint64_t)1 << 26)
struct mw_loader {
    mw_model_params params;
    uint8_t *head;            /* bytes buffered before the header parses */
    size_t head_len, head_cap;
    size_t next_parse;        /* parse again once head_len reaches this */
    mw_gguf *g;               /* NULL until the header parses */
    mw_data data;             /* the blocks of g's tensor data, allocated as bytes arrive */
    uint64_t known_size;      /* total bytes of the source when known, else 0 */
    mw_session_params session; /* the session the budget counts (mw_loader_set_session) */
    bool has_session;         /* else the smallest session */
    uint64_t pos;             /* bytes fed so far = file offset of the next byte */
    mw_status error;          /* sticky: once failed, every call reports it */
    char error_msg[256];
};

mw_model_params mw_model_params_default(void)
{
    mw_model_params p;
    memset(&p, 0, sizeof p);
    p.expert_prefetch = 1;
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

/* Whether the model's experts will stream (a Mixtral opened with expert_cache_bytes). */
static bool streams_experts(const mw_gguf *g, const mw_model_params *params)
{
    mw_model_info info;
    return params->expert_cache_bytes && mw_model_info_from_gguf(g, &info) == MW_OK &&
           info.n_expert > 0 && info.expert_bytes > 0;
}

/* The weights and the session (NULL: the smallest) must fit the caller's budget and the
 * address space (mw_memory_check_experts, the one rule). A header whose hyperparameters do not
 * parse is checked on its weights alone: the model build says what is wrong with it.
 * positional: the source can read ranges again later, so experts can stream. */
static mw_status check_budget(const mw_gguf *g, const mw_model_params *params,
                              const mw_session_params *session, bool positional)
{
    mw_model_info info;
    if (mw_model_info_from_gguf(g, &info) != MW_OK) {
        memset(&info, 0, sizeof info);
        info.weight_bytes = g->data_size;
    }
    if (!positional && streams_experts(g, params))
        return mw_fail(MW_ERR_INVALID_ARG, "streaming experts (expert_cache_bytes) needs a "
                       "positional source: mw_model_open_file on a regular file, or "
                       "mw_model_open_source");
    return mw_memory_check_experts(&info, session, params->memory_limit,
                                   params->expert_cache_bytes, NULL);
}

static mw_status truncated_at(uint64_t size, const mw_gguf *g)
{
    return mw_fail(MW_ERR_TRUNCATED, "file ends at byte %llu, tensor data needs %llu",
                   (unsigned long long)size, (unsigned long long)needed_end(g));
}

/* Everything checked before a byte of tensor data is allocated: the budget, and the size of
 * the source when known. Then the blocks are planned (not allocated). */
static mw_status check_and_plan(const mw_gguf *g, const mw_model_params *params,
                                const mw_session_params *session, uint64_t known_size,
                                bool positional, mw_data *data)
{
    mw_status st = check_budget(g, params, session, positional);
    if (st)
        return st;
    if (known_size && known_size < needed_end(g))
        return truncated_at(known_size, g);
    return mw_data_plan_except(g, positional && streams_experts(g, params) ?
                               mw_expert_tensor_name : NULL, data);
}

/* The model, keeping the budget it was loaded under for mw_session_create. */
static mw_status build(mw_gguf *g, mw_data *data, bool owns_data, mw_expert_cache *experts,
                       const mw_model_params *params, mw_model **out)
{
    mw_status st = mw_model_create(g, data, owns_data, experts, out);
    if (!st) {
        (*out)->memory_limit = params->memory_limit;
        (*out)->expert_cache_bytes = experts ? params->expert_cache_bytes : 0;
    }
    return st;
}

/* Allocate every block (a source whose bytes are all at hand). */
static mw_status alloc_all(mw_data *data)
{
    for (size_t i = 0; i < data->n_blocks; i++) {
        mw_status st = mw_data_alloc_block(data, i);
        if (st)
            return st;
    }
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
    mw_data_free(&l->data);
    mw_free(l);
}

/* Copy bytes at file offset l->pos into the data section where they belong, then advance. */
static mw_status place(mw_loader *l, const uint8_t *src, size_t n)
{
    uint64_t start = l->g->data_offset, end = start + l->g->data_size;
    uint64_t a = MW_MAX(l->pos, start), b = MW_MIN(l->pos + n, end);
    mw_status st = MW_OK;
    if (a < b)
        st = mw_data_write(&l->data, a - start, src + (a - l->pos), (size_t)(b - a));
    l->pos += n;
    return st;
}

/* Try to parse the buffered prefix. MW_OK with l->g set, MW_ERR_TRUNCATED to wait for more,
 * or a real error. On success the buffered bytes past the header move into the data section. */
static mw_status try_header(mw_loader *l)
{
    mw_gguf *g;
    mw_status st = mw_gguf_parse(l->head, l->head_len, &g);
    if (st)
        return st;
    /* sticky at once: a TRUNCATED from here (the known file size) is final, not a header
     * still arriving */
    if ((st = check_and_plan(g, &l->params, l->has_session ? &l->session : NULL, l->known_size,
                             false, &l->data))) {
        mw_gguf_free(g);
        return stick(l, st);
    }
    l->g = g;
    /* replay the buffered bytes through place(): pos restarts at the head's first byte */
    l->pos -= l->head_len;
    st = place(l, l->head, l->head_len);
    mw_free(l->head);
    l->head = NULL;
    l->head_len = l->head_cap = 0;
    return st ? stick(l, st) : MW_OK;
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
        size_t taken = 0;
        mw_status st = buffer_head(l, src, size, &taken);
        if (st)
            return stick(l, st);
        src += taken;
        size -= taken;
        if (l->head_len < l->next_parse)
            break;   /* all of this chunk buffered; wait for more */
        st = try_header(l);
        if (st == MW_ERR_TRUNCATED && !l->error) {
            /* the header is longer than the prefix: double and keep buffering */
            if (l->next_parse > SIZE_MAX / 2)
                return stick(l, mw_fail(MW_ERR_TOO_LARGE, "GGUF header larger than memory"));
            l->next_parse *= 2;
        } else if (st) {
            return stick(l, st);
        }
    }
    if (size && l->g) {
        mw_status st = place(l, src, size);
        if (st)
            return stick(l, st);
    }
    return MW_OK;
}

mw_status mw_loader_set_size(mw_loader *l, uint64_t total_size)
{
    if (!l)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_loader_set_size: loader is NULL");
    if (l->g)
        return mw_fail(MW_ERR_STATE, "mw_loader_set_size: the header has already been parsed");
    l->known_size = total_size;
    return MW_OK;
}

mw_status mw_loader_set_session(mw_loader *l, const mw_session_params *session)
{
    if (!l || !session)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_loader_set_session: NULL argument");
    if (l->g)
        return mw_fail(MW_ERR_STATE, "mw_loader_set_session: the header has already been parsed");
    l->session = *session;
    l->has_session = true;
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
        if (l->pos < needed_end(l->g))
            st = truncated_at(l->pos, l->g);
    }
    if (st) {
        mw_loader_free(l);
        return st;
    }
    mw_gguf *g = l->g;
    mw_data data = l->data;
    l->g = NULL;
    memset(&l->data, 0, sizeof l->data);
    const mw_model_params params = l->params;
    mw_loader_free(l);
    return build(g, &data, true, NULL, &params, out);
}

/* ---- pulling sources: a read callback (and, through io_file.c, a file) ---- */

/* Where the next bytes can be read directly, skipping the bounce buffer: the unfilled part of
 * the block they belong to (allocated here), once the header has parsed. *cap = 0 when the
 * bounce buffer must be used (header, padding, gaps between blocks). */
static mw_status direct_window(mw_loader *l, uint8_t **dst, size_t *cap)
{
    *cap = 0;
    if (!l->g || l->error || l->pos < l->g->data_offset)
        return MW_OK;
    const uint64_t off = l->pos - l->g->data_offset;
    const size_t i = mw_data_find(&l->data, off);
    if (i == l->data.n_blocks || off < l->data.blocks[i].start)
        return MW_OK;
    mw_status st = mw_data_alloc_block(&l->data, i);
    if (st)
        return stick(l, st);
    const mw_data_block *b = &l->data.blocks[i];
    *dst = b->ptr + (off - b->start);
    *cap = (size_t)MW_MIN(b->start + b->size - off, DIRECT_CHUNK);
    return MW_OK;
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
    mw_loader_set_size(l, known_size);
    while (!complete(l)) {
        uint8_t *dst;
        size_t cap;
        if ((st = direct_window(l, &dst, &cap)))
            break;
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
    mw_data blocks;
    if ((st = check_and_plan(g, &p, NULL, size, false, &blocks))) {
        mw_gguf_free(g);
        return st;
    }
    const uint8_t *src = (const uint8_t *)data + g->data_offset;
    /* borrowed data must be aligned for the kernels; otherwise fall back to a copy */
    if (p.borrow_memory && mw_data_borrow(&blocks, src))
        return build(g, &blocks, false, NULL, &p, out);
    if ((st = alloc_all(&blocks))) {
        mw_data_free(&blocks);
        mw_gguf_free(g);
        return st;
    }
    for (size_t i = 0; i < blocks.n_blocks; i++)
        memcpy(blocks.blocks[i].ptr, src + blocks.blocks[i].start, (size_t)blocks.blocks[i].size);
    return build(g, &blocks, true, NULL, &p, out);
}

/* ---- the positional source: header, then the resident blocks, each read in place ---- */

mw_status mw_source_read(const mw_source *src, uint64_t offset, uint8_t *dst, uint64_t n)
{
    while (n) {
        const size_t want = (size_t)MW_MIN(n, DIRECT_CHUNK);
        const int64_t got = src->read_at(src->user, offset, dst, want);
        if (got < 0)
            return mw_fail(MW_ERR_IO, "read of %zu bytes at byte %llu failed", want,
                           (unsigned long long)offset);
        if (got == 0)
            return mw_fail(MW_ERR_TRUNCATED, "the source ends at byte %llu (%llu more bytes needed)",
                           (unsigned long long)offset, (unsigned long long)n);
        if ((uint64_t)got > want)
            return mw_fail(MW_ERR_IO, "read_at returned %lld bytes for a %zu-byte request",
                           (long long)got, want);
        offset += (uint64_t)got;
        dst += got;
        n -= (uint64_t)got;
    }
    return MW_OK;
}

/* The header from the first bytes of the source, read in a prefix that doubles until it
 * parses, as the push loader buffers it. */
static mw_status read_header(const mw_source *src, mw_gguf **g)
{
    if (src->size == 0)
        return mw_fail(MW_ERR_TRUNCATED, "empty input: no GGUF header");
    for (uint64_t len = FIRST_PARSE_BYTES;; len *= 2) {
        const uint64_t n = MW_MIN(len, src->size);
        if (n > SIZE_MAX)
            return mw_fail(MW_ERR_TOO_LARGE, "GGUF header larger than memory");
        uint8_t *buf = mw_alloc((size_t)n);
        if (!buf)
            return mw_fail(MW_ERR_NO_MEMORY, "out of memory reading %llu bytes of GGUF header",
                           (unsigned long long)n);
        mw_status st = mw_source_read(src, 0, buf, n);
        if (!st)
            st = mw_gguf_parse(buf, (size_t)n, g);
        mw_free(buf);
        if (st != MW_ERR_TRUNCATED || n == src->size)
            return st;
    }
}

mw_status mw_loader_open_source(const mw_source *src, const mw_model_params *params,
                                mw_model **out, bool *kept)
{
    *out = NULL;
    *kept = false;
    const mw_model_params p = params ? *params : mw_model_params_default();
    mw_gguf *g;
    mw_status st = read_header(src, &g);
    if (st)
        return st;
    mw_data blocks;
    if ((st = check_and_plan(g, &p, NULL, src->size, true, &blocks))) {
        mw_gguf_free(g);
        return st;
    }
    if (!(st = alloc_all(&blocks)))
        for (size_t i = 0; i < blocks.n_blocks && !st; i++)
            st = mw_source_read(src, g->data_offset + blocks.blocks[i].start, blocks.blocks[i].ptr,
                                blocks.blocks[i].size);
    mw_expert_cache *experts = NULL;
    if (!st && streams_experts(g, &p)) {
        mw_model_info info;
        mw_model_info_from_gguf(g, &info);
        mw_source kept_src = *src;
        kept_src.close = NULL;   /* the caller closes it when the model cannot be built */
        st = mw_expert_cache_create(&kept_src, g->data_offset, p.expert_cache_bytes,
                                    info.expert_max_bytes, info.n_layer, info.n_expert,
                                    p.expert_prefetch != 0, &experts);
    }
    if (st) {
        mw_data_free(&blocks);
        mw_gguf_free(g);
        return st;
    }
    if ((st = build(g, &blocks, true, experts, &p, out)))
        return st;
    if (experts) {
        /* built: from now on the model's cache closes the source */
        mw_expert_cache_set_close((*out)->experts, src->close);
        *kept = true;
    }
    return MW_OK;
}

mw_status mw_model_open_source(const mw_source *src, const mw_model_params *params,
                               mw_model **out)
{
    if (!out || !src || !src->read_at) {
        if (src && src->close)
            src->close(src->user);
        if (out)
            *out = NULL;
        return mw_fail(MW_ERR_INVALID_ARG, "mw_model_open_source: NULL out, source or read_at");
    }
    bool kept;
    mw_status st = mw_loader_open_source(src, params, out, &kept);
    if (!kept && src->close) {
        /* closing must not replace the reason of a failure */
        char msg[512];
        mw_format(msg, sizeof msg, "%s", mw_last_error());
        src->close(src->user);
        if (st)
            return mw_fail(st, "%s", msg);
    }
    return st;
}
