/*
 * simd_none.c — the SIMD hook of builds without a SIMD kernel file: keeps the scalar table.
 * (simd128.c, compiled for wasm SIMD128 or native through SIMDe, defines it otherwise.)
 */
#include "kernels/kernels.h"

#if !defined(__wasm_simd128__) && !defined(MW_SIMDE)
void mw_kernels_fill_simd(mw_kernels *k)
{
    (void)k;
}
#endif
