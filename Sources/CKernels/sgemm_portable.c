// Portable SGEMM kernel family: plain C with GCC/Clang vector extensions (no intrinsics), so it
// compiles for any target (x86-64 baseline SSE2, arm64 NEON, ...). 6×8 tile = 12 four-wide
// accumulators, which fits the 16 SSE registers of baseline x86-64.
#include "sgemm_internal.h"

#include <math.h>
#include <string.h>

// The merge below must round alpha·acc before adding C, as the vector kernels do.
#pragma STDC FP_CONTRACT OFF

#define PMR 6
#define PNR 8

typedef float v4f __attribute__((vector_size(16)));

static inline v4f load4(const float *p) { v4f v; memcpy(&v, p, sizeof v); return v; }

static void kernel_portable(long kc, const float *restrict a, const float *restrict b, long ldb,
                            float *restrict c, long ldc, long m, long n, float alpha, float beta) {
    (void)ldb;  // B is always a packed sliver here
    v4f acc[PMR][2];
    for (int i = 0; i < PMR; i++) { acc[i][0] = (v4f){0, 0, 0, 0}; acc[i][1] = (v4f){0, 0, 0, 0}; }
    for (long p = 0; p < kc; p++) {
        v4f b0 = load4(b), b1 = load4(b + 4);
        for (int i = 0; i < PMR; i++) {
            v4f ai = {a[i], a[i], a[i], a[i]};
            acc[i][0] += ai * b0;
            acc[i][1] += ai * b1;
        }
        a += PMR;
        b += PNR;
    }
    // One scalar merge for full and clipped tiles alike: alpha·acc, then fma(beta, c, ·) like the
    // vector kernels. With beta = 1 (every K block after the first) that FMA is exactly c + x, so
    // it is written as a plain add (fmaf is a slow library call on CPUs without FMA).
    float tile[PMR][PNR];
    memcpy(tile, acc, sizeof tile);
    for (long i = 0; i < m; i++) {
        float *row = c + i * ldc;
        for (long j = 0; j < n; j++) {
            const float x = alpha * tile[i][j];
            if (beta == 0) row[j] = x;
            else if (beta == 1) row[j] = row[j] + x;
            else row[j] = fmaf(beta, row[j], x);
        }
    }
}

/// Packs op(A)[i0 ..< i0+mc, p0 ..< p0+kc] into PMR×kc slivers (rows past mc zero-filled).
static void pack_a_portable(int transA, const float *A, long lda, long i0, long p0, long mc, long kc,
                            float *restrict dst) {
    for (long is = 0; is < mc; is += PMR, dst += PMR * kc) {
        const long mr = mc - is < PMR ? mc - is : PMR;
        for (long p = 0; p < kc; p++) {
            long i = 0;
            if (transA) {  // op(A)(i, p) = A[p·lda + i]: mr contiguous values per step
                const float *src = A + (p0 + p) * lda + i0 + is;
                for (; i < mr; i++) dst[p * PMR + i] = src[i];
            } else {       // op(A)(i, p) = A[i·lda + p]: one value from each of mr rows per step
                const float *src = A + (i0 + is) * lda + p0 + p;
                for (; i < mr; i++) dst[p * PMR + i] = src[i * lda];
            }
            for (; i < PMR; i++) dst[p * PMR + i] = 0;
        }
    }
}

/// Packs op(B)[p0 ..< p0+kc, j0 ..< j0+nc] into kc×PNR slivers (columns past nc zero-filled).
static void pack_b_portable(int transB, const float *B, long ldb, long p0, long j0, long kc, long nc,
                            float *restrict dst) {
    for (long js = 0; js < nc; js += PNR, dst += PNR * kc) {
        const long nr = nc - js < PNR ? nc - js : PNR;
        for (long p = 0; p < kc; p++) {
            long j = 0;
            if (!transB) {  // op(B)(p, j) = B[p·ldb + j]: nr contiguous values per step
                const float *src = B + (p0 + p) * ldb + j0 + js;
                for (; j < nr; j++) dst[p * PNR + j] = src[j];
            } else {        // op(B)(p, j) = B[j·ldb + p]: one value from each of nr rows per step
                const float *src = B + (j0 + js) * ldb + p0 + p;
                for (; j < nr; j++) dst[p * PNR + j] = src[j * ldb];
            }
            for (; j < PNR; j++) dst[p * PNR + j] = 0;
        }
    }
}

const mlr_gemm_impl mlr_gemm_impl_portable = {
    .mr = PMR, .nr = PNR, .mc = PMR * 682, .kc = 256, .nc = 256,
    .kernel = kernel_portable, .pack_a = pack_a_portable, .pack_b = pack_b_portable,
};
