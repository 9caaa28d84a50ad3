// Depthwise convolution on small planes (MobileNetV2's 8×8 and 4×4 stages): forward and input gradient
// vectorised over the whole flattened plane (16 outputs or inputs per vector, ≤ 16 vectors) instead of along
// rows too short to fill a vector. A per-geometry table gives, for every tap and vector, the lanes that have
// a source and where it is (a shifted load when the sources are contiguous, else a gather).
//
// Same arithmetic as the scalar references (`depthwiseConv2dForwardReference`, `...BackwardInputReference`):
// each element starts at the bias (forward) or 0 (input gradient) and receives its taps in row-major order,
// skipping padding, one product and one sum each (masked adds: a lane without a source is left untouched),
// so the results are bit-identical to them.
//
// The weight gradient (`mlr_depthwise_small_backward_weight`) reads the forward's table: for every channel and
// tap, lane l of a 16-float accumulator takes dy[d]·x[source(d, tap)] for the outputs d ≡ l (mod 16) that have
// a source, vectors in order, images in order (one product and one sum each, masked adds), and the 16 lanes are
// then reduced pairwise (`mlr_reduce16`) and added into dw once per call. A fixed order that depends on the
// geometry and the images passed only (never on threads), within rounding of the scalar reference.
#include "CKernels.h"
#include "lane_reduce.h"

#include <stdint.h>
#include <stdlib.h>

#pragma STDC FP_CONTRACT OFF

#define SMALL_MAX_VECTORS 16

#if defined(__x86_64__)
#include <immintrin.h>
#define T512 __attribute__((target("avx512f")))

/// Sources of one tap for one vector of destination lanes: lane l reads `src[idx[l]]` where `mask` has it;
/// when `contiguous`, idx[l] = base + l for every lane in the mask.
typedef struct { int32_t idx[16]; long base; __mmask16 mask; int contiguous; } tap_vec;

static _Thread_local tap_vec *table;
static _Thread_local long capacity;

static tap_vec *table_for(long count) {
    if (count > capacity) {
        free(table);
        table = aligned_alloc(64, (size_t)count * sizeof(tap_vec) + 64);
        if (!table) abort();
        capacity = count;
    }
    return table;
}

/// Fills `t[tap·nv + v]` for destination elements d = 16v + l < dcount. forward: d is an output (oy, ox)
/// reading input (oy·sh − ph + i·dh, ox·sw − pw + j·dw). backward: d is an input (iy, ix) reading the output
/// whose tap (i, j) lands on it, when there is one.
static void build(const mlr_dw_geometry *g, int forward, long nv, long dcount, tap_vec *t) {
    const long H = g->height, W = g->width, ho = g->out_height, wo = g->out_width;
    const long kh = g->kernel_height, kw = g->kernel_width;
    for (long i = 0; i < kh; i++) for (long j = 0; j < kw; j++) for (long v = 0; v < nv; v++) {
        tap_vec *u = &t[(i * kw + j) * nv + v];
        u->mask = 0; u->contiguous = 1; u->base = 0;
        int have = 0;
        for (int l = 0; l < 16; l++) {
            const long d = 16 * v + l;
            long s = -1;
            if (d < dcount) {
                if (forward) {
                    const long oy = d / wo, ox = d % wo;
                    const long iy = oy * g->stride_height - g->pad_height + i * g->dilation_height;
                    const long ix = ox * g->stride_width - g->pad_width + j * g->dilation_width;
                    if (iy >= 0 && iy < H && ix >= 0 && ix < W) s = iy * W + ix;
                } else {
                    const long iy = d / W, ix = d % W;
                    const long ry = iy + g->pad_height - i * g->dilation_height;
                    const long rx = ix + g->pad_width - j * g->dilation_width;
                    if (ry >= 0 && rx >= 0 && ry % g->stride_height == 0 && rx % g->stride_width == 0) {
                        const long oy = ry / g->stride_height, ox = rx / g->stride_width;
                        if (oy < ho && ox < wo) s = oy * wo + ox;
                    }
                }
            }
            u->idx[l] = (int32_t)(s < 0 ? 0 : s);
            if (s >= 0) {
                u->mask |= (__mmask16)(1u << l);
                if (!have) { u->base = s - l; have = 1; }
                else if (s != u->base + l) u->contiguous = 0;
            }
        }
    }
}

/// dst[c] (dcount elements) = start(c) + Σ taps in order w[c, tap] · src[c][source], over all channels.
T512 static void run(const mlr_dw_geometry *g, const tap_vec *t, long nv, long dcount, const float *src, long splane,
                     const float *w, const float *bias, float *dst) {
    const long taps = g->kernel_height * g->kernel_width;
    for (long c = 0; c < g->channels; c++) {
        const float *sc = src + c * splane, *wc = w + c * taps;
        float *dc = dst + c * dcount;
        __m512 acc[SMALL_MAX_VECTORS];
        const __m512 start = _mm512_set1_ps(bias ? bias[c] : 0.0f);
        for (long v = 0; v < nv; v++) acc[v] = start;
        for (long k = 0; k < taps; k++) {
            const __m512 wv = _mm512_set1_ps(wc[k]);
            const tap_vec *u = &t[k * nv];
            for (long v = 0; v < nv; v++) {
                const __mmask16 m = u[v].mask;
                if (!m) continue;
                const __m512 s = u[v].contiguous ? _mm512_maskz_loadu_ps(m, sc + u[v].base)
                    : _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, _mm512_loadu_si512(u[v].idx), sc, 4);
                acc[v] = _mm512_mask_add_ps(acc[v], m, acc[v], _mm512_mul_ps(wv, s));
            }
        }
        for (long v = 0; v < nv; v++) {
            const long n = dcount - 16 * v;
            _mm512_mask_storeu_ps(dc + 16 * v, (__mmask16)(n >= 16 ? 0xFFFFu : (1u << n) - 1), acc[v]);
        }
    }
}

/// Taps at most (7×7) for the weight gradient's per-tap accumulators.
#define SMALL_MAX_TAPS 49

/// dw[c, tap] += Σ over `images` images and their outputs of dy · x, in 16 lanes per tap (see the top).
T512 static void run_weight(const mlr_dw_geometry *g, const tap_vec *t, long nv, long plane, const float *x, long x_image,
                            const float *dy, long dy_image, long images, float *dw) {
    const long taps = g->kernel_height * g->kernel_width, splane = g->height * g->width;
    for (long c = 0; c < g->channels; c++) {
        __m512 acc[SMALL_MAX_TAPS];
        for (long k = 0; k < taps; k++) acc[k] = _mm512_setzero_ps();
        for (long img = 0; img < images; img++) {
            const float *xc = x + img * x_image + c * splane, *dc = dy + img * dy_image + c * plane;
            __m512 d[SMALL_MAX_VECTORS];
            for (long v = 0; v < nv; v++) {
                const long n = plane - 16 * v;
                d[v] = _mm512_maskz_loadu_ps((__mmask16)(n >= 16 ? 0xFFFFu : (1u << n) - 1), dc + 16 * v);
            }
            for (long k = 0; k < taps; k++) {
                const tap_vec *u = &t[k * nv];
                __m512 a = acc[k];
                for (long v = 0; v < nv; v++) {
                    const __mmask16 m = u[v].mask;
                    if (!m) continue;
                    const __m512 s = u[v].contiguous ? _mm512_maskz_loadu_ps(m, xc + u[v].base)
                        : _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, _mm512_loadu_si512(u[v].idx), xc, 4);
                    a = _mm512_mask_add_ps(a, m, a, _mm512_mul_ps(d[v], s));
                }
                acc[k] = a;
            }
        }
        for (long k = 0; k < taps; k++) {
            float lanes[16];
            _mm512_storeu_ps(lanes, acc[k]);
            dw[c * taps + k] += mlr_reduce16(lanes);
        }
    }
}
#endif

int mlr_depthwise_small_backward_weight(const float *x, long x_image, const float *dy, long dy_image, long images,
                                        const mlr_dw_geometry *g, float *dw) {
#if defined(__x86_64__)
    const long plane = g->out_height * g->out_width, nv = (plane + 15) / 16;
    const long taps = g->kernel_height * g->kernel_width;
    if (!mlr_elementwise_avx512() || plane == 0 || nv > SMALL_MAX_VECTORS || taps > SMALL_MAX_TAPS) return 0;
    tap_vec *t = table_for(taps * nv);
    build(g, 1, nv, plane, t);
    run_weight(g, t, nv, plane, x, x_image, dy, dy_image, images, dw);
    return 1;
#else
    (void)x; (void)x_image; (void)dy; (void)dy_image; (void)images; (void)g; (void)dw;
    return 0;
#endif
}

int mlr_depthwise_small_forward(const float *x, const float *w, const float *bias, const mlr_dw_geometry *g, float *y) {
#if defined(__x86_64__)
    const long plane = g->out_height * g->out_width, nv = (plane + 15) / 16;
    if (!mlr_elementwise_avx512() || plane == 0 || nv > SMALL_MAX_VECTORS) return 0;
    const long taps = g->kernel_height * g->kernel_width;
    tap_vec *t = table_for(taps * nv);
    build(g, 1, nv, plane, t);
    run(g, t, nv, plane, x, g->height * g->width, w, bias, y);
    return 1;
#else
    (void)x; (void)w; (void)bias; (void)g; (void)y;
    return 0;
#endif
}

int mlr_depthwise_small_backward_input(const float *dy, const float *w, const mlr_dw_geometry *g, float *dx) {
#if defined(__x86_64__)
    const long plane = g->height * g->width, nv = (plane + 15) / 16;
    if (!mlr_elementwise_avx512() || plane == 0 || nv > SMALL_MAX_VECTORS) return 0;
    const long taps = g->kernel_height * g->kernel_width;
    tap_vec *t = table_for(taps * nv);
    build(g, 0, nv, plane, t);
    run(g, t, nv, plane, dy, g->out_height * g->out_width, w, NULL, dx);
    return 1;
#else
    (void)dy; (void)w; (void)g; (void)dx;
    return 0;
#endif
}
