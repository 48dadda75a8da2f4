/*
 * base.h — what every core file shares: the allocation hook, error reporting, small helpers.
 *
 * Allocation goes through mw_alloc / mw_realloc / mw_free only (never malloc directly), so a
 * test allocator can fail any one of them. Errors are reported with mw_fail(), which records
 * a formatted message for mw_last_error() and returns the status, so a failing path reads
 * `return mw_fail(MW_ERR_BAD_FORMAT, "tensor %s: offset %llu past end", name, off);`.
 * The formatter is our own (no stdio): %s %d %i %u %x %c %% with the l/ll/z size prefixes.
 */
#ifndef MW_BASE_H
#define MW_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mw.h"

/* mw_alloc, mw_free and mw_fail are declared in mw.h (bindings use them too) */
void *mw_calloc(size_t count, size_t size); /* zeroed; NULL on overflow */
void *mw_realloc(void *ptr, size_t size);
char *mw_strdup(const char *s);

/* Log a note through the user's log callback (no-op when none is set). */
void mw_log(int level, const char *fmt, ...);
/* Format into buf (always NUL-terminated); returns the length written. */
size_t mw_vformat(char *buf, size_t cap, const char *fmt, va_list ap);
size_t mw_format(char *buf, size_t cap, const char *fmt, ...);

/* a * b into *out when the product is at most limit; false (out untouched) when it is not.
 * Callers size buffers with limit = SIZE_MAX (mw_mul_size); tests pass UINT32_MAX to see
 * wasm32's overflows on a 64-bit host. */
static inline bool mw_mul_limit(uint64_t a, uint64_t b, uint64_t limit, uint64_t *out)
{
    if (a && b > limit / a)
        return false;
    *out = a * b;
    return true;
}

/* a * b as a size_t; false when it does not fit this platform's size_t (wasm32: 4 GiB). */
static inline bool mw_mul_size(uint64_t a, uint64_t b, size_t *out)
{
    uint64_t v;
    if (!mw_mul_limit(a, b, (uint64_t)SIZE_MAX, &v))
        return false;
    *out = (size_t)v;
    return true;
}

#define MW_MIN(a, b) ((a) < (b) ? (a) : (b))
#define MW_MAX(a, b) ((a) > (b) ? (a) : (b))

#endif
