/*
 * expert_cache.c — streamed Mixtral experts: read on demand through the model's positional
 * source into an LRU cache bounded by a byte budget (see expert_cache.h).
 *
 * An entry is one expert of one layer, its three slices in one allocation. Eviction scans the
 * n_layer * n_expert table for the oldest use: a few hundred entries against reads of
 * megabytes, so no list is kept.
 */
#include "expert_cache.h"
#include "loader.h"

#define ALIGN_UP(n) (((n) + MW_TENSOR_ALIGN - 1) & ~(uint64_t)(MW_TENSOR_ALIGN - 1))

static const char *const kinds[3] = { "gate", "up", "down" };

typedef struct entry {
    uint8_t *ptr;        /* MW_TENSOR_ALIGN-aligned: gate, up, down slices; NULL = not cached */
    void *raw;           /* what mw_alloc returned */
    uint64_t bytes;      /* the budget it takes: the usable bytes at ptr, the cache's slot size
                            (at least the three slices rounded up) */
    uint64_t last_used;  /* tick of its last use */
} entry;

struct mw_expert_cache {
    mw_source src;
    uint64_t data_offset;     /* file offset of the tensor data section */
    uint64_t budget, tick;
    uint64_t slot_bytes;      /* every entry's allocation: the largest expert's slices */
    int32_t n_layer, n_expert;
    bool predict;             /* expert_prefetch */
    entry *entries;           /* [n_layer][n_expert] */
    uint8_t *predicted;       /* [n_layer][n_expert]: picked ahead for the layer's next visit */
    mw_expert_stats stats;
};

/* "blk.<digits>.ffn_<kind>_exps.weight" or "blk.<digits>.ffn_<kind>.<digits>.weight" */
bool mw_expert_tensor_name(const char *name)
{
    if (strncmp(name, "blk.", 4) != 0)
        return false;
    const char *p = name + 4;
    if (*p < '0' || *p > '9')
        return false;
    while (*p >= '0' && *p <= '9')
        p++;
    if (strncmp(p, ".ffn_", 5) != 0)
        return false;
    p += 5;
    for (int k = 0; k < 3; k++) {
        const size_t n = strlen(kinds[k]);
        if (strncmp(p, kinds[k], n) != 0)
            continue;
        const char *q = p + n;
        if (strcmp(q, "_exps.weight") == 0)
            return true;
        if (*q++ != '.' || *q < '0' || *q > '9')
            return false;
        while (*q >= '0' && *q <= '9')
            q++;
        return strcmp(q, ".weight") == 0;
    }
    return false;
}

/* Bytes of one expert's slice of a kind in layer il (the largest, for per-expert files). */
static uint64_t slice_bytes(const mw_gguf *g, int32_t il, const char *kind)
{
    char name[96];
    mw_format(name, sizeof name, "blk.%d.ffn_%s_exps.weight", il, kind);
    const mw_gguf_tensor *t = mw_gguf_find_tensor(g, name);
    if (t)
        return t->ne[2] > 0 ? ALIGN_UP(t->nbytes / (uint64_t)t->ne[2]) : 0;
    uint64_t most = 0;
    for (int32_t e = 0; e < 256; e++) {
        mw_format(name, sizeof name, "blk.%d.ffn_%s.%d.weight", il, kind, e);
        if (!(t = mw_gguf_find_tensor(g, name)))
            break;
        most = MW_MAX(most, ALIGN_UP(t->nbytes));
    }
    return most;
}

void mw_expert_sizes(const mw_gguf *g, int32_t n_layer, uint64_t *total, uint64_t *max_one)
{
    *total = *max_one = 0;
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        const mw_gguf_tensor *t = &g->tensors[i];
        if (mw_expert_tensor_name(t->name)) {
            const uint64_t n = t->ne[2] > 0 ? (uint64_t)t->ne[2] : 1;
            *total += ALIGN_UP(t->nbytes / n) * n;
        }
    }
    if (!*total)
        return;
    for (int32_t il = 0; il < n_layer; il++) {
        uint64_t one = 0;
        for (int k = 0; k < 3; k++)
            one += slice_bytes(g, il, kinds[k]);
        *max_one = MW_MAX(*max_one, one);
    }
}

mw_status mw_expert_cache_create(const mw_source *src, uint64_t data_offset, uint64_t budget,
                                 uint64_t slot_bytes, int32_t n_layer, int32_t n_expert,
                                 bool predict, mw_expert_cache **out)
{
    *out = NULL;
    const size_t n = (size_t)n_layer * (size_t)n_expert;
    mw_expert_cache *c = mw_calloc(1, sizeof *c);
    entry *entries = c ? mw_calloc(n, sizeof *entries) : NULL;
    uint8_t *predicted = entries ? mw_calloc(n, 1) : NULL;
    if (!predicted) {
        mw_free(entries);
        mw_free(c);
        if (src->close)
            src->close(src->user);
        return mw_fail(MW_ERR_NO_MEMORY, "out of memory for the expert cache's table");
    }
    c->src = *src;
    c->data_offset = data_offset;
    c->budget = budget;
    c->slot_bytes = slot_bytes;
    c->n_layer = n_layer;
    c->n_expert = n_expert;
    c->predict = predict;
    c->entries = entries;
    c->predicted = predicted;
    c->stats.budget_bytes = budget;
    *out = c;
    return MW_OK;
}

void mw_expert_cache_free(mw_expert_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < (size_t)c->n_layer * (size_t)c->n_expert; i++)
        mw_free(c->entries[i].raw);
    mw_free(c->entries);
    mw_free(c->predicted);
    if (c->src.close)
        c->src.close(c->src.user);
    mw_free(c);
}

void mw_expert_cache_set_close(mw_expert_cache *c, void (*close)(void *user))
{
    c->src.close = close;
}

void mw_expert_cache_stats(const mw_expert_cache *c, mw_expert_stats *stats)
{
    *stats = c->stats;
}

static void drop(mw_expert_cache *c, entry *en)
{
    mw_free(en->raw);
    c->stats.cache_bytes -= en->bytes;
    memset(en, 0, sizeof *en);
}

/* Evict the least recently used entries until an entry of need bytes fits the budget. The
 * first evicted allocation that can hold need (with equal slots: the first) is kept in *spare
 * (no longer counted) rather than freed: natively a fresh allocation of ~100 MB is fresh pages,
 * and faulting them in under memory pressure cost more than the disk (Mixtral-8x7B at 4 GiB:
 * 2/3 of the time in the kernel); a reused one is already in memory. */
static mw_status make_room(mw_expert_cache *c, uint64_t need, entry *spare)
{
    const size_t n = (size_t)c->n_layer * (size_t)c->n_expert;
    for (;;) {
        const uint64_t want = spare->ptr ? spare->bytes : need;
        if (c->stats.cache_bytes + want <= c->budget)
            return MW_OK;
        entry *oldest = NULL;
        for (size_t i = 0; i < n; i++)
            if (c->entries[i].ptr && (!oldest || c->entries[i].last_used < oldest->last_used))
                oldest = &c->entries[i];
        if (!oldest)   /* the loader checked budget >= the largest expert */
            return mw_fail(MW_ERR_INTERNAL, "expert of %llu bytes does not fit the %llu-byte cache",
                           (unsigned long long)want, (unsigned long long)c->budget);
        if (!spare->ptr && oldest->bytes >= need) {
            *spare = *oldest;
            c->stats.cache_bytes -= oldest->bytes;
            memset(oldest, 0, sizeof *oldest);
        } else {
            drop(c, oldest);
        }
    }
}

/* Read the expert's slices and repack them as mw_model_create repacks resident weights. */
static mw_status fill(mw_expert_cache *c, entry *en, const mw_tensor *const t[3],
                      const uint64_t off[3], int32_t il, int32_t e)
{
    for (int k = 0; k < 3; k++) {
        mw_status st = mw_source_read(&c->src, c->data_offset + t[k]->offset, en->ptr + off[k],
                                      t[k]->nbytes);
        if (st) {
            char msg[384];
            mw_format(msg, sizeof msg, "%s", mw_last_error());
            return mw_fail(st, "streaming expert %d of layer %d (%s slice): %s", e, il, kinds[k], msg);
        }
        c->stats.bytes_read += t[k]->nbytes;
        if (t[k]->repacked) {
            mw_tensor at = *t[k];
            at.data = en->ptr + off[k];
            if ((st = mw_model_repack_tensor(&at)))
                return st;
        }
    }
    return MW_OK;
}

bool mw_expert_cache_predicts(const mw_expert_cache *c)
{
    return c->predict;
}

void mw_expert_cache_predict(mw_expert_cache *c, const mw_layer *l, int32_t il, int32_t e)
{
    const size_t i = (size_t)il * (size_t)c->n_expert + (size_t)e;
    if (c->predicted[i])
        return;
    c->predicted[i] = 1;
    c->stats.predicted++;
    if (c->entries[i].ptr || !c->src.will_read)
        return;
    c->stats.hinted++;
    const mw_tensor *const t[3] = { &l->gate_exps[e], &l->up_exps[e], &l->down_exps[e] };
    for (int k = 0; k < 3; k++)
        c->src.will_read(c->src.user, c->data_offset + t[k]->offset, t[k]->nbytes);
}

void mw_expert_cache_routed(mw_expert_cache *c, int32_t il, const uint8_t *used)
{
    uint8_t *picked = c->predicted + (size_t)il * (size_t)c->n_expert;
    for (int32_t e = 0; e < c->n_expert; e++) {
        c->stats.predicted_used += picked[e] && used[e];
        picked[e] = 0;
    }
}

mw_status mw_expert_cache_get(mw_expert_cache *c, const mw_layer *l, int32_t il, int32_t e,
                              mw_tensor out[3])
{
    const mw_tensor *const t[3] = { &l->gate_exps[e], &l->up_exps[e], &l->down_exps[e] };
    uint64_t off[3], bytes = 0;
    for (int k = 0; k < 3; k++) {
        off[k] = bytes;
        bytes += ALIGN_UP(t[k]->nbytes);
    }
    entry *en = &c->entries[(size_t)il * (size_t)c->n_expert + (size_t)e];
    if (en->ptr) {
        c->stats.hits++;
    } else {
        c->stats.misses++;
        entry spare = { 0 };
        mw_status st = make_room(c, bytes, &spare);
        if (st) {
            mw_free(spare.raw);
            return st;
        }
        if (spare.ptr) {
            en->raw = spare.raw, en->ptr = spare.ptr, en->bytes = spare.bytes;
        } else {
            const uint64_t slot = MW_MAX(bytes, c->slot_bytes);
            if (slot > (uint64_t)SIZE_MAX - MW_TENSOR_ALIGN ||
                !(en->raw = mw_alloc((size_t)slot + MW_TENSOR_ALIGN - 1)))
                return mw_fail(MW_ERR_NO_MEMORY, "out of memory for a %llu-byte expert",
                               (unsigned long long)slot);
            en->ptr = (uint8_t *)(((uintptr_t)en->raw + MW_TENSOR_ALIGN - 1) &
                                  ~(uintptr_t)(MW_TENSOR_ALIGN - 1));
            en->bytes = slot;
        }
        c->stats.cache_bytes += en->bytes;
        if ((st = fill(c, en, t, off, il, e))) {
            drop(c, en);
            return st;
        }
    }
    en->last_used = ++c->tick;
    for (int k = 0; k < 3; k++) {
        out[k] = *t[k];
        out[k].data = en->ptr + off[k];
    }
    return MW_OK;
}
