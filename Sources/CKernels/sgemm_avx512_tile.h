// AVX-512 micro-kernel template, included several times by sgemm_avx512.c with
//   TILE_NAME  function name
//   TILE_ROWS  rows of C computed (≤ XMR, the A sliver stride)
//   TILE_NV    16-float vectors per row of C (≤ XNV, TILE_NV·16 ≤ XNR, the B sliver stride)
//   TILE_DIRECT 0: B is a packed sliver (step XNR); 1: B is read in place, row p at b + p·ldb, with
//              loads masked to the n valid columns (so nothing outside B is read)
// Every instance runs the same per-element arithmetic (an FMA chain over p, then the alpha/beta
// merge), so which instance handles an element never changes its value.
// (No include guard: meant to be included once per instance.)

TARGET static void TILE_NAME(long kc, const float *restrict a, const float *restrict b, long ldb,
                             float *restrict c, long ldc, long m, long n, float alpha, float beta) {
    // C is needed only after the K loop: start fetching it now so its latency hides behind the FMAs.
    MLR_REP(TILE_ROWS, PREFETCH_C)
    MLR_REP(TILE_ROWS, DECL)
    COLS(MASK_V, 0)
#if TILE_DIRECT
    for (long p = 0; p < kc; p++) {
        COLS(LOADB_MASKED_V, 0)
        MLR_REP(TILE_ROWS, FMA_ROW)
        a += XMR;
        b += ldb;
    }
#else
    (void)ldb;
    for (long p = 0; p < kc; p++) {
        COLS(LOADB_V, 0)
        MLR_REP(TILE_ROWS, FMA_ROW)
        a += XMR;
        b += XNR;
    }
#endif
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    if (beta == 0) {
        MLR_REP(TILE_ROWS, STORE0)
    } else {
        MLR_REP(TILE_ROWS, STOREB)
    }
}

#undef TILE_NAME
#undef TILE_ROWS
#undef TILE_NV
#undef TILE_DIRECT
