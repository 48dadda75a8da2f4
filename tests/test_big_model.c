/*
 * test_big_model.c — a model whose tensor data passes 2 GiB loads on wasm32.
 *
 * Emscripten's malloc (dlmalloc over a signed sbrk) cannot grow the heap by 2 GiB or more in one
 * step: a single 2.25 GiB allocation fails with memory to spare (a fresh malloc(2049 MiB) returns
 * NULL under Node with MAXIMUM_MEMORY=4GB). The loader holds tensor data in blocks of at most
 * MW_DATA_BLOCK_MAX (tensor_data.h), so a 3 GiB 7B model loads. The model here is a one-layer
 * llama with n_ff = 3 Mi, all F32: three 768 MiB FFN tensors, 2.25 GiB of data, streamed from a
 * read callback that writes zeros plus a marker at both ends of every tensor (no file on
 * disk). Natively the same model is built with n_ff = 3 Ki (the data path, not the size).
 */
#include "harness.h"
#include "gguf_build.h"
#include "model.h"

#define N_EMBD 64
#define N_VOCAB 8
#define N_TENSORS 11

#ifdef __EMSCRIPTEN__
#define N_FF ((uint64_t)3 << 20)
#else
#define N_FF ((uint64_t)3 << 10)
#endif

typedef struct big_src {
    gb header;              /* header bytes, padded to the data section */
    uint64_t off[N_TENSORS], bytes[N_TENSORS];
    uint64_t pos, size;     /* file position, total file size */
} big_src;

static void add_tensor(gb *b, big_src *s, int i, const char *name, uint64_t ne0, uint64_t ne1,
                       uint64_t *data_end)
{
    const uint64_t ne[2] = { ne0, ne1 };
    s->off[i] = *data_end;
    s->bytes[i] = ne0 * ne1 * 4;
    gb_tensor(b, name, ne1 > 1 ? 2 : 1, ne, MW_TYPE_F32, s->off[i]);
    *data_end += s->bytes[i];
}

static void build(big_src *s)
{
    memset(s, 0, sizeof *s);
    gb *b = &s->header;
    gb_header(b, 3, N_TENSORS, 10);
    gb_kv_str(b, "general.architecture", "llama");
    gb_kv_u32(b, "llama.embedding_length", N_EMBD);
    gb_kv_u32(b, "llama.block_count", 1);
    gb_kv_u32(b, "llama.feed_forward_length", (uint32_t)N_FF);
    gb_kv_u32(b, "llama.attention.head_count", 1);
    gb_kv_u32(b, "llama.attention.head_count_kv", 1);
    gb_kv_u32(b, "llama.context_length", 64);
    gb_kv_f32(b, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
    gb_kv_str(b, "tokenizer.ggml.model", "llama");
    static const char *tokens[N_VOCAB] = { "<unk>", "<s>", "</s>", "a", "b", "c", "d", "e" };
    gb_str(b, "tokenizer.ggml.tokens");
    gb_u32(b, 9);   /* array */
    gb_u32(b, 8);   /* of strings */
    gb_u64(b, N_VOCAB);
    for (int i = 0; i < N_VOCAB; i++)
        gb_str(b, tokens[i]);
    uint64_t end = 0;
    int i = 0;
    add_tensor(b, s, i++, "token_embd.weight", N_EMBD, N_VOCAB, &end);
    add_tensor(b, s, i++, "output_norm.weight", N_EMBD, 1, &end);
    add_tensor(b, s, i++, "blk.0.attn_norm.weight", N_EMBD, 1, &end);
    add_tensor(b, s, i++, "blk.0.attn_q.weight", N_EMBD, N_EMBD, &end);
    add_tensor(b, s, i++, "blk.0.attn_k.weight", N_EMBD, N_EMBD, &end);
    add_tensor(b, s, i++, "blk.0.attn_v.weight", N_EMBD, N_EMBD, &end);
    add_tensor(b, s, i++, "blk.0.attn_output.weight", N_EMBD, N_EMBD, &end);
    add_tensor(b, s, i++, "blk.0.ffn_norm.weight", N_EMBD, 1, &end);
    add_tensor(b, s, i++, "blk.0.ffn_gate.weight", N_EMBD, N_FF, &end);
    add_tensor(b, s, i++, "blk.0.ffn_up.weight", N_EMBD, N_FF, &end);
    add_tensor(b, s, i++, "blk.0.ffn_down.weight", N_FF, N_EMBD, &end);
    gb_pad(b, 32);
    s->size = b->len + end;
}

static float marker(int i, int last) { return (float)(i + 1) + (last ? 0.5f : 0.0f); }

/* The file byte by byte: header, then zeros with a marker float at both ends of each tensor. */
static int64_t big_read(void *user, void *dst, size_t cap)
{
    big_src *s = user;
    uint8_t *out = dst;
    size_t n = (size_t)MW_MIN((uint64_t)cap, s->size - s->pos);
    const uint64_t start = s->pos, end = s->pos + n, data = s->header.len;
    if (start < data)
        memcpy(out, s->header.p + start, (size_t)(MW_MIN(end, data) - start));
    if (end > data) {
        const uint64_t a = MW_MAX(start, data);
        memset(out + (a - start), 0, (size_t)(end - a));
        for (int i = 0; i < N_TENSORS; i++)
            for (int last = 0; last < 2; last++) {
                const uint64_t at = data + s->off[i] + (last ? s->bytes[i] - 4 : 0);
                float f = marker(i, last);
                for (int k = 0; k < 4; k++)
                    if (at + k >= start && at + k < end)
                        out[at + k - start] = ((const uint8_t *)&f)[k];
            }
    }
    s->pos = end;
    return (int64_t)n;
}

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
    static big_src s;
    build(&s);
    const uint64_t data_bytes = s.size - s.header.len;
    const uint64_t before = memory_bytes();
    mw_model *m = NULL;
    mw_status st = mw_model_open_reader(big_read, &s, NULL, &m);
    const uint64_t after = memory_bytes();
    CHECK_MSG(st == MW_OK && m, "load %llu MiB of tensor data: %s", (unsigned long long)(data_bytes >> 20),
              mw_last_error());
    CHECK(s.pos == s.size);
    if (m) {
        CHECK(m->info.n_ff == (int32_t)N_FF && m->info.weight_bytes == data_bytes);
        /* every tensor's two markers where they belong: no block misplaced */
        int ok = 1;
        for (int i = 0; i < N_TENSORS; i++) {
            const mw_gguf_tensor *t = &m->gguf->tensors[i];
            const uint8_t *p = mw_data_at(&m->data, t->offset, t->nbytes);
            float first = 0, last = 0;
            if (p) {
                memcpy(&first, p, 4);
                memcpy(&last, p + t->nbytes - 4, 4);
            }
            if (!p || first != marker(i, 0) || last != marker(i, 1)) {
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
