import CKernels

/// Pooling kernels over raw buffers of `g.channels` contiguous planes `[H, W]` (any run of the
/// N·C planes of an NCHW tensor), forward and backward, with PyTorch's semantics (floor output
/// size, no ceil mode). The layers `MaxPool2d`, `AvgPool2d` and `GlobalAvgPool2d` drive them.

/// Max pooling: `y[p, oh, ow]` = max of the window (padding counts as −∞, so it never wins),
/// `argmax[p, oh, ow]` = the winner's flat index `ih·W + iw` inside plane `p`. Ties keep the first
/// maximum in row-major window order and NaN wins (as in PyTorch). Every window must hold at least
/// one real pixel (guaranteed when padding ≤ effective kernel / 2). `x [P, H, W]`, `y` and
/// `argmax [P, Ho, Wo]` (overwritten).
///
/// 2×2 windows with stride 2 and no padding or dilation (the common case) run a 16-lane AVX-512 kernel
/// (`CKernels/maxpool.c`) with the same semantics, bit for bit, when the CPU has it.
public func maxPool2dForward(_ x: UnsafePointer<Float>, _ g: ConvGeometry, _ y: UnsafeMutablePointer<Float>,
                             argmax: UnsafeMutablePointer<Int32>) {
    if g.kernelHeight == 2 && g.kernelWidth == 2 && g.strideHeight == 2 && g.strideWidth == 2
        && g.padHeight == 0 && g.padWidth == 0 && g.dilationHeight == 1 && g.dilationWidth == 1
        && mlr_maxpool2x2(x, g.channels, g.height, g.width, y, argmax) != 0 {
        return
    }
    let H = g.height, W = g.width, ho = g.outHeight, wo = g.outWidth, plane = g.outputPlane
    let dh = g.dilationHeight, dw = g.dilationWidth
    for p in 0..<g.channels {
        let xp = x + p * H * W, yp = y + p * plane, ap = argmax + p * plane
        for oh in 0..<ho {
            let h0 = oh * g.strideHeight - g.padHeight
            let iRange = convValidRange(offset: h0, stride: dh, size: H, count: g.kernelHeight)
            for ow in 0..<wo {
                let w0 = ow * g.strideWidth - g.padWidth
                let jRange = convValidRange(offset: w0, stride: dw, size: W, count: g.kernelWidth)
                var best = -Float.infinity
                var bestIndex = (h0 + iRange.lowerBound * dh) * W + (w0 + jRange.lowerBound * dw)
                for i in iRange {
                    let rowBase = (h0 + i * dh) * W + w0
                    for j in jRange {
                        let idx = rowBase + j * dw
                        let v = xp[idx]
                        if v > best || v.isNaN { best = v; bestIndex = idx }
                    }
                }
                yp[oh * wo + ow] = best
                ap[oh * wo + ow] = Int32(truncatingIfNeeded: bestIndex)
            }
        }
    }
}

/// Max-pool input gradient: `dx [P, H, W]` (overwritten) gets each `dy[p, oh, ow]` added at
/// `argmax[p, oh, ow]` (overlapping windows accumulate, in output order).
public func maxPool2dBackward(_ dy: UnsafePointer<Float>, argmax: UnsafePointer<Int32>, _ g: ConvGeometry,
                              _ dx: UnsafeMutablePointer<Float>) {
    let inPlane = g.inputPlane, plane = g.outputPlane
    dx.update(repeating: 0, count: g.channels * inPlane)
    for p in 0..<g.channels {
        let dxp = dx + p * inPlane, dyp = dy + p * plane, ap = argmax + p * plane
        for o in 0..<plane { dxp[Int(ap[o])] += dyp[o] }
    }
}

/// Average pooling with zero padding counted in the divisor (`count_include_pad = true`, PyTorch's
/// default): `y = (Σ of the window's real pixels) / (kh·kw)`. Dilation must be 1.
/// `x [P, H, W]`, `y [P, Ho, Wo]` (overwritten).
public func avgPool2dForward(_ x: UnsafePointer<Float>, _ g: ConvGeometry, _ y: UnsafeMutablePointer<Float>) {
    precondition(g.dilationHeight == 1 && g.dilationWidth == 1, "avgPool2dForward: dilation must be 1, got \(g)")
    let H = g.height, W = g.width, ho = g.outHeight, wo = g.outWidth, plane = g.outputPlane
    let scale = 1 / Float(g.kernelArea)
    for p in 0..<g.channels {
        let xp = x + p * H * W, yp = y + p * plane
        for oh in 0..<ho {
            let h0 = oh * g.strideHeight - g.padHeight
            let iRange = convValidRange(offset: h0, stride: 1, size: H, count: g.kernelHeight)
            for ow in 0..<wo {
                let w0 = ow * g.strideWidth - g.padWidth
                let jRange = convValidRange(offset: w0, stride: 1, size: W, count: g.kernelWidth)
                var s: Float = 0
                for i in iRange {
                    let row = xp + (h0 + i) * W + w0
                    for j in jRange { s += row[j] }
                }
                yp[oh * wo + ow] = s * scale
            }
        }
    }
}

/// Average-pool input gradient: `dx [P, H, W]` (overwritten) gets `dy / (kh·kw)` added at every
/// real pixel of each window.
public func avgPool2dBackward(_ dy: UnsafePointer<Float>, _ g: ConvGeometry, _ dx: UnsafeMutablePointer<Float>) {
    precondition(g.dilationHeight == 1 && g.dilationWidth == 1, "avgPool2dBackward: dilation must be 1, got \(g)")
    let H = g.height, W = g.width, ho = g.outHeight, wo = g.outWidth, plane = g.outputPlane
    let scale = 1 / Float(g.kernelArea)
    dx.update(repeating: 0, count: g.channels * H * W)
    for p in 0..<g.channels {
        let dxp = dx + p * H * W, dyp = dy + p * plane
        for oh in 0..<ho {
            let h0 = oh * g.strideHeight - g.padHeight
            let iRange = convValidRange(offset: h0, stride: 1, size: H, count: g.kernelHeight)
            for ow in 0..<wo {
                let w0 = ow * g.strideWidth - g.padWidth
                let jRange = convValidRange(offset: w0, stride: 1, size: W, count: g.kernelWidth)
                let v = dyp[oh * wo + ow] * scale
                for i in iRange {
                    let row = dxp + (h0 + i) * W + w0
                    for j in jRange { row[j] += v }
                }
            }
        }
    }
}

/// Global average pooling: `y[p] = mean of plane p`, `x [P, plane]`, `y [P]` (overwritten).
public func globalAvgPoolForward(_ x: UnsafePointer<Float>, planes: Int, plane: Int, _ y: UnsafeMutablePointer<Float>) {
    let scale = 1 / Float(plane)
    for p in 0..<planes {
        let xp = x + p * plane
        // Four interleaved partial sums in a fixed order (deterministic, and the loop pipelines).
        var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
        var t = 0
        while t + 4 <= plane { s0 += xp[t]; s1 += xp[t + 1]; s2 += xp[t + 2]; s3 += xp[t + 3]; t += 4 }
        while t < plane { s0 += xp[t]; t += 1 }
        y[p] = ((s0 + s1) + (s2 + s3)) * scale
    }
}

/// Global average-pool input gradient: every element of plane `p` of `dx [P, plane]`
/// (overwritten) is `dy[p] / plane`.
public func globalAvgPoolBackward(_ dy: UnsafePointer<Float>, planes: Int, plane: Int, _ dx: UnsafeMutablePointer<Float>) {
    let scale = 1 / Float(plane)
    for p in 0..<planes { (dx + p * plane).update(repeating: dy[p] * scale, count: plane) }
}
