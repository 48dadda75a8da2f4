/*
 * kquants_quantize.c — ggml's reference weight quantizers for Q2_K, Q3_K, Q4_K, Q5_K, Q6_K
 * (quantize_row_q*_K_ref in ggml-quants.c, which llama-quantize runs when no importance
 * matrix is given): per group a scale (and min) fitted by a small search that minimises the
 * weighted squared error, then the group scales quantized against the super-block scale.
 * Weight-file making only; nothing here is on the inference path.
 */
#include <math.h>

#include "base.h"
#include "kquants.h"

#define GROUP_MAX_EPS 1e-15f

/* ggml's make_qkx2_quants: quants L in 0..nmax for x ~ scale*L - min, searching the inverse
 * scale over nstep+1 candidates (rmin + rdelta*is + nmax)/(max - min) and keeping the best
 * weighted least-squares (scale, min); the error is squared, or absolute when use_mad.
 * Returns scale; *neg_min = -min (>= 0). */
static float err_of(float diff, int use_mad) { return use_mad ? fabsf(diff) : diff * diff; }

static float make_qkx2_quants(int n, int nmax, const float *x, const float *w, uint8_t *L,
                              float *neg_min, float rmin, float rdelta, int nstep, int use_mad)
{
    uint8_t Laux[32];
    float min = x[0], max = x[0], sum_w = w[0], sum_x = w[0] * x[0];
    for (int i = 1; i < n; i++) {
        if (x[i] < min) min = x[i];
        if (x[i] > max) max = x[i];
        sum_w += w[i];
        sum_x += w[i] * x[i];
    }
    if (min > 0) min = 0;
    if (max == min) {
        memset(L, 0, (size_t)n);
        *neg_min = -min;
        return 0.f;
    }
    float iscale = nmax / (max - min);
    float scale = 1 / iscale;
    float best_error = 0;
    for (int i = 0; i < n; i++) {
        int l = nearest_int(iscale * (x[i] - min));
        L[i] = (uint8_t)MW_MAX(0, MW_MIN(nmax, l));
        best_error += w[i] * err_of(scale * L[i] + min - x[i], use_mad);
    }
    for (int is = 0; is <= nstep; is++) {
        iscale = (rmin + rdelta * is + nmax) / (max - min);
        float sum_l = 0, sum_l2 = 0, sum_xl = 0;
        for (int i = 0; i < n; i++) {
            int l = nearest_int(iscale * (x[i] - min));
            l = MW_MAX(0, MW_MIN(nmax, l));
            Laux[i] = (uint8_t)l;
            sum_l += w[i] * l;
            sum_l2 += w[i] * l * l;
            sum_xl += w[i] * l * x[i];
        }
        float D = sum_w * sum_l2 - sum_l * sum_l;
        if (D > 0) {
            float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
            float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
            if (this_min > 0) {
                this_min = 0;
                this_scale = sum_xl / sum_l2;
            }
            float cur_error = 0;
            for (int i = 0; i < n; i++) {
                cur_error += w[i] * err_of(this_scale * Laux[i] + this_min - x[i], use_mad);
            }
            if (cur_error < best_error) {
                memcpy(L, Laux, (size_t)n);
                best_error = cur_error;
                scale = this_scale;
                min = this_min;
            }
        }
    }
    *neg_min = -min;
    return scale;
}

/* The value of largest magnitude, sign kept (first one on ties, as ggml's loops). */
static float signed_absmax(int n, const float *x)
{
    float max = 0, amax = 0;
    for (int i = 0; i < n; i++) {
        float ax = fabsf(x[i]);
        if (ax > amax) { amax = ax; max = x[i]; }
    }
    return max;
}

/* The first pass shared by make_qx_quants and make_q3_quants: quants nearest_int(iscale*x)
 * clamped to -nmax..nmax-1, stored as l + offset, with the x^2-weighted sums. */
static void signed_quant_pass(int n, int nmax, const float *x, float iscale, int offset,
                              int8_t *L, float *sumlx, float *suml2)
{
    *sumlx = *suml2 = 0;
    for (int i = 0; i < n; i++) {
        int l = nearest_int(iscale * x[i]);
        l = MW_MAX(-nmax, MW_MIN(nmax - 1, l));
        L[i] = (int8_t)(l + offset);
        float w = x[i] * x[i];
        *sumlx += w * x[i] * l;
        *suml2 += w * l * l;
    }
}

/* ggml's make_qx_quants with rmse_type 1 (weights x^2), as Q6_K uses it: signed quants
 * L - nmax in -nmax..nmax-1, trying 18 inverse scales around -nmax/max. */
static float make_qx_quants(int n, int nmax, const float *x, int8_t *L)
{
    const float max = signed_absmax(n, x);
    if (fabsf(max) < GROUP_MAX_EPS) {
        memset(L, 0, (size_t)n);
        return 0.f;
    }
    float iscale = -nmax / max;
    float sumlx, suml2;
    signed_quant_pass(n, nmax, x, iscale, nmax, L, &sumlx, &suml2);
    float scale = suml2 ? sumlx / suml2 : 0.0f;
    float best = scale * sumlx;
    int8_t trial[QK_K];   /* n <= QK_K */
    for (int is = -9; is <= 9; is++) {
        if (is == 0) continue;
        iscale = -(nmax + 0.1f * is) / max;
        signed_quant_pass(n, nmax, x, iscale, nmax, trial, &sumlx, &suml2);
        if (suml2 > 0 && sumlx * sumlx > best * suml2) {
            memcpy(L, trial, (size_t)n);
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

/* ggml's make_q3_quants with do_rmse: quants -nmax..nmax-1 from -nmax/max, then up to five
 * passes moving single quants while that raises sumlx^2/suml2 (weights x^2). Returns the
 * scale; L holds quant + nmax. */
static float make_q3_quants(int n, int nmax, const float *x, int8_t *L)
{
    const float max = signed_absmax(n, x);
    if (fabsf(max) < GROUP_MAX_EPS) {
        memset(L, 0, (size_t)n);
        return 0.f;
    }
    float iscale = -nmax / max;
    float sumlx, suml2;
    signed_quant_pass(n, nmax, x, iscale, 0, L, &sumlx, &suml2);
    for (int itry = 0; itry < 5; itry++) {
        int n_changed = 0;
        for (int i = 0; i < n; i++) {
            float w = x[i] * x[i];
            float slx = sumlx - w * x[i] * L[i];
            if (slx > 0) {
                float sl2 = suml2 - w * L[i] * L[i];
                int new_l = nearest_int(x[i] * sl2 / slx);
                new_l = MW_MAX(-nmax, MW_MIN(nmax - 1, new_l));
                if (new_l != L[i]) {
                    slx += w * x[i] * new_l;
                    sl2 += w * new_l * new_l;
                    if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                        L[i] = (int8_t)new_l;
                        sumlx = slx;
                        suml2 = sl2;
                        n_changed++;
                    }
                }
            }
        }
        if (!n_changed) break;
    }
    for (int i = 0; i < n; i++) L[i] = (int8_t)(L[i] + nmax);
    return sumlx / suml2;
}

/* 2-bit quants L[0..255] (0..3) into qs: value v = 128c + 32j + l -> bits 2j of qs[32c + l]. */
static void pack_2bit(const uint8_t *L, uint8_t qs[QK_K / 4])
{
    for (int c = 0; c < 2; c++)
        for (int l = 0; l < 32; l++) {
            const uint8_t *Lc = L + 128 * c + l;
            qs[32 * c + l] = (uint8_t)(Lc[0] | (Lc[32] << 2) | (Lc[64] << 4) | (Lc[96] << 6));
        }
}

void mw_quantize_row_q2_K_ref(const float *x, void *vy, int64_t n)
{
    block_q2_K *y = vy;
    uint8_t L[QK_K];
    float w[16], sc[16], mins[16];
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        float max_scale = 0, max_min = 0;
        for (int g = 0; g < 16; g++) {
            for (int l = 0; l < 16; l++) w[l] = fabsf(x[16 * g + l]);
            sc[g] = make_qkx2_quants(16, 3, x + 16 * g, w, L + 16 * g, &mins[g], -0.5f, 0.1f, 15, 1);
            if (sc[g] > max_scale) max_scale = sc[g];
            if (mins[g] > max_min) max_min = mins[g];
        }
        /* 4-bit scales and mins against d = max_scale/15, dmin = max_min/15 */
        memset(y[i].scales, 0, sizeof y[i].scales);
        y[i].d = y[i].dmin = 0;
        if (max_scale > 0) {
            float iscale = 15.f / max_scale;
            for (int g = 0; g < 16; g++) y[i].scales[g] = (uint8_t)nearest_int(iscale * sc[g]);
            y[i].d = mw_f32_to_fp16(max_scale / 15.f);
        }
        if (max_min > 0) {
            float iscale = 15.f / max_min;
            for (int g = 0; g < 16; g++) y[i].scales[g] |= (uint8_t)(nearest_int(iscale * mins[g]) << 4);
            y[i].dmin = mw_f32_to_fp16(max_min / 15.f);
        }
        for (int g = 0; g < 16; g++) {
            float d = FP16(y[i].d) * (y[i].scales[g] & 0x0f);
            if (!d) continue;
            float dm = FP16(y[i].dmin) * (y[i].scales[g] >> 4);
            for (int l = 0; l < 16; l++) {
                int q = nearest_int((x[16 * g + l] + dm) / d);
                L[16 * g + l] = (uint8_t)MW_MAX(0, MW_MIN(3, q));
            }
        }
        pack_2bit(L, y[i].qs);
    }
}

void mw_quantize_row_q3_K_ref(const float *x, void *vy, int64_t n)
{
    block_q3_K *y = vy;
    int8_t L[QK_K];
    float sc[16];
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        for (int g = 0; g < 16; g++)
            sc[g] = make_q3_quants(16, 4, x + 16 * g, L + 16 * g);
        const float max_scale = signed_absmax(16, sc);
        memset(y[i].scales, 0, sizeof y[i].scales);
        y[i].d = 0;
        if (max_scale) {
            /* 6-bit scales biased by 32: low 4 bits in bytes 0..7 (nibble g/8), top 2 bits in
             * byte 8 + g%4 at bit 2*(g/4) — the inverse of the unpacking in kquants_q2q3.c */
            float iscale = -32.f / max_scale;
            for (int g = 0; g < 16; g++) {
                int l = MW_MAX(-32, MW_MIN(31, (int8_t)nearest_int(iscale * sc[g]))) + 32;
                y[i].scales[g % 8] |= (uint8_t)((l & 0x0f) << (g < 8 ? 0 : 4));
                y[i].scales[8 + g % 4] |= (uint8_t)((l >> 4) << (2 * (g / 4)));
            }
            y[i].d = mw_f32_to_fp16(1 / iscale);
        }
        for (int g = 0; g < 16; g++) {
            int s = g < 8 ? y[i].scales[g] & 0x0f : y[i].scales[g - 8] >> 4;
            s = (s | (((y[i].scales[8 + g % 4] >> (2 * (g / 4))) & 3) << 4)) - 32;
            float d = FP16(y[i].d) * s;
            if (!d) continue;
            for (int l = 0; l < 16; l++) {
                int q = nearest_int(x[16 * g + l] / d);
                L[16 * g + l] = (int8_t)(MW_MAX(-4, MW_MIN(3, q)) + 4);
            }
        }
        /* high bit of value v goes to bit v/32 of hmask[v%32]; the low 2 bits stay */
        uint8_t low[QK_K];
        memset(y[i].hmask, 0, sizeof y[i].hmask);
        for (int v = 0; v < QK_K; v++) {
            int q = L[v];
            if (q > 3) { y[i].hmask[v % 32] |= (uint8_t)(1 << (v / 32)); q -= 4; }
            low[v] = (uint8_t)q;
        }
        pack_2bit(low, y[i].qs);
    }
}

/* Q4_K / Q5_K share everything but nmax, the search range and the bit packing:
 * fills d, dmin, the 12 scale bytes and L (0..nmax) for one super-block. */
static void quantize_q45_K_block(const float *x, int nmax, float rmin, int nstep,
                                 uint16_t *d, uint16_t *dmin, uint8_t scales[12], uint8_t L[QK_K])
{
    float sc[8], mins[8], w[32];
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < 8; j++) {
        const float *xj = x + 32 * j;
        float sum_x2 = 0;
        for (int l = 0; l < 32; l++) sum_x2 += xj[l] * xj[l];
        float av_x = sqrtf(sum_x2 / 32);
        for (int l = 0; l < 32; l++) w[l] = av_x + fabsf(xj[l]);
        sc[j] = make_qkx2_quants(32, nmax, xj, w, L + 32 * j, &mins[j], rmin, 0.1f, nstep, 0);
        if (sc[j] > max_scale) max_scale = sc[j];
        if (mins[j] > max_min) max_min = mins[j];
    }
    float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
    float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
    memset(scales, 0, 12);
    for (int j = 0; j < 8; j++) {
        int ls = MW_MIN(63, (uint8_t)nearest_int(inv_scale * sc[j]));
        int lm = MW_MIN(63, (uint8_t)nearest_int(inv_min * mins[j]));
        /* the inverse of get_scale_min_k4 */
        if (j < 4) {
            scales[j] = (uint8_t)ls;
            scales[j + 4] = (uint8_t)lm;
        } else {
            scales[j + 4] = (uint8_t)((ls & 0x0f) | ((lm & 0x0f) << 4));
            scales[j - 4] |= (uint8_t)((ls >> 4) << 6);
            scales[j] |= (uint8_t)((lm >> 4) << 6);
        }
    }
    *d = mw_f32_to_fp16(max_scale / 63.f);
    *dmin = mw_f32_to_fp16(max_min / 63.f);
    /* requantize against the rounded scales */
    for (int j = 0; j < 8; j++) {
        int s, m;
        get_scale_min_k4(j, scales, &s, &m);
        float dj = FP16(*d) * s;
        if (!dj) continue;
        float dm = FP16(*dmin) * m;
        for (int l = 0; l < 32; l++) {
            int q = nearest_int((x[32 * j + l] + dm) / dj);
            L[32 * j + l] = (uint8_t)MW_MAX(0, MW_MIN(nmax, q));
        }
    }
}

void mw_quantize_row_q4_K_ref(const float *x, void *vy, int64_t n)
{
    block_q4_K *y = vy;
    uint8_t L[QK_K];
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        quantize_q45_K_block(x, 15, -1.f, 20, &y[i].d, &y[i].dmin, y[i].scales, L);
        for (int v = 0; v < QK_K; v += 64)   /* values v..v+31 low nibbles, v+32.. high */
            for (int l = 0; l < 32; l++)
                y[i].qs[v / 2 + l] = (uint8_t)(L[v + l] | (L[v + 32 + l] << 4));
    }
}

void mw_quantize_row_q5_K_ref(const float *x, void *vy, int64_t n)
{
    block_q5_K *y = vy;
    uint8_t L[QK_K];
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        quantize_q45_K_block(x, 31, -0.5f, 15, &y[i].d, &y[i].dmin, y[i].scales, L);
        memset(y[i].qh, 0, sizeof y[i].qh);
        for (int v = 0; v < QK_K; v += 64) {
            int j = v / 64;
            for (int l = 0; l < 32; l++) {
                int lo = L[v + l], hi = L[v + 32 + l];
                if (lo > 15) { lo -= 16; y[i].qh[l] |= (uint8_t)(1 << (2 * j)); }
                if (hi > 15) { hi -= 16; y[i].qh[l] |= (uint8_t)(2 << (2 * j)); }
                y[i].qs[v / 2 + l] = (uint8_t)(lo | (hi << 4));
            }
        }
    }
}

void mw_quantize_row_q6_K_ref(const float *x, void *vy, int64_t n)
{
    block_q6_K *y = vy;
    int8_t L[QK_K];
    float sc[16];
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        for (int g = 0; g < 16; g++)
            sc[g] = make_qx_quants(16, 32, x + 16 * g, L + 16 * g);
        const float max_scale = signed_absmax(16, sc);
        memset(&y[i], 0, sizeof y[i]);
        if (fabsf(max_scale) < GROUP_MAX_EPS) continue;   /* all zero: d = 0 */
        float iscale = -128.f / max_scale;
        y[i].d = mw_f32_to_fp16(1 / iscale);
        for (int g = 0; g < 16; g++) y[i].scales[g] = (int8_t)MW_MIN(127, nearest_int(iscale * sc[g]));
        for (int g = 0; g < 16; g++) {
            float d = FP16(y[i].d) * y[i].scales[g];
            if (!d) continue;
            for (int l = 0; l < 16; l++) {
                int q = nearest_int(x[16 * g + l] / d);
                L[16 * g + l] = (int8_t)(MW_MAX(-32, MW_MIN(31, q)) + 32);
            }
        }
        /* value v = 128c + 32k + l: nibble of ql[64c + 32(k%2) + l], bits 2k of qh[32c + l] */
        for (int v = 0; v < QK_K; v++) {
            int c = v / 128, k = (v % 128) / 32, l = v % 32;
            uint8_t q = (uint8_t)L[v];
            y[i].ql[64 * c + 32 * (k % 2) + l] |= (uint8_t)((q & 0x0f) << (k < 2 ? 0 : 4));
            y[i].qh[32 * c + l] |= (uint8_t)((q >> 4) << (2 * k));
        }
    }
}
