/*
 * count_alloc.h — an mw_allocator that tracks live and peak bytes, for tests that bound what a
 * call allocates: count_start(); call(); peak = count_stop(). Test-only (uses malloc).
 */
#ifndef MW_TEST_COUNT_ALLOC_H
#define MW_TEST_COUNT_ALLOC_H

#include <stdlib.h>
#include <string.h>

#include "mw.h"

static size_t live_bytes, peak_bytes;
#define COUNT_HDR 16   /* keeps the allocator's alignment */

static void *c_alloc(void *u, size_t n)
{
    (void)u;
    uint8_t *p = n <= SIZE_MAX - COUNT_HDR ? malloc(n + COUNT_HDR) : NULL;
    if (!p)
        return NULL;
    memcpy(p, &n, sizeof n);
    live_bytes += n;
    peak_bytes = (peak_bytes > live_bytes ? peak_bytes : live_bytes);
    return p + COUNT_HDR;
}
static void c_free(void *u, void *ptr)
{
    (void)u;
    if (!ptr)
        return;
    uint8_t *p = (uint8_t *)ptr - COUNT_HDR;
    size_t n;
    memcpy(&n, p, sizeof n);
    live_bytes -= n;
    free(p);
}
static void *c_realloc(void *u, void *ptr, size_t n)
{
    void *q = c_alloc(u, n);
    if (q && ptr) {
        size_t old;
        memcpy(&old, (uint8_t *)ptr - COUNT_HDR, sizeof old);
        memcpy(q, ptr, (old < n ? old : n));
        c_free(u, ptr);
    }
    return q;
}
static void count_start(void)
{
    static const mw_allocator a = { c_alloc, c_realloc, c_free, NULL };
    live_bytes = peak_bytes = 0;
    mw_set_allocator(&a);
}
static size_t count_stop(void)
{
    mw_set_allocator(NULL);
    return peak_bytes;
}

#endif
