/*
 * mathf.h — the core's own float maths (mathf.c): the libm functions the forward pass and the
 * sampler use, written so the freestanding wasm64 module (web/freestanding/, no libc) computes
 * what the native build computes with glibc. Each is evaluated in double and rounded once, so
 * it stays within 1 ulp of the correctly rounded result (tests/test_mathf.c measures the max
 * ulp error against the platform libm over millions of inputs). Native builds keep libm; only
 * the freestanding build maps expf & co. onto these (web/freestanding/libm.c).
 */
#ifndef MW_MATHF_H
#define MW_MATHF_H

float mw_expf(float x);
float mw_logf(float x);
/* C99 special cases (zeros, infinities, negative bases with integer exponents). */
float mw_powf(float x, float y);
/* Within 1 ulp for |x| < 2^28 * pi/2 (4.2e8, far beyond any RoPE angle, which is at most the
 * position); beyond that the argument reduction loses accuracy (no Payne-Hanek table). */
float mw_sinf(float x);
float mw_cosf(float x);
float mw_roundf(float x);   /* halves away from zero */
float mw_fmaxf(float a, float b); /* the other operand when one is NaN */
float mw_fminf(float a, float b);

#endif
