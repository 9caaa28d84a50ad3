// Placeholder SGEMM (naive triple loop); replaced by the packed, register-blocked kernels.
#include "CKernels.h"

static mlr_gemm_kernel active = MLR_GEMM_PORTABLE;
mlr_gemm_kernel mlr_gemm_active(void) { return active; }
mlr_gemm_kernel mlr_gemm_force(mlr_gemm_kernel kind) { (void)kind; return active; }

void mlr_sgemm(int transA, int transB, long m, long n, long k,
               float alpha, const float *A, long lda,
               const float *B, long ldb,
               float beta, float *C, long ldc) {
    for (long i = 0; i < m; i++) {
        for (long j = 0; j < n; j++) {
            float acc = 0;
            for (long p = 0; p < k; p++) {
                float a = transA ? A[p * lda + i] : A[i * lda + p];
                float b = transB ? B[j * ldb + p] : B[p * ldb + j];
                acc += a * b;
            }
            C[i * ldc + j] = alpha * acc + (beta == 0 ? 0 : beta * C[i * ldc + j]);
        }
    }
}
