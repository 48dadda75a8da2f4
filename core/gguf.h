/*
 * gguf.h — GGUF v2/v3 reader (the container format of llama.cpp models).
 *
 * The file format, in order:
 *   1. magic "GGUF" (4 bytes), version u32 (2 or 3), n_tensors u64, n_kv u64
 *   2. n_kv key/value pairs: key (u64 length + bytes), value type u32, value
 *      (scalars; strings as u64 length + bytes; arrays as element type u32 + count u64 + elements)
 *   3. n_tensors tensor infos: name (string), n_dims u32 (1..4), ne[n_dims] u64, type u32,
 *      offset u64 (relative to the data section, a multiple of the alignment)
 *   4. padding to `general.alignment` (default 32), then the data section.
 * Everything little-endian. mw_gguf_parse() validates every count, length, type, dimension,
 * offset and size before use; a malformed header gives MW_ERR_BAD_FORMAT naming what is wrong.
 */
#ifndef MW_GGUF_H
#define MW_GGUF_H

#include "base.h"

enum mw_gguf_type {
    MW_GGUF_UINT8 = 0, MW_GGUF_INT8 = 1, MW_GGUF_UINT16 = 2, MW_GGUF_INT16 = 3,
    MW_GGUF_UINT32 = 4, MW_GGUF_INT32 = 5, MW_GGUF_FLOAT32 = 6, MW_GGUF_BOOL = 7,
    MW_GGUF_STRING = 8, MW_GGUF_ARRAY = 9, MW_GGUF_UINT64 = 10, MW_GGUF_INT64 = 11,
    MW_GGUF_FLOAT64 = 12
};

typedef struct mw_gguf_str {
    const char *ptr;   /* NUL-terminated copy owned by the mw_gguf */
    uint64_t len;      /* bytes, excluding the NUL */
} mw_gguf_str;

typedef struct mw_gguf_kv {
    const char *key;
    uint32_t type;             /* enum mw_gguf_type */
    uint32_t arr_type;         /* element type when type == ARRAY */
    uint64_t arr_n;            /* element count when type == ARRAY */
    union {
        uint64_t u64;          /* all unsigned integer types and BOOL, widened */
        int64_t i64;           /* all signed integer types, widened */
        double f64;            /* FLOAT32 / FLOAT64, widened */
        mw_gguf_str str;
        const void *arr;       /* ARRAY: elements packed in their native C type (uint8_t, int32_t,
                                  float, ...; BOOL as uint8_t); STRING arrays as mw_gguf_str[] */
    } v;
} mw_gguf_kv;

typedef struct mw_gguf_tensor {
    const char *name;
    uint32_t n_dims;
    int64_t ne[4];             /* ne[0] = row length (innermost); unused dims = 1 */
    int32_t type;              /* MW_TYPE_* */
    uint64_t offset;           /* from the start of the data section */
    uint64_t nbytes;           /* validated: ne[0] a multiple of the block size, fits the data */
} mw_gguf_tensor;

typedef struct mw_gguf {
    uint32_t version;
    uint64_t n_kv, n_tensors;
    mw_gguf_kv *kv;
    mw_gguf_tensor *tensors;
    uint64_t alignment;
    uint64_t data_offset;      /* file offset where the data section starts */
    uint64_t data_size;        /* bytes of data section the tensors need (max offset + nbytes) */
    /* private: arena for strings and arrays */
    void *arena;
} mw_gguf;

/* Parse a GGUF header from the first len bytes of a file.
 * Returns MW_OK with *out set; MW_ERR_TRUNCATED when the header continues past len (more bytes
 * are needed: a streaming caller feeds more and retries); MW_ERR_BAD_FORMAT / MW_ERR_UNSUPPORTED
 * with a message for anything wrong. Nothing is allocated on failure. */
mw_status mw_gguf_parse(const uint8_t *buf, size_t len, mw_gguf **out);
void mw_gguf_free(mw_gguf *g);

/* Bytes in the file of one scalar value of a type; 0 for STRING / ARRAY / unknown. */
size_t mw_gguf_scalar_size(uint32_t type);

const mw_gguf_kv *mw_gguf_find(const mw_gguf *g, const char *key);
/* Typed getters: return 1 and set *out when the key exists with a compatible type, 0 when the
 * key is absent, and a negative mw_status (message set) when it exists with another type. */
int mw_gguf_get_int(const mw_gguf *g, const char *key, int64_t *out);   /* any integer or bool */
int mw_gguf_get_float(const mw_gguf *g, const char *key, double *out);  /* float or integer */
int mw_gguf_get_str(const mw_gguf *g, const char *key, const char **out);
int mw_gguf_get_arr(const mw_gguf *g, const char *key, uint32_t *arr_type, uint64_t *n,
                    const void **data);
const mw_gguf_tensor *mw_gguf_find_tensor(const mw_gguf *g, const char *name);

#endif
