/*
 * test_big_model.c — a model whose tensor data passes 2 GiB loads on wasm32.
 *
 * Emscripten's malloc (dlmalloc over a signed sbrk) cannot grow the heap by 2 GiB or more in one
 * step: a single 2.25 GiB allocation fails with memory to spare (a fresh malloc(2049 MiB) returns
 * NULL under Node with MAXIMUM_MEMORY=4GB). The loader holds tensor data in blocks of at most
 * MW_DATA_BLOCK_MAX (tensor_data.h), so a 3 GiB 7B model loads. The model here is a one-layer
 * llama with n_ff = 3 Mi, all F32: three 768 MiB FFN tensors, 2.25 GiB of data, streamed from a
 * read callback that writes zeros plus a marker at both ends of every tensor (tiny_llama.h, no
 * file on disk). Natively the same model is built with n_ff = 3 Ki (the data path, not the size).
 */
#include "harness.h"
#include "model.h"
#include "tiny_llama.h"

#ifdef __EMSCRIPTEN__
#define N_FF ((uint32_t)3 << 20)
#else
#define N_FF ((uint32_t)3 << 10)
#endif

static uint64_t memory_bytes(void)
{
#ifdef __wasm__
    return (uint64_t)__builtin_wasm_memory_size(0) << 16;
#else
    return 0;
#endif
}

int main(void)
{
    static tiny_llama s;
    tiny_llama_build(&s, 64, N_FF);
    const uint64_t data_bytes = s.size - s.header.len;
    const uint64_t before = memory_bytes();
    mw_model *m = NULL;
    mw_status st = mw_model_open_reader(tiny_llama_read, &s, NULL, &m);
    const uint64_t after = memory_bytes();
    CHECK_MSG(st == MW_OK && m, "load %llu MiB of tensor data: %s", (unsigned long long)(data_bytes >> 20),
              mw_last_error());
    CHECK(s.pos == s.size);
    if (m) {
        CHECK(m->info.n_ff == (int32_t)N_FF && m->info.weight_bytes == data_bytes);
        /* every tensor's two markers where they belong: no block misplaced */
        int ok = 1;
        for (int i = 0; i < TINY_TENSORS; i++) {
            const mw_gguf_tensor *t = &m->gguf->tensors[i];
            const uint8_t *p = mw_data_at(&m->data, t->offset, t->nbytes);
            float first = 0, last = 0;
            if (p) {
                memcpy(&first, p, 4);
                memcpy(&last, p + t->nbytes - 4, 4);
            }
            if (!p || first != tiny_marker(i, 0) || last != tiny_marker(i, 1)) {
                fprintf(stderr, "tensor %s: markers %g %g\n", t->name, first, last);
                ok = 0;
            }
        }
        CHECK(ok);
        uint64_t largest = 0;
        for (size_t i = 0; i < m->data.n_blocks; i++)
            largest = MW_MAX(largest, m->data.blocks[i].size);
        printf("%llu MiB of tensor data in %zu blocks (largest %llu MiB)\n",
               (unsigned long long)(data_bytes >> 20), m->data.n_blocks,
               (unsigned long long)(largest >> 20));
        CHECK(largest < ((uint64_t)1 << 31));
    }
    if (after)
        printf("linear memory %llu MiB before loading, %llu MiB after\n",
               (unsigned long long)(before >> 20), (unsigned long long)(after >> 20));
    /* the weights are held once: growth is the data plus a little */
    CHECK(after - before <= data_bytes + ((uint64_t)64 << 20));
    mw_model_free(m);
    free(s.header.p);
    return TEST_REPORT();
}
