/*
 * libm.c — the C names of the float functions for the freestanding wasm64 module: core/mathf.c
 * implements them (tested against glibc by tests/test_mathf.c); sqrtf, fabsf and friends are
 * wasm instructions inlined from include/math.h.
 */
#include <math.h>

#include "mathf.h"

float expf(float x) { return mw_expf(x); }
float logf(float x) { return mw_logf(x); }
float powf(float x, float y) { return mw_powf(x, y); }
float sinf(float x) { return mw_sinf(x); }
float cosf(float x) { return mw_cosf(x); }
float roundf(float x) { return mw_roundf(x); }
float fmaxf(float a, float b) { return mw_fmaxf(a, b); }
float fminf(float a, float b) { return mw_fminf(a, b); }
