// Memory-bound element-wise kernels (ReLU/ReLU6 forward and backward, BatchNorm's per-channel sums and
// affine passes) with an AVX-512 path chosen at run time and a portable path for other CPUs.
//
// Why C: the Swift targets are compiled for baseline x86-64 (SSE2), where the ReLU backward's
// conditional load `x > 0 ? dy : 0` became a data-dependent branch (≈ 14% of a ResNet-20 step on random
// masks) and SIMD16<Float> sums ran as four SSE vectors. Here every loop is branch-free, 16 lanes wide.
//
// Both paths compute bit-identical results: the sums accumulate in 16 lanes in the same order (lane l
// takes elements i ≡ l mod 16 of each 4096-element block; the tail goes to a separate scalar), reduce the
// lanes pairwise (l + 8, then + 4, + 2, + 1) and flush each block into a double; products and sums are
// separate roundings (no FMA contraction), as in the Swift code they replace.
#include "CKernels.h"
#include "lane_reduce.h"

#include <math.h>

#pragma STDC FP_CONTRACT OFF

#define MLR_FLUSH 4096

// MARK: portable

static void clamp_portable(const float *x, float *y, long n, int has_upper, float upper) {
    if (has_upper) {
        for (long i = 0; i < n; i++) { float v = x[i]; y[i] = v < 0 ? 0 : (v > upper ? upper : v); }
    } else {
        for (long i = 0; i < n; i++) { float v = x[i]; y[i] = v < 0 ? 0 : v; }
    }
}

static void clamp_grad_portable(const float *x, const float *dy, float *dx, long n, int has_upper, float upper) {
    if (has_upper) {
        for (long i = 0; i < n; i++) { float v = x[i], g = dy[i]; dx[i] = (v > 0 && v < upper) ? g : 0; }
    } else {
        for (long i = 0; i < n; i++) { float v = x[i], g = dy[i]; dx[i] = v > 0 ? g : 0; }
    }
}

/// The scalar tail of a lane-sum part (elements i..<end after the 16-lane body), shared by both paths so their
/// results stay bit-identical: mode 0 Σv, mode 1 Σ(v − mean)², mode 2 Σv and Σv·(x − mean).
static inline void tail_sums(const float *g, const float *x, long i, long end, float mean, int mode, float *ta, float *tb) {
    for (; i < end; i++) {
        float v = g[i];
        if (mode == 0) *ta += v;
        else if (mode == 1) { float d = v - mean; *ta += d * d; }
        else { *ta += v; *tb += v * (x[i] - mean); }
    }
}

static void lane_sums_portable(const float *g, const float *x, long n, float mean, int mode,
                               double *out0, double *out1) {
    // mode 0: Σ g; mode 1: Σ (g − mean)²; mode 2: Σ g and Σ g·(x − mean).
    double t0 = 0, t1 = 0;
    for (long start = 0; start < n; start += MLR_FLUSH) {
        long end = start + MLR_FLUSH < n ? start + MLR_FLUSH : n;
        float a[16] = {0}, b[16] = {0};
        long i = start;
        for (; i + 16 <= end; i += 16) {
            for (int l = 0; l < 16; l++) {
                float v = g[i + l];
                if (mode == 0) a[l] += v;
                else if (mode == 1) { float d = v - mean; a[l] += d * d; }
                else { a[l] += v; b[l] += v * (x[i + l] - mean); }
            }
        }
        float ta = 0, tb = 0;
        tail_sums(g, x, i, end, mean, mode, &ta, &tb);
        t0 += (double)mlr_reduce16(a) + (double)ta;
        t1 += (double)mlr_reduce16(b) + (double)tb;
    }
    *out0 = t0;
    if (out1) *out1 = t1;
}

static void affine_portable(const float *x, float *y, long n, float a, float b, int act, float upper) {
    if (act == 2) {
        for (long i = 0; i < n; i++) { float v = x[i] * a + b; y[i] = v < 0 ? 0 : (v > upper ? upper : v); }
    } else if (act == 1) {
        for (long i = 0; i < n; i++) { float v = x[i] * a + b; y[i] = v < 0 ? 0 : v; }
    } else {
        for (long i = 0; i < n; i++) y[i] = x[i] * a + b;
    }
}

static void bn_dx_portable(const float *x, const float *dy, float *dx, long n, float mean, float k1, float k2, float k3) {
    for (long i = 0; i < n; i++) dx[i] = k1 * dy[i] + k2 * (x[i] - mean) + k3;
}

// MARK: AVX-512

#if defined(__x86_64__)
#include <immintrin.h>
#define T512 __attribute__((target("avx512f")))

T512 static float reduce16_avx512(__m512 v) {
    // Same pairwise order as mlr_reduce16 (lane_reduce.h): lanes l + 8, then + 4, + 2, + 1.
    __m256 r = _mm256_add_ps(_mm512_castps512_ps256(v), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(r), _mm256_extractf128_ps(r, 1));
    __m128 h = _mm_add_ps(q, _mm_movehl_ps(q, q));
    __m128 s = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
    return _mm_cvtss_f32(s);
}

T512 static void clamp_avx512(const float *x, float *y, long n, int has_upper, float upper) {
    const __m512 z = _mm512_setzero_ps(), u = _mm512_set1_ps(upper);
    long i = 0;
    for (; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(m, x + i);
        v = _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, z, _CMP_LT_OQ), z);
        if (has_upper) v = _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, u, _CMP_GT_OQ), u);
        _mm512_mask_storeu_ps(y + i, m, v);
    }
}

T512 static void clamp_grad_avx512(const float *x, const float *dy, float *dx, long n, int has_upper, float upper) {
    const __m512 z = _mm512_setzero_ps(), u = _mm512_set1_ps(upper);
    for (long i = 0; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(m, x + i);
        __mmask16 pass = _mm512_cmp_ps_mask(v, z, _CMP_GT_OQ);
        if (has_upper) pass &= _mm512_cmp_ps_mask(v, u, _CMP_LT_OQ);
        _mm512_mask_storeu_ps(dx + i, m, _mm512_maskz_loadu_ps(pass & m, dy + i));
    }
}

T512 static void lane_sums_avx512(const float *g, const float *x, long n, float mean, int mode,
                                  double *out0, double *out1) {
    const __m512 mv = _mm512_set1_ps(mean);
    double t0 = 0, t1 = 0;
    for (long start = 0; start < n; start += MLR_FLUSH) {
        long end = start + MLR_FLUSH < n ? start + MLR_FLUSH : n;
        __m512 a = _mm512_setzero_ps(), b = _mm512_setzero_ps();
        long i = start;
        if (mode == 0) {
            for (; i + 16 <= end; i += 16) a = _mm512_add_ps(a, _mm512_loadu_ps(g + i));
        } else if (mode == 1) {
            for (; i + 16 <= end; i += 16) {
                __m512 d = _mm512_sub_ps(_mm512_loadu_ps(g + i), mv);
                a = _mm512_add_ps(a, _mm512_mul_ps(d, d));
            }
        } else {
            for (; i + 16 <= end; i += 16) {
                __m512 v = _mm512_loadu_ps(g + i);
                a = _mm512_add_ps(a, v);
                b = _mm512_add_ps(b, _mm512_mul_ps(v, _mm512_sub_ps(_mm512_loadu_ps(x + i), mv)));
            }
        }
        float ta = 0, tb = 0;
        tail_sums(g, x, i, end, mean, mode, &ta, &tb);
        t0 += (double)reduce16_avx512(a) + (double)ta;
        t1 += (double)reduce16_avx512(b) + (double)tb;
    }
    *out0 = t0;
    if (out1) *out1 = t1;
}

T512 static void affine_avx512(const float *x, float *y, long n, float a, float b, int act, float upper) {
    const __m512 va = _mm512_set1_ps(a), vb = _mm512_set1_ps(b), z = _mm512_setzero_ps(), u = _mm512_set1_ps(upper);
    for (long i = 0; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
        __m512 v = _mm512_add_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), va), vb);
        if (act >= 1) v = _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, z, _CMP_LT_OQ), z);
        if (act == 2) v = _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, u, _CMP_GT_OQ), u);
        _mm512_mask_storeu_ps(y + i, m, v);
    }
}

T512 static void bn_dx_avx512(const float *x, const float *dy, float *dx, long n, float mean, float k1, float k2, float k3) {
    const __m512 v1 = _mm512_set1_ps(k1), v2 = _mm512_set1_ps(k2), v3 = _mm512_set1_ps(k3), mv = _mm512_set1_ps(mean);
    for (long i = 0; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
        __m512 g = _mm512_maskz_loadu_ps(m, dy + i), xv = _mm512_maskz_loadu_ps(m, x + i);
        __m512 r = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(v1, g), _mm512_mul_ps(v2, _mm512_sub_ps(xv, mv))), v3);
        _mm512_mask_storeu_ps(dx + i, m, r);
    }
}
#endif

#if defined(__x86_64__)
T512 static void add_inplace_avx512(float *d, const float *s, long n) {
    long i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(d + i, _mm512_add_ps(_mm512_loadu_ps(d + i), _mm512_loadu_ps(s + i)));
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(d + i, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, d + i), _mm512_maskz_loadu_ps(m, s + i)));
    }
}
#endif

// MARK: dispatch

// Per-thread switch to the portable path (tests compare the two on the calling thread).
static _Thread_local int force_portable = 0;

void mlr_elementwise_force_portable(int on) { force_portable = on; }

static int use_avx512(void) {
#if defined(__x86_64__)
    static int cached = -1;
    if (force_portable) return 0;
    if (cached < 0) { __builtin_cpu_init(); cached = __builtin_cpu_supports("avx512f") ? 1 : 0; }
    return cached;
#else
    return 0;
#endif
}

int mlr_elementwise_avx512(void) { return use_avx512(); }


void mlr_clamp(const float *x, float *y, long n, int has_upper, float upper) {
#if defined(__x86_64__)
    if (use_avx512()) { clamp_avx512(x, y, n, has_upper, upper); return; }
#endif
    clamp_portable(x, y, n, has_upper, upper);
}

void mlr_clamp_grad(const float *x, const float *dy, float *dx, long n, int has_upper, float upper) {
#if defined(__x86_64__)
    if (use_avx512()) { clamp_grad_avx512(x, dy, dx, n, has_upper, upper); return; }
#endif
    clamp_grad_portable(x, dy, dx, n, has_upper, upper);
}

double mlr_lane_sum(const float *p, long n) {
    double s;
#if defined(__x86_64__)
    if (use_avx512()) { lane_sums_avx512(p, 0, n, 0, 0, &s, 0); return s; }
#endif
    lane_sums_portable(p, 0, n, 0, 0, &s, 0);
    return s;
}

double mlr_lane_sum_squared_deviation(const float *p, long n, float mean) {
    double s;
#if defined(__x86_64__)
    if (use_avx512()) { lane_sums_avx512(p, 0, n, mean, 1, &s, 0); return s; }
#endif
    lane_sums_portable(p, 0, n, mean, 1, &s, 0);
    return s;
}

void mlr_lane_sum_and_dot(const float *g, const float *x, long n, float mean, double *sum_g, double *sum_gx) {
#if defined(__x86_64__)
    if (use_avx512()) { lane_sums_avx512(g, x, n, mean, 2, sum_g, sum_gx); return; }
#endif
    lane_sums_portable(g, x, n, mean, 2, sum_g, sum_gx);
}

void mlr_affine(const float *x, float *y, long n, float a, float b, int act, float upper) {
#if defined(__x86_64__)
    if (use_avx512()) { affine_avx512(x, y, n, a, b, act, upper); return; }
#endif
    affine_portable(x, y, n, a, b, act, upper);
}

void mlr_bn_input_grad(const float *x, const float *dy, float *dx, long n, float mean, float k1, float k2, float k3) {
#if defined(__x86_64__)
    if (use_avx512()) { bn_dx_avx512(x, dy, dx, n, mean, k1, k2, k3); return; }
#endif
    bn_dx_portable(x, dy, dx, n, mean, k1, k2, k3);
}

void mlr_add_inplace(float *d, const float *s, long n) {
#if defined(__x86_64__)
    if (use_avx512()) { add_inplace_avx512(d, s, n); return; }
#endif
    for (long i = 0; i < n; i++) d[i] = d[i] + s[i];
}
