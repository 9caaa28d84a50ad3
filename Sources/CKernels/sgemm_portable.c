// Portable SGEMM kernel family: plain C with GCC/Clang vector extensions (no intrinsics), so it
// compiles for any target (x86-64 baseline SSE2, arm64 NEON, ...). 6×8 tile = 12 four-wide
// accumulators, which fits the 16 SSE registers of baseline x86-64.
#include "sgemm_internal.h"

#include <math.h>
#include <string.h>

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
    // One scalar merge for full and clipped tiles alike (the same expression for every element).
    float tile[PMR][PNR];
    memcpy(tile, acc, sizeof tile);
    for (long i = 0; i < m; i++) {
        float *row = c + i * ldc;
        if (beta == 0) {
            for (long j = 0; j < n; j++) row[j] = alpha * tile[i][j];
        } else {
            for (long j = 0; j < n; j++) row[j] = fmaf(beta, row[j], alpha * tile[i][j]);
        }
    }
}

MLR_DEFINE_GENERIC_PACK_A(pack_a_portable_impl, PMR)
MLR_DEFINE_GENERIC_PACK_B(pack_b_portable_impl, PNR)

static void pack_a_portable(int t, const float *A, long lda, long i0, long p0, long mc, long kc, float *dst) {
    pack_a_portable_impl(t, A, lda, i0, p0, mc, kc, dst);
}
static void pack_b_portable(int t, const float *B, long ldb, long p0, long j0, long kc, long nc, float *dst) {
    pack_b_portable_impl(t, B, ldb, p0, j0, kc, nc, dst);
}

const mlr_gemm_impl mlr_gemm_impl_portable = {
    .mr = PMR, .nr = PNR, .mc = PMR * 682, .kc = 256, .nc = 256,
    .kernel = kernel_portable, .pack_a = pack_a_portable, .pack_b = pack_b_portable,
};
