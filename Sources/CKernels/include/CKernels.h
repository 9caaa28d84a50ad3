// CKernels: the few hot loops that need per-function SIMD code generation.
//
// Swift cannot enable AVX2/FMA for one function without `unsafeFlags`, which SwiftPM refuses in
// packages used as dependencies. C can: each fast kernel is compiled with
// __attribute__((target("..."))) and chosen at run time by a CPU check, with a portable fallback
// for x86-64 CPUs without AVX2 and for arm64.
#ifndef MLRSNET_CKERNELS_H
#define MLRSNET_CKERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Kernel families the GEMM can use. `mlr_gemm_select` picks the best one the CPU supports unless
/// the environment variable MLRSNET_GEMM_KERNEL (portable | avx2 | avx512) or `mlr_gemm_force`
/// asks for another.
typedef enum {
    MLR_GEMM_PORTABLE = 0,
    MLR_GEMM_AVX2 = 1,
    MLR_GEMM_AVX512 = 2
} mlr_gemm_kernel;

/// The kernel family in use.
mlr_gemm_kernel mlr_gemm_active(void);
/// Forces a kernel family (falls back to portable if the CPU lacks it). Returns the one now active.
mlr_gemm_kernel mlr_gemm_force(mlr_gemm_kernel kind);

/// Single-threaded SGEMM on row-major matrices:
///   C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C
/// op(A) = A (m×k, leading dimension lda) when transA == 0, else Aᵀ with A stored k×m.
/// op(B) = B (k×n, leading dimension ldb) when transB == 0, else Bᵀ with B stored n×k.
/// beta == 0 overwrites C without reading it (NaNs in C are not propagated).
void mlr_sgemm(int transA, int transB, long m, long n, long k,
               float alpha, const float *A, long lda,
               const float *B, long ldb,
               float beta, float *C, long ldc);

#ifdef __cplusplus
}
#endif

#endif
