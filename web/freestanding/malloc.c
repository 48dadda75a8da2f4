/*
 * malloc.c — the freestanding wasm64 module's allocator: malloc/calloc/realloc/free over
 * memory.grow, shared by the engine thread and the pool's workers (one spin lock: workers
 * rarely allocate, and wasm's main browser thread may not block in atomic.wait).
 *
 * Boundary-tag chunks (dlmalloc's layout): a 16-byte header {prev_size, size | flags} before a
 * 16-aligned payload; a free chunk keeps its bin links in the payload and its size in the
 * next chunk's prev_size, so free() merges with both neighbours in O(1). Free chunks sit in
 * 64 power-of-two bins searched first fit from the request's bin up; what no bin can serve
 * is cut from the top of the heap, which grows with memory.grow (sizes are 64-bit: blocks
 * above 4 GiB and larger than 4 GiB work the same). Nothing else may grow the memory; if
 * something does, the heap continues after it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN 16
#define HDR 16                /* prev_size + size */
#define MIN_CHUNK 32          /* header + two bin links */
#define CINUSE ((size_t)1)    /* this chunk is allocated */
#define PINUSE ((size_t)2)    /* the chunk before it is allocated (prev_size is not valid) */
#define FLAGS (CINUSE | PINUSE)
#define PAGE 65536
#define NBINS 64

typedef struct chunk {
    size_t prev_size;
    size_t size;              /* chunk bytes incl. header, multiple of 16, | flags */
    struct chunk *next, *prev; /* bin links, only while free */
} chunk;

/* The memory the heap lives in. tests/test_freestanding.c defines these three to simulate
 * wasm memory natively (a reserved region) and includes this file. */
#ifndef HEAP_START
extern unsigned char __heap_base;
#define HEAP_START ((size_t)&__heap_base)
#define MEMORY_END() (__builtin_wasm_memory_size(0) * PAGE)
#define MEMORY_GROW(pages) (__builtin_wasm_memory_grow(0, pages) != (size_t)-1)
#endif

static chunk *bins[NBINS];
static chunk *top;            /* the wilderness: free, in no bin, reaches heap_end */
static size_t heap_end;
static int lock_word;

static void lock(void)
{
    while (__atomic_exchange_n(&lock_word, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&lock_word, __ATOMIC_RELAXED))
            ;
}

static void unlock(void) { __atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE); }

static inline size_t csize(const chunk *c) { return c->size & ~FLAGS; }
static inline chunk *at(void *p, size_t off) { return (chunk *)((char *)p + off); }
static inline void *payload(chunk *c) { return (char *)c + HDR; }
static inline chunk *of(void *p) { return (chunk *)((char *)p - HDR); }

static int bin_of(size_t size) { return 63 - __builtin_clzll((unsigned long long)size); }

static void bin_insert(chunk *c)
{
    const int b = bin_of(csize(c));
    c->prev = NULL;
    c->next = bins[b];
    if (bins[b])
        bins[b]->prev = c;
    bins[b] = c;
}

static void bin_remove(chunk *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        bins[bin_of(csize(c))] = c->next;
    if (c->next)
        c->next->prev = c->prev;
}

/* mark c (size bytes) free: next chunk learns it through PINUSE and prev_size */
static void set_free(chunk *c, size_t size)
{
    c->size = size | (c->size & PINUSE);
    chunk *n = at(c, size);
    n->prev_size = size;
    n->size &= ~PINUSE;
}

static int init_heap(void)
{
    if (top)
        return 1;
    const size_t base = (HEAP_START + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    heap_end = MEMORY_END();
    if (heap_end < base + MIN_CHUNK + HDR) {
        if (!MEMORY_GROW(1))
            return 0;
        heap_end = MEMORY_END();
    }
    top = (chunk *)base;
    top->size = (heap_end - base) | PINUSE;
    return 1;
}

/* make the top chunk at least need bytes (need is a multiple of 16) */
static int grow_top(size_t need)
{
    const size_t have = csize(top);
    const size_t mem_end = MEMORY_END();
    const int contiguous = mem_end == heap_end;
    size_t want = contiguous ? need - have : need + HDR;
    /* grow by at least 1/8 of the heap (few memory.grow calls while a model streams in), at
     * most what is asked when that fails */
    size_t pages = (want + PAGE - 1) / PAGE, extra = heap_end / PAGE / 8;
    if (!MEMORY_GROW(pages + extra) && !MEMORY_GROW(pages))
        return 0;
    const size_t new_end = MEMORY_END();
    if (contiguous) {
        top->size = (new_end - (size_t)top) | (top->size & PINUSE);
    } else {
        /* someone else grew the memory: the old top becomes a plain free chunk, fenced by a
         * one-header in-use chunk so nothing merges across the foreign pages */
        if (have >= MIN_CHUNK + HDR) {
            chunk *fence = at(top, have - HDR);
            set_free(top, have - HDR);
            fence->size = HDR | CINUSE;
            bin_insert(top);
        }
        top = (chunk *)mem_end;
        top->size = (new_end - mem_end) | PINUSE;
    }
    heap_end = new_end;
    return 1;
}

static size_t request_size(size_t n)
{
    if (n > SIZE_MAX / 2)
        return 0;
    size_t s = (n + HDR + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    return s < MIN_CHUNK ? MIN_CHUNK : s;
}

/* cut need bytes from the front of free chunk c (not in a bin) and bin the rest */
static void *take(chunk *c, size_t need, int from_top)
{
    const size_t size = csize(c);
    if (size - need >= MIN_CHUNK + (from_top ? HDR : 0)) {
        chunk *rest = at(c, need);
        c->size = need | CINUSE | (c->size & PINUSE);
        rest->size = (size - need) | PINUSE;
        if (from_top)
            top = rest;
        else
            set_free(rest, size - need), bin_insert(rest);
    } else {
        c->size |= CINUSE;
        at(c, size)->size |= PINUSE;
    }
    return payload(c);
}

static void *alloc_locked(size_t need)
{
    for (int b = bin_of(need); b < NBINS; b++)
        for (chunk *c = bins[b]; c; c = c->next)
            if (csize(c) >= need) {
                bin_remove(c);
                return take(c, need, 0);
            }
    if (csize(top) < need + MIN_CHUNK + HDR && !grow_top(need + MIN_CHUNK + HDR))
        return NULL;
    return take(top, need, 1);
}

void *malloc(size_t n)
{
    const size_t need = request_size(n);
    if (!need)
        return NULL;
    lock();
    void *p = init_heap() ? alloc_locked(need) : NULL;
    unlock();
    return p;
}

void *calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = malloc(count * size);
    if (p)
        memset(p, 0, count * size); /* grown pages are zero, reused chunks are not */
    return p;
}

static void free_locked(chunk *c)
{
    size_t size = csize(c);
    if (!(c->size & PINUSE)) { /* merge with the free chunk before */
        chunk *p = (chunk *)((char *)c - c->prev_size);
        bin_remove(p);
        size += csize(p);
        p->size = (p->size & PINUSE) | size;
        c = p;
    } else {
        c->size = size | PINUSE;
    }
    chunk *n = at(c, size);
    if (n == top) {
        c->size = (size + csize(top)) | (c->size & PINUSE);
        top = c;
        return;
    }
    if (!(n->size & CINUSE)) { /* merge with the free chunk after */
        bin_remove(n);
        size += csize(n);
    }
    set_free(c, size);
    bin_insert(c);
}

void free(void *p)
{
    if (!p)
        return;
    lock();
    free_locked(of(p));
    unlock();
}

/* c (in use, size bytes) keeps need bytes; a tail worth a chunk is freed */
static void trim(chunk *c, size_t size, size_t need)
{
    if (size - need >= MIN_CHUNK) {
        chunk *rest = at(c, need);
        c->size = need | (c->size & FLAGS);
        rest->size = (size - need) | CINUSE | PINUSE;
        free_locked(rest);
    }
}

void *realloc(void *p, size_t n)
{
    if (!p)
        return malloc(n);
    const size_t need = request_size(n);
    if (!need)
        return NULL;
    lock();
    chunk *c = of(p);
    const size_t size = csize(c);
    if (need <= size) { /* shrink in place */
        trim(c, size, need);
        unlock();
        return p;
    }
    chunk *nx = at(c, size);
    if (nx == top && (csize(top) >= need - size + MIN_CHUNK + HDR || grow_top(need - size + MIN_CHUNK + HDR)) &&
        at(c, size) == top) { /* extend into the top */
        const size_t total = size + csize(top);
        c->size = need | (c->size & FLAGS);
        top = at(c, need);
        top->size = (total - need) | PINUSE;
        unlock();
        return p;
    }
    if (nx != top && !(nx->size & CINUSE) && size + csize(nx) >= need) { /* absorb the free next */
        bin_remove(nx);
        const size_t total = size + csize(nx);
        c->size = total | (c->size & FLAGS);
        at(c, total)->size |= PINUSE;
        trim(c, total, need);
        unlock();
        return p;
    }
    void *q = alloc_locked(need);
    if (q) {
        memcpy(q, p, size - HDR);
        free_locked(c);
    }
    unlock();
    return q;
}
