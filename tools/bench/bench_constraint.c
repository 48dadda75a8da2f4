/*
 * bench_constraint.c — cost of constrained JSON decoding: building a constraint (schema compile
 * + the sorted token-piece index) and computing the token mask once per generated token, with
 * random logits picking the tokens (so strings, numbers and structure all get visited). Prints
 * CPU milliseconds; a benchmark, not a test.
 *
 *   bench_constraint [model.gguf] [tokens]
 * default model: tests/data/reference/mistral-v32k.Q4_K_M.gguf (Mistral v1, 32000 tokens; run
 * from the repo root), 400 tokens per schema.
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mw.h"

static double now(void)   /* CPU time of this process: the machine is shared */
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static float rnd_unit(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (float)((rng_state >> 40) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
}

static const char *const schemas[] = {
    NULL,
    "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},\"age\":{\"type\":"
    "\"integer\"},\"tags\":{\"type\":\"array\",\"items\":{\"enum\":[\"a\",\"b\",\"c\"]}}},"
    "\"required\":[\"name\",\"age\",\"tags\"],\"additionalProperties\":false}",
};

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "tests/data/reference/mistral-v32k.Q4_K_M.gguf";
    int tokens = argc > 2 ? atoi(argv[2]) : 400;
    mw_model *m = NULL;
    if (mw_model_open_file(path, NULL, &m) != MW_OK) {
        fprintf(stderr, "bench_constraint: %s: %s\n", path, mw_last_error());
        return 1;
    }
    mw_model_info info;
    mw_model_get_info(m, &info);
    float *logits = malloc(sizeof(float) * (size_t)info.n_vocab);
    printf("model %s, vocab %d\n", path, (int)info.n_vocab);
    for (size_t si = 0; si < sizeof schemas / sizeof schemas[0]; si++) {
        const char *schema = schemas[si];
        double t0 = now();
        mw_constraint *c = NULL;
        if (mw_constraint_create_json(m, schema, schema ? strlen(schema) : 0, 8192, &c) != MW_OK) {
            fprintf(stderr, "bench_constraint: %s\n", mw_last_error());
            return 1;
        }
        double t_create = now() - t0, t_mask = 0;
        mw_sampler_params sp = mw_sampler_params_default();
        sp.temperature = 1.0f;
        sp.top_k = 0;
        sp.top_p = 1.0f;
        sp.min_p = 0.0f;
        mw_sampler *smp = NULL;
        mw_sampler_create(&sp, info.n_vocab, &smp);
        int steps = 0, docs = 0;
        while (steps < tokens) {
            if (mw_constraint_done(c)) {
                mw_constraint_reset(c);
                docs++;
            }
            for (int32_t i = 0; i < info.n_vocab; i++)
                logits[i] = 4.0f * rnd_unit();
            double t1 = now();
            mw_constraint_apply(c, logits, info.n_vocab);   /* the per-token cost */
            t_mask += now() - t1;
            int32_t id = mw_sampler_sample(smp, logits);
            if (id == mw_token_eos(m)) {
                mw_constraint_reset(c);
                docs++;
            } else {
                mw_constraint_accept(c, id);
            }
            steps++;
        }
        printf("%-12s create %.2f ms, mask %.3f ms/token over %d tokens (%d documents)\n",
               schema ? "json_schema" : "json_object", t_create * 1e3, t_mask * 1e3 / steps,
               steps, docs);
        mw_sampler_free(smp);
        mw_constraint_free(c);
    }
    free(logits);
    mw_model_free(m);
    return 0;
}
