/*
 * fuzz_gguf.c — libFuzzer target for mw_gguf_parse on arbitrary bytes. Beyond "no crash" it
 * checks properties: every error has a message; a parsed header is self-consistent (each key
 * and tensor found by name, tensors inside data_size, strings NUL-terminated at their length,
 * data_offset aligned); and a proper prefix of a parseable header is TRUNCATED, never another
 * error, while a prefix of a bad header fails the same way or asks for more bytes.
 */
#include "fuzz_common.h"
#include "gguf.h"

static void check_parsed(const mw_gguf *g, size_t size)
{
    FUZZ_CHECK(g->alignment && !(g->alignment & (g->alignment - 1)));
    FUZZ_CHECK(g->data_offset % g->alignment == 0 && g->data_offset <= size + g->alignment);
    for (uint64_t i = 0; i < g->n_kv; i++) {
        const mw_gguf_kv *kv = &g->kv[i];
        FUZZ_CHECK(mw_gguf_find(g, kv->key) == kv);
        int64_t iv;
        double fv;
        const char *sv;
        uint32_t at;
        uint64_t n;
        const void *arr;
        /* exactly one family of getters accepts each type; the others fail with a message */
        int r = mw_gguf_get_int(g, kv->key, &iv);
        FUZZ_CHECK(r == 1 || (r < 0 && mw_last_error()[0]));
        r = mw_gguf_get_float(g, kv->key, &fv);
        FUZZ_CHECK(r == 1 || r < 0);
        if (mw_gguf_get_str(g, kv->key, &sv) == 1)
            FUZZ_CHECK(strlen(sv) <= kv->v.str.len && sv[kv->v.str.len] == '\0');
        if (mw_gguf_get_arr(g, kv->key, &at, &n, &arr) == 1 && at == 8) {
            const mw_gguf_str *s = arr;
            for (uint64_t k = 0; k < n; k++)
                FUZZ_CHECK(s[k].ptr[s[k].len] == '\0');
        }
    }
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        const mw_gguf_tensor *t = &g->tensors[i];
        FUZZ_CHECK(mw_gguf_find_tensor(g, t->name) == t);
        FUZZ_CHECK(t->n_dims >= 1 && t->n_dims <= 4 && t->nbytes > 0);
        FUZZ_CHECK(t->offset + t->nbytes <= g->data_size && t->offset % g->alignment == 0);
        for (int d = 0; d < 4; d++)
            FUZZ_CHECK(t->ne[d] >= 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mw_gguf *g = NULL;
    mw_status st = mw_gguf_parse(data, size, &g);
    FUZZ_CHECK((st == MW_OK) == (g != NULL));
    FUZZ_CHECK_ERROR(st);
    if (g)
        check_parsed(g, size);
    /* a prefix: cut at a point chosen from the input */
    size_t cut = size ? fuzz_hash(data, size) % size : 0;
    mw_gguf *gp = NULL;
    mw_status sp = mw_gguf_parse(data, cut, &gp);
    FUZZ_CHECK((sp == MW_OK) == (gp != NULL));
    if (st == MW_OK)
        FUZZ_CHECK(sp == MW_OK || sp == MW_ERR_TRUNCATED);
    else
        FUZZ_CHECK(sp == st || sp == MW_ERR_TRUNCATED);
    if (gp && g)
        FUZZ_CHECK(gp->data_offset == g->data_offset && gp->data_size == g->data_size);
    mw_gguf_free(gp);
    mw_gguf_free(g);
    return 0;
}
