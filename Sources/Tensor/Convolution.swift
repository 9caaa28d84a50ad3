import CKernels

/// Convolution kernels over raw buffers, one NCHW image at a time: im2col / col2im (the lowering
/// that turns a convolution into a GEMM) and a direct depthwise convolution (where a GEMM would
/// have a single output row per channel). The layer `NN.Conv2d` drives them.

/// Geometry of a sliding 2-D window (convolution or pooling) over `channels` planes of
/// `[height, width]`: kernel, stride, zero padding and dilation per axis, and the output size
/// `out = (in + 2·pad − dilation·(kernel − 1) − 1) / stride + 1` (floor, like PyTorch).
public struct ConvGeometry: Sendable, Equatable, CustomStringConvertible {
    public let channels: Int
    public let height: Int, width: Int
    public let kernelHeight: Int, kernelWidth: Int
    public let strideHeight: Int, strideWidth: Int
    public let padHeight: Int, padWidth: Int
    public let dilationHeight: Int, dilationWidth: Int
    public let outHeight: Int, outWidth: Int

    /// - Parameter op: the operation named in precondition messages.
    public init(channels: Int, height: Int, width: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), op: String = "ConvGeometry") {
        precondition(channels >= 0 && height > 0 && width > 0,
                     "\(op): need a non-empty input, got channels \(channels), height \(height), width \(width)")
        precondition(kernel.0 > 0 && kernel.1 > 0, "\(op): kernel size must be positive, got \(kernel)")
        precondition(stride.0 > 0 && stride.1 > 0, "\(op): stride must be positive, got \(stride)")
        precondition(padding.0 >= 0 && padding.1 >= 0, "\(op): padding must be ≥ 0, got \(padding)")
        precondition(dilation.0 > 0 && dilation.1 > 0, "\(op): dilation must be positive, got \(dilation)")
        let effH = dilation.0 * (kernel.0 - 1) + 1, effW = dilation.1 * (kernel.1 - 1) + 1
        precondition(effH <= height + 2 * padding.0 && effW <= width + 2 * padding.1,
                     "\(op): kernel \(kernel) (dilation \(dilation), effective \(effH)×\(effW)) is larger than the "
                     + "padded input \(height + 2 * padding.0)×\(width + 2 * padding.1) (input \(height)×\(width), padding \(padding))")
        self.channels = channels
        self.height = height; self.width = width
        self.kernelHeight = kernel.0; self.kernelWidth = kernel.1
        self.strideHeight = stride.0; self.strideWidth = stride.1
        self.padHeight = padding.0; self.padWidth = padding.1
        self.dilationHeight = dilation.0; self.dilationWidth = dilation.1
        self.outHeight = (height + 2 * padding.0 - effH) / stride.0 + 1
        self.outWidth = (width + 2 * padding.1 - effW) / stride.1 + 1
    }

    /// The same window over a different number of planes.
    public func withChannels(_ c: Int) -> ConvGeometry {
        ConvGeometry(channels: c, height: height, width: width, kernel: (kernelHeight, kernelWidth),
                     stride: (strideHeight, strideWidth), padding: (padHeight, padWidth),
                     dilation: (dilationHeight, dilationWidth))
    }

    /// Elements of one input plane, `height · width`.
    public var inputPlane: Int { height * width }
    /// Elements of one output plane, `outHeight · outWidth`.
    public var outputPlane: Int { outHeight * outWidth }
    /// Window positions, `kernelHeight · kernelWidth`.
    public var kernelArea: Int { kernelHeight * kernelWidth }
    /// Rows of the im2col matrix, `channels · kernelHeight · kernelWidth`.
    public var columnRows: Int { channels * kernelArea }

    public var description: String {
        "ConvGeometry(C \(channels), \(height)×\(width), kernel \(kernelHeight)×\(kernelWidth), stride \(strideHeight)×\(strideWidth), "
            + "pad \(padHeight)×\(padWidth), dilation \(dilationHeight)×\(dilationWidth) → \(outHeight)×\(outWidth))"
    }
}

/// The output positions `o` in `0..<count` whose input coordinate `o · stride + offset` lies in
/// `0..<size`, as a half-open range `lo..<hi` (empty when none). Lets the kernels split each
/// output row into a zero-padding prefix, a branch-free interior and a padding suffix.
@inlinable @inline(__always)
public func convValidRange(offset: Int, stride: Int, size: Int, count: Int) -> Range<Int> {
    let lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride
    let rest = size - offset
    let hi = rest <= 0 ? 0 : (rest + stride - 1) / stride
    let l = min(lo, count), h = min(hi, count)
    return l..<max(l, h)
}

/// Lowers one image `x [C, H, W]` to the column matrix `col [C·kh·kw, Ho·Wo]`:
/// `col[(c·kh + i)·kw + j, oh·Wo + ow] = x[c, oh·sh − ph + i·dh, ow·sw − pw + j·dw]`, 0 where that
/// lies in the padding. Then a convolution is `W [out, C·kh·kw] × col`. Overwrites the
/// `C·kh·kw × Ho·Wo` entries it owns.
///
/// `ld` is the distance between column rows (default `Ho·Wo`); a larger one lets several images
/// lie side by side in one wider column matrix `[C·kh·kw, ld]` (image b starting at `col + b·Ho·Wo`).
///
/// Speed: this is memory-bound work next to a GEMM, so per-row loop overhead matters. For
/// stride-1 "same-width" windows (Wo == W, e.g. 3×3 padding 1) the source and column rows have
/// the same pitch, so each column row is one long copy (glibc's SIMD memcpy) followed by zeroing
/// the few entries that wrapped around a row edge; other windows copy row by row.
public func im2col(_ x: UnsafePointer<Float>, _ g: ConvGeometry, _ col: UnsafeMutablePointer<Float>, ld: Int? = nil) {
    let H = g.height, W = g.width, ho = g.outHeight, wo = g.outWidth
    let pitch = ld ?? ho * wo
    precondition(pitch >= ho * wo, "im2col: ld \(pitch) < Ho·Wo = \(ho * wo) for \(g)")
    let sh = g.strideHeight, sw = g.strideWidth
    let samePitch = sh == 1 && sw == 1 && wo == W
    var row = 0
    for c in 0..<g.channels {
        let xc = x + c * H * W
        for i in 0..<g.kernelHeight {
            let rowOffset = i * g.dilationHeight - g.padHeight
            let ohValid = convValidRange(offset: rowOffset, stride: sh, size: H, count: ho)
            for j in 0..<g.kernelWidth {
                let dst = col + row * pitch
                row += 1
                let colOffset = j * g.dilationWidth - g.padWidth
                let owValid = convValidRange(offset: colOffset, stride: sw, size: W, count: wo)
                // Output rows whose input row is padding.
                if ohValid.lowerBound > 0 { dst.update(repeating: 0, count: ohValid.lowerBound * wo) }
                if ohValid.upperBound < ho {
                    (dst + ohValid.upperBound * wo).update(repeating: 0, count: (ho - ohValid.upperBound) * wo)
                }
                if ohValid.isEmpty { continue }
                if owValid.isEmpty {
                    (dst + ohValid.lowerBound * wo).update(repeating: 0, count: ohValid.count * wo)
                    continue
                }
                let lo = owValid.lowerBound, hi = owValid.upperBound, n = hi - lo
                if samePitch {
                    let first = ohValid.lowerBound * wo + lo, end = (ohValid.upperBound - 1) * wo + hi
                    (dst + first).update(from: xc + (first + rowOffset * W + colOffset), count: end - first)
                } else {
                    for oh in ohValid {
                        let d = dst + oh * wo + lo
                        let src = xc + (oh * sh + rowOffset) * W + (lo * sw + colOffset)
                        switch sw {
                        case 1: d.update(from: src, count: n)
                        case 2: for t in 0..<n { d[t] = src[2 * t] }
                        default: for t in 0..<n { d[t] = src[t * sw] }
                        }
                    }
                }
                // Left and right padding columns (strided stores: no memset call per row).
                for t in 0..<lo { for oh in ohValid { dst[oh * wo + t] = 0 } }
                for t in hi..<wo { for oh in ohValid { dst[oh * wo + t] = 0 } }
            }
        }
    }
}

/// The adjoint of `im2col`: scatters `col [C·kh·kw, Ho·Wo]` back onto the image `x [C, H, W]`,
/// summing every column entry that came from the same pixel (entries from padding are dropped).
/// Overwrites all of `x`. Used for the input gradient: `dx = col2im(Wᵀ × dy)`. `ld` is the
/// distance between column rows, as for `im2col`.
///
/// Each pixel receives its contributions in column-row order whichever path runs. For stride-1
/// same-width windows (Wo == W) each column row is added as one long span; the few pixels that
/// span covers only through row wrap-around are saved before and restored after, so they keep
/// exactly their previous value.
public func col2im(_ col: UnsafePointer<Float>, _ g: ConvGeometry, _ x: UnsafeMutablePointer<Float>, ld: Int? = nil) {
    let H = g.height, W = g.width, ho = g.outHeight, wo = g.outWidth
    let pitch = ld ?? ho * wo
    precondition(pitch >= ho * wo, "col2im: ld \(pitch) < Ho·Wo = \(ho * wo) for \(g)")
    let sh = g.strideHeight, sw = g.strideWidth
    let samePitch = sh == 1 && sw == 1 && wo == W
    let maxGap = 8   // longest wrap-around gap per row the span path handles
    x.update(repeating: 0, count: g.channels * H * W)
    withUnsafeTemporaryAllocation(of: Float.self, capacity: max(1, ho * maxGap)) { saved in
        let keep = saved.baseAddress!
        var row = 0
        for c in 0..<g.channels {
            let xc = x + c * H * W
            for i in 0..<g.kernelHeight {
                let rowOffset = i * g.dilationHeight - g.padHeight
                let ohValid = convValidRange(offset: rowOffset, stride: sh, size: H, count: ho)
                for j in 0..<g.kernelWidth {
                    let src = col + row * pitch
                    row += 1
                    let colOffset = j * g.dilationWidth - g.padWidth
                    let owValid = convValidRange(offset: colOffset, stride: sw, size: W, count: wo)
                    let lo = owValid.lowerBound, hi = owValid.upperBound, n = owValid.count
                    if n == 0 || ohValid.isEmpty { continue }
                    let gap = W - n
                    if samePitch && gap <= maxGap {
                        // Pixel k + shift takes column entry k; the gaps between consecutive
                        // rows' valid runs are pixels this column row must not touch.
                        let shift = rowOffset * W + colOffset
                        let d = xc + shift
                        let first = ohValid.lowerBound * wo + lo, end = (ohValid.upperBound - 1) * wo + hi
                        // Gap t of row oh is saved at keep[t·rows + q], q = oh − first valid row;
                        // the inner loops run over rows (strided), which keeps LLVM from turning
                        // these short copies into memcpy calls.
                        let gapRows = ohValid.count - 1, oh0 = ohValid.lowerBound
                        let gapBase = d + oh0 * wo + hi
                        for t in 0..<gap { for q in 0..<gapRows { keep[t * gapRows + q] = gapBase[q * wo + t] } }
                        mlr_add_inplace(d + first, src + first, end - first)   // 16 lanes (Swift here: 4)
                        for t in 0..<gap { for q in 0..<gapRows { gapBase[q * wo + t] = keep[t * gapRows + q] } }
                        continue
                    }
                    for oh in ohValid {
                        let s = src + oh * wo + lo
                        let d = xc + (oh * sh + rowOffset) * W + (lo * sw + colOffset)
                        switch sw {
                        case 1: mlr_add_inplace(d, s, n)
                        case 2: for t in 0..<n { d[2 * t] += s[t] }
                        default: for t in 0..<n { d[t * sw] += s[t] }
                        }
                    }
                }
            }
        }
    }
}

// MARK: Depthwise convolution (groups == in == out channels)

/// Scalar reference (kept for tests of the C kernels in `DepthwiseKernels.swift`) of the direct
/// depthwise convolution of one image: every channel has its own `kh × kw` filter,
/// `y[c] = bias[c] + Σ_{i,j} w[c, i, j] · x[c, oh·sh − ph + i·dh, ow·sw − pw + j·dw]`.
/// `x [C, H, W]`, `w [C, kh, kw]`, `bias [C]` or nil, `y [C, Ho, Wo]` (overwritten).
/// Avoids the im2col + GEMM route, whose GEMMs would have a single output row.
public func depthwiseConv2dForwardReference(_ x: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
                                   bias: UnsafePointer<Float>?, _ g: ConvGeometry,
                                   _ y: UnsafeMutablePointer<Float>) {
    let H = g.height, W = g.width, wo = g.outWidth, plane = g.outputPlane
    let sh = g.strideHeight, sw = g.strideWidth, kh = g.kernelHeight, kw = g.kernelWidth
    for c in 0..<g.channels {
        let xc = x + c * H * W, yc = y + c * plane, wc = w + c * kh * kw
        yc.update(repeating: bias?[c] ?? 0, count: plane)
        for i in 0..<kh {
            let rowOffset = i * g.dilationHeight - g.padHeight
            let ohValid = convValidRange(offset: rowOffset, stride: sh, size: H, count: g.outHeight)
            for j in 0..<kw {
                let wv = wc[i * kw + j]
                let colOffset = j * g.dilationWidth - g.padWidth
                let owValid = convValidRange(offset: colOffset, stride: sw, size: W, count: wo)
                let lo = owValid.lowerBound, n = owValid.count
                if n == 0 { continue }
                for oh in ohValid {
                    let d = yc + oh * wo + lo
                    let s = xc + (oh * sh + rowOffset) * W + (lo * sw + colOffset)
                    if sw == 1 {
                        for t in 0..<n { d[t] += wv * s[t] }
                    } else {
                        for t in 0..<n { d[t] += wv * s[t * sw] }
                    }
                }
            }
        }
    }
}

/// Scalar reference of the input gradient of a depthwise convolution of one image: `dx [C, H, W]` (overwritten) from
/// `dy [C, Ho, Wo]` and `w [C, kh, kw]`.
public func depthwiseConv2dBackwardInputReference(_ dy: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
                                         _ g: ConvGeometry, _ dx: UnsafeMutablePointer<Float>) {
    let H = g.height, W = g.width, wo = g.outWidth, plane = g.outputPlane
    let sh = g.strideHeight, sw = g.strideWidth, kh = g.kernelHeight, kw = g.kernelWidth
    dx.update(repeating: 0, count: g.channels * H * W)
    for c in 0..<g.channels {
        let dxc = dx + c * H * W, dyc = dy + c * plane, wc = w + c * kh * kw
        for i in 0..<kh {
            let rowOffset = i * g.dilationHeight - g.padHeight
            let ohValid = convValidRange(offset: rowOffset, stride: sh, size: H, count: g.outHeight)
            for j in 0..<kw {
                let wv = wc[i * kw + j]
                let colOffset = j * g.dilationWidth - g.padWidth
                let owValid = convValidRange(offset: colOffset, stride: sw, size: W, count: wo)
                let lo = owValid.lowerBound, n = owValid.count
                if n == 0 { continue }
                for oh in ohValid {
                    let s = dyc + oh * wo + lo
                    let d = dxc + (oh * sh + rowOffset) * W + (lo * sw + colOffset)
                    if sw == 1 {
                        for t in 0..<n { d[t] += wv * s[t] }
                    } else {
                        for t in 0..<n { d[t * sw] += wv * s[t] }
                    }
                }
            }
        }
    }
}

/// Scalar reference of the weight gradient of a depthwise convolution of one image, *added* into `dw [C, kh, kw]`:
/// `dw[c, i, j] += Σ_{oh, ow} dy[c, oh, ow] · x[c, oh·sh − ph + i·dh, ow·sw − pw + j·dw]`.
public func depthwiseConv2dBackwardWeightReference(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                                          _ g: ConvGeometry, _ dw: UnsafeMutablePointer<Float>) {
    let H = g.height, W = g.width, wo = g.outWidth, plane = g.outputPlane
    let sh = g.strideHeight, sw = g.strideWidth, kh = g.kernelHeight, kw = g.kernelWidth
    for c in 0..<g.channels {
        let xc = x + c * H * W, dyc = dy + c * plane, dwc = dw + c * kh * kw
        for i in 0..<kh {
            let rowOffset = i * g.dilationHeight - g.padHeight
            let ohValid = convValidRange(offset: rowOffset, stride: sh, size: H, count: g.outHeight)
            for j in 0..<kw {
                let colOffset = j * g.dilationWidth - g.padWidth
                let owValid = convValidRange(offset: colOffset, stride: sw, size: W, count: wo)
                let lo = owValid.lowerBound, n = owValid.count
                if n == 0 { continue }
                // Four interleaved partial sums (fixed order, so deterministic) let the loop pipeline.
                var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
                for oh in ohValid {
                    let a = dyc + oh * wo + lo
                    let b = xc + (oh * sh + rowOffset) * W + (lo * sw + colOffset)
                    var t = 0
                    while t + 4 <= n {
                        s0 += a[t] * b[t * sw]; s1 += a[t + 1] * b[(t + 1) * sw]
                        s2 += a[t + 2] * b[(t + 2) * sw]; s3 += a[t + 3] * b[(t + 3) * sw]
                        t += 4
                    }
                    while t < n { s0 += a[t] * b[t * sw]; t += 1 }
                }
                dwc[i * kw + j] += (s0 + s1) + (s2 + s3)
            }
        }
    }
}
