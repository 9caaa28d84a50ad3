// Depthwise convolution kernels (one filter per channel; MobileNetV2's 3×3 stride 1/2 layers) with an
// AVX-512 path chosen at run time (the same switch as elementwise.c) and a portable path.
//
// Forward and input gradient: every output element receives its taps in the reference order (bias, then
// taps (i, j) row-major, skipping padding), one product and one sum each (no FMA contraction), vectorised
// over 16 output columns; so both paths equal the scalar reference bit for bit. Stride 2 gathers the
// even inputs with a two-register permute (forward) or adds into the even lanes only (input gradient).
// Weight gradient: per tap, lane l of 16 accumulates the products of columns t ≡ l (mod 16) of every valid
// row in row order, then the lanes reduce pairwise (l + 8, + 4, + 2, + 1) — the same order on both paths.
#include "CKernels.h"
#include "lane_reduce.h"

#include <string.h>

#pragma STDC FP_CONTRACT OFF

static void valid_range(long offset, long stride, long size, long count, long *lo_out, long *n_out) {
    long lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
    long rest = size - offset;
    long hi = rest <= 0 ? 0 : (rest + stride - 1) / stride;
    if (lo > count) lo = count;
    if (hi > count) hi = count;
    *lo_out = lo;
    *n_out = hi > lo ? hi - lo : 0;
}

// MARK: portable

static void fwd_portable(const float *x, const float *w, const float *bias, const mlr_dw_geometry *g, float *y) {
    long H = g->height, W = g->width, ho = g->out_height, wo = g->out_width, plane = ho * wo;
    long kh = g->kernel_height, kw = g->kernel_width, sh = g->stride_height, sw = g->stride_width;
    for (long c = 0; c < g->channels; c++) {
        const float *xc = x + c * H * W, *wc = w + c * kh * kw;
        float *yc = y + c * plane;
        float b = bias ? bias[c] : 0.0f;
        for (long p = 0; p < plane; p++) yc[p] = b;
        for (long i = 0; i < kh; i++) {
            long ro = i * g->dilation_height - g->pad_height, rlo, rn;
            valid_range(ro, sh, H, ho, &rlo, &rn);
            for (long j = 0; j < kw; j++) {
                float wv = wc[i * kw + j];
                long co = j * g->dilation_width - g->pad_width, lo, n;
                valid_range(co, sw, W, wo, &lo, &n);
                if (n == 0) continue;
                for (long oh = rlo; oh < rlo + rn; oh++) {
                    float *d = yc + oh * wo + lo;
                    const float *s = xc + (oh * sh + ro) * W + (lo * sw + co);
                    for (long t = 0; t < n; t++) d[t] += wv * s[t * sw];
                }
            }
        }
    }
}

static void bwd_input_portable(const float *dy, const float *w, const mlr_dw_geometry *g, float *dx) {
    long H = g->height, W = g->width, ho = g->out_height, wo = g->out_width, plane = ho * wo;
    long kh = g->kernel_height, kw = g->kernel_width, sh = g->stride_height, sw = g->stride_width;
    memset(dx, 0, sizeof(float) * (size_t)(g->channels * H * W));
    for (long c = 0; c < g->channels; c++) {
        float *dxc = dx + c * H * W;
        const float *dyc = dy + c * plane, *wc = w + c * kh * kw;
        for (long i = 0; i < kh; i++) {
            long ro = i * g->dilation_height - g->pad_height, rlo, rn;
            valid_range(ro, sh, H, ho, &rlo, &rn);
            for (long j = 0; j < kw; j++) {
                float wv = wc[i * kw + j];
                long co = j * g->dilation_width - g->pad_width, lo, n;
                valid_range(co, sw, W, wo, &lo, &n);
                if (n == 0) continue;
                for (long oh = rlo; oh < rlo + rn; oh++) {
                    const float *s = dyc + oh * wo + lo;
                    float *d = dxc + (oh * sh + ro) * W + (lo * sw + co);
                    for (long t = 0; t < n; t++) d[t * sw] += wv * s[t];
                }
            }
        }
    }
}

static void bwd_weight_portable(const float *x, const float *dy, const mlr_dw_geometry *g, float *dw) {
    long H = g->height, W = g->width, ho = g->out_height, wo = g->out_width, plane = ho * wo;
    long kh = g->kernel_height, kw = g->kernel_width, sh = g->stride_height, sw = g->stride_width;
    for (long c = 0; c < g->channels; c++) {
        const float *xc = x + c * H * W, *dyc = dy + c * plane;
        float *dwc = dw + c * kh * kw;
        for (long i = 0; i < kh; i++) {
            long ro = i * g->dilation_height - g->pad_height, rlo, rn;
            valid_range(ro, sh, H, ho, &rlo, &rn);
            for (long j = 0; j < kw; j++) {
                long co = j * g->dilation_width - g->pad_width, lo, n;
                valid_range(co, sw, W, wo, &lo, &n);
                if (n == 0) continue;
                float acc[16] = {0};
                for (long oh = rlo; oh < rlo + rn; oh++) {
                    const float *a = dyc + oh * wo + lo;
                    const float *b = xc + (oh * sh + ro) * W + (lo * sw + co);
                    for (long t = 0; t < n; t += 16) {
                        long m = n - t < 16 ? n - t : 16;
                        for (long l = 0; l < m; l++) acc[l] += a[t + l] * b[(t + l) * sw];
                    }
                }
                dwc[i * kw + j] += mlr_reduce16(acc);
            }
        }
    }
}

// MARK: AVX-512 (stride 1 or 2 along the width; any other stride uses the portable path)

#if defined(__x86_64__)
#include <immintrin.h>
#define T512 __attribute__((target("avx512f")))

/// Mask of the first k lanes (0 ≤ k ≤ 16).
static inline __mmask16 first_lanes(long k) {
    return k >= 16 ? (__mmask16)0xFFFF : (k <= 0 ? (__mmask16)0 : (__mmask16)((1u << k) - 1u));
}

/// s[0], s[2], …, s[2(m−1)] into lanes 0..<m (other lanes 0), reading only those m elements' span.
T512 static inline __m512 load_even(const float *s, long m) {
    long k = 2 * m - 1;   // elements s[0 ... 2(m−1)]
    __m512 lo = _mm512_maskz_loadu_ps(first_lanes(k), s);
    __m512 hi = _mm512_maskz_loadu_ps(first_lanes(k - 16), s + 16);
    const __m512i idx = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    return _mm512_permutex2var_ps(lo, idx, hi);
}

T512 static inline __m512 load_strided(const float *s, long m, long sw) {
    return sw == 1 ? _mm512_maskz_loadu_ps(first_lanes(m), s) : load_even(s, m);
}

T512 static void fwd_avx512(const float *x, const float *w, const float *bias, const mlr_dw_geometry *g, float *y) {
    long H = g->height, W = g->width, ho = g->out_height, wo = g->out_width, plane = ho * wo;
    long kh = g->kernel_height, kw = g->kernel_width, sh = g->stride_height, sw = g->stride_width;
    for (long c = 0; c < g->channels; c++) {
        const float *xc = x + c * H * W, *wc = w + c * kh * kw;
        float *yc = y + c * plane;
        float b = bias ? bias[c] : 0.0f;
        for (long p = 0; p < plane; p++) yc[p] = b;
        for (long i = 0; i < kh; i++) {
            long ro = i * g->dilation_height - g->pad_height, rlo, rn;
            valid_range(ro, sh, H, ho, &rlo, &rn);
            for (long j = 0; j < kw; j++) {
                __m512 wv = _mm512_set1_ps(wc[i * kw + j]);
                long co = j * g->dilation_width - g->pad_width, lo, n;
                valid_range(co, sw, W, wo, &lo, &n);
                if (n == 0) continue;
                for (long oh = rlo; oh < rlo + rn; oh++) {
                    float *d = yc + oh * wo + lo;
                    const float *s = xc + (oh * sh + ro) * W + (lo * sw + co);
                    for (long t = 0; t < n; t += 16) {
                        long m = n - t < 16 ? n - t : 16;
                        __mmask16 k = first_lanes(m);
                        __m512 v = load_strided(s + t * sw, m, sw);
                        __m512 acc = _mm512_maskz_loadu_ps(k, d + t);
                        _mm512_mask_storeu_ps(d + t, k, _mm512_add_ps(acc, _mm512_mul_ps(wv, v)));
                    }
                }
            }
        }
    }
}

T512 static void bwd_input_avx512(const float *dy, const float *w, const mlr_dw_geometry *g, float *dx) {
    long H = g->height, W = g->width, ho = g->out_height, wo = g->out_width, plane = ho * wo;
    long kh = g->kernel_height, kw = g->kernel_width, sh = g->stride_height, sw = g->stride_width;
    memset(dx, 0, sizeof(float) * (size_t)(g->channels * H * W));
    // Spreads lanes 0..7 (lo) / 8..15 (hi) of a vector to the even lanes 0, 2, …, 14.
    const __m512i spread_lo = _mm512_set_epi32(7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0);
    const __m512i spread_hi = _mm512_set_epi32(15, 15, 14, 14, 13, 13, 12, 12, 11, 11, 10, 10, 9, 9, 8, 8);
    for (long c = 0; c < g->channels; c++) {
        float *dxc = dx + c * H * W;
        const float *dyc = dy + c * plane, *wc = w + c * kh * kw;
        for (long i = 0; i < kh; i++) {
            long ro = i * g->dilation_height - g->pad_height, rlo, rn;
            valid_range(ro, sh, H, ho, &rlo, &rn);
            for (long j = 0; j < kw; j++) {
                __m512 wv = _mm512_set1_ps(wc[i * kw + j]);
                long co = j * g->dilation_width - g->pad_width, lo, n;
                valid_range(co, sw, W, wo, &lo, &n);
                if (n == 0) continue;
                for (long oh = rlo; oh < rlo + rn; oh++) {
                    const float *s = dyc + oh * wo + lo;
                    float *d = dxc + (oh * sh + ro) * W + (lo * sw + co);
                    for (long t = 0; t < n; t += 16) {
                        long m = n - t < 16 ? n - t : 16;
                        __m512 p = _mm512_mul_ps(wv, _mm512_maskz_loadu_ps(first_lanes(m), s + t));
                        if (sw == 1) {
                            __mmask16 k = first_lanes(m);
                            __m512 acc = _mm512_maskz_loadu_ps(k, d + t);
                            _mm512_mask_storeu_ps(d + t, k, _mm512_add_ps(acc, p));
                        } else {
                            float *dd = d + 2 * t;
                            long span = 2 * m - 1;   // dd[0 ... 2(m−1)]
                            __mmask16 k0 = first_lanes(span), k1 = first_lanes(span - 16);
                            __m512 a0 = _mm512_maskz_loadu_ps(k0, dd);
                            __m512 a1 = _mm512_maskz_loadu_ps(k1, dd + 16);
                            a0 = _mm512_mask_add_ps(a0, 0x5555, a0, _mm512_permutexvar_ps(spread_lo, p));
                            a1 = _mm512_mask_add_ps(a1, 0x5555, a1, _mm512_permutexvar_ps(spread_hi, p));
                            _mm512_mask_storeu_ps(dd, k0, a0);
                            _mm512_mask_storeu_ps(dd + 16, k1, a1);
                        }
                    }
                }
            }
        }
    }
}

T512 static void bwd_weight_avx512(const float *x, const float *dy, const mlr_dw_geometry *g, float *dw) {
    long H = g->height, W = g->width, ho = g->out_height, wo = g->out_width, plane = ho * wo;
    long kh = g->kernel_height, kw = g->kernel_width, sh = g->stride_height, sw = g->stride_width;
    for (long c = 0; c < g->channels; c++) {
        const float *xc = x + c * H * W, *dyc = dy + c * plane;
        float *dwc = dw + c * kh * kw;
        for (long i = 0; i < kh; i++) {
            long ro = i * g->dilation_height - g->pad_height, rlo, rn;
            valid_range(ro, sh, H, ho, &rlo, &rn);
            for (long j = 0; j < kw; j++) {
                long co = j * g->dilation_width - g->pad_width, lo, n;
                valid_range(co, sw, W, wo, &lo, &n);
                if (n == 0) continue;
                __m512 acc = _mm512_setzero_ps();
                for (long oh = rlo; oh < rlo + rn; oh++) {
                    const float *a = dyc + oh * wo + lo;
                    const float *b = xc + (oh * sh + ro) * W + (lo * sw + co);
                    for (long t = 0; t < n; t += 16) {
                        long m = n - t < 16 ? n - t : 16;
                        __mmask16 k = first_lanes(m);
                        __m512 prod = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, a + t), load_strided(b + t * sw, m, sw));
                        acc = _mm512_mask_add_ps(acc, k, acc, prod);
                    }
                }
                float lanes[16];
                _mm512_storeu_ps(lanes, acc);
                dwc[i * kw + j] += mlr_reduce16(lanes);
            }
        }
    }
}
#endif

// MARK: dispatch

static int avx512_ok(const mlr_dw_geometry *g) {
#if defined(__x86_64__)
    return (g->stride_width == 1 || g->stride_width == 2) && mlr_elementwise_avx512();
#else
    (void)g;
    return 0;
#endif
}

void mlr_depthwise_forward(const float *x, const float *w, const float *bias, const mlr_dw_geometry *g, float *y) {
#if defined(__x86_64__)
    if (avx512_ok(g)) { fwd_avx512(x, w, bias, g, y); return; }
#endif
    fwd_portable(x, w, bias, g, y);
}

void mlr_depthwise_backward_input(const float *dy, const float *w, const mlr_dw_geometry *g, float *dx) {
#if defined(__x86_64__)
    if (avx512_ok(g)) { bwd_input_avx512(dy, w, g, dx); return; }
#endif
    bwd_input_portable(dy, w, g, dx);
}

void mlr_depthwise_backward_weight(const float *x, const float *dy, const mlr_dw_geometry *g, float *dw) {
#if defined(__x86_64__)
    if (avx512_ok(g)) { bwd_weight_avx512(x, dy, g, dw); return; }
#endif
    bwd_weight_portable(x, dy, g, dw);
}
