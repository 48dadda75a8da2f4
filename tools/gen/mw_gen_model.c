/*
 * mw_gen_model.c — writes a random-weight Mistral or Mixtral GGUF of any shape and type, for
 * benchmarks and tests at sizes that don't belong in the repository.
 *
 *   mw_gen_model --preset bench-1024 --type Q4_K_M --out m.gguf
 *   mw_gen_model --dim 256 --n-ff 768 --layers 2 --heads 4 --kv-heads 2 --vocab 512 --type Q8_0 --out s.gguf
 *
 * The file is what llama.cpp expects of a Mistral/Mixtral GGUF v3 (architecture "llama", the
 * tensor names and shapes of its llama loader, merged 3-D expert tensors), made the way the
 * reference models in tests/data/reference were: weights N(0,1) x 0.02, norms 1, output.weight
 * std 4/sqrt(dim) (logits of std ~4), quantized with our llama-quantize-exact weight quantizers
 * in llama-quantize's per-tensor type mix (tools/gen/quant_mix.h).
 *
 * Rows are made in parallel (--threads, default: the online cores) by the core's thread pool:
 * each row has its own stream of a fixed-seed RNG (seed, hash of the tensor's name, row index),
 * so any thread can make any row, and the threads fill a window of consecutive rows that is
 * written in order before the next. Same options -> same bytes, whatever the thread count (with
 * the same build: normals use libm's log). Memory stays at one window (~4 MiB of values per
 * thread) plus the vocabulary, whatever the model size (the Mixtral-8x7B shape at Q4_K_M, 28 GB,
 * included).
 */
#define _POSIX_C_SOURCE 200112L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gguf_write.h"
#include "pool.h"
#include "quant_mix.h"

#ifndef MW_SOURCE_DIR
#define MW_SOURCE_DIR "."
#endif
#define V1_VOCAB MW_SOURCE_DIR "/tests/data/tokenizers/ggml-vocab-mistral-v1.gguf"

typedef struct spec {
    int n_embd, n_ff, n_layer, n_head, n_head_kv, n_expert, n_expert_used, n_ctx;
    int n_vocab;               /* synthetic vocabulary size (when vocab_from is NULL) */
    double rope_theta, norm_eps;
    const char *vocab_from;    /* GGUF whose tokenizer.* keys are copied */
    unsigned long long seed;
    const char *type, *out, *preset;
    int quiet, n_threads;
} spec;

typedef struct plan_tensor {
    char name[64];
    uint32_t n_dims;
    int64_t ne[3];
    int32_t type;
    float std;                 /* 0: all ones (norms) */
} plan_tensor;

static void usage(FILE *f)
{
    fputs("usage: mw_gen_model [--preset NAME] --type TYPE --out FILE [options]\n"
          "  --type       F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q2_K Q3_K_M Q4_K_M Q5_K_M Q6_K\n"
          "               (llama-quantize's per-tensor mix: see tools/gen/quant_mix.h)\n"
          "  --preset     bench-1024       dim 1024, n_ff 3584, 8 layers, 16 heads / 4 KV, v1 32k vocab\n"
          "               mistral7b        Mistral-7B's full shape: dim 4096, n_ff 14336, 32 layers,\n"
          "                                32 heads / 8 KV, v1 32k vocab\n"
          "               mistral7b-2layer the same with 2 layers\n"
          "               mixtral-small    dim 1024, n_ff 3584, 4 layers, 16 / 4 heads, 8 experts top-2\n"
          "               mixtral8x7b      Mixtral-8x7B's full shape: Mistral-7B's with 8 experts\n"
          "                                top-2 (Q4_K_M: 28.4 GB)\n"
          "  --dim N --n-ff N --layers N --heads N --kv-heads N --experts N --experts-used N\n"
          "  --vocab-from FILE.gguf (copy its tokenizer) | --vocab N (synthetic, N >= 300)\n"
          "  --ctx N (context_length, 4096)  --rope-theta X (10000)  --seed N (1)  --quiet\n"
          "  --threads N  rows made in parallel (default: the online cores); the bytes do not\n"
          "               depend on it\n", f);
}

static int apply_preset(spec *s, const char *name)
{
    s->preset = name;
    if (strcmp(name, "bench-1024") == 0) {
        s->n_embd = 1024, s->n_ff = 3584, s->n_layer = 8, s->n_head = 16, s->n_head_kv = 4;
        s->vocab_from = V1_VOCAB, s->rope_theta = 1e6, s->n_ctx = 32768;
    } else if (strcmp(name, "mistral7b") == 0 || strcmp(name, "mistral7b-2layer") == 0) {
        s->n_embd = 4096, s->n_ff = 14336, s->n_head = 32, s->n_head_kv = 8;
        s->n_layer = strcmp(name, "mistral7b") == 0 ? 32 : 2;
        s->vocab_from = V1_VOCAB, s->rope_theta = 1e6, s->n_ctx = 32768;
    } else if (strcmp(name, "mixtral8x7b") == 0) {
        s->n_embd = 4096, s->n_ff = 14336, s->n_layer = 32, s->n_head = 32, s->n_head_kv = 8;
        s->n_expert = 8, s->n_expert_used = 2;
        s->vocab_from = V1_VOCAB, s->rope_theta = 1e6, s->n_ctx = 32768;
    } else if (strcmp(name, "mixtral-small") == 0) {
        s->n_embd = 1024, s->n_ff = 3584, s->n_layer = 4, s->n_head = 16, s->n_head_kv = 4;
        s->n_expert = 8, s->n_expert_used = 2;
        s->vocab_from = V1_VOCAB, s->rope_theta = 1e6, s->n_ctx = 32768;
    } else {
        fprintf(stderr, "mw_gen_model: unknown preset '%s'\n", name);
        return -1;
    }
    return 0;
}

static int parse_int(const char *opt, const char *v, long long lo, long long hi, long long *out)
{
    char *end;
    long long x = v ? strtoll(v, &end, 10) : 0;
    if (!v || *end || end == v || x < lo || x > hi) {
        fprintf(stderr, "mw_gen_model: %s: expected an integer in %lld..%lld, got '%s'\n", opt, lo,
                hi, v ? v : "");
        return -1;
    }
    *out = x;
    return 0;
}

static int parse_args(int argc, char **argv, spec *s)
{
    memset(s, 0, sizeof *s);
    s->n_head = 8, s->n_head_kv = 8, s->n_ctx = 4096, s->rope_theta = 10000.0, s->norm_eps = 1e-5;
    s->seed = 1;
    for (int i = 1; i < argc; i++)   /* the preset first, so options override it */
        if (strcmp(argv[i], "--preset") == 0 && i + 1 < argc && apply_preset(s, argv[i + 1]))
            return -1;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long long x;
        int *field = NULL;
        long long lo = 1, hi = 1 << 20;
        if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(o, "--quiet") == 0) {
            s->quiet = 1;
            continue;
        } else if (!v) {
            fprintf(stderr, "mw_gen_model: %s: missing value (or unknown option)\n", o);
            return -1;
        }
        if (strcmp(o, "--preset") == 0) {
        } else if (strcmp(o, "--type") == 0) {
            s->type = v;
        } else if (strcmp(o, "--out") == 0) {
            s->out = v;
        } else if (strcmp(o, "--vocab-from") == 0) {
            s->vocab_from = v;
        } else if (strcmp(o, "--vocab") == 0) {
            field = &s->n_vocab, lo = 300;
            s->vocab_from = NULL;
        } else if (strcmp(o, "--rope-theta") == 0) {
            char *end;
            s->rope_theta = strtod(v, &end);
            if (*end || !(s->rope_theta > 0)) {
                fprintf(stderr, "mw_gen_model: --rope-theta: expected a positive number\n");
                return -1;
            }
        } else if (strcmp(o, "--seed") == 0) {
            if (parse_int(o, v, 0, (long long)(~0ull >> 1), &x))
                return -1;
            s->seed = (unsigned long long)x;
        } else if (strcmp(o, "--dim") == 0) {
            field = &s->n_embd;
        } else if (strcmp(o, "--n-ff") == 0) {
            field = &s->n_ff;
        } else if (strcmp(o, "--layers") == 0) {
            field = &s->n_layer, hi = 1024;
        } else if (strcmp(o, "--heads") == 0) {
            field = &s->n_head, hi = 1024;
        } else if (strcmp(o, "--kv-heads") == 0) {
            field = &s->n_head_kv, hi = 1024;
        } else if (strcmp(o, "--experts") == 0) {
            field = &s->n_expert, lo = 0, hi = 256;
        } else if (strcmp(o, "--experts-used") == 0) {
            field = &s->n_expert_used, lo = 0, hi = 256;
        } else if (strcmp(o, "--ctx") == 0) {
            field = &s->n_ctx;
        } else if (strcmp(o, "--threads") == 0) {
            field = &s->n_threads, hi = 256;   /* the pool's limit */
        } else {
            fprintf(stderr, "mw_gen_model: unknown option '%s'\n", o);
            return -1;
        }
        if (field) {
            if (parse_int(o, v, lo, hi, &x))
                return -1;
            *field = (int)x;
        }
        i++;
    }
    if (!s->type || !s->out) {
        fprintf(stderr, "mw_gen_model: --type and --out are required\n");
        usage(stderr);
        return -1;
    }
    if (s->n_expert > 1 && !s->n_expert_used)
        s->n_expert_used = 2;
    if (s->n_expert <= 1)
        s->n_expert = 0, s->n_expert_used = 0;
    const char *bad = NULL;
    if (!s->n_embd || !s->n_ff || !s->n_layer)
        bad = "--dim, --n-ff and --layers (or --preset) are required";
    else if (s->n_embd % s->n_head || s->n_head % s->n_head_kv || (s->n_embd / s->n_head) % 2)
        bad = "--heads must divide --dim into an even head size, and --kv-heads divide --heads";
    else if (s->n_embd % 32 || s->n_ff % 32)
        bad = "--dim and --n-ff must be multiples of 32";
    else if (s->n_expert && (s->n_expert_used < 1 || s->n_expert_used > s->n_expert))
        bad = "--experts-used must be 1..--experts";
    else if (!s->vocab_from && !s->n_vocab)
        bad = "--vocab-from FILE or --vocab N is required";
    if (bad) {
        fprintf(stderr, "mw_gen_model: %s\n", bad);
        return -1;
    }
    return 0;
}

/* ---- random numbers: splitmix64, normals by Marsaglia's polar method ---- */

typedef struct rng {
    uint64_t s;
    double spare;
    int has_spare;
} rng;

static uint64_t rng_u64(rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double rng_normal(rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u, v, q;
    do {
        u = (double)(rng_u64(r) >> 11) * 0x1p-52 - 1.0;   /* uniform in [-1, 1) */
        v = (double)(rng_u64(r) >> 11) * 0x1p-52 - 1.0;
        q = u * u + v * v;
    } while (q >= 1.0 || q == 0.0);
    double f = sqrt(-2.0 * log(q) / q);
    r->spare = v * f;
    r->has_spare = 1;
    return u * f;
}

/* The key of a tensor's streams: adding or reordering tensors leaves the others unchanged. */
static uint64_t tensor_key(unsigned long long seed, const char *name)
{
    uint64_t h = 0xcbf29ce484222325ull;   /* FNV-1a */
    for (const char *p = name; *p; p++)
        h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
    return (uint64_t)seed ^ h;
}

/* Each row its own stream, started at the row-th splitmix64 output of the tensor's key: rows
 * can be made in any order, on any thread. */
static void rng_seed_row(rng *r, uint64_t key, int64_t row)
{
    r->s = key + (uint64_t)row * 0x9E3779B97F4A7C15ull;
    r->s = rng_u64(r);
    r->has_spare = 0;
}

/* ---- vocabulary ---- */

/* Copy every tokenizer.* key of a GGUF; returns its vocabulary size, or -1. */
static int vocab_copy(gw *w, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "mw_gen_model: cannot open vocabulary file '%s'\n", path);
        return -1;
    }
    size_t cap = 1 << 20, len = 0;
    uint8_t *buf = NULL;
    mw_gguf *g = NULL;
    mw_status st = MW_ERR_NO_MEMORY;
    for (;;) {   /* read more until the header parses (a vocabulary file is mostly header) */
        uint8_t *nb = realloc(buf, cap);
        if (!nb)
            break;
        buf = nb;
        len += fread(buf + len, 1, cap - len, f);
        st = mw_gguf_parse(buf, len, &g);
        if (st != MW_ERR_TRUNCATED || len < cap)   /* parsed, failed, or the file ended */
            break;
        cap *= 2;
    }
    fclose(f);
    int n_vocab = -1;
    if (st != MW_OK) {
        fprintf(stderr, "mw_gen_model: '%s': %s\n", path, mw_last_error());
    } else {
        const mw_gguf_kv *tokens = mw_gguf_find(g, "tokenizer.ggml.tokens");
        if (!tokens || tokens->type != MW_GGUF_ARRAY || tokens->arr_type != MW_GGUF_STRING) {
            fprintf(stderr, "mw_gen_model: '%s' has no tokenizer.ggml.tokens\n", path);
        } else {
            n_vocab = (int)tokens->arr_n;
            for (uint64_t i = 0; i < g->n_kv; i++)
                if (strncmp(g->kv[i].key, "tokenizer.", 10) == 0 && gw_kv_copy(w, &g->kv[i]))
                    n_vocab = -1;
        }
    }
    mw_gguf_free(g);
    free(buf);
    return n_vocab;
}

/* A synthetic SentencePiece vocabulary of n tokens: <unk> <s> </s>, the 256 byte tokens, then
 * every string over a frequency-ordered alphabet by length, bare and with the "▁" word prefix,
 * so BPE can build each piece from smaller ones. Scores fall with the id. */
static int vocab_synth(gw *w, int n)
{
    static const char alpha[] = "etaoinshrdlucmfwypvbgkjqxz";
    const int na = 26;
    if (gw_kv_str(w, "tokenizer.ggml.model", "llama") ||
        gw_kv_arr(w, "tokenizer.ggml.tokens", MW_GGUF_STRING, (uint64_t)n))
        return -1;
    char piece[32];
    int emitted = 0;
    const char *fixed[3] = {"<unk>", "<s>", "</s>"};
    for (int i = 0; i < 3; i++, emitted++)
        if (gw_strn(w, fixed[i], strlen(fixed[i])))
            return -1;
    for (int b = 0; b < 256; b++, emitted++) {
        snprintf(piece, sizeof piece, "<0x%02X>", b);
        if (gw_strn(w, piece, 6))
            return -1;
    }
    if (gw_strn(w, "\xE2\x96\x81", 3))   /* "▁" alone */
        return -1;
    emitted++;
    for (int len = 1; emitted < n && len <= 8; len++) {
        long long count = 1;
        for (int i = 0; i < len; i++)
            count *= na;
        for (long long k = 0; k < count && emitted < n; k++) {
            char word[16];
            long long x = k;
            for (int i = len - 1; i >= 0; i--, x /= na)
                word[i] = alpha[x % na];
            word[len] = 0;
            for (int prefixed = 0; prefixed < 2 && emitted < n; prefixed++, emitted++) {
                int m = snprintf(piece, sizeof piece, "%s%s", prefixed ? "\xE2\x96\x81" : "", word);
                if (gw_strn(w, piece, (uint64_t)m))
                    return -1;
            }
        }
    }
    if (gw_kv_arr(w, "tokenizer.ggml.scores", MW_GGUF_FLOAT32, (uint64_t)n))
        return -1;
    for (int i = 0; i < n; i++)
        if (gw_le(w, gw_f32_bits(i < 259 ? 0.0f : -(float)(i - 259)), 4))
            return -1;
    if (gw_kv_arr(w, "tokenizer.ggml.token_type", MW_GGUF_INT32, (uint64_t)n))
        return -1;
    for (int i = 0; i < n; i++)   /* 2 unknown, 3 control, 6 byte, 1 normal */
        if (gw_le(w, i == 0 ? 2 : i < 3 ? 3 : i < 259 ? 6 : 1, 4))
            return -1;
    if (gw_kv_u32(w, "tokenizer.ggml.bos_token_id", 1) ||
        gw_kv_u32(w, "tokenizer.ggml.eos_token_id", 2) ||
        gw_kv_u32(w, "tokenizer.ggml.unknown_token_id", 0) ||
        gw_kv_bool(w, "tokenizer.ggml.add_bos_token", 1) ||
        gw_kv_bool(w, "tokenizer.ggml.add_eos_token", 0))
        return -1;
    return n;
}

/* ---- the tensor plan ---- */

typedef struct plan {
    plan_tensor *t;
    int n;
} plan;

static int plan_add(plan *p, const spec *s, const gen_ftype *ft, int layer, const char *name,
                    uint32_t n_dims, int64_t ne0, int64_t ne1, int64_t ne2, float std)
{
    plan_tensor *t = &p->t[p->n++];
    if (layer >= 0)
        snprintf(t->name, sizeof t->name, "blk.%d.%s.weight", layer, name);
    else
        snprintf(t->name, sizeof t->name, "%s.weight", name);
    t->n_dims = n_dims;
    t->ne[0] = ne0, t->ne[1] = ne1, t->ne[2] = ne2;
    t->std = std;
    gen_mix_model mm = {s->n_layer, s->n_expert, s->n_head / s->n_head_kv};
    t->type = gen_tensor_type(ft, &mm, t->name, (int)n_dims, ne0, layer);
    if (t->type < 0 || !mw_weight_quantizer(t->type)) {
        fprintf(stderr, "mw_gen_model: %s: rows of %lld values cannot be stored as %s\n", t->name,
                (long long)ne0, ft->name);
        return -1;
    }
    return 0;
}

/* Tensors in llama.cpp's names and shapes (ne[0] = row length = the input dimension). */
static int plan_build(plan *p, const spec *s, const gen_ftype *ft, int n_vocab)
{
    int64_t d = s->n_embd, ff = s->n_ff, hd = d / s->n_head, kv = hd * s->n_head_kv;
    int64_t ne = s->n_expert;
    const float w = 0.02f;
    p->n = 0;
    if (!(p->t = calloc((size_t)(3 + 11 * s->n_layer), sizeof *p->t)))
        return -1;
    if (plan_add(p, s, ft, -1, "token_embd", 2, d, n_vocab, 1, w))
        return -1;
    for (int l = 0; l < s->n_layer; l++) {
        if (plan_add(p, s, ft, l, "attn_norm", 1, d, 1, 1, 0) ||
            plan_add(p, s, ft, l, "attn_q", 2, d, d, 1, w) ||
            plan_add(p, s, ft, l, "attn_k", 2, d, kv, 1, w) ||
            plan_add(p, s, ft, l, "attn_v", 2, d, kv, 1, w) ||
            plan_add(p, s, ft, l, "attn_output", 2, d, d, 1, w) ||
            plan_add(p, s, ft, l, "ffn_norm", 1, d, 1, 1, 0))
            return -1;
        if (ne) {
            if (plan_add(p, s, ft, l, "ffn_gate_inp", 2, d, ne, 1, w) ||
                plan_add(p, s, ft, l, "ffn_gate_exps", 3, d, ff, ne, w) ||
                plan_add(p, s, ft, l, "ffn_up_exps", 3, d, ff, ne, w) ||
                plan_add(p, s, ft, l, "ffn_down_exps", 3, ff, d, ne, w))
                return -1;
        } else if (plan_add(p, s, ft, l, "ffn_gate", 2, d, ff, 1, w) ||
                   plan_add(p, s, ft, l, "ffn_up", 2, d, ff, 1, w) ||
                   plan_add(p, s, ft, l, "ffn_down", 2, ff, d, 1, w)) {
            return -1;
        }
    }
    if (plan_add(p, s, ft, -1, "output_norm", 1, d, 1, 1, 0) ||
        plan_add(p, s, ft, -1, "output", 2, d, n_vocab, 1, 4.0f / sqrtf((float)d)))
        return -1;
    return 0;
}

/* ---- writing ---- */

static int write_kv(gw *w, const spec *s, const gen_ftype *ft, int *n_vocab)
{
    char name[128], desc[512];
    int hd = s->n_embd / s->n_head;
    if (s->preset)
        snprintf(name, sizeof name, "mw-gen %s %s", s->preset, ft->name);
    else
        snprintf(name, sizeof name, "mw-gen %s %dx%d%s %s", s->n_expert ? "mixtral" : "mistral",
                 s->n_embd, s->n_layer, s->n_expert ? "-moe" : "", ft->name);
    snprintf(desc, sizeof desc,
             "random weights by tools/gen/mw_gen_model: dim %d n_ff %d layers %d heads %d/%d "
             "experts %d/%d seed %llu scale 0.02 logit_std 4",
             s->n_embd, s->n_ff, s->n_layer, s->n_head, s->n_head_kv, s->n_expert,
             s->n_expert_used, s->seed);
    if (gw_kv_str(w, "general.architecture", "llama") || gw_kv_str(w, "general.name", name) ||
        gw_kv_str(w, "general.description", desc) ||
        gw_kv_u32(w, "llama.context_length", (uint32_t)s->n_ctx) ||
        gw_kv_u32(w, "llama.embedding_length", (uint32_t)s->n_embd) ||
        gw_kv_u32(w, "llama.block_count", (uint32_t)s->n_layer) ||
        gw_kv_u32(w, "llama.feed_forward_length", (uint32_t)s->n_ff) ||
        gw_kv_u32(w, "llama.attention.head_count", (uint32_t)s->n_head) ||
        gw_kv_u32(w, "llama.attention.head_count_kv", (uint32_t)s->n_head_kv) ||
        gw_kv_u32(w, "llama.rope.dimension_count", (uint32_t)hd) ||
        gw_kv_f32(w, "llama.rope.freq_base", (float)s->rope_theta) ||
        gw_kv_f32(w, "llama.attention.layer_norm_rms_epsilon", (float)s->norm_eps))
        return -1;
    if (s->n_expert && (gw_kv_u32(w, "llama.expert_count", (uint32_t)s->n_expert) ||
                        gw_kv_u32(w, "llama.expert_used_count", (uint32_t)s->n_expert_used)))
        return -1;
    if (gw_kv_u32(w, "general.file_type", (uint32_t)ft->ftype) ||
        gw_kv_u32(w, "general.quantization_version", 2) ||
        gw_kv_u32(w, "general.alignment", 32))
        return -1;
    /* the tokenizer keys last: llama.vocab_size is only known once they are copied */
    *n_vocab = s->vocab_from ? vocab_copy(w, s->vocab_from) : vocab_synth(w, s->n_vocab);
    if (*n_vocab < 0)
        return -1;
    return gw_kv_u32(w, "llama.vocab_size", (uint32_t)*n_vocab);
}

/* ---- making rows in parallel ---- */

#define WINDOW_VALUES_PER_THREAD (1 << 20)   /* 4 MiB of floats: a round's work per thread */

/* One round: rows [row0, row0 + n_rows) of a tensor into out (n_rows * row_bytes), shared out
 * as contiguous runs; each thread has its own float row. */
typedef struct gen_round {
    const plan_tensor *t;
    uint64_t key;
    mw_quantize_fn quantize;
    size_t row_bytes;
    int64_t row0, n_rows;
    uint8_t *out;
    float **scratch;           /* [n_threads][ne0 max] */
} gen_round;

static void make_rows(void *arg, int ith, int nth)
{
    const gen_round *g = arg;
    const plan_tensor *t = g->t;
    int64_t ne0 = t->ne[0], a = g->n_rows * ith / nth, b = g->n_rows * (ith + 1) / nth;
    float *row = g->scratch[ith];
    rng r;
    for (int64_t i = a; i < b; i++) {
        rng_seed_row(&r, g->key, g->row0 + i);
        for (int64_t j = 0; j < ne0; j++)
            row[j] = t->std ? (float)rng_normal(&r) * t->std : 1.0f;
        g->quantize(row, g->out + (size_t)i * g->row_bytes, ne0);
    }
}

/* window: room for window_rows(t) rows of the widest type (F32) */
static int64_t window_rows(const plan_tensor *t, int n_threads)
{
    int64_t rows = t->ne[1] * t->ne[2];
    int64_t n = (int64_t)n_threads * WINDOW_VALUES_PER_THREAD / t->ne[0];
    n = n < n_threads ? n_threads : n;   /* rows longer than the window: a row per thread */
    return n < rows ? n : rows;
}

static int write_tensor(gw *w, mw_pool *pool, const plan_tensor *t, unsigned long long seed,
                        float **scratch, uint8_t *window)
{
    int n_threads = mw_pool_size(pool);
    int64_t ne0 = t->ne[0], rows = t->ne[1] * t->ne[2], step = window_rows(t, n_threads);
    gen_round g = {t, tensor_key(seed, t->name), mw_weight_quantizer(t->type),
                   mw_row_size(t->type, ne0), 0, 0, window, scratch};
    for (int64_t r0 = 0; r0 < rows; r0 += step) {
        g.row0 = r0;
        g.n_rows = rows - r0 < step ? rows - r0 : step;
        mw_pool_run(pool, (uint64_t)(g.n_rows * ne0) * 64, make_rows, &g);
        if (gw_write_data(w, window, (size_t)g.n_rows * g.row_bytes))
            return -1;
    }
    return gw_end_tensor(w);
}

static int online_cores(void)
{
#ifdef _SC_NPROCESSORS_ONLN
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 256 ? 256 : (int)n;
#else
    return 1;
#endif
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    spec s;
    if (parse_args(argc, argv, &s))
        return 1;
    const gen_ftype *ft = gen_ftype_by_name(s.type);
    if (!ft) {
        fprintf(stderr, "mw_gen_model: unknown --type '%s'\n", s.type);
        usage(stderr);
        return 1;
    }
    double t0 = now();
    int rc = 1, n_vocab = 0, n_threads = 1;
    gw w;
    plan p = {0};
    FILE *f = NULL;
    mw_pool *pool = NULL;
    float **scratch = NULL;
    uint8_t *window = NULL;
    gw_init(&w, 32);
    if (mw_pool_create(s.n_threads ? s.n_threads : online_cores(), &pool) != MW_OK) {
        fprintf(stderr, "mw_gen_model: %s\n", mw_last_error());
        goto done;
    }
    n_threads = mw_pool_size(pool);
    if (write_kv(&w, &s, ft, &n_vocab) || plan_build(&p, &s, ft, n_vocab))
        goto done;
    int64_t max_ne0 = 0;
    size_t window_bytes = 0;
    for (int i = 0; i < p.n; i++) {
        const plan_tensor *t = &p.t[i];
        if (gw_add_tensor(&w, t->name, t->n_dims, t->ne, t->type))
            goto done;
        size_t bytes = (size_t)window_rows(t, n_threads) * mw_row_size(t->type, t->ne[0]);
        max_ne0 = t->ne[0] > max_ne0 ? t->ne[0] : max_ne0;
        window_bytes = bytes > window_bytes ? bytes : window_bytes;
    }
    int scratch_ok = (window = malloc(window_bytes)) && (scratch = calloc((size_t)n_threads, sizeof *scratch));
    for (int i = 0; scratch_ok && i < n_threads; i++)
        scratch_ok = (scratch[i] = malloc((size_t)max_ne0 * sizeof(float))) != NULL;
    if (!scratch_ok || !(f = fopen(s.out, "wb"))) {
        fprintf(stderr, "mw_gen_model: cannot create '%s'\n", s.out);
        goto done;
    }
    if (gw_write_header(&w, f))
        goto done;
    for (int i = 0; i < p.n; i++) {
        if (write_tensor(&w, pool, &p.t[i], s.seed, scratch, window))
            goto done;
        if (!s.quiet && p.t[i].n_dims > 1 && w.data_size > (512u << 20))
            fprintf(stderr, "\r%-32s %3d%%", p.t[i].name, (int)(100.0 * (i + 1) / p.n));
    }
    if (gw_finish(&w))
        goto done;
    rc = 0;
    if (!s.quiet) {
        int count[MW_TYPE_COUNT] = {0};
        for (int i = 0; i < p.n; i++)
            count[p.t[i].type]++;
        fprintf(stderr, "%smw_gen_model: wrote %s: %d tensors (", w.data_size > (512u << 20) ? "\n" : "",
                s.out, p.n);
        const char *sep = "";
        for (int t = 0; t < MW_TYPE_COUNT; t++)
            if (count[t]) {
                fprintf(stderr, "%s%s %d", sep, mw_type_traits_get(t)->name, count[t]);
                sep = ", ";
            }
        double secs = now() - t0;
        fprintf(stderr, "), %.1f MiB, vocab %d, %.1f s on %d thread%s (%.2f GB/min)\n",
                (double)w.file_pos / 1048576.0, n_vocab, secs, n_threads, n_threads > 1 ? "s" : "",
                (double)w.file_pos / 1e9 / (secs / 60.0));
    }
done:
    if (rc && w.err[0])
        fprintf(stderr, "mw_gen_model: %s: %s\n", s.out, w.err);
    if (f && fclose(f) != 0 && rc == 0) {
        fprintf(stderr, "mw_gen_model: cannot write '%s'\n", s.out);
        rc = 1;
    }
    if (rc && f)
        remove(s.out);
    if (scratch)
        for (int i = 0; i < n_threads; i++)
            free(scratch[i]);
    free(scratch);
    free(window);
    mw_pool_free(pool);
    free(p.t);
    gw_free(&w);
    return rc;
}
