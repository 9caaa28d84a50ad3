// Packed, cache-blocked SGEMM driver (BLIS/Goto structure) with run-time kernel selection.
//
// Loop nest (BLIS order with the roles of A and B swapped for row-major C), packing op(A) into
// MR×kc slivers and op(B) into kc×NR slivers:
//   ic over m in MC rows (A panel, L3)
//     pc over k in KC steps
//       jc over n in NC columns      → pack op(B)[pc.., jc..] into a KC×NC block (L2)
//         ir over the A slivers      → (first N block: pack this A sliver); it stays in L1
//           jr over the B slivers    → micro-kernel on an MR×NR tile of C (B sliver from L2)
// Measured on Zen 5 (2048³, 1 thread) this order beats the classic one (B sliver in L1, A block in
// L2: ~225 vs ~245 GFLOP/s). A variant for skinny m (all of op(A) packed once, K blocks innermost
// per B sliver) was no faster on 64×{1024,8192}×576 and was dropped.
//
// The first K block applies the caller's beta, later ones accumulate (beta = 1). K blocks are
// balanced (k split into equal-sized blocks) and depend only on k and the family, never on how the
// caller splits m or n, and every micro-kernel instance runs the same FMA chain per element, so
// computing a sub-matrix of C gives bit-identical results whichever path or tile handles it.
#include "sgemm_internal.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// MARK: kernel selection

static _Atomic int active_kind = -1;

static int cpu_has(mlr_gemm_kernel kind) {
    switch (kind) {
    case MLR_GEMM_PORTABLE: return 1;
#if defined(__x86_64__)
    case MLR_GEMM_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case MLR_GEMM_AVX512:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f");
#endif
    default: return 0;
    }
}

static mlr_gemm_kernel best_supported(void) {
    if (cpu_has(MLR_GEMM_AVX512)) return MLR_GEMM_AVX512;
    if (cpu_has(MLR_GEMM_AVX2)) return MLR_GEMM_AVX2;
    return MLR_GEMM_PORTABLE;
}

static mlr_gemm_kernel initial_kind(void) {
    const char *env = getenv("MLRSNET_GEMM_KERNEL");
    if (env) {
        mlr_gemm_kernel want = best_supported();
        if (strcmp(env, "portable") == 0) want = MLR_GEMM_PORTABLE;
        else if (strcmp(env, "avx2") == 0) want = MLR_GEMM_AVX2;
        else if (strcmp(env, "avx512") == 0) want = MLR_GEMM_AVX512;
        return cpu_has(want) ? want : MLR_GEMM_PORTABLE;
    }
    return best_supported();
}

mlr_gemm_kernel mlr_gemm_active(void) {
    int kind = atomic_load_explicit(&active_kind, memory_order_acquire);
    if (kind < 0) {
        int expected = -1;
        atomic_compare_exchange_strong(&active_kind, &expected, (int)initial_kind());
        kind = atomic_load_explicit(&active_kind, memory_order_acquire);
    }
    return (mlr_gemm_kernel)kind;
}

mlr_gemm_kernel mlr_gemm_force(mlr_gemm_kernel kind) {
    mlr_gemm_kernel k = cpu_has(kind) ? kind : MLR_GEMM_PORTABLE;
    atomic_store_explicit(&active_kind, (int)k, memory_order_release);
    return k;
}

mlr_gemm_kernel mlr_gemm_default(void) { return initial_kind(); }

int mlr_gemm_supported(mlr_gemm_kernel kind) { return cpu_has(kind); }

static const mlr_gemm_impl *impl_for(mlr_gemm_kernel kind) {
    switch (kind) {
#if defined(__x86_64__)
    case MLR_GEMM_AVX512: return &mlr_gemm_impl_avx512;
    case MLR_GEMM_AVX2: return &mlr_gemm_impl_avx2;
#endif
    default: return &mlr_gemm_impl_portable;
    }
}

void mlr_gemm_tile(mlr_gemm_kernel kind, long m, long n, long k, long *mr, long *nr) {
    (void)m; (void)n; (void)k;
    const mlr_gemm_impl *impl = impl_for(cpu_has(kind) ? kind : MLR_GEMM_PORTABLE);
    *mr = impl->mr;
    *nr = impl->nr;
}

// MARK: packing buffers

// Per thread, 64-byte aligned, grown on demand and kept for the thread's lifetime.
static _Thread_local float *buf_a, *buf_b;
static _Thread_local size_t cap_a, cap_b;

static float *grow(float **buf, size_t *cap, size_t count) {
    if (count > *cap) {
        free(*buf);
        size_t bytes = (count * sizeof(float) + 63) & ~(size_t)63;
        *buf = aligned_alloc(64, bytes);
        if (!*buf) abort();
        *cap = bytes / sizeof(float);
    }
    return *buf;
}

// MARK: driver

static void scale_c(long m, long n, float beta, float *C, long ldc) {
    for (long i = 0; i < m; i++) {
        float *row = C + i * ldc;
        if (beta == 0) memset(row, 0, (size_t)n * sizeof(float));
        else if (beta != 1) for (long j = 0; j < n; j++) row[j] = beta * row[j];
    }
}


/// Largest op(B) (floats) read in place rather than packed: 64 KiB, a fraction of L2.
#ifndef DIRECT_B_FLOATS
#define DIRECT_B_FLOATS (16 * 1024)
#endif

static long round_up(long x, long to) { return (x + to - 1) / to * to; }

void mlr_sgemm(int transA, int transB, long m, long n, long k,
               float alpha, const float *A, long lda,
               const float *B, long ldb,
               float beta, float *C, long ldc) {
    mlr_sgemm_with(mlr_gemm_active(), transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

void mlr_sgemm_with(mlr_gemm_kernel kind, int transA, int transB, long m, long n, long k,
                    float alpha, const float *A, long lda,
                    const float *B, long ldb,
                    float beta, float *C, long ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0 || alpha == 0) { scale_c(m, n, beta, C, ldc); return; }

    const mlr_gemm_impl *impl = impl_for(cpu_has(kind) ? kind : MLR_GEMM_PORTABLE);
    const long MR = impl->mr, NR = impl->nr;

    // Balanced K blocks: a function of k and the family only (see the header comment).
    const long kblocks = (k + impl->kc - 1) / impl->kc;
    const long KC = (k + kblocks - 1) / kblocks;
    const long mfull = round_up(m, MR), nfull = round_up(n, NR);

    // An A panel of up to MC rows × KC (L3) is packed once per K block, sliver by sliver at first
    // use; B is packed per block of NC columns × KC (L2). The A sliver stays in L1 while the B
    // slivers of the block stream from L2 through the micro-kernel.
    // B is read in place instead (no packing) when the family allows it and either it is small
    // (packing would cost as much as the product) or there is a single A sliver (each B element
    // is used once, so packing only adds a copy).
    const long MC = impl->mc, NC = impl->nc;
    const int direct_b = !transB && impl->kernel_direct_b && (k * n <= DIRECT_B_FLOATS || m <= MR);
    const mlr_ukernel_fn kernel = direct_b ? impl->kernel_direct_b : impl->kernel;
    float *pa = grow(&buf_a, &cap_a, (size_t)((MC < mfull ? MC : mfull) * KC));
    float *pb = direct_b ? NULL : grow(&buf_b, &cap_b, (size_t)((NC < nfull ? NC : nfull) * KC));
    for (long ic = 0; ic < m; ic += MC) {
        const long mc = m - ic < MC ? m - ic : MC;
        for (long pc = 0; pc < k; pc += KC) {
            const long kc = k - pc < KC ? k - pc : KC;
            const float beta_k = pc == 0 ? beta : 1.0f;
            for (long jc = 0; jc < n; jc += NC) {
                const long nc = n - jc < NC ? n - jc : NC;
                const float *bblock = direct_b ? B + pc * ldb + jc : pb;
                if (!direct_b) impl->pack_b(transB, B, ldb, pc, jc, kc, nc, pb);
                for (long ir = 0; ir < mc; ir += MR) {
                    const long mr = mc - ir < MR ? mc - ir : MR;
                    if (jc == 0) impl->pack_a(transA, A, lda, ic + ir, pc, mr, kc, pa + ir * kc);
                    for (long jr = 0; jr < nc; jr += NR) {
                        const long nr = nc - jr < NR ? nc - jr : NR;
                        kernel(kc, pa + ir * kc, direct_b ? bblock + jr : bblock + jr * kc, ldb,
                               C + (ic + ir) * ldc + jc + jr, ldc, mr, nr, alpha, beta_k);
                    }
                }
            }
        }
    }
}

// MARK: implicit-GEMM convolution

int mlr_sgemm_conv(long m, const float *A, long lda, const float *x, const mlr_conv_geometry *g, float *C, long ldc) {
#if defined(__x86_64__)
    if (mlr_gemm_active() != MLR_GEMM_AVX512 || !cpu_has(MLR_GEMM_AVX512)) return 0;
    const mlr_gemm_impl *impl = &mlr_gemm_impl_avx512;
    const long k = g->channels * g->kernel_height * g->kernel_width;
    const long n = g->images * g->out_height * g->out_width;
    if (m <= 0 || n <= 0) return 1;
    if (k <= 0) { scale_c(m, n, 0, C, ldc); return 1; }
    const long MR = impl->mr, NR = impl->nr;
    // The same K blocks, panels and tiles as mlr_sgemm_with (so the same FMA chain per element); B is
    // always packed, from the images.
    const long kblocks = (k + impl->kc - 1) / impl->kc;
    const long KC = (k + kblocks - 1) / kblocks;
    const long mfull = round_up(m, MR), nfull = round_up(n, NR);
    const long MC = impl->mc, NC = impl->nc;
    float *pa = grow(&buf_a, &cap_a, (size_t)((MC < mfull ? MC : mfull) * KC));
    float *pb = grow(&buf_b, &cap_b, (size_t)((NC < nfull ? NC : nfull) * KC));
    // The images usually come from L3 or memory (the previous layer wrote the whole batch since): when they
    // fit in half of L2, fetch them into L2 in address order first, which the packer's jumps between
    // channel planes would not.
    const long plane_floats = g->channels * g->height * g->width;
    if (g->images * plane_floats <= 128 * 1024) {
        for (long t = 0; t < g->images; t++) {
            const char *base = (const char *)(x + t * g->image_stride);
            for (long off = 0; off < plane_floats * (long)sizeof(float); off += 64) _mm_prefetch(base + off, _MM_HINT_T1);
        }
    }
    for (long ic = 0; ic < m; ic += MC) {
        const long mc = m - ic < MC ? m - ic : MC;
        for (long pc = 0; pc < k; pc += KC) {
            const long kc = k - pc < KC ? k - pc : KC;
            const float beta_k = pc == 0 ? 0.0f : 1.0f;
            for (long jc = 0; jc < n; jc += NC) {
                const long nc = n - jc < NC ? n - jc : NC;
                mlr_pack_b_conv_avx512(x, g, pc, jc, kc, nc, pb);
                for (long ir = 0; ir < mc; ir += MR) {
                    const long mr = mc - ir < MR ? mc - ir : MR;
                    if (jc == 0) impl->pack_a(0, A, lda, ic + ir, pc, mr, kc, pa + ir * kc);
                    for (long jr = 0; jr < nc; jr += NR) {
                        const long nr = nc - jr < NR ? nc - jr : NR;
                        impl->kernel(kc, pa + ir * kc, pb + jr * kc, 0, C + (ic + ir) * ldc + jc + jr, ldc, mr, nr, 1.0f, beta_k);
                    }
                }
            }
        }
    }
    return 1;
#else
    (void)m; (void)A; (void)lda; (void)x; (void)g; (void)C; (void)ldc;
    return 0;
#endif
}
