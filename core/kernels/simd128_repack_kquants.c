/*
 * simd128_repack_kquants.c — the prefill finish (rows8xn) every K-quant repacked type shares:
 * out of line, one copy for simd128_repack_q23k.c, _q45k.c and _q6k.c (see
 * simd128_repack_kquants.h).
 */
#if defined(__wasm_simd128__) || defined(MW_SIMDE)

#include "kernels/simd128_repack_kquants.h"

void mw_simd128_xs_finish_tokens(const xs_block *xs, xs_summ_fn summ_of, const void *mins, const uint16_t d[8],
                                 const uint16_t *dmin, const uint8_t *y, size_t y_stride, int n_tok, float *s)
{
    v128_t dx[2], dm[2];   /* converted once for all the tokens */
    scales8_f32(d, dx);
    if (dmin)
        scales8_f32(dmin, dm);
    for (int t0 = 0; t0 < n_tok; t0 += 2) {
        const int nt = n_tok - t0 >= 2 ? 2 : 1;
        const block_q8_K *yt[2] = { (const block_q8_K *)(y + (size_t)t0 * y_stride),
                                    (const block_q8_K *)(y + (size_t)(t0 + nt - 1) * y_stride) };
        const int8_t *yq[2] = { yt[0]->qs, yt[1]->qs };
        v128_t sumi[2][2];
        if (nt == 2)
            xs_sumi(xs, 2, yq, sumi);
        else
            xs_sumi(xs, 1, yq, sumi);
        for (int t = 0; t < nt; t++) {
            float *st = s + 8 * (t0 + t);
            v128_t summ[2] = { wasm_i32x4_splat(0), wasm_i32x4_splat(0) };
            if (summ_of)
                summ_of(mins, yt[t]->bsums, summ);
            v128_t acc[2] = { wasm_v128_load(st), wasm_v128_load(st + 4) };
            finish8_f32(acc, sumi[t], summ, dx, dmin ? dm : NULL, yt[t]->d);
            wasm_v128_store(st, acc[0]);
            wasm_v128_store(st + 4, acc[1]);
        }
    }
}

#endif
