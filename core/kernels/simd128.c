/*
 * simd128.c — the SIMD128 kernel set of wasm builds (-msimd128) and of native builds through
 * SIMDe (MW_SIMDE): mw_kernels_fill_simd overrides the scalar table with the kernels of
 * simd128_legacy.c (32-value block types), simd128_kquants.c (K-quants), simd128_f32.c
 * (float vectors), simd128_half.c (F16 / BF16 weights), simd128_repack*.c (weights repacked at load: _legacy Q4_1 / Q5_0 / Q5_1, _q23k / _q45k / _q6k the K-quants), simd128_f16.c (the F16 KV
 * cache) and simd128_matmul.c (the tiling of matmul_rows over those kernels). simd_none.c defines the no-op hook in every other build.
 */
#if defined(__wasm_simd128__) || defined(MW_SIMDE)

#include "kernels/simd128.h"

/* The scalar entries, kept for tails and rare cases (filled before any override). */
static mw_kernels scalar_table;
static simd128_tiles tiles[MW_TYPE_COUNT];

void mw_kernels_fill_simd(mw_kernels *k)
{
    scalar_table = *k;
    k->name = "simd128";
    mw_simd128_fill_legacy(k, tiles, &scalar_table);
    mw_simd128_fill_kquants(k, &scalar_table);
    mw_simd128_fill_f32(k, &scalar_table);
    mw_simd128_fill_repack(k, tiles, &scalar_table);
    mw_simd128_fill_repack_q45k(k, tiles);
    mw_simd128_fill_repack_q6k(k, tiles);
    mw_simd128_fill_repack_q23k(k, tiles);
    mw_simd128_fill_repack_legacy(k, tiles);
    mw_simd128_fill_f16(k, &scalar_table);
    mw_simd128_fill_half(k, tiles, &scalar_table);
#if defined(MW_RELAXED)
    k->name = "simd128-relaxed";
    mw_simd128_fill_repack_relaxed(tiles);
    mw_simd128_fill_repack_q45k_relaxed(tiles);
    mw_simd128_fill_repack_q6k_relaxed(tiles);
    mw_simd128_fill_repack_q23k_relaxed(tiles);
#endif
    mw_simd128_fill_matmul(k, tiles);
}

#endif
