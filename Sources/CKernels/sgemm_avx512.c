// AVX-512 SGEMM kernel family: 14×32 register tile (28 zmm accumulators, 2 B vectors, 1 broadcast
// = 31 of the 32 zmm registers), 256-deep K blocks, fast transposing packs.
// Measured on the 2-core Zen 5 dev box (one core): the 14×32 micro-kernel alone, in cache, runs at
// ≈ 99% of the FMA peak; 6×64, 8×48 and 12×32 were within ~3% of it in cache and no faster in the
// full GEMM, while 14×32 wastes little on m = 64 (4×14 + an 8-row edge tile).
#include "sgemm_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <stdlib.h>
#include <stdint.h>

#define XMR 14
#define XNV 2
#define XNR (16 * XNV)
#define TARGET __attribute__((target("avx512f")))
_Static_assert(XMR <= 16, "the A packing uses one 16-lane mask per step");

// Helpers for sgemm_avx512_tile.h. COLS(V, i) applies V(i, v) for v in 0..<TILE_NV.
#define COLS_1(V, i) V(i, 0)
#define COLS_2(V, i) V(i, 0) V(i, 1)
#define COLS_3(V, i) V(i, 0) V(i, 1) V(i, 2)
#define COLS_4(V, i) V(i, 0) V(i, 1) V(i, 2) V(i, 3)
#define COLS(V, i) MLR_CAT(COLS_, TILE_NV)(V, i)

#define DECL_V(i, v) __m512 c##i##_##v = _mm512_setzero_ps();
#define DECL(i) COLS(DECL_V, i)
#define FMA_V(i, v) c##i##_##v = _mm512_fmadd_ps(ai, b##v, c##i##_##v);
#define FMA_ROW(i) { const __m512 ai = _mm512_set1_ps(a[i]); COLS(FMA_V, i) }
#define LOADB_V(i, v) const __m512 b##v = _mm512_load_ps(b + 16 * v);
#define LOADB_MASKED_V(i, v) const __m512 b##v = _mm512_maskz_loadu_ps(mask##v, b + 16 * v);
#define STORE0_V(i, v) _mm512_mask_storeu_ps(c + i * ldc + 16 * v, mask##v, _mm512_mul_ps(va, c##i##_##v));
#define STOREB_V(i, v) _mm512_mask_storeu_ps(c + i * ldc + 16 * v, mask##v,                        \
        _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask##v, c + i * ldc + 16 * v), _mm512_mul_ps(va, c##i##_##v)));
#define STORE0(i) if (i < m) { COLS(STORE0_V, i) }
#define STOREB(i) if (i < m) { COLS(STOREB_V, i) }
#define PREFETCH_V(i, v) _mm_prefetch((const char *)(c + i * ldc + 16 * v), _MM_HINT_T0);
#define PREFETCH_C(i) if (i < m) { COLS(PREFETCH_V, i) \
        _mm_prefetch((const char *)(c + i * ldc + 16 * TILE_NV - 1), _MM_HINT_T0); }
#define MASK_V(i, v) const __mmask16 mask##v = n - 16 * v >= 16 ? (__mmask16)0xFFFF \
        : n - 16 * v <= 0 ? (__mmask16)0 : (__mmask16)((1u << (n - 16 * v)) - 1);

// Full tile, plus narrower/shorter instances for the right and bottom edges so that a clipped tile
// (e.g. the last 8 rows of m = 64, or n = 8 columns) does not pay for the full 14×32 tile; each
// for a packed B sliver and for B read in place.
#define TILE_NAME tile_14x32
#define TILE_ROWS 14
#define TILE_NV 2
#define TILE_DIRECT 0
#include "sgemm_avx512_tile.h"
#define TILE_NAME tile_8x32
#define TILE_ROWS 8
#define TILE_NV 2
#define TILE_DIRECT 0
#include "sgemm_avx512_tile.h"
#define TILE_NAME tile_4x32
#define TILE_ROWS 4
#define TILE_NV 2
#define TILE_DIRECT 0
#include "sgemm_avx512_tile.h"
#define TILE_NAME tile_14x16
#define TILE_ROWS 14
#define TILE_NV 1
#define TILE_DIRECT 0
#include "sgemm_avx512_tile.h"
#define TILE_NAME tile_8x16
#define TILE_ROWS 8
#define TILE_NV 1
#define TILE_DIRECT 0
#include "sgemm_avx512_tile.h"
#define TILE_NAME tile_4x16
#define TILE_ROWS 4
#define TILE_NV 1
#define TILE_DIRECT 0
#include "sgemm_avx512_tile.h"
#define TILE_NAME tile_14x32_direct
#define TILE_ROWS 14
#define TILE_NV 2
#define TILE_DIRECT 1
#include "sgemm_avx512_tile.h"
#define TILE_NAME tile_8x32_direct
#define TILE_ROWS 8
#define TILE_NV 2
#define TILE_DIRECT 1
#include "sgemm_avx512_tile.h"
#define TILE_NAME tile_4x32_direct
#define TILE_ROWS 4
#define TILE_NV 2
#define TILE_DIRECT 1
#include "sgemm_avx512_tile.h"
#define TILE_NAME tile_14x16_direct
#define TILE_ROWS 14
#define TILE_NV 1
#define TILE_DIRECT 1
#include "sgemm_avx512_tile.h"
#define TILE_NAME tile_8x16_direct
#define TILE_ROWS 8
#define TILE_NV 1
#define TILE_DIRECT 1
#include "sgemm_avx512_tile.h"
#define TILE_NAME tile_4x16_direct
#define TILE_ROWS 4
#define TILE_NV 1
#define TILE_DIRECT 1
#include "sgemm_avx512_tile.h"

#define MLR_DISPATCH_TILES(SUFFIX)                                                                 \
    if (n > 16) {                                                                                  \
        if (m > 8) tile_14x32##SUFFIX(kc, a, b, ldb, c, ldc, m, n, alpha, beta);                   \
        else if (m > 4) tile_8x32##SUFFIX(kc, a, b, ldb, c, ldc, m, n, alpha, beta);               \
        else tile_4x32##SUFFIX(kc, a, b, ldb, c, ldc, m, n, alpha, beta);                          \
    } else {                                                                                       \
        if (m > 8) tile_14x16##SUFFIX(kc, a, b, ldb, c, ldc, m, n, alpha, beta);                   \
        else if (m > 4) tile_8x16##SUFFIX(kc, a, b, ldb, c, ldc, m, n, alpha, beta);               \
        else tile_4x16##SUFFIX(kc, a, b, ldb, c, ldc, m, n, alpha, beta);                          \
    }

TARGET static void kernel_avx512(long kc, const float *restrict a, const float *restrict b, long ldb,
                                 float *restrict c, long ldc, long m, long n, float alpha, float beta) {
    MLR_DISPATCH_TILES()
}

TARGET static void kernel_avx512_direct(long kc, const float *restrict a, const float *restrict b, long ldb,
                                        float *restrict c, long ldc, long m, long n, float alpha, float beta) {
    MLR_DISPATCH_TILES(_direct)
}

// MARK: packing

/// Transposes the 16×16 block r[0..15] (rows) in place into columns.
TARGET static inline void transpose16(__m512 r[16]) {
    __m512 t[16];
    for (int g = 0; g < 16; g += 4) {
        t[g + 0] = _mm512_unpacklo_ps(r[g + 0], r[g + 1]);
        t[g + 1] = _mm512_unpackhi_ps(r[g + 0], r[g + 1]);
        t[g + 2] = _mm512_unpacklo_ps(r[g + 2], r[g + 3]);
        t[g + 3] = _mm512_unpackhi_ps(r[g + 2], r[g + 3]);
        // r[g + e] holds, in 128-bit lane L, rows g..g+3 of column 4L + e.
        r[g + 0] = _mm512_shuffle_ps(t[g + 0], t[g + 2], 0x44);
        r[g + 1] = _mm512_shuffle_ps(t[g + 0], t[g + 2], 0xEE);
        r[g + 2] = _mm512_shuffle_ps(t[g + 1], t[g + 3], 0x44);
        r[g + 3] = _mm512_shuffle_ps(t[g + 1], t[g + 3], 0xEE);
    }
    for (int e = 0; e < 4; e++) {
        t[e] = _mm512_shuffle_f32x4(r[e], r[4 + e], 0x88);       // rows 0-7,  lanes 0 and 2
        t[4 + e] = _mm512_shuffle_f32x4(r[e], r[4 + e], 0xDD);   // rows 0-7,  lanes 1 and 3
        t[8 + e] = _mm512_shuffle_f32x4(r[8 + e], r[12 + e], 0x88);
        t[12 + e] = _mm512_shuffle_f32x4(r[8 + e], r[12 + e], 0xDD);
    }
    for (int e = 0; e < 4; e++) {
        r[e] = _mm512_shuffle_f32x4(t[e], t[8 + e], 0x88);
        r[8 + e] = _mm512_shuffle_f32x4(t[e], t[8 + e], 0xDD);
        r[4 + e] = _mm512_shuffle_f32x4(t[4 + e], t[12 + e], 0x88);
        r[12 + e] = _mm512_shuffle_f32x4(t[4 + e], t[12 + e], 0xDD);
    }
}

/// dst[p·dstride + r] = src[r·ld + p] for r < rows, 0 for rows ≤ r < width (width ≤ 16), p < kc:
/// gathers `rows` strided rows into kc packed steps through 16×16 register transposes.
TARGET static void pack_transposed(const float *src, long ld, long rows, int width, long kc,
                                   float *dst, long dstride) {
    const __mmask16 wmask = (__mmask16)((1u << width) - 1);
    __m512 r[16];
    long p = 0;
    for (; p + 16 <= kc; p += 16) {
        for (int q = 0; q < 16; q++) r[q] = q < rows ? _mm512_loadu_ps(src + q * ld + p) : _mm512_setzero_ps();
        transpose16(r);
        for (int e = 0; e < 16; e++) _mm512_mask_storeu_ps(dst + (p + e) * dstride, wmask, r[e]);
    }
    if (p < kc) {
        const int tail = (int)(kc - p);
        const __mmask16 tmask = (__mmask16)((1u << tail) - 1);
        for (int q = 0; q < 16; q++)
            r[q] = q < rows ? _mm512_maskz_loadu_ps(tmask, src + q * ld + p) : _mm512_setzero_ps();
        transpose16(r);
        for (int e = 0; e < tail; e++) _mm512_mask_storeu_ps(dst + (p + e) * dstride, wmask, r[e]);
    }
}

static inline __mmask16 lanes(long count) {
    return count >= 16 ? (__mmask16)0xFFFF : count <= 0 ? (__mmask16)0 : (__mmask16)((1u << count) - 1);
}

TARGET static void pack_a_avx512(int transA, const float *A, long lda, long i0, long p0, long mc, long kc,
                                 float *dst) {
    for (long is = 0; is < mc; is += XMR, dst += XMR * kc) {
        const long mr = mc - is < XMR ? mc - is : XMR;
        if (transA) {
            // Step p is mr contiguous values A[p·lda + i0+is ...]; the MR-wide store zero-pads.
            const float *src = A + p0 * lda + i0 + is;
            const __mmask16 load = lanes(mr), store = lanes(XMR);
            for (long p = 0; p < kc; p++)
                _mm512_mask_storeu_ps(dst + p * XMR, store, _mm512_maskz_loadu_ps(load, src + p * lda));
        } else {
            pack_transposed(A + (i0 + is) * lda + p0, lda, mr, XMR, kc, dst, XMR);
        }
    }
}

TARGET static void pack_b_avx512(int transB, const float *B, long ldb, long p0, long j0, long kc, long nc,
                                 float *dst) {
    for (long js = 0; js < nc; js += XNR, dst += XNR * kc) {
        const long nr = nc - js < XNR ? nc - js : XNR;
        if (!transB) {
            const float *src = B + p0 * ldb + j0 + js;
            if (nr == XNR) {
                for (long p = 0; p < kc; p++)
                    for (int v = 0; v < XNV; v++) _mm512_store_ps(dst + p * XNR + 16 * v, _mm512_loadu_ps(src + p * ldb + 16 * v));
            } else {
                for (long p = 0; p < kc; p++)
                    for (int v = 0; v < XNV; v++)
                        _mm512_store_ps(dst + p * XNR + 16 * v, _mm512_maskz_loadu_ps(lanes(nr - 16 * v), src + p * ldb + 16 * v));
            }
        } else {
            for (int v = 0; v < XNV; v++) {
                long rows = nr - 16 * v;
                rows = rows < 0 ? 0 : rows > 16 ? 16 : rows;
                const float *src = rows > 0 ? B + (j0 + js + 16 * v) * ldb + p0 : B;
                pack_transposed(src, ldb, rows, 16, kc, dst + 16 * v, XNR);
            }
        }
    }
}

// MARK: implicit im2col packing

/// How one tap (ki, kj) of one run of sliver lanes reads a channel plane: lanes `m0` of the sliver's first
/// vector from `plane + off0`, lanes `m1` of the second from `plane + off1` (lane l of a vector reads
/// `off + l·sw` when strided), nothing where the mask is empty.
typedef struct { long off0, off1; __mmask16 m0, m1; } conv_tap;

/// Bits lo ..< hi of a 16-lane mask (empty when hi ≤ lo), with lo, hi clipped to 0 ... 16.
static inline __mmask16 lane_range(long lo, long hi) {
    lo = lo < 0 ? 0 : lo; hi = hi > 16 ? 16 : hi;
    if (hi <= lo) return 0;
    return (__mmask16)((hi >= 16 ? 0xFFFFu : ((1u << hi) - 1)) & ~((1u << lo) - 1));
}

TARGET static inline __m512 or_ps(__m512 a, __m512 b) {
    return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(a), _mm512_castps_si512(b)));
}

#ifndef PREFETCH_CHANNELS
#define PREFETCH_CHANNELS 2
#endif

// Per thread, grown on demand: the tap table of the sliver being packed.
static _Thread_local conv_tap *tap_table;
static _Thread_local long tap_capacity;

TARGET void mlr_pack_b_conv_avx512(const float *x, const mlr_conv_geometry *g, long p0, long j0, long kc, long nc,
                                   float *dst) {
    const long H = g->height, W = g->width, Ho = g->out_height, Wo = g->out_width, plane = Ho * Wo;
    const long kh = g->kernel_height, kw = g->kernel_width, sh = g->stride_height, sw = g->stride_width;
    const long dh = g->dilation_height, dw = g->dilation_width, taps = kh * kw, inPlane = H * W;
    const __m512i step = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                            _mm512_set1_epi32((int)sw));
    // A sliver's columns form at most XNR runs along output rows; the table holds taps × runs entries.
    if (tap_capacity < taps * XNR) {
        free(tap_table);
        tap_table = malloc((size_t)(taps * XNR) * sizeof(conv_tap));
        if (!tap_table) abort();
        tap_capacity = taps * XNR;
    }
    conv_tap *table = tap_table;
    // 3×3 windows sliding by 1 along rows of exactly 32 or 16 (W = Wo, width padding 1): a sliver is one
    // output row (32) or two (16), and one input row's vector(s) give all three column taps by lane shifts
    // (valignd), the same values as the general path below.
    const int rows_fit = (W == 32 || (W == 16 && plane % 32 == 0)) && Wo == W && XNR == 32 && kh == 3 && kw == 3
        && sw == 1 && dw == 1 && g->pad_width == 1;
    for (long js = 0; js < nc; js += XNR, dst += XNR * kc) {
        const long nr = nc - js < XNR ? nc - js : XNR;
        if (rows_fit && nr == XNR && (j0 + js) % 32 == 0 && p0 % 9 == 0 && kc % 9 == 0) {
            const long col = j0 + js, t = col / plane, oy0 = (col % plane) / W;
            const __m512i z = _mm512_setzero_si512();
            for (long q = 0; q < kc / 9; q++) {
                const float *xc = x + t * g->image_stride + (p0 / 9 + q) * inPlane;
                for (long ki = 0; ki < 3; ki++) {
                    float *d = dst + (q * 9 + ki * 3) * XNR;
                    if (W == 32) {
                        const long iy = oy0 * sh - g->pad_height + ki * dh;
                        if (iy < 0 || iy >= H) {
                            for (int v = 0; v < 6; v++) _mm512_store_ps(d + 16 * v, _mm512_setzero_ps());
                            continue;
                        }
                        const __m512i lo = _mm512_castps_si512(_mm512_loadu_ps(xc + iy * W));
                        const __m512i hi = _mm512_castps_si512(_mm512_loadu_ps(xc + iy * W + 16));
                        _mm512_store_ps(d, _mm512_castsi512_ps(_mm512_alignr_epi32(lo, z, 15)));        // [0, r0 … r14]
                        _mm512_store_ps(d + 16, _mm512_castsi512_ps(_mm512_alignr_epi32(hi, lo, 15)));  // [r15 … r30]
                        _mm512_store_ps(d + 32, _mm512_castsi512_ps(lo));
                        _mm512_store_ps(d + 48, _mm512_castsi512_ps(hi));
                        _mm512_store_ps(d + 64, _mm512_castsi512_ps(_mm512_alignr_epi32(hi, lo, 1)));   // [r1 … r16]
                        _mm512_store_ps(d + 80, _mm512_castsi512_ps(_mm512_alignr_epi32(z, hi, 1)));    // [r17 … r31, 0]
                    } else {
                        for (long v = 0; v < 2; v++) {   // output rows oy0 and oy0 + 1, one vector each
                            const long iy = (oy0 + v) * sh - g->pad_height + ki * dh;
                            if (iy < 0 || iy >= H) {
                                for (int kj = 0; kj < 3; kj++) _mm512_store_ps(d + kj * XNR + 16 * v, _mm512_setzero_ps());
                                continue;
                            }
                            const __m512i r = _mm512_castps_si512(_mm512_loadu_ps(xc + iy * W));
                            _mm512_store_ps(d + 16 * v, _mm512_castsi512_ps(_mm512_alignr_epi32(r, z, 15)));        // [0, r0 … r14]
                            _mm512_store_ps(d + XNR + 16 * v, _mm512_castsi512_ps(r));
                            _mm512_store_ps(d + 2 * XNR + 16 * v, _mm512_castsi512_ps(_mm512_alignr_epi32(z, r, 1)));  // [r1 … r15, 0]
                        }
                    }
                }
            }
            continue;
        }
        // The sliver's runs (lanes lane ..< lane+len reading image t, output row oy, from output column ox),
        // and for every tap the masks and offsets each run reads with (the same for every channel).
        int nruns = 0;
        for (long e = 0; e < nr;) {
            const long col = j0 + js + e, t = col / plane, rem = col % plane, oy = rem / Wo, ox = rem % Wo;
            long len = Wo - ox;
            if (len > nr - e) len = nr - e;
            for (long ki = 0; ki < kh; ki++) {
                const long iy = oy * sh - g->pad_height + ki * dh;
                for (long kj = 0; kj < kw; kj++) {
                    conv_tap *u = &table[(ki * kw + kj) * XNR + nruns];
                    const long ix = ox * sw - g->pad_width + kj * dw;
                    // Lanes l of the run whose input column ix + (l − e)·sw lies in 0 ..< W.
                    const long first = ix >= 0 ? 0 : (-ix + sw - 1) / sw;
                    const long last = W - ix <= 0 ? 0 : (W - ix + sw - 1) / sw;
                    const long lo = e + first, hi = e + (last < len ? last : len);
                    const int inside = iy >= 0 && iy < H && lo < hi;
                    const long base = t * g->image_stride + iy * W + ix;   // lane e of the run reads here
                    u->m0 = inside ? lane_range(lo, hi) : 0;
                    u->m1 = inside ? lane_range(lo - 16, hi - 16) : 0;
                    u->off0 = base - e * sw;
                    u->off1 = base + (16 - e) * sw;
                }
            }
            nruns++;
            e += len;
        }
        long c = p0 / taps, tap = p0 % taps;
        const long c_end = (p0 + kc - 1) / taps;
        for (long p = 0; p < kc; p++) {
            const float *xc = x + c * inPlane;
            const conv_tap *u = &table[tap * XNR];
            if (tap == 0 && c + PREFETCH_CHANNELS <= c_end) {
                // The rows channel c + PREFETCH_CHANNELS reads: they come from L3 or memory, and the jumps
                // between channel planes defeat the hardware prefetcher.
                const float *xn = xc + PREFETCH_CHANNELS * inPlane;
                for (long ki = 0; ki < kh; ki++) {
                    for (int q = 0; q < nruns; q++) {
                        const conv_tap *v = &table[ki * kw * XNR + q];
                        if (v->m0 | v->m1) {
                            _mm_prefetch((const char *)(xn + v->off0), _MM_HINT_T0);
                            _mm_prefetch((const char *)(xn + v->off0 + 16 * sw), _MM_HINT_T0);
                            _mm_prefetch((const char *)(xn + v->off1 + 16 * sw), _MM_HINT_T0);
                        }
                    }
                }
            }
            __m512 r0 = _mm512_setzero_ps(), r1 = _mm512_setzero_ps();
            if (sw == 1) {
                for (int q = 0; q < nruns; q++) {
                    if (u[q].m0 == 0xFFFF) r0 = _mm512_loadu_ps(xc + u[q].off0);
                    else if (u[q].m0) r0 = or_ps(r0, _mm512_maskz_loadu_ps(u[q].m0, xc + u[q].off0));
                    if (u[q].m1 == 0xFFFF) r1 = _mm512_loadu_ps(xc + u[q].off1);
                    else if (u[q].m1) r1 = or_ps(r1, _mm512_maskz_loadu_ps(u[q].m1, xc + u[q].off1));
                }
            } else {
                for (int q = 0; q < nruns; q++) {
                    if (u[q].m0) r0 = _mm512_mask_i32gather_ps(r0, u[q].m0, step, xc + u[q].off0, 4);
                    if (u[q].m1) r1 = _mm512_mask_i32gather_ps(r1, u[q].m1, step, xc + u[q].off1, 4);
                }
            }
            _mm512_store_ps(dst + p * XNR, r0);
            _mm512_store_ps(dst + p * XNR + 16, r1);
            if (++tap == taps) { tap = 0; c++; }
        }
    }
}

// Blocking for Zen 4/5 (48 KiB L1d, 1 MiB L2 per core, shared L3): a 14×256 A sliver (14 KiB) in
// L1, a 256×256 B block (256 KiB) in L2, an A panel of up to 4088×256 (4 MiB) in L3.
const mlr_gemm_impl mlr_gemm_impl_avx512 = {
    .mr = XMR, .nr = XNR, .mc = XMR * 292, .kc = 256, .nc = 256,
    .kernel = kernel_avx512, .kernel_direct_b = kernel_avx512_direct, .pack_a = pack_a_avx512, .pack_b = pack_b_avx512,
};
#endif
