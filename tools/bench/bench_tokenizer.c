/*
 * bench_tokenizer.c — tokenizer throughput: ~1 MB of mixed text (English prose, C code, CJK,
 * Cyrillic, emoji, digits; generated here from a fixed seed) tokenized with the Mistral v1
 * vocabulary. Prints MB/s and seconds; a benchmark, not a test.
 *
 *   bench_tokenizer [vocab.gguf] [megabytes]
 * default vocab: tests/data/tokenizers/ggml-vocab-mistral-v1.gguf (run from the repo root).
 * Also times one long line without spaces (worst case for the merge queue), detokenization, and
 * the special-token split with a vocabulary of 4000 user-defined pieces (built here) on 1 MiB of
 * text holding ~8000 of them (issue 15: that split used to cost pieces x text bytes).
 * Times are CPU seconds of this process (the wall time is printed too: on a shared machine it
 * also counts waiting for a core).
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mw.h"
#include "../../tests/gguf_build.h"

/* CPU time of this process: the machine is shared, so wall time includes waiting for a core */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

static const char *const words[] = {
    "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "model", "token", "weights",
    "inference", "browser", "memory", "bandwidth", "quantized", "attention", "layer", "Mistral",
    "Mixtral", "expert", "router", "sampling", "temperature", "context", "window", "because",
    "although", "extraordinary", "unbelievably", "internationalization", "a", "of", "and", "in",
};
static const char *const code[] = {
    "for (int i = 0; i < n; i++) {\n    sum += x[i] * y[i];\n}\n",
    "static inline float silu(float x) { return x / (1.0f + expf(-x)); }\n",
    "if (st != MW_OK)\n        return mw_fail(MW_ERR_BAD_FORMAT, \"tensor %s\", name);\n",
    "def forward(self, x):\n    return self.w2(F.silu(self.w1(x)) * self.w3(x))\n",
    "const ids = await tokenizer.encode(`${prompt}\\n`);\n",
};
static const char *const other[] = {
    "日本語のテキストと中文文本を混ぜる。", "我想在apple工作1314151天～", "鑫鑫鑫",
    "Привет, мир! Как дела?", "Größenwahn über Äpfel — très cher €12,50",
    "🚀 🦙🦙 😶‍🌫️ 👩‍💻 ✅", "2718281828 3.14159 1e-5 0x1F",
};

static size_t append(char *buf, size_t n, size_t cap, const char *s)
{
    size_t l = strlen(s);
    if (n + l < cap) { memcpy(buf + n, s, l); n += l; }
    return n;
}

/* A vocabulary-only GGUF: "<unk>" "<s>" "</s>", a few letters, and n_extra user-defined
 * "<extra_id_N>" pieces; the timed tokenize of a text with ~1 in 100 bytes starting a piece. */
static void bench_user_defined(int n_extra)
{
    gb b = { 0 };
    gb_header(&b, 3, 0, 4);
    gb_kv_str(&b, "general.architecture", "llama");
    gb_kv_str(&b, "tokenizer.ggml.model", "llama");
    static const char *const letters[] = { "\xE2\x96\x81", "a", "e", "i", "o", "s", "t" };
    uint32_t n_letters = sizeof letters / sizeof letters[0], n = 3 + n_letters + (uint32_t)n_extra;
    char name[32];
    gb_str(&b, "tokenizer.ggml.tokens"); gb_u32(&b, 9); gb_u32(&b, 8); gb_u64(&b, n);
    gb_str(&b, "<unk>"); gb_str(&b, "<s>"); gb_str(&b, "</s>");
    for (uint32_t i = 0; i < n_letters; i++) gb_str(&b, letters[i]);
    for (int i = 0; i < n_extra; i++) {
        snprintf(name, sizeof name, "<extra_id_%d>", i);
        gb_str(&b, name);
    }
    gb_str(&b, "tokenizer.ggml.token_type"); gb_u32(&b, 9); gb_u32(&b, 5); gb_u64(&b, n);
    gb_u32(&b, 2); gb_u32(&b, 3); gb_u32(&b, 3);
    for (uint32_t i = 0; i < n_letters; i++) gb_u32(&b, 1);
    for (int i = 0; i < n_extra; i++) gb_u32(&b, 4);
    gb_pad(&b, 32);
    mw_model *m;
    if (mw_model_open_memory(b.p, b.len, NULL, &m) != MW_OK) {
        fprintf(stderr, "bench_tokenizer: user-defined vocabulary: %s\n", mw_last_error());
        exit(1);
    }
    size_t cap = (1 << 20) + 64, len = 0;
    char *text = malloc(cap);
    while (len < (1 << 20)) {
        if (rnd(100) == 0)
            len += (size_t)snprintf(text + len, cap - len, "<extra_id_%u>", rnd((uint32_t)n_extra));
        else
            text[len++] = " aeiost"[rnd(7)];
    }
    int32_t *ids = malloc((len + 16) * sizeof *ids), count = 0;
    double t0 = now(), w0 = wall();
    if (mw_tokenize(m, text, len, 0, ids, (int32_t)len + 16, &count) != MW_OK) {
        fprintf(stderr, "tokenize: %s\n", mw_last_error());
        exit(1);
    }
    printf("%d user-defined pieces: %zu bytes -> %d tokens in %.3f s CPU (wall %.3f s)\n", n_extra,
           len, (int)count, now() - t0, wall() - w0);
    free(ids); free(text); free(b.p);
    mw_model_free(m);
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "tests/data/tokenizers/ggml-vocab-mistral-v1.gguf";
    double mb = argc > 2 ? atof(argv[2]) : 1.0;
    size_t target = (size_t)(mb * 1024 * 1024);
    mw_model *m;
    if (mw_model_open_file(path, NULL, &m) != MW_OK) {
        fprintf(stderr, "bench_tokenizer: %s: %s\n", path, mw_last_error());
        return 1;
    }
    char *text = malloc(target + 256);
    size_t n = 0;
    while (n < target) {
        uint32_t kind = rnd(10);
        if (kind < 6) {           /* a sentence of prose */
            int len = 5 + (int)rnd(15);
            for (int i = 0; i < len; i++) {
                n = append(text, n, target + 256, words[rnd(sizeof words / sizeof words[0])]);
                n = append(text, n, target + 256, i + 1 < len ? " " : ". ");
            }
        } else if (kind < 8) {
            n = append(text, n, target + 256, code[rnd(sizeof code / sizeof code[0])]);
        } else {
            n = append(text, n, target + 256, other[rnd(sizeof other / sizeof other[0])]);
            n = append(text, n, target + 256, "\n");
        }
    }
    int32_t cap = (int32_t)n + 16, count = 0;
    int32_t *ids = malloc((size_t)cap * sizeof *ids);

    double best = 1e9, best_wall = 1e9;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now(), w0 = wall();
        if (mw_tokenize(m, text, n, MW_TOKENIZE_ADD_BOS, ids, cap, &count) != MW_OK) {
            fprintf(stderr, "tokenize: %s\n", mw_last_error());
            return 1;
        }
        double dt = now() - t0, dw = wall() - w0;
        if (dt < best) best = dt;
        if (dw < best_wall) best_wall = dw;
    }
    printf("tokenize: %zu bytes -> %d tokens in %.3f s CPU = %.2f MB/s (best of 3; wall %.3f s)\n",
           n, (int)count, best, (double)n / best / 1e6, best_wall);

    size_t out_cap = n * 2 + 16, out_n;
    char *out = malloc(out_cap);
    double t0 = now();
    mw_detokenize(m, ids, count, out, out_cap, &out_n);
    double dt = now() - t0;
    printf("detokenize: %d tokens -> %zu bytes in %.4f s = %.1f MB/s, round trip %s\n",
           (int)count, out_n, dt, (double)out_n / dt / 1e6,
           out_n == n + 1 && memcmp(out + 1, text, n) == 0 ? "exact" : "DIFFERS");

    /* one 256 KiB word: every merge happens inside a single huge symbol run */
    size_t wn = 256 * 1024;
    char *word = malloc(wn);
    for (size_t i = 0; i < wn; i++) word[i] = "abcdefghij"[rnd(10)];
    t0 = now();
    mw_tokenize(m, word, wn, 0, ids, cap, &count);
    dt = now() - t0;
    printf("one %zu-byte word: %d tokens in %.3f s = %.2f MB/s\n", wn, (int)count, dt,
           (double)wn / dt / 1e6);
    free(word); free(out); free(ids); free(text);
    mw_model_free(m);
    bench_user_defined(4000);
    return 0;
}
