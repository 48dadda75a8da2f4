/*
 * test_quant.c — tensor formats and the scalar reference kernels:
 *  - fp16 / bf16 conversions (all 65536 halves, rounding table: ties, subnormals, overflow);
 *  - the traits table (sizes, names, row sizes, unknown ids);
 *  - dequantize of llama.cpp-made blocks, bit-exact against tools/quant_ref.py's numpy output
 *    (tests/data/quant/<TYPE>.{blocks,f32});
 *  - the activation quantizers on crafted inputs (round-half-even ties, 127/amax, zero blocks);
 *  - vec_dot of every type against the float dot of the dequantized operands (same maths) and
 *    against the unquantized dot (within the activation format's error bound), on 1..33 blocks;
 *  - weight quantize -> dequantize round trips within each format's error bound;
 *  - the dispatch table.
 */
#include "harness.h"
#include "kernels/kernels.h"

#include <stdint.h>

static uint32_t rng = 12345;
static float frand(void)  /* uniform in [0, 1) */
{
    rng = rng * 1664525u + 1013904223u;
    return (float)(rng >> 8) * (1.0f / 16777216.0f);
}
static float grand(void)  /* standard normal (Box-Muller) */
{
    float u = frand() + 1e-7f, v = frand();
    return sqrtf(-2.0f * logf(u)) * cosf(6.2831853f * v);
}
static uint32_t fbits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static float bitsf(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

/* ---- fp16 / bf16 ---- */

static void test_fp16(void)
{
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = mw_fp16_to_f32((uint16_t)h);
        uint16_t back = mw_f32_to_fp16(f);
        int is_nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff);
        if (is_nan) {   /* NaN stays NaN, sign kept, made quiet */
            if (!isnan(f) || back != (uint16_t)(h | 0x200)) bad++;
        } else if (back != h) {
            bad++;
        }
    }
    CHECK_MSG(bad == 0, "%d halves do not round-trip", bad);

    /* exact values of the f16 -> f32 side */
    CHECK(mw_fp16_to_f32(0x3c00) == 1.0f);
    CHECK(mw_fp16_to_f32(0xc000) == -2.0f);
    CHECK(mw_fp16_to_f32(0x7bff) == 65504.0f);
    CHECK(mw_fp16_to_f32(0x0001) == ldexpf(1.0f, -24));       /* smallest subnormal */
    CHECK(mw_fp16_to_f32(0x03ff) == ldexpf(1023.0f, -24));    /* largest subnormal */
    CHECK(mw_fp16_to_f32(0x0400) == ldexpf(1.0f, -14));       /* smallest normal */
    CHECK(fbits(mw_fp16_to_f32(0x8000)) == 0x80000000u);
    CHECK(isinf(mw_fp16_to_f32(0x7c00)) && mw_fp16_to_f32(0xfc00) < 0);

    static const struct { uint32_t f; uint16_t h; } table[] = {
        { 0x3f800000, 0x3c00 },  /* 1 */
        { 0x3f801000, 0x3c00 },  /* 1 + 2^-11: tie between 1 and 1+2^-10 -> even (1) */
        { 0x3f803000, 0x3c02 },  /* 1 + 3*2^-11: tie -> even (1 + 2^-9) */
        { 0x3f801001, 0x3c01 },  /* just above the tie -> up */
        { 0x3f800fff, 0x3c00 },  /* just below -> down */
        { 0xbf803000, 0xbc02 },  /* negative tie */
        { 0x477fe000, 0x7bff },  /* 65504, largest half */
        { 0x477fefff, 0x7bff },  /* below 65520 -> 65504 */
        { 0x477ff000, 0x7c00 },  /* 65520: tie, rounds to even = inf */
        { 0x7f7fffff, 0x7c00 },  /* FLT_MAX -> inf */
        { 0xff800000, 0xfc00 },  /* -inf */
        { 0x33800000, 0x0001 },  /* 2^-24, smallest subnormal */
        { 0x33000000, 0x0000 },  /* 2^-25: tie between 0 and 2^-24 -> 0 */
        { 0x33000001, 0x0001 },  /* just above -> 2^-24 */
        { 0x33c00000, 0x0002 },  /* 1.5*2^-24: tie -> even (2) */
        { 0x34200000, 0x0002 },  /* 2.5*2^-24: tie -> even (2) */
        { 0x387fc000, 0x03ff },  /* largest subnormal */
        { 0x387fe000, 0x0400 },  /* tie between largest subnormal and smallest normal -> even */
        { 0x38800000, 0x0400 },  /* 2^-14 */
        { 0x80000000, 0x8000 },  /* -0 */
        { 0x00000001, 0x0000 },  /* f32 subnormal -> 0 */
        { 0x7fc00000, 0x7e00 },  /* quiet NaN */
        { 0x7f800001, 0x7e00 },  /* signalling NaN -> quiet */
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        uint16_t h = mw_f32_to_fp16(bitsf(table[i].f));
        CHECK_MSG(h == table[i].h, "f32 %08x -> %04x, want %04x", table[i].f, h, table[i].h);
    }

    /* bf16: nearest even on the top 16 bits, NaN quiet */
    CHECK(mw_f32_to_bf16(1.0f) == 0x3f80);
    CHECK(mw_f32_to_bf16(bitsf(0x3f808000)) == 0x3f80);   /* tie -> even */
    CHECK(mw_f32_to_bf16(bitsf(0x3f818000)) == 0x3f82);   /* tie -> even (up) */
    CHECK(mw_f32_to_bf16(bitsf(0x3f808001)) == 0x3f81);
    CHECK(mw_f32_to_bf16(bitsf(0x7f7fffff)) == 0x7f80);   /* overflow -> inf */
    CHECK(mw_f32_to_bf16(bitsf(0x7f800001)) == 0x7fc0);   /* sNaN -> qNaN */
    CHECK(mw_f32_to_bf16(bitsf(0xffc00000)) == 0xffc0);
    CHECK(mw_bf16_to_f32(0xc040) == -3.0f);
    int bad_bf = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        int is_nan = (h & 0x7f80) == 0x7f80 && (h & 0x7f);
        uint16_t back = mw_f32_to_bf16(mw_bf16_to_f32((uint16_t)h));
        if (back != (is_nan ? (uint16_t)(h | 0x40) : h)) bad_bf++;
    }
    CHECK_MSG(bad_bf == 0, "%d bf16 values do not round-trip", bad_bf);
}

/* ---- traits ---- */

static void test_traits(void)
{
    static const struct { int32_t type; const char *name; int bs; size_t ts; int32_t dot; } t[] = {
        { MW_TYPE_F32, "F32", 1, 4, MW_TYPE_F32 },     { MW_TYPE_F16, "F16", 1, 2, MW_TYPE_F16 },
        { MW_TYPE_BF16, "BF16", 1, 2, MW_TYPE_BF16 },  { MW_TYPE_Q4_0, "Q4_0", 32, 18, MW_TYPE_Q8_0 },
        { MW_TYPE_Q4_1, "Q4_1", 32, 20, MW_TYPE_Q8_1 }, { MW_TYPE_Q5_0, "Q5_0", 32, 22, MW_TYPE_Q8_0 },
        { MW_TYPE_Q5_1, "Q5_1", 32, 24, MW_TYPE_Q8_1 }, { MW_TYPE_Q8_0, "Q8_0", 32, 34, MW_TYPE_Q8_0 },
        { MW_TYPE_Q8_1, "Q8_1", 32, 36, MW_TYPE_Q8_1 }, { MW_TYPE_Q2_K, "Q2_K", 256, 84, MW_TYPE_Q8_K },
        { MW_TYPE_Q3_K, "Q3_K", 256, 110, MW_TYPE_Q8_K }, { MW_TYPE_Q4_K, "Q4_K", 256, 144, MW_TYPE_Q8_K },
        { MW_TYPE_Q5_K, "Q5_K", 256, 176, MW_TYPE_Q8_K }, { MW_TYPE_Q6_K, "Q6_K", 256, 210, MW_TYPE_Q8_K },
        { MW_TYPE_Q8_K, "Q8_K", 256, 292, MW_TYPE_Q8_K },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        const mw_type_traits *tr = mw_type_traits_get(t[i].type);
        CHECK_MSG(tr && strcmp(tr->name, t[i].name) == 0 && tr->block_size == t[i].bs &&
                  tr->type_size == t[i].ts && tr->vec_dot_type == t[i].dot &&
                  tr->dequantize_row, "traits of %s", t[i].name);
        CHECK(strcmp(mw_type_name(t[i].type), t[i].name) == 0);
        CHECK(mw_row_size(t[i].type, 4096) == 4096 / t[i].bs * t[i].ts);
        if (t[i].bs > 1) CHECK(mw_row_size(t[i].type, t[i].bs + 1) == 0);
        int act = t[i].type == MW_TYPE_Q8_1 || t[i].type == MW_TYPE_Q8_K;
        CHECK_MSG(act ? tr->vec_dot == NULL : tr->vec_dot != NULL, "vec_dot of %s", t[i].name);
    }
    static const int32_t unknown[] = { -1, 4, 5, 16, 20, 29, 31, 1000 };
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        CHECK(mw_type_traits_get(unknown[i]) == NULL);
        CHECK(mw_type_name(unknown[i]) == NULL);
        CHECK(mw_row_size(unknown[i], 256) == 0);
    }
    CHECK(mw_row_size(MW_TYPE_F32, 0) == 0 && mw_row_size(MW_TYPE_F32, -1) == 0);
}

/* ---- dequantize of llama.cpp blocks ---- */

typedef struct { int32_t type; uint8_t *blocks; float *want; int64_t n; } ref_data;

static const int32_t ref_types[] = { MW_TYPE_F16, MW_TYPE_BF16, MW_TYPE_Q4_0, MW_TYPE_Q4_1,
    MW_TYPE_Q5_0, MW_TYPE_Q5_1, MW_TYPE_Q8_0, MW_TYPE_Q2_K, MW_TYPE_Q3_K, MW_TYPE_Q4_K,
    MW_TYPE_Q5_K, MW_TYPE_Q6_K };
#define N_REF (sizeof ref_types / sizeof ref_types[0])
static ref_data refs[N_REF];

static int load_ref(int32_t type, ref_data *r)
{
    char path[512];
    size_t nb = 0, nf = 0;
    snprintf(path, sizeof path, "%s/quant/%s.blocks", MW_TEST_DATA, mw_type_name(type));
    r->blocks = test_read_file(path, &nb);
    snprintf(path, sizeof path, "%s/quant/%s.f32", MW_TEST_DATA, mw_type_name(type));
    r->want = test_read_file(path, &nf);
    r->type = type;
    r->n = (int64_t)(nf / 4);
    return r->blocks && r->want && r->n > 0 && mw_row_size(type, r->n) == nb;
}

static void test_dequantize_reference(void)
{
    for (size_t i = 0; i < N_REF; i++) {
        ref_data *r = &refs[i];
        int ok = load_ref(ref_types[i], r);
        CHECK_MSG(ok, "reference data for %s", mw_type_name(ref_types[i]));
        if (!ok) continue;
        float *got = malloc((size_t)r->n * sizeof(float));
        mw_type_traits_get(r->type)->dequantize_row(r->blocks, got, r->n);
        int64_t bad = 0, first = -1;
        for (int64_t j = 0; j < r->n; j++)
            if (fbits(got[j]) != fbits(r->want[j])) { bad++; if (first < 0) first = j; }
        CHECK_MSG(bad == 0, "%s: %lld of %lld values differ, first at %lld: %.9g vs %.9g",
                  mw_type_name(r->type), (long long)bad, (long long)r->n, (long long)first,
                  first >= 0 ? got[first] : 0.0, first >= 0 ? r->want[first] : 0.0);
        free(got);
    }
}

/* ---- activation quantizers ---- */

static void test_q8_0_activations(void)
{
    float x[64] = { 0 };
    block_q8_0 y[2];
    /* amax 127 makes id = 1: x*id are the ties themselves */
    const float in[8] = { 127, 0.5f, 1.5f, 2.5f, -0.5f, -2.5f, -3.5f, 126.5f };
    const int8_t want[8] = { 127, 0, 2, 2, 0, -2, -4, 126 };
    memcpy(x, in, sizeof in);
    /* block 2 all zero */
    mw_quantize_row_q8_0(x, y, 64);
    for (int j = 0; j < 8; j++) CHECK_MSG(y[0].qs[j] == want[j], "q8_0 tie %d: %d", j, y[0].qs[j]);
    CHECK(y[0].d == mw_f32_to_fp16(1.0f));
    CHECK(y[1].d == 0);
    int zero = 1;
    for (int j = 0; j < 32; j++) zero &= y[1].qs[j] == 0;
    CHECK(zero);

    /* id = 127/amax, not 1/d: here x*127/amax is exactly 112.5 (tie -> 112), while
     * x*(1/(amax/127)) is 112.500008 (-> 113), and roundf would give 113 too */
    memset(x, 0, sizeof x);
    x[0] = bitsf(0x3daed4ca);   /* 0x1.5da994p-4 */
    x[1] = bitsf(0x3d9adec3);   /* 0x1.35bd86p-4 */
    mw_quantize_row_q8_0(x, y, 32);
    CHECK(y[0].qs[0] == 127);
    CHECK_MSG(y[0].qs[1] == 112, "q8_0 127/amax tie: %d", y[0].qs[1]);
    CHECK(y[0].d == mw_f32_to_fp16(x[0] / 127.f));

    /* Q8_1: same quants, s = fp16(d * sum(q)) with the unrounded d */
    block_q8_1 z;
    memcpy(x, in, sizeof in);
    memset(x + 8, 0, 24 * sizeof(float));
    mw_quantize_row_q8_1(x, &z, 32);
    int sum = 0;
    for (int j = 0; j < 8; j++) { CHECK(z.qs[j] == want[j]); sum += want[j]; }
    CHECK(z.d == mw_f32_to_fp16(1.0f) && z.s == mw_f32_to_fp16((float)sum));

    /* the reference weight quantizer rounds half away from zero with id = 1/d */
    mw_quantize_row_q8_0_ref(x, y, 32);
    CHECK(y[0].qs[1] == 1 && y[0].qs[2] == 2 && y[0].qs[3] == 3 && y[0].qs[5] == -3);
}

static void test_q8_K_activations(void)
{
    float x[512] = { 0 };
    block_q8_K y[2];
    /* max is +127 -> iscale = -1, d = -1, quants negated; nearest_int ties to even */
    x[0] = 127; x[1] = 0.5f; x[2] = 1.5f; x[3] = 2.5f; x[4] = -3.5f; x[17] = 5;
    mw_quantize_row_q8_K(x, y, 512);
    CHECK(y[0].d == -1.0f);
    CHECK(y[0].qs[0] == -127 && y[0].qs[1] == 0 && y[0].qs[2] == -2 && y[0].qs[3] == -2 &&
          y[0].qs[4] == 4 && y[0].qs[17] == -5);
    CHECK(y[0].bsums[0] == -127 + 0 - 2 - 2 + 4 && y[0].bsums[1] == -5 && y[0].bsums[2] == 0);
    CHECK(y[1].d == 0.0f);   /* all-zero block */
    int zero = 1;
    for (int j = 0; j < QK_K; j++) zero &= y[1].qs[j] == 0;
    for (int j = 0; j < 16; j++) zero &= y[1].bsums[j] == 0;
    CHECK(zero);
    /* |max| tie between -5 (first) and +5: the first one's sign wins */
    memset(x, 0, sizeof x);
    x[3] = -5; x[9] = 5; x[10] = 2.5f;
    mw_quantize_row_q8_K(x, y, 256);
    CHECK(y[0].qs[3] == -127 && y[0].qs[9] == 127 && y[0].qs[10] == 64);  /* 63.5 -> 64 */
    CHECK(y[0].d == 1.0f / (127.f / 5.0f));
}

/* ---- vec_dot ---- */

/* Error bound of the activation format for one value y[i] of a row. */
static void activation_bounds(int32_t act, const float *y, int n, float *bound)
{
    int bs = mw_type_traits_get(act)->block_size;
    for (int b = 0; b < n / bs; b++) {
        float amax = 0;
        for (int j = 0; j < bs; j++) amax = fmaxf(amax, fabsf(y[b * bs + j]));
        for (int j = 0; j < bs; j++) {
            float v = fabsf(y[b * bs + j]);
            float e;
            if (act == MW_TYPE_F32) e = 0;
            else if (act == MW_TYPE_F16) e = v * 0x1p-11f;
            else if (act == MW_TYPE_BF16) e = v * 0x1p-8f;
            else e = amax / 254.f + amax * 0x1p-10f;  /* half a step, plus the fp16 scale */
            bound[b * bs + j] = e * 1.01f;
        }
    }
}

/* x: a weight row of type (n values); checks vec_dot against the float maths. */
static void check_vec_dot(int32_t type, const void *x, int n, const char *what)
{
    const mw_type_traits *t = mw_type_traits_get(type);
    const mw_type_traits *ta = mw_type_traits_get(t->vec_dot_type);
    float *xf = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float));
    float *yq_f = malloc(n * sizeof(float)), *bound = malloc(n * sizeof(float));
    void *yq = malloc(mw_row_size(t->vec_dot_type, n));
    for (int i = 0; i < n; i++) y[i] = grand() * (i % 97 == 5 ? 8.0f : 1.0f);  /* some outliers */
    t->dequantize_row(x, xf, n);
    ta->quantize_row(y, yq, n);
    ta->dequantize_row(yq, yq_f, n);
    activation_bounds(t->vec_dot_type, y, n, bound);

    float got;
    t->vec_dot(n, &got, x, yq);
    double same = 0, exact = 0, mag = 0, err_bound = 0;
    for (int i = 0; i < n; i++) {
        same += (double)xf[i] * yq_f[i];
        exact += (double)xf[i] * y[i];
        mag += fabs((double)xf[i] * y[i]);
        err_bound += fabs((double)xf[i]) * bound[i];
    }
    /* Q8_1 carries s = fp16(d*sum(q)) with the unrounded d, so m*s is off from
     * m*sum(dequantized y) = m*fp16(d)*sum(q) by up to |m|*|s|*2^-10 per block (two fp16
     * roundings; ggml's maths too); |m| <= the block's largest |x|. */
    double s_round = 0;
    if (t->vec_dot_type == MW_TYPE_Q8_1) {
        for (int b = 0; b < n / 32; b++) {
            float xmax = 0;
            for (int j = 0; j < 32; j++) xmax = fmaxf(xmax, fabsf(xf[b * 32 + j]));
            s_round += xmax * fabsf(mw_fp16_to_f32(((block_q8_1 *)yq)[b].s)) * 0x1p-10;
        }
    }
    /* same maths, different float order: relative to the magnitude of the terms */
    CHECK_MSG(fabs(got - same) <= 1e-5 * mag + s_round + 1e-6,
              "%s %s n=%d: vec_dot %.9g vs dequantized dot %.9g", mw_type_name(type), what, n,
              got, same);
    CHECK_MSG(fabs(got - exact) <= err_bound + 1e-5 * mag + s_round + 1e-6,
              "%s %s n=%d: vec_dot %.9g vs exact %.9g, bound %.3g", mw_type_name(type), what,
              n, got, exact, err_bound);

    /* the dispatch table (SIMD where built): bit-equal activations, dot within float order */
    void *yk = malloc(mw_row_size(t->vec_dot_type, n));
    mw_kern->quantize_row[t->vec_dot_type](y, yk, n);
    CHECK_MSG(memcmp(yk, yq, mw_row_size(t->vec_dot_type, n)) == 0,
              "%s kernel activation quantizer differs from the reference", mw_type_name(t->vec_dot_type));
    float got_k;
    mw_kern->vec_dot[type](n, &got_k, x, yq);
    CHECK_MSG(fabs(got_k - got) <= 1e-5 * mag + 1e-6, "%s %s n=%d: kernel %.9g vs scalar %.9g",
              mw_type_name(type), what, n, got_k, got);
    free(yk);
    free(xf); free(y); free(yq_f); free(bound); free(yq);
}

static void test_vec_dot_reference_blocks(void)
{
    static const int counts[] = { 1, 3, 7, 31, 33 };
    for (size_t i = 0; i < N_REF; i++) {
        ref_data *r = &refs[i];
        if (!r->blocks) continue;
        const mw_type_traits *t = mw_type_traits_get(r->type);
        int bs = t->block_size > 1 ? t->block_size : 32;
        int64_t have = r->n / bs;
        for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
            int n = counts[c] * bs;
            /* cycle the llama.cpp blocks to reach the wanted count */
            size_t chunk = mw_row_size(r->type, bs);
            uint8_t *x = malloc(chunk * counts[c]);
            for (int b = 0; b < counts[c]; b++)
                memcpy(x + b * chunk, r->blocks + (b % have) * chunk, chunk);
            check_vec_dot(r->type, x, n, "llama.cpp blocks");
            free(x);
        }
    }
}

/* ---- weight quantizers ---- */

/* Our reference quantizers on the F32 master values reproduce llama-quantize's blocks. */
static void test_weight_quantizers_match_llama(void)
{
    size_t n_embd = 0, n_out = 0;
    float *embd = test_read_file(MW_TEST_DATA "/quant/master.token_embd.f32", &n_embd);
    float *out = test_read_file(MW_TEST_DATA "/quant/master.output.f32", &n_out);
    CHECK(embd && out && n_embd == 8192 && n_out == 8192);
    if (!embd || !out) return;
    for (size_t i = 0; i < N_REF; i++) {
        ref_data *r = &refs[i];
        mw_quantize_fn q = mw_weight_quantizer(r->type);
        if (!r->blocks || !q) continue;
        /* quant_ref.py took F16, BF16, Q8_0, Q6_K from output.weight, the rest from token_embd */
        int from_out = r->type == MW_TYPE_F16 || r->type == MW_TYPE_BF16 ||
                       r->type == MW_TYPE_Q8_0 || r->type == MW_TYPE_Q6_K;
        size_t size = mw_row_size(r->type, r->n);
        uint8_t *got = malloc(size);
        q(from_out ? out : embd, got, r->n);
        size_t bsize = mw_type_traits_get(r->type)->type_size;
        int bad = 0, first = -1;
        for (size_t b = 0; b < size / bsize; b++)
            if (memcmp(got + b * bsize, r->blocks + b * bsize, bsize)) { bad++; if (first < 0) first = (int)b; }
        CHECK_MSG(bad == 0, "%s: %d of %zu blocks differ from llama-quantize's (first %d)",
                  mw_type_name(r->type), bad, size / bsize, first);
        free(got);
    }
    free(embd);
    free(out);
}

/* quantize -> dequantize of gaussian data with outliers, within each format's bound */
static void test_weight_round_trip(void)
{
    static const int32_t types[] = { MW_TYPE_F32, MW_TYPE_F16, MW_TYPE_BF16, MW_TYPE_Q8_0,
        MW_TYPE_Q2_K, MW_TYPE_Q3_K, MW_TYPE_Q4_0, MW_TYPE_Q4_1, MW_TYPE_Q5_0, MW_TYPE_Q5_1, MW_TYPE_Q4_K, MW_TYPE_Q5_K,
        MW_TYPE_Q6_K };
    enum { N = 7 * 256 };
    float x[N], y[N];
    for (int i = 0; i < N; i++) x[i] = 0.02f * grand() * (i % 61 == 7 ? 6.0f : 1.0f);
    for (int i = 512; i < 768; i++) x[i] = 0;   /* an all-zero super-block */
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
        int32_t type = types[k];
        mw_quantize_fn q = mw_weight_quantizer(type);
        CHECK_MSG(q != NULL, "no weight quantizer for %s", mw_type_name(type));
        if (!q) continue;
        uint8_t *blocks = malloc(mw_row_size(type, N));
        q(x, blocks, N);
        mw_type_traits_get(type)->dequantize_row(blocks, y, N);
        double err2 = 0, sig2 = 0;
        int over = 0, zero_ok = 1;
        for (int b = 0; b < N / 32; b++) {
            const float *xb = x + 32 * b, *yb = y + 32 * b;
            float amax = 0, mn = xb[0], mx = xb[0];
            for (int j = 0; j < 32; j++) {
                amax = fmaxf(amax, fabsf(xb[j]));
                mn = fminf(mn, xb[j]);
                mx = fmaxf(mx, xb[j]);
            }
            for (int j = 0; j < 32; j++) {
                float e = fabsf(yb[j] - xb[j]), bound;
                switch (type) {   /* half a step, the clamped end of the _0 types, fp16 scales */
                case MW_TYPE_F32: bound = 0; break;
                case MW_TYPE_F16: bound = fabsf(xb[j]) * 0x1p-11f + 0x1p-25f; break;   /* + subnormals */
                case MW_TYPE_BF16: bound = fabsf(xb[j]) * 0x1p-8f; break;
                case MW_TYPE_Q8_0: bound = amax / 254 + amax * 0x1p-10f; break;
                case MW_TYPE_Q4_0: bound = amax / 8 + amax * 0x1p-10f; break;
                case MW_TYPE_Q5_0: bound = amax / 16 + amax * 0x1p-10f; break;
                case MW_TYPE_Q4_1: bound = (mx - mn) / 30 + (fabsf(mn) + (mx - mn)) * 0x1p-10f; break;
                case MW_TYPE_Q5_1: bound = (mx - mn) / 62 + (fabsf(mn) + (mx - mn)) * 0x1p-10f; break;
                default: bound = INFINITY;   /* K-quants: fitted scales, checked by rms below */
                }
                if (e > bound * 1.01f + 1e-12f) over++;
                err2 += (double)e * e;
                sig2 += (double)xb[j] * xb[j];
                if (b >= 16 && b < 24 && yb[j] != 0) zero_ok = 0;
            }
        }
        double rel = sqrt(err2 / sig2);
        if (getenv("MW_TEST_VERBOSE")) printf("%s rms rel %.4g\n", mw_type_name(type), rel);
        /* rms error / rms signal on this data (measured: Q2_K 0.34, Q3_K 0.19, Q4_K 0.088,
         * Q5_K 0.043, Q6_K 0.024; llama.cpp's blocks of the reference files, no outliers:
         * 0.30, 0.15, 0.073, 0.037, 0.018) */
        double max_rel = type == MW_TYPE_Q2_K ? 0.4 : type == MW_TYPE_Q3_K ? 0.22 :
                         type == MW_TYPE_Q4_K ? 0.1 : type == MW_TYPE_Q5_K ? 0.05 :
                         type == MW_TYPE_Q6_K ? 0.03 : 1.0;
        CHECK_MSG(over == 0, "%s: %d values outside the format's error bound", mw_type_name(type), over);
        CHECK_MSG(rel <= max_rel, "%s: rms relative error %.4g > %.4g", mw_type_name(type), rel, max_rel);
        CHECK_MSG(zero_ok, "%s: zero block does not stay zero", mw_type_name(type));
        /* and the dot products on the same weights, on ragged block counts */
        static const int counts[] = { 1, 3, 7 };
        int bs = mw_type_traits_get(type)->block_size;
        for (size_t c = 0; c < 3; c++) {
            int n = type == MW_TYPE_F32 || type == MW_TYPE_F16 || type == MW_TYPE_BF16 ?
                    counts[c] * 32 + 5 : counts[c] * bs;
            check_vec_dot(type, blocks, n, "random weights");
        }
        free(blocks);
    }
}

static void test_kernels_table(void)
{
    mw_kernels_init();
    mw_kernels_init();   /* idempotent */
    CHECK(mw_kernels_name() != NULL && mw_kern->name != NULL);
    for (size_t i = 0; i < N_REF; i++) CHECK(mw_kern->vec_dot[ref_types[i]] != NULL);
    CHECK(mw_kern->vec_dot[MW_TYPE_F32] != NULL);
    static const int32_t act[] = { MW_TYPE_F32, MW_TYPE_F16, MW_TYPE_BF16, MW_TYPE_Q8_0,
                                   MW_TYPE_Q8_1, MW_TYPE_Q8_K };
    for (size_t i = 0; i < sizeof act / sizeof act[0]; i++) CHECK(mw_kern->quantize_row[act[i]]);
    float a[37], b[37];
    double want = 0;
    for (int i = 0; i < 37; i++) { a[i] = grand(); b[i] = grand(); want += (double)a[i] * b[i]; }
    CHECK_NEAR(mw_kern->dot_f32(37, a, b), want, 1e-5);
    float c[37];
    memcpy(c, b, sizeof c);
    mw_kern->axpy_f32(37, 0.5f, a, c);
    int ok = 1;
    for (int i = 0; i < 37; i++) ok &= c[i] == b[i] + 0.5f * a[i];
    CHECK(ok);
}

int main(void)
{
    test_kernels_table();
    test_fp16();
    test_traits();
    test_dequantize_reference();
    test_q8_0_activations();
    test_q8_K_activations();
    test_vec_dot_reference_blocks();
    test_weight_quantizers_match_llama();
    test_weight_round_trip();
    return TEST_REPORT();
}
