/*
 * tiny_llama.h — a one-layer F32 llama GGUF of any n_embd / n_ff, produced as a byte stream
 * (mw_read_fn) rather than a file: the header from memory, then zeros with a marker float at
 * both ends of every tensor. For tests of sizes no file on disk should have (2 GiB of weights,
 * n_ff = 2^20). Test-only.
 */
#ifndef MW_TEST_TINY_LLAMA_H
#define MW_TEST_TINY_LLAMA_H

#include "gguf_build.h"
#include "mw.h"

#define TINY_VOCAB 8
#define TINY_TENSORS 11

typedef struct tiny_llama {
    gb header;              /* header bytes, padded to the data section */
    uint64_t off[TINY_TENSORS], bytes[TINY_TENSORS];
    uint64_t pos, size;     /* stream position, total size */
} tiny_llama;

static inline void tiny_tensor(tiny_llama *s, int i, const char *name, uint64_t ne0, uint64_t ne1,
                               uint64_t *data_end)
{
    const uint64_t ne[2] = { ne0, ne1 };
    s->off[i] = *data_end;
    s->bytes[i] = ne0 * ne1 * 4;
    gb_tensor(&s->header, name, ne1 > 1 ? 2 : 1, ne, MW_TYPE_F32, s->off[i]);
    *data_end += s->bytes[i];
}

/* n_embd: a multiple of 2 (one head of n_embd dimensions); n_ctx: its context_length. */
static inline void tiny_llama_build_ctx(tiny_llama *s, uint32_t n_embd, uint32_t n_ff, uint32_t n_ctx)
{
    memset(s, 0, sizeof *s);
    gb *b = &s->header;
    gb_header(b, 3, TINY_TENSORS, 10);
    gb_kv_str(b, "general.architecture", "llama");
    gb_kv_u32(b, "llama.embedding_length", n_embd);
    gb_kv_u32(b, "llama.block_count", 1);
    gb_kv_u32(b, "llama.feed_forward_length", n_ff);
    gb_kv_u32(b, "llama.attention.head_count", 1);
    gb_kv_u32(b, "llama.attention.head_count_kv", 1);
    gb_kv_u32(b, "llama.context_length", n_ctx);
    gb_kv_f32(b, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
    gb_kv_str(b, "tokenizer.ggml.model", "llama");
    static const char *tokens[TINY_VOCAB] = { "<unk>", "<s>", "</s>", "a", "b", "c", "d", "e" };
    gb_str(b, "tokenizer.ggml.tokens");
    gb_u32(b, 9);   /* array */
    gb_u32(b, 8);   /* of strings */
    gb_u64(b, TINY_VOCAB);
    for (int i = 0; i < TINY_VOCAB; i++)
        gb_str(b, tokens[i]);
    uint64_t end = 0;
    int i = 0;
    tiny_tensor(s, i++, "token_embd.weight", n_embd, TINY_VOCAB, &end);
    tiny_tensor(s, i++, "output_norm.weight", n_embd, 1, &end);
    tiny_tensor(s, i++, "blk.0.attn_norm.weight", n_embd, 1, &end);
    tiny_tensor(s, i++, "blk.0.attn_q.weight", n_embd, n_embd, &end);
    tiny_tensor(s, i++, "blk.0.attn_k.weight", n_embd, n_embd, &end);
    tiny_tensor(s, i++, "blk.0.attn_v.weight", n_embd, n_embd, &end);
    tiny_tensor(s, i++, "blk.0.attn_output.weight", n_embd, n_embd, &end);
    tiny_tensor(s, i++, "blk.0.ffn_norm.weight", n_embd, 1, &end);
    tiny_tensor(s, i++, "blk.0.ffn_gate.weight", n_embd, n_ff, &end);
    tiny_tensor(s, i++, "blk.0.ffn_up.weight", n_embd, n_ff, &end);
    tiny_tensor(s, i++, "blk.0.ffn_down.weight", n_ff, n_embd, &end);
    gb_pad(b, 32);
    s->size = b->len + end;
}

static inline void tiny_llama_build(tiny_llama *s, uint32_t n_embd, uint32_t n_ff)
{
    tiny_llama_build_ctx(s, n_embd, n_ff, 64);
}

static inline float tiny_marker(int i, int last) { return (float)(i + 1) + (last ? 0.5f : 0.0f); }

/* mw_read_fn over a tiny_llama (user): header, then zeros with the markers. */
static inline int64_t tiny_llama_read(void *user, void *dst, size_t cap)
{
    tiny_llama *s = user;
    uint8_t *out = dst;
    size_t n = (size_t)MW_GB_MIN((uint64_t)cap, s->size - s->pos);
    const uint64_t start = s->pos, end = s->pos + n, data = s->header.len;
    if (start < data)
        memcpy(out, s->header.p + start, (size_t)(MW_GB_MIN(end, data) - start));
    if (end > data) {
        const uint64_t a = start > data ? start : data;
        memset(out + (a - start), 0, (size_t)(end - a));
        for (int i = 0; i < TINY_TENSORS; i++)
            for (int last = 0; last < 2; last++) {
                const uint64_t at = data + s->off[i] + (last ? s->bytes[i] - 4 : 0);
                float f = tiny_marker(i, last);
                for (int k = 0; k < 4; k++)
                    if (at + k >= start && at + k < end)
                        out[at + k - start] = ((const uint8_t *)&f)[k];
            }
    }
    s->pos = end;
    return (int64_t)n;
}

#endif
