/*
 * simd_none.c — the SIMD hook of builds without a SIMD kernel file: keeps the scalar table.
 * simd128.c defines mw_kernels_fill_simd under the opposite guard (wasm -msimd128, or native
 * through SIMDe when MW_SIMDE is defined), so every build has exactly one definition.
 */
#include "kernels/kernels.h"

#if !(defined(__wasm_simd128__) || defined(MW_SIMDE))
void mw_kernels_fill_simd(mw_kernels *k)
{
    (void)k;
}
#endif
