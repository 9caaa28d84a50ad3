// AVX2 + FMA SGEMM kernel family: 6×16 register tile (12 ymm accumulators, 2 B vectors,
// 1 broadcast of A = 15 of the 16 ymm registers), packing through 8×8 register transposes.
// Compiled per function with target("avx2,fma") and chosen only when the CPU reports both features.
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

// MARK: packing

/// Transposes the 8×8 block r[0..7] (rows) in place into columns.
TARGET static inline void transpose8(__m256 r[8]) {
    __m256 t[8], u[8];
    for (int g = 0; g < 8; g += 4) {
        t[g + 0] = _mm256_unpacklo_ps(r[g + 0], r[g + 1]);
        t[g + 1] = _mm256_unpackhi_ps(r[g + 0], r[g + 1]);
        t[g + 2] = _mm256_unpacklo_ps(r[g + 2], r[g + 3]);
        t[g + 3] = _mm256_unpackhi_ps(r[g + 2], r[g + 3]);
        // u[g + e] holds, in 128-bit lane L, rows g..g+3 of column 4L + e.
        u[g + 0] = _mm256_shuffle_ps(t[g + 0], t[g + 2], 0x44);
        u[g + 1] = _mm256_shuffle_ps(t[g + 0], t[g + 2], 0xEE);
        u[g + 2] = _mm256_shuffle_ps(t[g + 1], t[g + 3], 0x44);
        u[g + 3] = _mm256_shuffle_ps(t[g + 1], t[g + 3], 0xEE);
    }
    for (int e = 0; e < 4; e++) {
        r[e] = _mm256_permute2f128_ps(u[e], u[4 + e], 0x20);
        r[4 + e] = _mm256_permute2f128_ps(u[e], u[4 + e], 0x31);
    }
}

/// Lanes 0..<count of an AVX2 mask (all set for count ≥ 8).
TARGET static inline __m256i lanes8(long count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(count < 0 ? 0 : count > 8 ? 8 : count)),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/// dst[p·dstride + r] = src[r·ld + p] for r < rows, 0 for rows ≤ r < width (width ≤ 8), p < kc:
/// gathers `rows` strided rows into kc packed steps through 8×8 register transposes.
TARGET static void pack_transposed8(const float *src, long ld, long rows, int width, long kc,
                                    float *dst, long dstride) {
    const __m256i wmask = lanes8(width);
    __m256 r[8];
    for (long p = 0; p < kc; p += 8) {
        const long tail = kc - p < 8 ? kc - p : 8;
        const __m256i tmask = lanes8(tail);
        for (int q = 0; q < 8; q++)
            r[q] = q < rows ? _mm256_maskload_ps(src + q * ld + p, tmask) : _mm256_setzero_ps();
        transpose8(r);
        for (int e = 0; e < tail; e++) _mm256_maskstore_ps(dst + (p + e) * dstride, wmask, r[e]);
    }
}

TARGET static void pack_a_avx2(int transA, const float *A, long lda, long i0, long p0, long mc, long kc,
                               float *dst) {
    for (long is = 0; is < mc; is += AMR, dst += AMR * kc) {
        const long mr = mc - is < AMR ? mc - is : AMR;
        if (transA) {
            // Step p is mr contiguous values A[p·lda + i0+is ...]; the MR-wide store zero-pads.
            const float *src = A + p0 * lda + i0 + is;
            const __m256i load = lanes8(mr), store = lanes8(AMR);
            for (long p = 0; p < kc; p++)
                _mm256_maskstore_ps(dst + p * AMR, store, _mm256_maskload_ps(src + p * lda, load));
        } else {
            pack_transposed8(A + (i0 + is) * lda + p0, lda, mr, AMR, kc, dst, AMR);
        }
    }
}

TARGET static void pack_b_avx2(int transB, const float *B, long ldb, long p0, long j0, long kc, long nc,
                               float *dst) {
    for (long js = 0; js < nc; js += ANR, dst += ANR * kc) {
        const long nr = nc - js < ANR ? nc - js : ANR;
        if (!transB) {
            const float *src = B + p0 * ldb + j0 + js;
            const __m256i m0 = lanes8(nr), m1 = lanes8(nr - 8);
            for (long p = 0; p < kc; p++) {
                _mm256_store_ps(dst + p * ANR, _mm256_maskload_ps(src + p * ldb, m0));
                _mm256_store_ps(dst + p * ANR + 8, _mm256_maskload_ps(src + p * ldb + 8, m1));
            }
        } else {
            for (int v = 0; v < 2; v++) {
                long rows = nr - 8 * v;
                rows = rows < 0 ? 0 : rows > 8 ? 8 : rows;
                const float *src = rows > 0 ? B + (j0 + js + 8 * v) * ldb + p0 : B;
                pack_transposed8(src, ldb, rows, 8, kc, dst + 8 * v, ANR);
            }
        }
    }
}

const mlr_gemm_impl mlr_gemm_impl_avx2 = {
    .mr = AMR, .nr = ANR, .mc = AMR * 682, .kc = 256, .nc = 256,
    .kernel = kernel_avx2, .pack_a = pack_a_avx2, .pack_b = pack_b_avx2,
};
#endif
