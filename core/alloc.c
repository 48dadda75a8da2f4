/*
 * alloc.c — the single allocation hook. Defaults to the C library; mw_set_allocator swaps it
 * (fault-injection tests, a wasm arena). Nothing else in the core calls malloc.
 */
#include <stdlib.h>

#include "base.h"

static void *libc_alloc(void *user, size_t size) { (void)user; return malloc(size); }
static void *libc_realloc(void *user, void *ptr, size_t size) { (void)user; return realloc(ptr, size); }
static void libc_free(void *user, void *ptr) { (void)user; free(ptr); }

static mw_allocator current = { libc_alloc, libc_realloc, libc_free, NULL };

void mw_set_allocator(const mw_allocator *allocator)
{
    if (allocator && allocator->alloc && allocator->realloc && allocator->free)
        current = *allocator;
    else
        current = (mw_allocator){ libc_alloc, libc_realloc, libc_free, NULL };
}

void *mw_alloc(size_t size) { return current.alloc(current.user, size ? size : 1); }

void *mw_calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = mw_alloc(count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

void *mw_realloc(void *ptr, size_t size)
{
    if (!ptr)
        return mw_alloc(size);
    return current.realloc(current.user, ptr, size ? size : 1);
}

void mw_free(void *ptr)
{
    if (ptr)
        current.free(current.user, ptr);
}

char *mw_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = mw_alloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}
