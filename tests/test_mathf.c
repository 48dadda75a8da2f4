/*
 * test_mathf.c — core/mathf.c (the freestanding wasm64 module's libm) against the platform's
 * libm: max ulp distance over millions of inputs per function, stated tolerance 1 ulp (both
 * sides are within ~0.5 ulp of the true value and may round a near-tie differently; glibc's
 * own expf/logf/sinf are not always correctly rounded either), and bit-exact special cases
 * (zeros, infinities, NaN, powf's C99 table). The ranges cover what the core feeds them:
 * softmax/SwiGLU exponents, RoPE angles up to position 2^20 and its theta^(-2i/d) powers, the
 * sampler's logf(min_p), and Q8_0/Q4 quantization's roundf/fmaxf.
 */
#include "harness.h"
#include "mathf.h"

static int64_t ordered(float x)
{
    int32_t i;
    memcpy(&i, &x, 4);
    return i < 0 ? (int64_t)INT32_MIN - i : i; /* -0 and +0 map to 0; order = float order */
}

/* ulp distance; NaN vs NaN is 0, NaN vs number is "infinite" */
static int64_t ulps(float a, float b)
{
    if (a != a || b != b)
        return (a != a && b != b) ? 0 : INT64_MAX;
    int64_t d = ordered(a) - ordered(b);
    return d < 0 ? -d : d;
}

static int same_bits(float a, float b)
{
    if (a != a || b != b)
        return a != a && b != b;
    return memcmp(&a, &b, 4) == 0;
}

static float rnd_range(uint64_t *s, float lo, float hi)
{
    return lo + (hi - lo) * (float)(test_rnd_u32(s) * (1.0 / 4294967296.0));
}

/* a float with random bits among the finite positives */
static float rnd_positive(uint64_t *s)
{
    uint32_t u;
    do
        u = test_rnd_u32(s) & 0x7fffffff;
    while (u >= 0x7f800000 || u == 0);
    float x;
    memcpy(&x, &u, 4);
    return x;
}

typedef struct worst { int64_t ulps; float x, y, got, want; } worst;

static void track(worst *w, float x, float y, float got, float want)
{
    int64_t d = ulps(got, want);
    if (d > w->ulps)
        *w = (worst){ d, x, y, got, want };
}

static void report(const char *name, const worst *w, long n, int64_t tol)
{
    printf("%s %s: %ld inputs, max %lld ulp (tolerance %lld)", w->ulps <= tol ? "ok" : "FAIL", name,
           n, (long long)w->ulps, (long long)tol);
    if (w->ulps)
        printf(", worst at x=%.9g y=%.9g: %.9g vs libm %.9g", w->x, w->y, w->got, w->want);
    printf("\n");
    CHECK_MSG(w->ulps <= tol, "%s: %lld ulp", name, (long long)w->ulps);
}

#define N 2000000

static void test_expf(void)
{
    uint64_t s = 11;
    worst w = { 0 };
    long n = 0;
    for (; n < N; n++) {
        float x = rnd_range(&s, -104.0f, 89.0f);
        track(&w, x, 0, mw_expf(x), expf(x));
    }
    for (float x = -20.0f; x <= 20.0f; x += 1.0f / 64, n++) /* softmax/SwiGLU's common range */
        track(&w, x, 0, mw_expf(x), expf(x));
    report("expf", &w, n, 1);
    const float sp[] = { 0.0f, -0.0f, INFINITY, -INFINITY, NAN, 88.72283f, 88.72284f, 88.7229f,
                         -87.33654f, -103.97208f, -103.97209f, -150.0f, 1e-30f, -1e-30f };
    for (size_t i = 0; i < sizeof sp / sizeof *sp; i++)
        CHECK_MSG(ulps(mw_expf(sp[i]), expf(sp[i])) <= 1, "expf(%g) = %g, libm %g", sp[i],
                  mw_expf(sp[i]), expf(sp[i]));
}

static void test_logf(void)
{
    uint64_t s = 12;
    worst w = { 0 };
    long n = 0;
    for (; n < N; n++) {
        float x = rnd_positive(&s); /* every exponent, subnormals included */
        track(&w, x, 0, mw_logf(x), logf(x));
    }
    for (int i = 0; i < 100000; i++, n++) { /* near 1, where ln x is small */
        float x = 1.0f + (float)(i - 50000) * 1e-6f;
        track(&w, x, 0, mw_logf(x), logf(x));
    }
    report("logf", &w, n, 1);
    const float sp[] = { 0.0f, -0.0f, 1.0f, -1.0f, INFINITY, -INFINITY, NAN, 1e-45f, 3.4028235e38f };
    for (size_t i = 0; i < sizeof sp / sizeof *sp; i++)
        CHECK_MSG(same_bits(mw_logf(sp[i]), logf(sp[i])), "logf(%g) = %g, libm %g", sp[i],
                  mw_logf(sp[i]), logf(sp[i]));
}

static void test_powf(void)
{
    uint64_t s = 13;
    worst w = { 0 };
    long n = 0;
    for (; n < N; n++) {
        float x = rnd_range(&s, 0.0f, 4.0f), y = rnd_range(&s, -40.0f, 40.0f);
        track(&w, x, y, mw_powf(x, y), powf(x, y));
    }
    for (int i = 0; i < N / 2; i++, n++) {
        float x = rnd_positive(&s), y = rnd_range(&s, -2.0f, 2.0f);
        track(&w, x, y, mw_powf(x, y), powf(x, y));
    }
    /* RoPE: theta^(-2/head_dim) for the thetas models use */
    const float thetas[] = { 10000.0f, 500000.0f, 1000000.0f, 1e8f };
    for (int t = 0; t < 4; t++)
        for (int hd = 2; hd <= 512; hd += 2, n++) {
            float y = -2.0f / (float)hd;
            track(&w, thetas[t], y, mw_powf(thetas[t], y), powf(thetas[t], y));
        }
    for (int i = -20; i <= 20; i++) /* negative bases with integer exponents */
        for (float x = -3.0f; x <= 3.0f; x += 0.25f, n++)
            track(&w, x, (float)i, mw_powf(x, (float)i), powf(x, (float)i));
    report("powf", &w, n, 1);
    const float v[] = { 0.0f, -0.0f, 1.0f, -1.0f, 0.5f, -0.5f, 2.0f, -2.0f, 3.0f, -3.0f, 2.5f,
                        -2.5f, INFINITY, -INFINITY, NAN, 16777216.0f, -16777217.0f, 1e30f };
    const int nv = (int)(sizeof v / sizeof *v);
    int bad = 0;
    for (int i = 0; i < nv; i++)
        for (int j = 0; j < nv; j++)
            if (ulps(mw_powf(v[i], v[j]), powf(v[i], v[j])) > 1) {
                bad++;
                fprintf(stderr, "powf(%g, %g) = %g, libm %g\n", v[i], v[j], mw_powf(v[i], v[j]),
                        powf(v[i], v[j]));
            }
    CHECK_MSG(bad == 0, "%d of %d powf special cases differ", bad, nv * nv);
}

static void test_sincos(void)
{
    uint64_t s = 14;
    worst ws = { 0 }, wc = { 0 };
    long n = 0;
    for (; n < N; n++) {
        float x = n & 1 ? rnd_range(&s, -4.0f, 4.0f) : rnd_range(&s, -2e5f, 2e5f);
        track(&ws, x, 0, mw_sinf(x), sinf(x));
        track(&wc, x, 0, mw_cosf(x), cosf(x));
    }
    /* RoPE: positions 0..2^20 times theta^(-2i/d) */
    for (int pos = 0; pos <= 1 << 20; pos += 7, n++) {
        float x = (float)pos * 0.7498942f;
        track(&ws, x, 0, mw_sinf(x), sinf(x));
        track(&wc, x, 0, mw_cosf(x), cosf(x));
    }
    for (int i = 0; i < N / 4; i++, n++) { /* up to 2^28 * pi/2, the accurate range */
        float x = rnd_range(&s, -4.2e8f, 4.2e8f);
        track(&ws, x, 0, mw_sinf(x), sinf(x));
        track(&wc, x, 0, mw_cosf(x), cosf(x));
    }
    report("sinf", &ws, n, 1);
    report("cosf", &wc, n, 1);
    /* beyond it: still an angle's sine and cosine (|v| <= 1, sin^2 + cos^2 = 1) */
    int bad = 0;
    for (int i = 0; i < 100000; i++) {
        float x = rnd_positive(&s);
        if (x < 4.2e8f)
            continue;
        double sv = mw_sinf(x), cv = mw_cosf(x);
        if (!(fabs(sv) <= 1 && fabs(cv) <= 1 && fabs(sv * sv + cv * cv - 1) < 1e-6))
            bad++;
    }
    CHECK_MSG(bad == 0, "%d huge arguments gave no valid sine/cosine pair", bad);
    const float sp[] = { 0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1e-40f, -1e-40f };
    for (size_t i = 0; i < sizeof sp / sizeof *sp; i++) {
        CHECK_MSG(same_bits(mw_sinf(sp[i]), sinf(sp[i])), "sinf(%g)", sp[i]);
        CHECK_MSG(same_bits(mw_cosf(sp[i]), cosf(sp[i])), "cosf(%g)", sp[i]);
    }
}

static void test_exact(void)
{
    uint64_t s = 15;
    int bad_round = 0, bad_max = 0, bad_min = 0;
    for (int i = 0; i < N; i++) {
        uint32_t u = test_rnd_u32(&s);
        float x, y;
        memcpy(&x, &u, 4);
        if (i & 1)
            x = (float)((int)(u % 2001) - 1000) * 0.5f; /* halves */
        y = test_rnd_unit(&s) * 100.0f;
        if (i % 97 == 0)
            y = NAN;
        if (x != x)
            x = NAN; /* quiet: libm's fmaxf returns NaN for a signaling one (IEEE maxNum) */
        bad_round += !same_bits(mw_roundf(x), roundf(x));
        if (x == x || y == y) { /* fmaxf(0, -0) may return either: compare values */
            float a = mw_fmaxf(x, y), b = fmaxf(x, y), c = mw_fminf(x, y), d = fminf(x, y);
            bad_max += !(a == b || (a != a && b != b));
            bad_min += !(c == d || (c != c && d != d));
        }
    }
    CHECK_MSG(bad_round == 0, "roundf: %d differ", bad_round);
    CHECK_MSG(bad_max == 0, "fmaxf: %d differ", bad_max);
    CHECK_MSG(bad_min == 0, "fminf: %d differ", bad_min);
    printf("%s roundf/fmaxf/fminf bit-exact on %d inputs\n",
           bad_round + bad_max + bad_min ? "FAIL" : "ok", N);
}

int main(void)
{
    test_expf();
    test_logf();
    test_powf();
    test_sincos();
    test_exact();
    return TEST_REPORT();
}
