// AVX2 + FMA SGEMM kernel family: 6×16 register tile (12 ymm accumulators, 2 B vectors,
// 1 broadcast of A = 15 of the 16 ymm registers). Compiled per function with target("avx2,fma")
// and chosen only when the CPU reports both features.
#include "sgemm_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AMR 6
#define ANR 16
#define TARGET __attribute__((target("avx2,fma")))

TARGET static inline __m256 merge8(__m256 acc, const float *c, __m256i mask, __m256 va, __m256 vb, int read) {
    __m256 r = _mm256_mul_ps(va, acc);
    if (read) r = _mm256_fmadd_ps(vb, _mm256_maskload_ps(c, mask), r);
    return r;
}

TARGET static void kernel_avx2(long kc, const float *restrict a, const float *restrict b, long ldb,
                               float *restrict c, long ldc, long m, long n, float alpha, float beta) {
    (void)ldb;  // B is always a packed sliver here
    // C is needed only after the K loop: start fetching it now so its latency hides behind the FMAs.
#define PREFETCH_C(i) if (i < m) { _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0); \
        _mm_prefetch((const char *)(c + i * ldc + ANR - 1), _MM_HINT_T0); }
    MLR_REP(6, PREFETCH_C)
#undef PREFETCH_C
    // Explicitly unrolled so that the 12 accumulators stay in registers.
#define DECL(i) __m256 c##i##_0 = _mm256_setzero_ps(), c##i##_1 = _mm256_setzero_ps();
    MLR_REP(6, DECL)
#undef DECL
    for (long p = 0; p < kc; p++) {
        const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
#define FMA_ROW(i) { const __m256 ai = _mm256_broadcast_ss(a + i); \
        c##i##_0 = _mm256_fmadd_ps(ai, b0, c##i##_0); c##i##_1 = _mm256_fmadd_ps(ai, b1, c##i##_1); }
        MLR_REP(6, FMA_ROW)
#undef FMA_ROW
        a += AMR;
        b += ANR;
    }
    __m256 acc[AMR][2];
#define SAVE(i) acc[i][0] = c##i##_0; acc[i][1] = c##i##_1;
    MLR_REP(6, SAVE)
#undef SAVE
    // Column masks for a clipped tile (all lanes when n == 16).
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), lane);
    const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n - 8), lane);
    const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
    const int read = beta != 0;
    for (int i = 0; i < AMR; i++) {
        if (i >= m) break;
        float *row = c + i * ldc;
        _mm256_maskstore_ps(row, m0, merge8(acc[i][0], row, m0, va, vb, read));
        _mm256_maskstore_ps(row + 8, m1, merge8(acc[i][1], row + 8, m1, va, vb, read));
    }
}

MLR_DEFINE_GENERIC_PACK_A(pack_a_avx2_impl, AMR)
MLR_DEFINE_GENERIC_PACK_B(pack_b_avx2_impl, ANR)

TARGET static void pack_a_avx2(int t, const float *A, long lda, long i0, long p0, long mc, long kc, float *dst) {
    pack_a_avx2_impl(t, A, lda, i0, p0, mc, kc, dst);
}
TARGET static void pack_b_avx2(int t, const float *B, long ldb, long p0, long j0, long kc, long nc, float *dst) {
    pack_b_avx2_impl(t, B, ldb, p0, j0, kc, nc, dst);
}

const mlr_gemm_impl mlr_gemm_impl_avx2 = {
    .mr = AMR, .nr = ANR, .mc = AMR * 682, .kc = 256, .nc = 256,
    .kernel = kernel_avx2, .pack_a = pack_a_avx2, .pack_b = pack_b_avx2,
};
#endif
