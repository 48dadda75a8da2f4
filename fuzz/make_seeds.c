/*
 * make_seeds.c — writes the starting corpus for the GGUF fuzzers: small well-formed GGUFs that
 * reach deep into the parser and the model binder (a complete 1-layer llama with a 16-token
 * vocabulary in F32, Q4_0, Q8_0 and F16; a 2-expert MoE; a vocabulary-only file; every value
 * type), plus a few near-misses. Run by tools/fuzz.sh seeds; not part of the library build.
 *   cc -Itests -o make_seeds fuzz/make_seeds.c && ./make_seeds fuzz/corpus/gguf
 */
#include <stdio.h>

#include "gguf_build.h"

static const char *dir;

static void save(const char *name, const gb *b)
{
    char path[512];
    snprintf(path, sizeof path, "%s/seed-%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b->p, 1, b->len, f) != b->len) {
        perror(path);
        exit(1);
    }
    fclose(f);
}

#define N_VOCAB 16
static const char *vocab[N_VOCAB] = {
    "<unk>", "<s>", "</s>", "<0x0A>", "<0x41>", "\xe2\x96\x81", "a", "b",
    "\xe2\x96\x81" "a", "ab", "\xe2\x96\x81" "ab", "[INST]", "[/INST]", "c", "\xc3\xa9", "\xe2\x96\x81" "b"
};

static void vocab_kvs(gb *b)
{
    gb_kv_str(b, "tokenizer.ggml.model", "llama");
    gb_str(b, "tokenizer.ggml.tokens"); gb_u32(b, 9); gb_u32(b, 8); gb_u64(b, N_VOCAB);
    for (int i = 0; i < N_VOCAB; i++)
        gb_str(b, vocab[i]);
    gb_str(b, "tokenizer.ggml.scores"); gb_u32(b, 9); gb_u32(b, 6); gb_u64(b, N_VOCAB);
    for (int i = 0; i < N_VOCAB; i++) {
        float s = -(float)i;
        uint32_t u;
        memcpy(&u, &s, 4);
        gb_u32(b, u);
    }
    gb_str(b, "tokenizer.ggml.token_type"); gb_u32(b, 9); gb_u32(b, 5); gb_u64(b, N_VOCAB);
    for (int i = 0; i < N_VOCAB; i++)
        gb_u32(b, i == 0 ? 2 : i < 3 || i == 11 || i == 12 ? 3 : i < 5 ? 6 : 1);
    gb_kv_u32(b, "tokenizer.ggml.bos_token_id", 1);
    gb_kv_u32(b, "tokenizer.ggml.eos_token_id", 2);
    gb_kv_u32(b, "tokenizer.ggml.unknown_token_id", 0);
    gb_str(b, "tokenizer.ggml.add_bos_token"); gb_u32(b, 7); gb_le(b, 1, 1);
}

typedef struct tinfo { char name[48]; uint32_t n_dims; uint64_t ne[3]; uint32_t type; } tinfo;

static uint64_t nbytes(const tinfo *t)
{
    uint64_t n = t->ne[0] * (t->n_dims > 1 ? t->ne[1] : 1) * (t->n_dims > 2 ? t->ne[2] : 1);
    switch (t->type) {
    case 0: return n * 4;
    case 1: return n * 2;
    case 2: return n / 32 * 18;
    case 8: return n / 32 * 34;
    default: return 0;
    }
}

/* A 1-layer llama: n_embd 32, 2 heads of 16, 1 kv head, n_ff 64; n_expert 0 = dense. */
static gb tiny_model(uint32_t wtype, int n_expert)
{
    tinfo t[32];
    int n = 0;
#define T(nm, d, a, b_, c, ty) do { snprintf(t[n].name, sizeof t[n].name, "%s", nm); t[n].n_dims = d; \
    t[n].ne[0] = a; t[n].ne[1] = b_; t[n].ne[2] = c; t[n].type = ty; n++; } while (0)
    T("token_embd.weight", 2, 32, N_VOCAB, 1, wtype);
    T("output_norm.weight", 1, 32, 1, 1, 0);
    T("output.weight", 2, 32, N_VOCAB, 1, wtype);
    T("blk.0.attn_norm.weight", 1, 32, 1, 1, 0);
    T("blk.0.attn_q.weight", 2, 32, 32, 1, wtype);
    T("blk.0.attn_k.weight", 2, 32, 16, 1, wtype);
    T("blk.0.attn_v.weight", 2, 32, 16, 1, wtype);
    T("blk.0.attn_output.weight", 2, 32, 32, 1, wtype);
    T("blk.0.ffn_norm.weight", 1, 32, 1, 1, 0);
    if (!n_expert) {
        T("blk.0.ffn_gate.weight", 2, 32, 64, 1, wtype);
        T("blk.0.ffn_up.weight", 2, 32, 64, 1, wtype);
        T("blk.0.ffn_down.weight", 2, 64, 32, 1, wtype);
    } else {
        T("blk.0.ffn_gate_inp.weight", 2, 32, (uint64_t)n_expert, 1, 0);
        T("blk.0.ffn_gate_exps.weight", 3, 32, 64, (uint64_t)n_expert, wtype);
        T("blk.0.ffn_up_exps.weight", 3, 32, 64, (uint64_t)n_expert, wtype);
        T("blk.0.ffn_down_exps.weight", 3, 64, 32, (uint64_t)n_expert, wtype);
    }
#undef T
    gb b = { 0 };
    int n_kv = 7 + 8 + (n_expert ? 2 : 0);
    gb_header(&b, 3, (uint64_t)n, (uint64_t)n_kv);
    gb_kv_str(&b, "general.architecture", "llama");
    gb_kv_u32(&b, "llama.embedding_length", 32);
    gb_kv_u32(&b, "llama.block_count", 1);
    gb_kv_u32(&b, "llama.feed_forward_length", 64);
    gb_kv_u32(&b, "llama.attention.head_count", 2);
    gb_kv_u32(&b, "llama.attention.head_count_kv", 1);
    gb_kv_f32(&b, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
    if (n_expert) {
        gb_kv_u32(&b, "llama.expert_count", (uint32_t)n_expert);
        gb_kv_u32(&b, "llama.expert_used_count", 1);
    }
    vocab_kvs(&b);
    uint64_t off = 0;
    for (int i = 0; i < n; i++) {
        gb_tensor(&b, t[i].name, t[i].n_dims, t[i].ne, t[i].type, off);
        off += (nbytes(&t[i]) + 31) / 32 * 32;
    }
    gb_pad(&b, 32);
    /* small deterministic values: for F32 tensors floats near 0.01, else plain bytes with
     * valid f16 scales (0x2000 ~ 0.0078) at the start of each quant block */
    for (int i = 0; i < n; i++) {
        uint64_t nb = nbytes(&t[i]);
        size_t start = b.len;
        for (uint64_t k = 0; k < nb; k += 4) {
            if (t[i].type == 0) {
                float v = 0.01f * (float)((k / 4) % 7) - 0.03f;
                uint32_t u;
                memcpy(&u, &v, 4);
                gb_u32(&b, u);
            } else {
                gb_u32(&b, 0x20002000u);
            }
        }
        b.len = start + nb;   /* drop a partial last word */
        gb_pad(&b, 32);
    }
    return b;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_seeds DIR\n");
        return 2;
    }
    dir = argv[1];
    gb b = gb_minimal();
    save("minimal", &b);
    free(b.p);

    b = tiny_model(0, 0); save("tiny-f32", &b); free(b.p);
    b = tiny_model(2, 0); save("tiny-q4_0", &b); free(b.p);
    b = tiny_model(8, 0); save("tiny-q8_0", &b); free(b.p);
    b = tiny_model(1, 0); save("tiny-f16", &b); free(b.p);
    b = tiny_model(2, 2); save("tiny-moe-q4_0", &b); free(b.p);

    /* vocabulary only */
    b = (gb){ 0 };
    gb_header(&b, 3, 0, 9);
    gb_kv_str(&b, "general.architecture", "llama");
    vocab_kvs(&b);
    save("vocab", &b);
    free(b.p);

    /* every value type, arrays of each, version 2 */
    b = (gb){ 0 };
    gb_header(&b, 2, 0, 13 + 11);
    static const int sizes[13] = { 1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8 };
    for (uint32_t t = 0; t < 13; t++) {
        char key[32];
        snprintf(key, sizeof key, "k.%u", t);
        gb_str(&b, key);
        if (t == 9) {   /* array of 3 uint16 */
            gb_u32(&b, 9); gb_u32(&b, 2); gb_u64(&b, 3); gb_le(&b, 0x000100020003ULL, 6);
        } else if (t == 8) {
            gb_u32(&b, 8); gb_str(&b, "str");
        } else {
            gb_u32(&b, t); gb_le(&b, 0x4142434445464748ULL, sizes[t]);
        }
    }
    for (uint32_t t = 0; t < 13; t++) {
        if (t == 8 || t == 9)
            continue;
        char key[32];
        snprintf(key, sizeof key, "a.%u", t);
        gb_str(&b, key); gb_u32(&b, 9); gb_u32(&b, t); gb_u64(&b, 2);
        gb_le(&b, 0x0102030405060708ULL, sizes[t]);
        gb_le(&b, 0x1112131415161718ULL, sizes[t]);
    }
    gb_str(&b, "a.str"); gb_u32(&b, 9); gb_u32(&b, 8); gb_u64(&b, 2); gb_str(&b, ""); gb_str(&b, "x");
    save("types", &b);
    free(b.p);

    /* near misses: bad alignment, 4-D tensor, duplicate name */
    b = (gb){ 0 };
    gb_header(&b, 3, 2, 1);
    gb_kv_u32(&b, "general.alignment", 64);
    gb_tensor(&b, "x", 4, (uint64_t[]){ 32, 2, 2, 2 }, 8, 0);
    gb_tensor(&b, "x", 1, (uint64_t[]){ 256 }, 12, 320);
    save("dup-4d", &b);
    free(b.p);
    return 0;
}
