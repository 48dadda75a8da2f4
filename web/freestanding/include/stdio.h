/* stdio.h — formatting only (no streams) for the freestanding wasm64 build (libc.c):
 * %d %i %u %x %c %s %% with l/ll/z prefixes, field width, zero padding and precision,
 * and %g/%f/%e for doubles (see libc.c for their precision). */
#ifndef MW_FS_STDIO_H
#define MW_FS_STDIO_H
#include <stdarg.h>
#include <stddef.h>

int snprintf(char *restrict buf, size_t cap, const char *restrict fmt, ...);
int vsnprintf(char *restrict buf, size_t cap, const char *restrict fmt, va_list ap);

#endif
