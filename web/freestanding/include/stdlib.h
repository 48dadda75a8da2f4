/* stdlib.h — the freestanding wasm64 build's allocator (malloc.c) and qsort (libc.c). */
#ifndef MW_FS_STDLIB_H
#define MW_FS_STDLIB_H
#include <stddef.h>

void *malloc(size_t size);
void *calloc(size_t count, size_t size);
void *realloc(void *ptr, size_t size);
void free(void *ptr);
void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
int abs(int x);

#endif
