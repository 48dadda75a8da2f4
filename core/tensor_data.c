/*
 * tensor_data.c — the tensor data section as aligned blocks (see tensor_data.h): planning from
 * the tensor table, lazy allocation, lookup and filling.
 */
#include <stdlib.h>   /* qsort only */

#include "tensor_data.h"

typedef struct span { uint64_t start, end; const char *name; } span;

static int by_start(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Whether a block [start, end) may take the tensor t that starts at or after end. */
static bool joins(uint64_t start, uint64_t end, const span *t)
{
    return t->start - end <= MW_DATA_GAP_MAX && t->end - start <= MW_DATA_BLOCK_MAX &&
           (t->start - start) % MW_TENSOR_ALIGN == 0;
}

mw_status mw_data_plan(const mw_gguf *g, mw_data *d)
{
    return mw_data_plan_except(g, NULL, d);
}

mw_status mw_data_plan_except(const mw_gguf *g, bool (*skip)(const char *name), mw_data *d)
{
    memset(d, 0, sizeof *d);
    if (g->n_tensors == 0)
        return MW_OK;
    if (g->n_tensors > SIZE_MAX / sizeof(span))
        return mw_fail(MW_ERR_TOO_LARGE, "%llu tensors: more than this platform can address",
                       (unsigned long long)g->n_tensors);
    const size_t n = (size_t)g->n_tensors;
    span *s = mw_calloc(n, sizeof *s);
    d->blocks = mw_calloc(n, sizeof *d->blocks);   /* at most one block per tensor */
    if (!s || !d->blocks) {
        mw_free(s);
        mw_data_free(d);
        return mw_fail(MW_ERR_NO_MEMORY, "out of memory planning the tensor data of %zu tensors", n);
    }
    size_t n_kept = 0;
    for (size_t i = 0; i < n; i++)
        if (!skip || !skip(g->tensors[i].name))
            s[n_kept++] = (span){ g->tensors[i].offset, g->tensors[i].offset + g->tensors[i].nbytes,
                                  g->tensors[i].name };
    if (n_kept == 0) {
        mw_free(s);
        return MW_OK;
    }
    qsort(s, n_kept, sizeof *s, by_start);
    uint64_t start = s[0].start, end = s[0].end;
    mw_status st = MW_OK;
    for (size_t i = 1; i < n_kept && !st; i++) {
        if (s[i].start < end) {
            /* overlaps the block: it must go in it, aligned */
            if ((s[i].start - start) % MW_TENSOR_ALIGN)
                st = mw_fail(MW_ERR_BAD_FORMAT, "GGUF tensor '%s' at offset %llu overlaps another "
                             "tensor at an offset that cannot be %d-byte aligned", s[i].name,
                             (unsigned long long)s[i].start, MW_TENSOR_ALIGN);
        } else if (!joins(start, end, &s[i])) {
            d->blocks[d->n_blocks++] = (mw_data_block){ start, end - start, NULL, NULL };
            d->stored += end - start;
            start = s[i].start;
        }
        end = MW_MAX(end, s[i].end);
    }
    d->blocks[d->n_blocks++] = (mw_data_block){ start, end - start, NULL, NULL };
    d->stored += end - start;
    mw_free(s);
    if (st)
        mw_data_free(d);
    return st;
}

mw_status mw_data_alloc_block(mw_data *d, size_t i)
{
    mw_data_block *b = &d->blocks[i];
    if (b->ptr)
        return MW_OK;
    if (b->size > (uint64_t)SIZE_MAX - MW_TENSOR_ALIGN)
        return mw_fail(MW_ERR_TOO_LARGE, "a %llu-byte block of tensor data: more than this "
                       "platform can address", (unsigned long long)b->size);
    b->raw = mw_alloc((size_t)b->size + MW_TENSOR_ALIGN - 1);
    if (!b->raw)
        return mw_fail(MW_ERR_NO_MEMORY, "out of memory allocating %llu bytes of tensor data",
                       (unsigned long long)b->size);
    uintptr_t a = ((uintptr_t)b->raw + MW_TENSOR_ALIGN - 1) & ~(uintptr_t)(MW_TENSOR_ALIGN - 1);
    b->ptr = (uint8_t *)a;
    return MW_OK;
}

bool mw_data_borrow(mw_data *d, const uint8_t *src)
{
    for (size_t i = 0; i < d->n_blocks; i++)
        if ((uintptr_t)(src + d->blocks[i].start) % MW_TENSOR_ALIGN)
            return false;
    for (size_t i = 0; i < d->n_blocks; i++)
        d->blocks[i].ptr = (uint8_t *)(uintptr_t)(src + d->blocks[i].start);
    return true;
}

void mw_data_free(mw_data *d)
{
    if (!d->blocks)
        return;
    for (size_t i = 0; i < d->n_blocks; i++)
        mw_free(d->blocks[i].raw);
    mw_free(d->blocks);
    memset(d, 0, sizeof *d);
}

size_t mw_data_find(const mw_data *d, uint64_t off)
{
    size_t lo = 0, hi = d->n_blocks;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->blocks[mid].start + d->blocks[mid].size <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

uint8_t *mw_data_at(const mw_data *d, uint64_t off, uint64_t len)
{
    size_t i = mw_data_find(d, off);
    if (i == d->n_blocks)
        return NULL;
    const mw_data_block *b = &d->blocks[i];
    if (!b->ptr || off < b->start || len > b->start + b->size - off)
        return NULL;
    return b->ptr + (off - b->start);
}

mw_status mw_data_write(mw_data *d, uint64_t off, const uint8_t *src, size_t n)
{
    const uint64_t end = off + n;
    for (size_t i = mw_data_find(d, off); i < d->n_blocks && d->blocks[i].start < end; i++) {
        mw_data_block *b = &d->blocks[i];
        uint64_t a = MW_MAX(off, b->start), z = MW_MIN(end, b->start + b->size);
        mw_status st = mw_data_alloc_block(d, i);
        if (st)
            return st;
        memcpy(b->ptr + (a - b->start), src + (a - off), (size_t)(z - a));
    }
    return MW_OK;
}

void mw_data_copy_out(const mw_data *d, uint8_t *dst)
{
    for (size_t i = 0; i < d->n_blocks; i++)
        if (d->blocks[i].ptr)
            memcpy(dst + d->blocks[i].start, d->blocks[i].ptr, (size_t)d->blocks[i].size);
}
