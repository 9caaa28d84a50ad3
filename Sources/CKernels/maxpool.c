// 2×2 stride-2 max pooling (no padding, no dilation: SmallCNN's pools) with AVX-512, 16 outputs at a time.
//
// Same semantics as the generic Swift kernel (`maxPool2dForward`): the window is scanned in row-major order
// (x[2i][2j], x[2i][2j+1], x[2i+1][2j], x[2i+1][2j+1]) starting from −∞ and the first element's index; an
// element replaces the current best when it is greater or NaN. So ties keep the first maximum, NaN wins (the
// last NaN of the window, payload included) and an all-(−∞) window reports its first element.
#include "CKernels.h"

#include <stdint.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define T512 __attribute__((target("avx512f")))

T512 static inline void take(__m512 v, __m512i iv, __m512 *best, __m512i *idx) {
    const __mmask16 m = _mm512_cmp_ps_mask(v, *best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    *best = _mm512_mask_mov_ps(*best, m, v);
    *idx = _mm512_mask_mov_epi32(*idx, m, iv);
}

T512 static void maxpool2x2_avx512(const float *x, long planes, long H, long W, float *y, int *argmax) {
    const long Ho = H / 2, Wo = W / 2;
    const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i even = _mm512_slli_epi32(iota, 1), odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    const __m512 ninf = _mm512_set1_ps(-__builtin_inff());
    for (long p = 0; p < planes; p++) {
        const float *xp = x + p * H * W;
        float *yp = y + p * Ho * Wo;
        int *ap = argmax + p * Ho * Wo;
        for (long oh = 0; oh < Ho; oh++) {
            const float *r0 = xp + 2 * oh * W, *r1 = r0 + W;
            for (long ow = 0; ow < Wo; ow += 16) {
                const long n = Wo - ow < 16 ? Wo - ow : 16;
                const __mmask16 m = (__mmask16)(n >= 16 ? 0xFFFFu : (1u << n) - 1);
                const long e = 2 * n;   // input floats of this row segment
                const __mmask16 mlo = (__mmask16)(e >= 16 ? 0xFFFFu : (1u << e) - 1);
                const __mmask16 mhi = (__mmask16)(e - 16 >= 16 ? 0xFFFFu : e <= 16 ? 0u : (1u << (e - 16)) - 1);
                const __m512 l0 = _mm512_maskz_loadu_ps(mlo, r0 + 2 * ow), h0 = _mm512_maskz_loadu_ps(mhi, r0 + 2 * ow + 16);
                const __m512 l1 = _mm512_maskz_loadu_ps(mlo, r1 + 2 * ow), h1 = _mm512_maskz_loadu_ps(mhi, r1 + 2 * ow + 16);
                const __m512i ia = _mm512_add_epi32(_mm512_set1_epi32((int)(2 * oh * W + 2 * ow)), even);
                const __m512i iw = _mm512_set1_epi32((int)W), one = _mm512_set1_epi32(1);
                __m512 best = ninf;
                __m512i idx = ia;
                take(_mm512_permutex2var_ps(l0, even, h0), ia, &best, &idx);
                take(_mm512_permutex2var_ps(l0, odd, h0), _mm512_add_epi32(ia, one), &best, &idx);
                take(_mm512_permutex2var_ps(l1, even, h1), _mm512_add_epi32(ia, iw), &best, &idx);
                take(_mm512_permutex2var_ps(l1, odd, h1), _mm512_add_epi32(_mm512_add_epi32(ia, iw), one), &best, &idx);
                _mm512_mask_storeu_ps(yp + oh * Wo + ow, m, best);
                _mm512_mask_storeu_epi32(ap + oh * Wo + ow, m, idx);
            }
        }
    }
}
#endif

int mlr_maxpool2x2(const float *x, long planes, long height, long width, float *y, int *argmax) {
#if defined(__x86_64__)
    if (mlr_elementwise_avx512()) { maxpool2x2_avx512(x, planes, height, width, y, argmax); return 1; }
#endif
    (void)x; (void)planes; (void)height; (void)width; (void)y; (void)argmax;
    return 0;
}
