// Internal: the fixed pairwise order in which 16 partial sums are combined (lanes l + 8, then + 4, + 2, + 1).
// Element-wise and depthwise kernels use it on both their AVX-512 and portable paths, so both give the same bits.
#ifndef MLRSNET_LANE_REDUCE_H
#define MLRSNET_LANE_REDUCE_H

static inline float mlr_reduce16(const float acc[16]) {
    float r[8];
    for (int l = 0; l < 8; l++) r[l] = acc[l] + acc[l + 8];
    float q[4];
    for (int l = 0; l < 4; l++) q[l] = r[l] + r[l + 4];
    float h0 = q[0] + q[2], h1 = q[1] + q[3];
    return h0 + h1;
}

#endif
