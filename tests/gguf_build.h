/*
 * gguf_build.h — a tiny GGUF writer for tests and fuzz seeds: append header fields one by one
 * (so a test can write exactly the malformed field it wants), then padding and data.
 * Also field locators for corrupting a real file in place. Test-only (uses malloc/stdio).
 */
#ifndef MW_TEST_GGUF_BUILD_H
#define MW_TEST_GGUF_BUILD_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MW_GB_MIN(a, b) ((a) < (b) ? (a) : (b))

typedef struct gb {
    uint8_t *p;
    size_t len, cap;
} gb;

static inline void gb_bytes(gb *b, const void *src, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static inline void gb_le(gb *b, uint64_t v, int n)
{
    uint8_t t[8];
    for (int i = 0; i < n; i++)
        t[i] = (uint8_t)(v >> (8 * i));
    gb_bytes(b, t, (size_t)n);
}

static inline void gb_u32(gb *b, uint32_t v) { gb_le(b, v, 4); }
static inline void gb_u64(gb *b, uint64_t v) { gb_le(b, v, 8); }
static inline void gb_str(gb *b, const char *s) { gb_u64(b, strlen(s)); gb_bytes(b, s, strlen(s)); }

static inline void gb_header(gb *b, uint32_t version, uint64_t n_tensors, uint64_t n_kv)
{
    gb_bytes(b, "GGUF", 4);
    gb_u32(b, version);
    gb_u64(b, n_tensors);
    gb_u64(b, n_kv);
}

static inline void gb_kv_u32(gb *b, const char *key, uint32_t v) { gb_str(b, key); gb_u32(b, 4); gb_u32(b, v); }
static inline void gb_kv_f32(gb *b, const char *key, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    gb_str(b, key); gb_u32(b, 6); gb_u32(b, u);
}
static inline void gb_kv_str(gb *b, const char *key, const char *v) { gb_str(b, key); gb_u32(b, 8); gb_str(b, v); }

/* tensor info with up to 4 dims */
static inline void gb_tensor(gb *b, const char *name, uint32_t n_dims, const uint64_t *ne,
                             uint32_t type, uint64_t offset)
{
    gb_str(b, name);
    gb_u32(b, n_dims);
    for (uint32_t i = 0; i < n_dims; i++)
        gb_u64(b, ne[i]);
    gb_u32(b, type);
    gb_u64(b, offset);
}

static inline void gb_pad(gb *b, size_t align)
{
    static const uint8_t zero[64];
    while (b->len % align)
        gb_bytes(b, zero, MW_GB_MIN(align - b->len % align, sizeof zero));
}

/* A minimal valid GGUF v3: two kvs, one F32 tensor "t" of 8 values = 32 data bytes (0..31)
 * at data offset 160 (135 header bytes, padded). */
static inline gb gb_minimal(void)
{
    gb b = { 0 };
    gb_header(&b, 3, 1, 2);
    gb_kv_str(&b, "general.architecture", "llama");
    gb_kv_u32(&b, "general.alignment", 32);
    uint64_t ne[1] = { 8 };
    gb_tensor(&b, "t", 1, ne, 0, 0);
    gb_pad(&b, 32);
    for (int i = 0; i < 32; i++) {
        uint8_t v = (uint8_t)i;
        gb_bytes(&b, &v, 1);
    }
    return b;
}

/* Offset of the first occurrence of a GGUF string (u64 length + bytes) equal to s, or -1. */
static inline long gb_find_str(const uint8_t *buf, size_t len, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i + 8 + n <= len; i++) {
        uint64_t l = 0;
        for (int k = 7; k >= 0; k--)
            l = l << 8 | buf[i + k];
        if (l == n && memcmp(buf + i + 8, s, n) == 0)
            return (long)i;
    }
    return -1;
}

static inline void gb_put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t gb_get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

#endif
