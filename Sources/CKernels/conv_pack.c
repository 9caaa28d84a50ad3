// Implicit-GEMM convolution: packs the GEMM's B panels (kc × nr slivers) straight from NCHW images,
// so a convolution's forward GEMM never materialises the im2col matrix (which was written, then
// read back and copied again into these same panels by the GEMM's own packing).
//
// Each sliver covers nr consecutive output positions. They are cut into runs that lie in one output
// row of one image; for each (channel, kernel row, kernel column) a run reads a contiguous (stride 1)
// or strided span of one input row, with zeros where the window lies in the padding.
#include "CKernels.h"

#include <string.h>

/// One run of consecutive output positions within one output row of one image.
typedef struct {
    const float *image;  // image t
    long q;              // first column of the run within the sliver
    long len;            // positions in the run
    long oh, ow;         // output coordinates of its first position
} run_t;

void mlr_conv_pack_b(const void *ctx, long p0, long j0, long kc, long nc, long nr, float *dst) {
    const mlr_conv_geometry *g = (const mlr_conv_geometry *)ctx;
    const long H = g->height, W = g->width, Wo = g->out_w, plane = g->out_h * g->out_w;
    const long area = g->kh * g->kw;
    run_t runs[64];
    if (nr > 64) __builtin_trap();   // every kernel family has nr ≤ 32
    for (long s0 = 0; s0 < nc; s0 += nr, dst += kc * nr) {
        const long width = nc - s0 < nr ? nc - s0 : nr;
        // Cut the sliver's columns into runs (at most nr of them; 64 covers nr ≤ 64).
        long nruns = 0;
        for (long q = 0; q < width;) {
            const long j = j0 + s0 + q;
            const long t = j / plane, r = j % plane, oh = r / Wo, ow = r % Wo;
            long len = Wo - ow;
            if (len > width - q) len = width - q;
            runs[nruns++] = (run_t){ g->x + t * g->image_stride, q, len, oh, ow };
            q += len;
        }
        for (long p = 0; p < kc; p++) {
            const long row = p0 + p;
            const long c = row / area, ij = row % area, i = ij / g->kw, jj = ij % g->kw;
            float *d = dst + p * nr;
            if (width < nr) memset(d + width, 0, (size_t)(nr - width) * sizeof(float));
            for (long u = 0; u < nruns; u++) {
                const run_t *rn = &runs[u];
                float *o = d + rn->q;
                const long ih = rn->oh * g->sh - g->ph + i * g->dh;
                if (ih < 0 || ih >= H) { memset(o, 0, (size_t)rn->len * sizeof(float)); continue; }
                const float *src = rn->image + (c * H + ih) * W;
                const long iw0 = rn->ow * g->sw - g->pw + jj * g->dw, sw = g->sw;
                // Valid positions: 0 ≤ iw0 + e·sw < W.
                long lo = iw0 >= 0 ? 0 : (-iw0 + sw - 1) / sw;
                long hi = W - iw0 <= 0 ? 0 : (W - iw0 + sw - 1) / sw;
                if (lo > rn->len) lo = rn->len;
                if (hi > rn->len) hi = rn->len;
                if (hi < lo) hi = lo;
                for (long e = 0; e < lo; e++) o[e] = 0;
                if (sw == 1) {
                    memcpy(o + lo, src + iw0 + lo, (size_t)(hi - lo) * sizeof(float));
                } else {
                    for (long e = lo; e < hi; e++) o[e] = src[iw0 + e * sw];
                }
                for (long e = hi; e < rn->len; e++) o[e] = 0;
            }
        }
    }
}
