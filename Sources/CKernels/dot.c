// Σ a[i]·b[i] in double, vectorised and deterministic: every product a[i]·b[i] of two floats is exact in
// double; element i is added to lane i mod 32 in index order (32 double accumulators), and the lanes are
// combined pairwise in a fixed order (l + 16, + 8, + 4, + 2, + 1). The AVX-512 and portable paths do the same
// additions in the same order, so they give the same bits, on every thread count.
#include "CKernels.h"

#pragma STDC FP_CONTRACT OFF

#define DOT_LANES 32

static double combine(double acc[DOT_LANES]) {
    for (int w = DOT_LANES / 2; w >= 1; w /= 2)
        for (int l = 0; l < w; l++) acc[l] = acc[l] + acc[l + w];
    return acc[0];
}

/// The elements from `i` on (fewer than 32), each into its lane i mod 32 (i is a multiple of 32).
static void tail(const float *a, const float *b, long i, long n, double acc[DOT_LANES]) {
    for (long l = 0; i + l < n; l++) acc[l] = acc[l] + (double)a[i + l] * (double)b[i + l];
}

static double dot_portable(const float *a, const float *b, long n) {
    double acc[DOT_LANES] = {0};
    long i = 0;
    for (; i + DOT_LANES <= n; i += DOT_LANES)
        for (int l = 0; l < DOT_LANES; l++) acc[l] = acc[l] + (double)a[i + l] * (double)b[i + l];
    tail(a, b, i, n, acc);
    return combine(acc);
}

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx512f")))
static double dot_avx512(const float *a, const float *b, long n) {
    __m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd(), s2 = _mm512_setzero_pd(), s3 = _mm512_setzero_pd();
    long i = 0;
    for (; i + DOT_LANES <= n; i += DOT_LANES) {
        const __m512 a0 = _mm512_loadu_ps(a + i), a1 = _mm512_loadu_ps(a + i + 16);
        const __m512 b0 = _mm512_loadu_ps(b + i), b1 = _mm512_loadu_ps(b + i + 16);
        // Lanes 0–7, 8–15, 16–23, 24–31: the products are exact in double, then one rounding per addition.
        s0 = _mm512_add_pd(s0, _mm512_mul_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(a0)),
                                             _mm512_cvtps_pd(_mm512_castps512_ps256(b0))));
        s1 = _mm512_add_pd(s1, _mm512_mul_pd(_mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a0), 1))),
                                             _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(b0), 1)))));
        s2 = _mm512_add_pd(s2, _mm512_mul_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(a1)),
                                             _mm512_cvtps_pd(_mm512_castps512_ps256(b1))));
        s3 = _mm512_add_pd(s3, _mm512_mul_pd(_mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a1), 1))),
                                             _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(b1), 1)))));
    }
    double acc[DOT_LANES];
    _mm512_storeu_pd(acc, s0); _mm512_storeu_pd(acc + 8, s1); _mm512_storeu_pd(acc + 16, s2); _mm512_storeu_pd(acc + 24, s3);
    tail(a, b, i, n, acc);
    return combine(acc);
}
#endif

double mlr_dot_double(const float *a, const float *b, long n) {
#if defined(__x86_64__)
    if (mlr_elementwise_avx512()) return dot_avx512(a, b, n);
#endif
    return dot_portable(a, b, n);
}
