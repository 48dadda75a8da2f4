/*
 * mathf.c — expf, logf, powf, sinf, cosf, roundf, fmaxf, fminf without libm (see mathf.h).
 * Each float function works in double (53 bits for a 24-bit result), so short polynomials
 * with no table reach well under one float ulp before the single final rounding.
 */
#include <stdint.h>
#include <string.h>

#include "mathf.h"

#define LN2_HI 6.93147180369123816490e-01 /* 32 bits of ln 2: k * LN2_HI is exact */
#define LN2_LO 1.90821492927058770002e-10
#define INV_LN2 1.44269504088896338700e+00
#define LN2 0.69314718055994530942

static inline uint64_t bits_d(double x) { uint64_t u; memcpy(&u, &x, 8); return u; }
static inline double from_bits_d(uint64_t u) { double x; memcpy(&x, &u, 8); return x; }
static inline uint32_t bits_f(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
static inline double round_half_away(double x) { return (double)(int64_t)(x < 0 ? x - 0.5 : x + 0.5); }

/* e^x for |x| <= 110 (the range float results need); error a few 1e-16 relative. */
static double exp_d(double x)
{
    const double k = round_half_away(x * INV_LN2);
    const double r = (x - k * LN2_HI) - k * LN2_LO; /* |r| <= 0.347 */
    /* Taylor to r^13 (next term < 5e-18), Horner from the top */
    double p = 1.0 / 6227020800.0;
    static const double inv_fact[] = { 1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0,
        1.0 / 362880.0, 1.0 / 40320.0, 1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0,
        1.0 / 6.0, 0.5, 1.0, 1.0 };
    for (int i = 0; i < 13; i++)
        p = p * r + inv_fact[i];
    return p * from_bits_d((uint64_t)((int64_t)k + 1023) << 52);
}

/* ln x for finite x > 0 (normal doubles; every float is one). */
static double log_d(double x)
{
    uint64_t u = bits_d(x);
    int e = (int)((u >> 52) & 0x7ff) - 1023;
    double m = from_bits_d((u & 0x000fffffffffffffull) | 0x3ff0000000000000ull); /* [1, 2) */
    if (m > 1.41421356237309504880) {
        m *= 0.5;
        e++;
    }
    /* ln m = 2 atanh(s), s = (m-1)/(m+1), |s| <= 0.1716: odd series to s^23 */
    const double s = (m - 1.0) / (m + 1.0), z = s * s;
    double p = 1.0 / 23.0;
    for (int k = 21; k >= 1; k -= 2)
        p = p * z + 1.0 / k;
    return (double)e * LN2 + 2.0 * s * p;
}

float mw_expf(float x)
{
    if (x != x)
        return x;
    if (x > 89.0f)
        return __builtin_inff();
    if (x < -104.0f)
        return 0.0f;
    return (float)exp_d((double)x);
}

float mw_logf(float x)
{
    if (x != x)
        return x;
    if (x < 0.0f)
        return __builtin_nanf("");
    if (x == 0.0f)
        return -__builtin_inff();
    if (x == __builtin_inff())
        return x;
    return (float)log_d((double)x);
}

/* 0: not an integer, 1: odd integer, 2: even integer (|y| >= 2^24 floats are all even) */
static int int_kind(float y)
{
    const float a = y < 0 ? -y : y;
    if (a >= 16777216.0f)
        return 2;
    const int64_t i = (int64_t)a;
    if ((float)i != a)
        return 0;
    return (i & 1) ? 1 : 2;
}

float mw_powf(float x, float y)
{
    const float inf = __builtin_inff();
    if (y == 0.0f || x == 1.0f)
        return 1.0f;
    if (x != x || y != y)
        return x + y;
    const float ax = x < 0 ? -x : x;
    if (y == inf || y == -inf) {
        if (ax == 1.0f)
            return 1.0f;
        return (ax > 1.0f) == (y > 0) ? inf : 0.0f;
    }
    const int kind = int_kind(y);
    const int neg = (bits_f(x) >> 31) && kind == 1; /* negative result: odd power of a negative base */
    if (x < 0.0f && x != -inf && kind == 0)
        return __builtin_nanf("");
    if (ax == 0.0f || ax == inf) {
        /* 0^y and inf^y: 0 or inf by the signs of y and of the base's exponent direction */
        const float mag = (ax == 0.0f) == (y > 0) ? 0.0f : inf;
        return neg ? -mag : mag;
    }
    const double t = (double)y * log_d((double)ax);
    float r;
    if (t > 89.0)
        r = inf;
    else if (t < -104.0)
        r = 0.0f;
    else
        r = (float)exp_d(t);
    return neg ? -r : r;
}

/* x = n * pi/2 + *r with |*r| <= ~pi/4, in double; returns n mod 4. Below 2^28 * pi/2 this is
 * musl's medium-size reduction (25 bits of pi/2 times n < 2^28 is exact). Above, x = M * 2^E
 * (M < 2^24) is reduced modulo 2 pi one doubling at a time: the result stays a valid angle, but
 * its error grows with E (no Payne-Hanek table; RoPE angles never get there). */
static int reduce_pio2(float x, double *r)
{
    static const double inv_pio2 = 6.36619772367581382433e-01,
                        pio2_1 = 1.57079631090164184570e+00,  /* first 25 bits of pi/2 */
                        pio2_1t = 1.58932547735281966916e-08, /* pi/2 - pio2_1 */
                        pio2 = 1.57079632679489655800e+00, two_pi = 6.28318530717958647692e+00;
    const double t = (double)x * inv_pio2;
    if (t < 268435456.0 && t > -268435456.0) {
        const int64_t n = (int64_t)(t < 0 ? t - 0.5 : t + 0.5);
        *r = ((double)x - (double)n * pio2_1) - (double)n * pio2_1t;
        return (int)(n & 3);
    }
    const uint32_t u = bits_f(x);
    const double m = (double)((u & 0x7fffff) | 0x800000);
    double a = m - (double)(int64_t)(m / two_pi) * two_pi;
    for (int e = (int)((u >> 23) & 0xff) - 150; e > 0; e--) {
        a *= 2.0;
        if (a >= two_pi)
            a -= two_pi;
    }
    if (u >> 31)
        a = -a;
    const int64_t n = (int64_t)round_half_away(a * inv_pio2);
    *r = a - (double)n * pio2;
    return (int)(n & 3);
}

static double sin_poly(double r) /* |r| <= pi/4: Taylor to r^17 */
{
    const double z = r * r;
    double p = 1.0 / 355687428096000.0; /* 1/17! */
    static const double c[] = { -1.0 / 1307674368000.0, 1.0 / 6227020800.0, -1.0 / 39916800.0,
                                1.0 / 362880.0, -1.0 / 5040.0, 1.0 / 120.0, -1.0 / 6.0, 1.0 };
    for (int i = 0; i < 8; i++)
        p = p * z + c[i];
    return r * p;
}

static double cos_poly(double r) /* |r| <= pi/4: Taylor to r^18 */
{
    const double z = r * r;
    double p = -1.0 / 6402373705728000.0; /* -1/18! */
    static const double c[] = { 1.0 / 20922789888000.0, -1.0 / 87178291200.0, 1.0 / 479001600.0,
                                -1.0 / 3628800.0, 1.0 / 40320.0, -1.0 / 720.0, 1.0 / 24.0, -0.5, 1.0 };
    for (int i = 0; i < 9; i++)
        p = p * z + c[i];
    return p;
}

float mw_sinf(float x)
{
    if (x != x || x == __builtin_inff() || x == -__builtin_inff())
        return x - x; /* NaN */
    double r;
    switch (reduce_pio2(x, &r)) {
    case 0: return (float)sin_poly(r);
    case 1: return (float)cos_poly(r);
    case 2: return (float)-sin_poly(r);
    default: return (float)-cos_poly(r);
    }
}

float mw_cosf(float x)
{
    if (x != x || x == __builtin_inff() || x == -__builtin_inff())
        return x - x;
    double r;
    switch (reduce_pio2(x, &r)) {
    case 0: return (float)cos_poly(r);
    case 1: return (float)-sin_poly(r);
    case 2: return (float)-cos_poly(r);
    default: return (float)sin_poly(r);
    }
}

float mw_roundf(float x)
{
    const float a = x < 0 ? -x : x;
    if (!(a < 8388608.0f)) /* already an integer (>= 2^23), or NaN */
        return x;
    float t = (float)(int32_t)a; /* truncation; a - t is exact */
    if (a - t >= 0.5f)
        t += 1.0f;
    return x < 0 || (x == 0 && (bits_f(x) >> 31)) ? -t : t;
}

float mw_fmaxf(float a, float b)
{
    if (a != a)
        return b;
    if (b != b)
        return a;
    return a > b ? a : b;
}

float mw_fminf(float a, float b)
{
    if (a != a)
        return b;
    if (b != b)
        return a;
    return a < b ? a : b;
}
