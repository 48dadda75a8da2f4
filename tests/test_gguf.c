/*
 * test_gguf.c — the GGUF parser on every real GGUF we have (reference models, bundled models,
 * vocab-only tokenizer GGUFs): structural invariants, known metadata values and tensor shapes
 * and types (per tests/data/reference/README table), typed getters, and streaming (every
 * prefix of a header is TRUNCATED, the full header parses).
 */
#include <dirent.h>

#include "harness.h"
#include "gguf.h"
#include "quant/quant.h"

static int n_files;

/* Structural checks that hold for every well-formed GGUF. */
static void check_invariants(const char *path, const uint8_t *buf, size_t size, const mw_gguf *g)
{
    CHECK_MSG(g->version == 2 || g->version == 3, "%s: version %u", path, g->version);
    CHECK_MSG(g->alignment && !(g->alignment & (g->alignment - 1)), "%s: alignment", path);
    CHECK_MSG(g->data_offset % g->alignment == 0, "%s: data_offset %llu", path,
              (unsigned long long)g->data_offset);
    if (g->n_tensors) {
        CHECK_MSG(g->data_offset + g->data_size <= size, "%s: data past end", path);
        /* llama.cpp pads the last tensor to the alignment, nothing more */
        CHECK_MSG(size - (g->data_offset + g->data_size) < g->alignment, "%s: %llu trailing bytes",
                  path, (unsigned long long)(size - g->data_offset - g->data_size));
    } else {
        /* a vocabulary-only file ends right after its header, before the padding */
        CHECK_MSG(g->data_size == 0 && g->data_offset >= size && g->data_offset - size < g->alignment,
                  "%s: vocab-only layout", path);
    }
    int bad = 0;
    uint64_t max_end = 0;
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        const mw_gguf_tensor *t = &g->tensors[i];
        uint64_t rows = (uint64_t)(t->ne[1] * t->ne[2] * t->ne[3]);
        if (t->nbytes != mw_row_size(t->type, t->ne[0]) * rows) bad++;
        if (t->offset % g->alignment) bad++;
        if (mw_gguf_find_tensor(g, t->name) != t) bad++;
        if (strlen(t->name) == 0) bad++;
        if (t->offset + t->nbytes > max_end) max_end = t->offset + t->nbytes;
    }
    CHECK_MSG(bad == 0, "%s: %d bad tensor infos", path, bad);
    CHECK_MSG(max_end == g->data_size, "%s: data_size", path);
    for (uint64_t i = 0; i < g->n_kv; i++)
        if (mw_gguf_find(g, g->kv[i].key) != &g->kv[i]) bad++;
    CHECK_MSG(bad == 0, "%s: kv lookup", path);
    const char *arch = NULL;
    CHECK_MSG(mw_gguf_get_str(g, "general.architecture", &arch) == 1 && arch &&
              strcmp(arch, "llama") == 0, "%s: architecture", path);
    (void)buf;
}

static void parse_dir(const char *dir, int required)
{
    DIR *d = opendir(dir);
    if (!d) {
        if (required)
            CHECK_MSG(0, "cannot open %s", dir);
        else
            printf("note: %s not present, skipping its GGUFs\n", dir);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 5, ".gguf") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t size;
        uint8_t *buf = test_read_file(path, &size);
        CHECK_MSG(buf != NULL, "read %s", path);
        if (!buf)
            continue;
        mw_gguf *g = NULL;
        mw_status st = mw_gguf_parse(buf, size, &g);
        CHECK_MSG(st == MW_OK, "%s: %s", path, mw_last_error());
        if (g)
            check_invariants(path, buf, size, g);
        mw_gguf_free(g);
        free(buf);
        n_files++;
    }
    closedir(d);
}

static mw_gguf *parse_file(const char *path, uint8_t **buf_out, size_t *size_out)
{
    size_t size;
    uint8_t *buf = test_read_file(path, &size);
    CHECK_MSG(buf != NULL, "read %s", path);
    if (!buf)
        return NULL;
    mw_gguf *g = NULL;
    CHECK_MSG(mw_gguf_parse(buf, size, &g) == MW_OK, "%s: %s", path, mw_last_error());
    if (buf_out) *buf_out = buf; else free(buf);
    if (size_out) *size_out = size;
    return g;
}

static int64_t get_int(const mw_gguf *g, const char *key)
{
    int64_t v = -12345;
    CHECK_MSG(mw_gguf_get_int(g, key, &v) == 1, "get_int %s", key);
    return v;
}

static void check_tensor(const mw_gguf *g, const char *name, int32_t type, int64_t ne0, int64_t ne1,
                         int64_t ne2)
{
    const mw_gguf_tensor *t = mw_gguf_find_tensor(g, name);
    CHECK_MSG(t != NULL, "tensor %s missing", name);
    if (!t)
        return;
    CHECK_MSG(t->type == type, "%s: type %d, expected %d", name, t->type, type);
    CHECK_MSG(t->ne[0] == ne0 && t->ne[1] == ne1 && t->ne[2] == ne2 && t->ne[3] == 1,
              "%s: shape [%lld %lld %lld]", name, (long long)t->ne[0], (long long)t->ne[1],
              (long long)t->ne[2]);
    CHECK_MSG(t->n_dims == (uint32_t)(ne2 > 1 ? 3 : ne1 > 1 ? 2 : 1), "%s: n_dims %u", name, t->n_dims);
}

static void test_mistral_s(void)
{
    mw_gguf *g = parse_file(MW_TEST_DATA "/reference/mistral-s.Q4_0.gguf", NULL, NULL);
    if (!g)
        return;
    CHECK(g->version == 3);
    CHECK(g->n_tensors == 21);
    CHECK(g->alignment == 32);
    CHECK(get_int(g, "llama.embedding_length") == 256);
    CHECK(get_int(g, "llama.block_count") == 2);
    CHECK(get_int(g, "llama.feed_forward_length") == 768);
    CHECK(get_int(g, "llama.attention.head_count") == 4);
    CHECK(get_int(g, "llama.attention.head_count_kv") == 2);
    CHECK(get_int(g, "llama.context_length") == 512);
    CHECK(get_int(g, "llama.rope.dimension_count") == 64);
    CHECK(get_int(g, "tokenizer.ggml.bos_token_id") == 1);
    CHECK(get_int(g, "tokenizer.ggml.eos_token_id") == 2);
    CHECK(get_int(g, "tokenizer.ggml.add_bos_token") == 1);   /* bool read as int */
    CHECK(get_int(g, "tokenizer.ggml.add_eos_token") == 0);
    double f = 0;
    CHECK(mw_gguf_get_float(g, "llama.rope.freq_base", &f) == 1 && f == 10000.0);
    CHECK(mw_gguf_get_float(g, "llama.attention.layer_norm_rms_epsilon", &f) == 1);
    CHECK_NEAR(f, 1e-5, 1e-12);
    CHECK(mw_gguf_get_float(g, "llama.block_count", &f) == 1 && f == 2.0);  /* int as float */
    const char *s = NULL;
    CHECK(mw_gguf_get_str(g, "general.name", &s) == 1 && strcmp(s, "mistral-s") == 0);
    CHECK(mw_gguf_get_str(g, "tokenizer.ggml.model", &s) == 1 && strcmp(s, "llama") == 0);

    uint32_t at = 99;
    uint64_t n = 0;
    const void *arr = NULL;
    CHECK(mw_gguf_get_arr(g, "tokenizer.ggml.tokens", &at, &n, &arr) == 1);
    CHECK(at == MW_GGUF_STRING && n == 512);
    if (at == MW_GGUF_STRING && n == 512) {
        const mw_gguf_str *tok = arr;
        CHECK(strcmp(tok[0].ptr, "<unk>") == 0 && tok[0].len == 5);
        CHECK(strcmp(tok[1].ptr, "<s>") == 0);
        CHECK(strcmp(tok[2].ptr, "</s>") == 0);
        CHECK(strcmp(tok[3].ptr, "<0x00>") == 0);
        /* token 403 is "▁Once" (prompt ids in the reference README) */
        CHECK(strcmp(tok[403].ptr, "\xe2\x96\x81Once") == 0);
    }
    CHECK(mw_gguf_get_arr(g, "tokenizer.ggml.scores", &at, &n, &arr) == 1);
    CHECK(at == MW_GGUF_FLOAT32 && n == 512);
    CHECK(mw_gguf_get_arr(g, "tokenizer.ggml.token_type", &at, &n, &arr) == 1);
    CHECK(at == MW_GGUF_INT32 && n == 512);
    if (at == MW_GGUF_INT32 && n == 512) {
        const int32_t *tt = arr;
        CHECK(tt[0] == 2 && tt[1] == 3 && tt[3] == 6 && tt[403] == 1);  /* unk, control, byte, normal */
    }
    /* absent keys and wrong types */
    CHECK(mw_gguf_get_int(g, "no.such.key", &(int64_t){0}) == 0);
    CHECK(mw_gguf_find(g, "no.such.key") == NULL);
    CHECK(mw_gguf_get_str(g, "llama.block_count", &s) < 0);
    CHECK(strstr(mw_last_error(), "llama.block_count") && strstr(mw_last_error(), "expected string"));
    CHECK(mw_gguf_get_int(g, "general.name", &(int64_t){0}) < 0);
    CHECK(mw_gguf_get_arr(g, "general.name", NULL, NULL, NULL) < 0);
    CHECK(mw_gguf_get_float(g, "tokenizer.ggml.tokens", &f) < 0);

    check_tensor(g, "token_embd.weight", MW_TYPE_Q4_0, 256, 512, 1);
    check_tensor(g, "output.weight", MW_TYPE_Q6_K, 256, 512, 1);
    check_tensor(g, "output_norm.weight", MW_TYPE_F32, 256, 1, 1);
    check_tensor(g, "blk.0.attn_q.weight", MW_TYPE_Q4_0, 256, 256, 1);
    check_tensor(g, "blk.0.attn_k.weight", MW_TYPE_Q4_0, 256, 128, 1);
    check_tensor(g, "blk.1.attn_v.weight", MW_TYPE_Q4_0, 256, 128, 1);
    check_tensor(g, "blk.1.ffn_down.weight", MW_TYPE_Q4_0, 768, 256, 1);
    check_tensor(g, "blk.1.ffn_gate.weight", MW_TYPE_Q4_0, 256, 768, 1);
    check_tensor(g, "blk.1.ffn_norm.weight", MW_TYPE_F32, 256, 1, 1);
    CHECK(mw_gguf_find_tensor(g, "blk.2.attn_q.weight") == NULL);
    const mw_gguf_tensor *t = mw_gguf_find_tensor(g, "blk.0.attn_q.weight");
    CHECK(t && t->nbytes == 256 * 256 / 32 * 18);
    mw_gguf_free(g);

    /* Q4_K_M mixes types: Q6_K for output, blk.1.attn_v, blk.1.ffn_down */
    g = parse_file(MW_TEST_DATA "/reference/mistral-s.Q4_K_M.gguf", NULL, NULL);
    if (g) {
        check_tensor(g, "output.weight", MW_TYPE_Q6_K, 256, 512, 1);
        check_tensor(g, "blk.0.attn_v.weight", MW_TYPE_Q4_K, 256, 128, 1);
        check_tensor(g, "blk.1.attn_v.weight", MW_TYPE_Q6_K, 256, 128, 1);
        check_tensor(g, "blk.1.ffn_down.weight", MW_TYPE_Q6_K, 768, 256, 1);
        check_tensor(g, "blk.0.ffn_down.weight", MW_TYPE_Q4_K, 768, 256, 1);
        CHECK(g->data_offset == 12832 && g->data_size == 1130240);
    }
    mw_gguf_free(g);
}

static void test_mixtral_s(void)
{
    mw_gguf *g = parse_file(MW_TEST_DATA "/reference/mixtral-s.Q4_0.gguf", NULL, NULL);
    if (!g)
        return;
    CHECK(get_int(g, "llama.expert_count") == 8);
    CHECK(get_int(g, "llama.expert_used_count") == 2);
    CHECK(get_int(g, "llama.feed_forward_length") == 512);
    double f = 0;
    CHECK(mw_gguf_get_float(g, "llama.rope.freq_base", &f) == 1 && f == 1000000.0);
    CHECK(g->n_tensors == 23);
    check_tensor(g, "blk.0.ffn_gate_exps.weight", MW_TYPE_Q4_0, 256, 512, 8);
    check_tensor(g, "blk.1.ffn_down_exps.weight", MW_TYPE_Q4_0, 512, 256, 8);
    check_tensor(g, "blk.0.ffn_gate_inp.weight", MW_TYPE_F32, 256, 8, 1);
    check_tensor(g, "blk.0.attn_k.weight", MW_TYPE_Q8_0, 256, 128, 1);
    check_tensor(g, "blk.0.attn_v.weight", MW_TYPE_Q8_0, 256, 128, 1);
    check_tensor(g, "output.weight", MW_TYPE_Q6_K, 256, 512, 1);
    mw_gguf_free(g);

    g = parse_file(MW_TEST_DATA "/reference/mistral-v32k.Q4_K_M.gguf", NULL, NULL);
    if (g) {
        uint32_t at;
        uint64_t n;
        const void *arr;
        CHECK(mw_gguf_get_arr(g, "tokenizer.ggml.tokens", &at, &n, &arr) == 1 && n == 32000);
        CHECK(get_int(g, "llama.attention.head_count") == 8);
        check_tensor(g, "token_embd.weight", MW_TYPE_Q4_K, 256, 32000, 1);
    }
    mw_gguf_free(g);

    g = parse_file(MW_SOURCE_DIR "/models/stories260K.gguf", NULL, NULL);
    if (g) {
        CHECK(get_int(g, "llama.embedding_length") == 64);
        CHECK(get_int(g, "llama.block_count") == 5);
        CHECK(g->n_tensors == 48);
        check_tensor(g, "blk.4.ffn_down.weight", MW_TYPE_F32, 172, 64, 1);
    }
    mw_gguf_free(g);
}

/* Streaming: every proper prefix of the header is TRUNCATED (never another error, never a
 * crash), the exact header parses to the same result as the whole file. */
static void test_prefixes(const char *path)
{
    uint8_t *buf;
    size_t size;
    mw_gguf *full = parse_file(path, &buf, &size);
    if (!full)
        return;
    /* header end = data_offset minus padding; find it as the shortest prefix that parses */
    size_t header_end = 0;
    int wrong = 0;
    for (size_t k = 0; k <= (size_t)full->data_offset; k++) {
        mw_gguf *g = NULL;
        mw_status st = mw_gguf_parse(buf, k, &g);
        if (st == MW_OK) {
            header_end = k;
            CHECK(g->data_offset == full->data_offset && g->data_size == full->data_size);
            CHECK(g->n_kv == full->n_kv && g->n_tensors == full->n_tensors);
            mw_gguf_free(g);
            break;
        }
        if (st != MW_ERR_TRUNCATED || g != NULL)
            wrong++;
    }
    CHECK_MSG(wrong == 0, "%s: %d prefixes gave an error other than TRUNCATED", path, wrong);
    CHECK_MSG(header_end > 0 && full->data_offset - header_end < full->alignment,
              "%s: header end %zu", path, header_end);
    mw_gguf_free(full);
    free(buf);
}

int main(void)
{
    parse_dir(MW_TEST_DATA "/reference", 1);
    parse_dir(MW_SOURCE_DIR "/models", 1);
    parse_dir(MW_TEST_DATA "/tokenizers", 0);
    printf("parsed %d GGUF files\n", n_files);
    CHECK(n_files >= 20);
    test_mistral_s();
    test_mixtral_s();
    test_prefixes(MW_TEST_DATA "/reference/mistral-s.Q4_0.gguf");
    test_prefixes(MW_SOURCE_DIR "/models/stories260K.Q8_0.gguf");
    return TEST_REPORT();
}
