/*
 * test_gen_mix.c — the model generator's per-tensor type mix (tools/gen/quant_mix.h) against
 * llama-quantize itself: every tensor of every llama-quantize file in tests/data/reference
 * (Mistral and 8-expert Mixtral shapes; Q2_K ... Q8_0, the _M mixes, F16/BF16) must get the
 * type llama-quantize gave it. Also use_more_bits on a 32-layer model (Mistral 7B's Q4_K_M
 * layers with Q6_K attn_v/ffn_down, as llama.cpp's published Q4_K_M files have them).
 */
#include "harness.h"

#include "gguf.h"
#include "../tools/gen/quant_mix.h"

static const char *files[] = {
    "mistral-s.F16", "mistral-s.BF16", "mistral-s.Q8_0", "mistral-s.Q4_0", "mistral-s.Q4_1",
    "mistral-s.Q5_0", "mistral-s.Q5_1", "mistral-s.Q2_K", "mistral-s.Q3_K_M", "mistral-s.Q4_K_M",
    "mistral-s.Q5_K_M", "mistral-s.Q6_K", "mixtral-s.Q8_0", "mixtral-s.Q4_0", "mixtral-s.Q4_K_M",
    "mistral-v32k.Q4_K_M", "mistral-s.F32", "mixtral-s.F32",
};

static int64_t get_int(const mw_gguf *g, const char *key, int64_t dflt)
{
    int64_t v;
    return mw_gguf_get_int(g, key, &v) == 1 ? v : dflt;
}

static void check_file(const char *stem)
{
    char path[512];
    snprintf(path, sizeof path, "%s/reference/%s.gguf", MW_TEST_DATA, stem);
    size_t size = 0;
    uint8_t *buf = test_read_file(path, &size);
    CHECK_MSG(buf != NULL, "cannot read %s", path);
    if (!buf)
        return;
    mw_gguf *g = NULL;
    CHECK_MSG(mw_gguf_parse(buf, size, &g) == MW_OK, "%s: %s", path, mw_last_error());
    if (g) {
        const gen_ftype *ft = gen_ftype_by_id((int32_t)get_int(g, "general.file_type", -1));
        CHECK_MSG(ft != NULL, "%s: file type not offered by the generator", stem);
        /* the file's name ends in the llama-quantize type name */
        CHECK_MSG(ft && strcmp(strchr(stem, '.') + 1, ft->name) == 0, "%s: ftype %s", stem,
                  ft ? ft->name : "?");
        gen_mix_model m = {
            (int)get_int(g, "llama.block_count", 0), (int)get_int(g, "llama.expert_count", 0),
            (int)(get_int(g, "llama.attention.head_count", 1) /
                  get_int(g, "llama.attention.head_count_kv", 1)),
        };
        int mismatches = 0;
        for (uint64_t i = 0; ft && i < g->n_tensors; i++) {
            const mw_gguf_tensor *t = &g->tensors[i];
            int layer = -1;
            if (sscanf(t->name, "blk.%d.", &layer) != 1)
                layer = -1;
            int32_t want = gen_tensor_type(ft, &m, t->name, (int)t->n_dims, t->ne[0], layer);
            if (want != t->type) {
                mismatches++;
                fprintf(stderr, "  %s %s: llama-quantize %d, mix %d\n", stem, t->name, t->type, want);
            }
        }
        CHECK_MSG(mismatches == 0, "%s: %d tensors typed differently", stem, mismatches);
        CHECK(g->n_tensors >= 21);
    }
    mw_gguf_free(g);
    free(buf);
}

int main(void)
{
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        check_file(files[i]);

    /* 32 layers: use_more_bits picks layers 0-3, 28-31 and 6, 9, ..., 27 (every third from 4+2) */
    const int more[] = {0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31};
    int n_more = 0;
    for (int l = 0; l < 32; l++) {
        int expect = 0;
        for (size_t k = 0; k < sizeof more / sizeof more[0]; k++)
            expect |= more[k] == l;
        CHECK_MSG(gen_use_more_bits(l, 32) == expect, "layer %d", l);
        n_more += gen_use_more_bits(l, 32);
    }
    CHECK(n_more == 16);
    const gen_ftype *q4km = gen_ftype_by_name("Q4_K_M");
    gen_mix_model m7b = {32, 0, 4};
    CHECK(q4km && gen_tensor_type(q4km, &m7b, "blk.6.attn_v.weight", 2, 4096, 6) == MW_TYPE_Q6_K);
    CHECK(q4km && gen_tensor_type(q4km, &m7b, "blk.7.ffn_down.weight", 2, 14336, 7) == MW_TYPE_Q4_K);
    CHECK(q4km && gen_tensor_type(q4km, &m7b, "output.weight", 2, 4096, -1) == MW_TYPE_Q6_K);
    CHECK(q4km && gen_tensor_type(q4km, &m7b, "blk.0.attn_norm.weight", 1, 4096, 0) == MW_TYPE_F32);
    /* rows that are not whole K super-blocks: llama-quantize's fallbacks, or refused */
    CHECK(q4km && gen_tensor_type(q4km, &m7b, "blk.7.attn_q.weight", 2, 288, 7) == MW_TYPE_Q5_0);
    CHECK(q4km && gen_tensor_type(q4km, &m7b, "output.weight", 2, 288, -1) == MW_TYPE_Q8_0);
    CHECK(gen_tensor_type(gen_ftype_by_name("Q2_K"), &m7b, "blk.7.attn_q.weight", 2, 288, 7) == -1);
    CHECK(gen_tensor_type(gen_ftype_by_name("Q4_0"), &m7b, "blk.7.attn_q.weight", 2, 40, 7) == -1);
    CHECK(gen_ftype_by_name("Q4_K_S") == NULL);
    return TEST_REPORT();
}
