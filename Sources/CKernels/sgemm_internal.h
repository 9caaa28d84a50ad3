// Private interface between the SGEMM driver (sgemm.c) and the per-ISA kernel families
// (sgemm_portable.c, sgemm_avx2.c, sgemm_avx512.c). Not part of the public CKernels API.
#ifndef MLRSNET_SGEMM_INTERNAL_H
#define MLRSNET_SGEMM_INTERNAL_H

#include "CKernels.h"

/// Micro-kernel: C[m×n] (m ≤ MR, n ≤ NR, row stride ldc) = alpha · Â·B̂ + beta · C, where Â is one
/// packed MR×kc sliver of A (kc steps of MR values) and B̂ one packed kc×NR sliver of B (kc steps of
/// NR values; `ldb` is ignored) or, for a `kernel_direct_b`, the kc×n block of op(B) read in place
/// (row p at b + p·ldb). beta == 0 never reads C. Every element is one FMA chain over p = 0..<kc
/// followed by the same merge, whether the tile is full or clipped and whichever kernel runs it, so
/// results do not depend on tile position or path.
typedef void (*mlr_ukernel_fn)(long kc, const float *a, const float *b, long ldb, float *c, long ldc,
                               long m, long n, float alpha, float beta);

/// Packs op(A)[i0 ..< i0+mc, p0 ..< p0+kc] into ceil(mc/MR) slivers of MR×kc (zero-padded rows).
typedef void (*mlr_pack_a_fn)(int transA, const float *A, long lda, long i0, long p0,
                              long mc, long kc, float *dst);
/// Packs op(B)[p0 ..< p0+kc, j0 ..< j0+nc] into ceil(nc/NR) slivers of kc×NR (zero-padded columns).
typedef void (*mlr_pack_b_fn)(int transB, const float *B, long ldb, long p0, long j0,
                              long kc, long nc, float *dst);

/// One kernel family: tile shape, cache blocking and the three routines.
typedef struct {
    int mr, nr;          // register tile
    long mc;             // rows of the packed A panel (L3), a multiple of mr
    long kc;             // target K block (k is cut into balanced blocks of at most kc)
    long nc;             // columns of the packed B block (L2), a multiple of nr
    mlr_ukernel_fn kernel;
    mlr_ukernel_fn kernel_direct_b;  // optional: B (not transposed) read in place, unpacked
    mlr_pack_a_fn pack_a;
    mlr_pack_b_fn pack_b;
} mlr_gemm_impl;

extern const mlr_gemm_impl mlr_gemm_impl_portable;
#if defined(__x86_64__)
extern const mlr_gemm_impl mlr_gemm_impl_avx2;
extern const mlr_gemm_impl mlr_gemm_impl_avx512;
#endif

#if defined(__x86_64__)
/// AVX-512 family: packs rows p0 ..< p0+kc, columns j0 ..< j0+nc of the implicit column matrix of `g`
/// (see mlr_sgemm_conv) into the family's kc×NR slivers, zero-padded like pack_b.
void mlr_pack_b_conv_avx512(const float *x, const mlr_conv_geometry *g, long p0, long j0, long kc, long nc, float *dst);
#endif

/// Compile-time repetition X(0) X(1) ... X(N-1), used to unroll micro-kernels explicitly so that
/// accumulators live in registers even where the compiler would not fully unroll a loop.
#define MLR_CAT_(a, b) a##b
#define MLR_CAT(a, b) MLR_CAT_(a, b)
#define MLR_REP(N, X) MLR_CAT(MLR_REP_, N)(X)
#define MLR_REP_1(X) X(0)
#define MLR_REP_2(X) MLR_REP_1(X) X(1)
#define MLR_REP_3(X) MLR_REP_2(X) X(2)
#define MLR_REP_4(X) MLR_REP_3(X) X(3)
#define MLR_REP_5(X) MLR_REP_4(X) X(4)
#define MLR_REP_6(X) MLR_REP_5(X) X(5)
#define MLR_REP_7(X) MLR_REP_6(X) X(6)
#define MLR_REP_8(X) MLR_REP_7(X) X(7)
#define MLR_REP_9(X) MLR_REP_8(X) X(8)
#define MLR_REP_10(X) MLR_REP_9(X) X(9)
#define MLR_REP_11(X) MLR_REP_10(X) X(10)
#define MLR_REP_12(X) MLR_REP_11(X) X(11)
#define MLR_REP_13(X) MLR_REP_12(X) X(12)
#define MLR_REP_14(X) MLR_REP_13(X) X(13)
#define MLR_REP_15(X) MLR_REP_14(X) X(14)
#define MLR_REP_16(X) MLR_REP_15(X) X(15)

/// The merge every kernel applies per element: beta == 0 → alpha·acc, else fma(beta, c, alpha·acc).
/// (Vector kernels use the equivalent vector instructions; fmaf is exactly rounded, so scalar and
/// vector forms agree bit for bit.)

#endif
