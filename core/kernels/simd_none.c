/*
 * simd_none.c — the SIMD hook of builds without a SIMD kernel file: keeps the scalar table.
 * simd128.c (wasm SIMD128, or native through SIMDe when MW_SIMDE is defined) defines
 * mw_kernels_fill_simd under the opposite guard. Until that file exists in the tree, a SIMD
 * build falls back to this no-op too (checked with __has_include), so the wasm builds link.
 */
#include "kernels/kernels.h"

#if (defined(__wasm_simd128__) || defined(MW_SIMDE)) && defined(__has_include)
#if __has_include("simd128.c")
#define MW_SIMD_FILE_PRESENT 1
#endif
#endif

#ifndef MW_SIMD_FILE_PRESENT
void mw_kernels_fill_simd(mw_kernels *k)
{
    (void)k;
}
#endif
