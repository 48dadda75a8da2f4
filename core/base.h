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

#define MW_MIN(a, b) ((a) < (b) ? (a) : (b))
#define MW_MAX(a, b) ((a) > (b) ? (a) : (b))

#endif
