// The per-channel epilogue of an evaluation-mode convolution: what a following bias add, BatchNorm
// (running statistics), residual add and ReLU/ReLU6 would do as separate passes, done in one pass over
// an output plane while it is still in cache.
//
// Every step is its own rounding, in the order the separate layers apply them (bias add; x·a, then + b;
// + residual; clamp), with no FMA contraction, so the fused result is bit-identical to the unfused one.
// The AVX-512 and portable paths agree bit for bit (same operations, same order, element by element).
#include "CKernels.h"

#pragma STDC FP_CONTRACT OFF

static void epilogue_portable(const float *x, float *y, long n, int flags, float bias, float a, float b,
                              const float *r, int act, float upper) {
    for (long i = 0; i < n; i++) {
        float v = x[i];
        if (flags & MLR_EPILOGUE_BIAS) v = v + bias;
        if (flags & MLR_EPILOGUE_AFFINE) { v = v * a; v = v + b; }
        if (r) v = v + r[i];
        if (act >= 1 && v < 0) v = 0;
        if (act == 2 && v > upper) v = upper;
        y[i] = v;
    }
}

#if defined(__x86_64__)
#include <immintrin.h>
#define T512 __attribute__((target("avx512f")))

T512 static void epilogue_avx512(const float *x, float *y, long n, int flags, float bias, float a, float b,
                                 const float *r, int act, float upper) {
    const __m512 vbias = _mm512_set1_ps(bias), va = _mm512_set1_ps(a), vb = _mm512_set1_ps(b);
    const __m512 z = _mm512_setzero_ps(), u = _mm512_set1_ps(upper);
    const int hasBias = flags & MLR_EPILOGUE_BIAS, hasAffine = flags & MLR_EPILOGUE_AFFINE;
    for (long i = 0; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(m, x + i);
        if (hasBias) v = _mm512_add_ps(v, vbias);
        if (hasAffine) v = _mm512_add_ps(_mm512_mul_ps(v, va), vb);
        if (r) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, r + i));
        if (act >= 1) v = _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, z, _CMP_LT_OQ), z);
        if (act == 2) v = _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, u, _CMP_GT_OQ), u);
        _mm512_mask_storeu_ps(y + i, m, v);
    }
}
#endif

void mlr_channel_epilogue(const float *x, float *y, long n, int flags, float bias, float a, float b,
                          const float *r, int act, float upper) {
#if defined(__x86_64__)
    if (mlr_elementwise_avx512()) { epilogue_avx512(x, y, n, flags, bias, a, b, r, act, upper); return; }
#endif
    epilogue_portable(x, y, n, flags, bias, a, b, r, act, upper);
}
