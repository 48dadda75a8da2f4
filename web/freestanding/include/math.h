/* math.h — the float functions the core uses, for the freestanding wasm64 build. The
 * transcendental ones are core/mathf.c's (tested against glibc by tests/test_mathf.c) behind
 * libm.c's C names; the rest are single wasm instructions through compiler builtins. */
#ifndef MW_FS_MATH_H
#define MW_FS_MATH_H

#define INFINITY (__builtin_inff())
#define NAN (__builtin_nanf(""))
#define HUGE_VALF (__builtin_huge_valf())
#define isnan(x) __builtin_isnan(x)
#define isinf(x) __builtin_isinf(x)
#define isfinite(x) __builtin_isfinite(x)
#define signbit(x) __builtin_signbit(x)

float expf(float x);
float logf(float x);
float powf(float x, float y);
float sinf(float x);
float cosf(float x);
float roundf(float x);
float fmaxf(float a, float b);
float fminf(float a, float b);
static inline float sqrtf(float x) { return __builtin_sqrtf(x); }
static inline double sqrt(double x) { return __builtin_sqrt(x); }
static inline float fabsf(float x) { return __builtin_fabsf(x); }
static inline double fabs(double x) { return __builtin_fabs(x); }
static inline float floorf(float x) { return __builtin_floorf(x); }
static inline float ceilf(float x) { return __builtin_ceilf(x); }
static inline float truncf(float x) { return __builtin_truncf(x); }
static inline float nearbyintf(float x) { return __builtin_nearbyintf(x); }
static inline float rintf(float x) { return __builtin_rintf(x); }

#endif
