/*
 * fuzz_loader.c — libFuzzer target for model loading through every byte source: the memory
 * source (copied and borrowed), the push loader fed in chunks of input-derived random sizes,
 * and the read callback with short reads. Differential property: all sources agree on the
 * status, and on success hold identical tensor bytes (a borrowed model: the input's own). Loaded models are queried (info,
 * tensor listing) and freed. A 64 MiB weight budget keeps absurd sizes from allocating.
 */
#include <stdlib.h>

#include "fuzz_common.h"
#include "gguf.h"
#include "model.h"

typedef struct src { const uint8_t *p; size_t size, pos; uint32_t rng; } src;

static int64_t read_short(void *user, void *dst, size_t cap)
{
    src *s = user;
    size_t n = fuzz_next(&s->rng) % 4097;
    n = n < cap ? n : cap;
    n = n < s->size - s->pos ? n : s->size - s->pos;
    if (n == 0 && s->pos < s->size)
        n = 1;
    memcpy(dst, s->p + s->pos, n);
    s->pos += n;
    return (int64_t)n;
}

static void use_model(const mw_model *m)
{
    mw_model_info info;
    FUZZ_CHECK(mw_model_get_info(m, &info) == MW_OK);
    int32_t n = mw_model_tensor_count(m);
    for (int32_t i = 0; i < n; i++) {
        const char *name;
        int32_t type;
        int64_t ne[4];
        uint64_t bytes;
        FUZZ_CHECK(mw_model_tensor_info(m, i, &name, &type, ne, &bytes) == MW_OK);
    }
}

/* Two models hold the same tensor bytes. Models that own their data may have repacked weights
 * for the kernels (the same way for every owned copy); borrowed data is never written, so it
 * is compared with the input itself. */
static int same_bytes(const mw_model *a, const mw_model *b, const uint8_t *input)
{
    uint64_t n = a->gguf->data_size;
    if (n != b->gguf->data_size)
        return 0;
    if (n == 0)
        return 1;
    if (a->owns_data != b->owns_data) {
        /* the borrowed one points into the input itself */
        const mw_data *d = a->owns_data ? &b->data : &a->data;
        return d->n_blocks == 0 || d->blocks[0].ptr == input + a->gguf->data_offset + d->blocks[0].start;
    }
    uint8_t *x = calloc(1, (size_t)n), *y = calloc(1, (size_t)n);
    int same = 0;
    if (x && y) {
        mw_data_copy_out(&a->data, x);
        mw_data_copy_out(&b->data, y);
        same = memcmp(x, y, (size_t)n) == 0;
    }
    free(x);
    free(y);
    return same;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mw_model_params p = mw_model_params_default();
    p.memory_limit = ((uint64_t)64 << 20) + MW_MEMORY_RESERVE;   /* 64 MiB for weights + session */

    mw_model *mem = NULL;
    mw_status st = mw_model_open_memory(data, size, &p, &mem);
    FUZZ_CHECK_ERROR(st);
    FUZZ_CHECK((st == MW_OK) == (mem != NULL));
    if (mem)
        use_model(mem);

    p.borrow_memory = 1;
    mw_model *bor = NULL;
    mw_status sb = mw_model_open_memory(data, size, &p, &bor);
    FUZZ_CHECK(sb == st);
    if (bor)
        FUZZ_CHECK(same_bytes(mem, bor, data));
    mw_model_free(bor);
    p.borrow_memory = 0;

    /* push loader, chunk sizes from 1 byte to 64 KiB */
    uint32_t rng = fuzz_hash(data, size) | 1;
    mw_loader *l = NULL;
    FUZZ_CHECK(mw_loader_create(&p, &l) == MW_OK);
    mw_status sf = MW_OK;
    int ready = 0;
    for (size_t off = 0; off < size && sf == MW_OK;) {
        size_t n = (size_t)1 << (fuzz_next(&rng) % 17);
        n = fuzz_next(&rng) % n + 1;
        n = n < size - off ? n : size - off;
        sf = mw_loader_feed(l, data + off, n);
        off += n;
        /* once ready, the header stays ready and reports the same size */
        uint64_t fs;
        int r = mw_loader_header_ready(l, &fs);
        FUZZ_CHECK(r >= ready);
        ready = r;
        if (r) {
            mw_model_info info;
            mw_status si = mw_loader_get_info(l, &info);
            FUZZ_CHECK_ERROR(si);
        }
    }
    mw_model *push = NULL;
    mw_status sp = mw_loader_finish(l, &push);
    FUZZ_CHECK(sf == MW_OK || sp == sf);
    FUZZ_CHECK(sp == st);
    if (push)
        FUZZ_CHECK(same_bytes(mem, push, data));
    mw_model_free(push);

    src s = { data, size, 0, rng };
    mw_model *rd = NULL;
    mw_status sr = mw_model_open_reader(read_short, &s, &p, &rd);
    FUZZ_CHECK(sr == st);
    if (rd)
        FUZZ_CHECK(same_bytes(mem, rd, data));
    mw_model_free(rd);
    mw_model_free(mem);
    return 0;
}
