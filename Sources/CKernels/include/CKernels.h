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

/// Kernel families the GEMM can use. By default the best one the CPU supports is used, unless
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

/// The family chosen at start-up: MLRSNET_GEMM_KERNEL if set and supported, else the best the CPU
/// supports. `mlr_gemm_force(mlr_gemm_default())` undoes a force.
mlr_gemm_kernel mlr_gemm_default(void);
/// 1 when the CPU can run the kernel family `kind`, else 0.
int mlr_gemm_supported(mlr_gemm_kernel kind);
/// The register tile (rows *mr, columns *nr) that family `kind` uses for an m×n×k product. Callers
/// that split C among threads align the parts to it (for speed only: results never depend on it).
void mlr_gemm_tile(mlr_gemm_kernel kind, long m, long n, long k, long *mr, long *nr);

/// Single-threaded SGEMM on row-major matrices:
///   C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C
/// op(A) = A (m×k, leading dimension lda) when transA == 0, else Aᵀ with A stored k×m.
/// op(B) = B (k×n, leading dimension ldb) when transB == 0, else Bᵀ with B stored n×k.
/// beta == 0 overwrites C without reading it (NaNs in C are not propagated).
/// k == 0 or alpha == 0 only scales C by beta (A and B are not read), as in BLAS.
/// The K dimension is cut into blocks that depend only on k and the kernel family, so computing
/// any sub-block of C (rows or columns) gives results bit-identical to computing all of C.
void mlr_sgemm(int transA, int transB, long m, long n, long k,
               float alpha, const float *A, long lda,
               const float *B, long ldb,
               float beta, float *C, long ldc);

/// `mlr_sgemm` with an explicit kernel family instead of the active one (portable when the CPU
/// lacks `kind`). Lets callers pin a family per call without touching the process-wide choice.
void mlr_sgemm_with(mlr_gemm_kernel kind, int transA, int transB, long m, long n, long k,
                    float alpha, const float *A, long lda,
                    const float *B, long ldb,
                    float beta, float *C, long ldc);

/// Runs `iterations` rounds of independent multiply-adds on registers only, with the widest vectors
/// of family `kind`, and returns the floating-point operations done (time it to measure the core's
/// FMA peak for the benchmark).
double mlr_fma_probe(mlr_gemm_kernel kind, long iterations);

// MARK: Element-wise kernels (elementwise.c): AVX-512 when the CPU has it, else portable; both paths
// give bit-identical results.

/// 1 when the element-wise kernels use AVX-512 on this thread.
int mlr_elementwise_avx512(void);
/// Makes the calling thread use the portable element-wise path (on != 0) or the best one (0). For tests.
void mlr_elementwise_force_portable(int on);

/// y[i] = max(x[i], 0), then min(·, upper) when has_upper (ReLU / ReLU6). NaN passes through.
void mlr_clamp(const float *x, float *y, long n, int has_upper, float upper);
/// dx[i] = dy[i] where 0 < x[i] (< upper when has_upper), else 0.
void mlr_clamp_grad(const float *x, const float *dy, float *dx, long n, int has_upper, float upper);
/// Σ p[0..<n]: 16 float lanes, flushed into a double every 4096 elements (BatchNorm statistics).
double mlr_lane_sum(const float *p, long n);
/// Σ (p[i] − mean)², accumulated as `mlr_lane_sum`.
double mlr_lane_sum_squared_deviation(const float *p, long n, float mean);
/// *sum_g = Σ g[i], *sum_gx = Σ g[i]·(x[i] − mean), accumulated as `mlr_lane_sum`.
void mlr_lane_sum_and_dot(const float *g, const float *x, long n, float mean, double *sum_g, double *sum_gx);
/// y[i] = x[i]·a + b (two roundings), then max(·, 0) when act >= 1 and min(·, upper) when act == 2
/// (identity / ReLU / ReLU6 fused into BatchNorm's output pass; NaN passes through).
void mlr_affine(const float *x, float *y, long n, float a, float b, int act, float upper);
/// Σ a[i]·b[i] in double (dot.c): exact double products, element i into lane i mod 32 in index order, the 32
/// lanes combined pairwise in a fixed order; the same bits on the AVX-512 and portable paths.
double mlr_dot_double(const float *a, const float *b, long n);
/// d[i] += s[i] for i < n (one rounding per element; col2im's accumulation). d and s must not overlap.
void mlr_add_inplace(float *d, const float *s, long n);
/// dx[i] = (k1·dy[i] + k2·(x[i] − mean)) + k3 (BatchNorm's input gradient per channel).
void mlr_bn_input_grad(const float *x, const float *dy, float *dx, long n, float mean, float k1, float k2, float k3);

// MARK: Depthwise convolution (depthwise.c): one image, one filter per channel; AVX-512 for width
// stride 1 or 2 when the CPU has it (and the element-wise switch allows), else portable. Forward and
// input gradient equal the scalar reference bit for bit; the weight gradient sums in 16 fixed lanes.

/// Geometry of a depthwise convolution of one image `[channels, height, width]`.
typedef struct {
    long channels, height, width, out_height, out_width;
    long kernel_height, kernel_width, stride_height, stride_width;
    long pad_height, pad_width, dilation_height, dilation_width;
} mlr_dw_geometry;

/// y [C, Ho, Wo] (overwritten) = bias[c] (or 0) + Σ taps w[c, i, j] · x[c, …].
void mlr_depthwise_forward(const float *x, const float *w, const float *bias, const mlr_dw_geometry *g, float *y);
/// dx [C, H, W] (overwritten) from dy [C, Ho, Wo] and w [C, kh, kw].
void mlr_depthwise_backward_input(const float *dy, const float *w, const mlr_dw_geometry *g, float *dx);
/// dw [C, kh, kw] += Σ over output positions dy · x (added, not overwritten).
void mlr_depthwise_backward_weight(const float *x, const float *dy, const mlr_dw_geometry *g, float *dw);
/// Small planes (depthwise_small.c): the forward (output plane ≤ 256) and the input gradient (input plane ≤ 256)
/// vectorised over the whole plane with AVX-512, bit-identical to the scalar references. Return 1 when done,
/// 0 when not applicable (no AVX-512 on this thread, or a larger plane; nothing written).
int mlr_depthwise_small_forward(const float *x, const float *w, const float *bias, const mlr_dw_geometry *g, float *y);
int mlr_depthwise_small_backward_input(const float *dy, const float *w, const mlr_dw_geometry *g, float *dx);
/// Small-plane weight gradient over `images` images (x images `x_image` floats apart, dy images `dy_image`):
/// dw [C, kh, kw] += Σ dy · x, 16 lanes per tap (outputs d ≡ l mod 16, vectors then images in order) reduced
/// pairwise once per call; deterministic, within rounding of the reference. 1 when done, 0 when not applicable
/// (no AVX-512 on this thread, output plane > 256 or more than 49 taps; nothing written).
int mlr_depthwise_small_backward_weight(const float *x, long x_image, const float *dy, long dy_image, long images,
                                        const mlr_dw_geometry *g, float *dw);

// MARK: Convolution epilogue (epilogue.c): evaluation-mode fusion of bias, BatchNorm, residual and
// ReLU into one pass over a convolution's output; AVX-512 or portable, bit-identical to each other and
// to the separate passes (bias add, mlr_affine, residual add, mlr_clamp).

/// `flags` bits of mlr_channel_epilogue.
#define MLR_EPILOGUE_BIAS 1
#define MLR_EPILOGUE_AFFINE 2
/// y[i] = act(((x[i] + bias) · a + b) + r[i]): the bias add when flags has MLR_EPILOGUE_BIAS, the
/// affine step when it has MLR_EPILOGUE_AFFINE, the residual add when r != NULL, then act as in
/// mlr_affine (0 none, 1 ReLU, 2 ReLU6 with `upper`). Each step is rounded separately; y may equal x.
void mlr_channel_epilogue(const float *x, float *y, long n, int flags, float bias, float a, float b,
                          const float *r, int act, float upper);

// MARK: Implicit-GEMM convolution (sgemm_conv.c): the column matrix packed straight from NCHW images.

/// One group of a convolution over `images` images whose columns sit side by side: input image t, channel c
/// at `x + t·image_stride + c·height·width`; columns ordered (t, oy, ox); rows (c, ki, kj) as im2col's.
typedef struct {
    long channels, height, width, out_height, out_width;
    long kernel_height, kernel_width, stride_height, stride_width;
    long pad_height, pad_width, dilation_height, dilation_width;
    long images, image_stride;
} mlr_conv_geometry;

/// C[m × n] = A[m × k] · im2col(x)[k × n] (C overwritten; k = channels·kh·kw, n = images·Ho·Wo, A row-major
/// with leading dimension lda), packing the GEMM's B slivers straight from the images instead of
/// materialising the column matrix. Bit-identical to mlr_sgemm(0, 0, m, n, k, 1, A, lda, im2col, n, 0, C, ldc)
/// (same K blocks, same FMA chain per element, zeros for the padding). Single-threaded. Returns 1 when done,
/// 0 when the active kernel family has no implicit packer (then nothing was written: use im2col + mlr_sgemm).
int mlr_sgemm_conv(long m, const float *A, long lda, const float *x, const mlr_conv_geometry *g, float *C, long ldc);

// MARK: Max pooling (maxpool.c)

/// 2×2 stride-2 max pooling without padding of `planes` planes [height, width] into [height/2, width/2]
/// (floor), with each output's winner index (ih·width + iw) in `argmax`: the semantics of the generic Swift
/// kernel (row-major scan from −∞, greater or NaN replaces). Returns 1 when done, 0 when this CPU/thread
/// has no fast path (nothing written).
int mlr_maxpool2x2(const float *x, long planes, long height, long width, float *y, int *argmax);

#ifdef __cplusplus
}
#endif

#endif
