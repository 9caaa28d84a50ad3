// FMA throughput probe for the benchmark's peak-FLOP/s context: independent multiply-add chains on
// registers only, so the time measures the core's FMA issue rate and nothing else.
#include "sgemm_internal.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

#define CHAINS 12

__attribute__((target("avx512f"))) static float probe512(long iterations) {
    __m512 acc[CHAINS];
    const __m512 x = _mm512_set1_ps(0.999f), y = _mm512_set1_ps(0.001f);
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_set1_ps((float)i);
    for (long r = 0; r < iterations; r++) {
#define STEP(i) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
        MLR_REP(12, STEP)
#undef STEP
    }
    __m512 s = acc[0];
    for (int i = 1; i < CHAINS; i++) s = _mm512_add_ps(s, acc[i]);
    return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) static float probe256(long iterations) {
    __m256 acc[CHAINS];
    const __m256 x = _mm256_set1_ps(0.999f), y = _mm256_set1_ps(0.001f);
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_set1_ps((float)i);
    for (long r = 0; r < iterations; r++) {
#define STEP(i) acc[i] = _mm256_fmadd_ps(acc[i], x, y);
        MLR_REP(12, STEP)
#undef STEP
    }
    __m256 s = acc[0];
    for (int i = 1; i < CHAINS; i++) s = _mm256_add_ps(s, acc[i]);
    float out[8];
    _mm256_storeu_ps(out, s);
    return out[0];
}
#endif

typedef float v4f __attribute__((vector_size(16)));

static float probe_portable(long iterations) {
    v4f acc[8];
    const v4f x = {0.999f, 0.999f, 0.999f, 0.999f}, y = {0.001f, 0.001f, 0.001f, 0.001f};
    for (int i = 0; i < 8; i++) acc[i] = (v4f){(float)i, (float)i, (float)i, (float)i};
    for (long r = 0; r < iterations; r++) {
#define STEP(i) acc[i] = acc[i] * x + y;
        MLR_REP(8, STEP)
#undef STEP
    }
    v4f s = acc[0];
    for (int i = 1; i < 8; i++) s += acc[i];
    float out[4];
    memcpy(out, &s, sizeof out);
    return out[0];
}

static volatile float probe_sink;

double mlr_fma_probe(mlr_gemm_kernel kind, long iterations) {
#if defined(__x86_64__)
    if (kind == MLR_GEMM_AVX512 && mlr_gemm_supported(kind)) {
        probe_sink = probe512(iterations);
        return 2.0 * 16 * CHAINS * (double)iterations;
    }
    if (kind == MLR_GEMM_AVX2 && mlr_gemm_supported(kind)) {
        probe_sink = probe256(iterations);
        return 2.0 * 8 * CHAINS * (double)iterations;
    }
#endif
    (void)kind;
    probe_sink = probe_portable(iterations);
    return 2.0 * 4 * 8 * (double)iterations;
}
