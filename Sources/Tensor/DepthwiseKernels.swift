import CKernels

// Depthwise convolution of one image through the C kernels (outputs ≥ 12 columns wide; see `DepthwisePath`) of `CKernels/depthwise.c` (AVX-512 for
// width stride 1 or 2, portable otherwise). Forward and input gradient equal the scalar references in
// `Convolution.swift` bit for bit; the weight gradient sums in 16 fixed lanes (same on every path and
// thread count, within rounding of the reference). `VectorKernels.withPortablePath` forces the portable path.

/// Which implementation a depthwise call uses.
public enum DepthwisePath: Sendable {
    /// The C kernels for outputs at least `DepthwisePath.minimumKernelWidth` columns wide, the scalar
    /// Swift references below that (where most of a 16-lane vector would be masked off: 8×8 and 4×4
    /// planes measured ≈ 0.8× the scalar loops). Depends on the geometry only, so deterministic.
    case automatic
    /// Always the C kernels (tests).
    case kernel

    public static let minimumKernelWidth = 12

    func usesKernel(_ g: ConvGeometry) -> Bool { self == .kernel || g.outWidth >= Self.minimumKernelWidth }
}

extension ConvGeometry {
    /// The C kernels' view of this geometry.
    var depthwiseC: mlr_dw_geometry {
        mlr_dw_geometry(channels: channels, height: height, width: width, out_height: outHeight,
                        out_width: outWidth, kernel_height: kernelHeight, kernel_width: kernelWidth,
                        stride_height: strideHeight, stride_width: strideWidth, pad_height: padHeight,
                        pad_width: padWidth, dilation_height: dilationHeight, dilation_width: dilationWidth)
    }
}

/// Direct depthwise convolution of one image: every channel has its own `kh × kw` filter,
/// `y[c] = bias[c] + Σ_{i,j} w[c, i, j] · x[c, oh·sh − ph + i·dh, ow·sw − pw + j·dw]`.
/// `x [C, H, W]`, `w [C, kh, kw]`, `bias [C]` or nil, `y [C, Ho, Wo]` (overwritten).
/// Avoids the im2col + GEMM route, whose GEMMs would have a single output row.
public func depthwiseConv2dForward(_ x: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
                                   bias: UnsafePointer<Float>?, _ g: ConvGeometry,
                                   _ y: UnsafeMutablePointer<Float>, path: DepthwisePath = .automatic) {
    var cg = g.depthwiseC
    guard path.usesKernel(g) else {
        // Narrow outputs: the whole-plane kernel for small planes, else the scalar reference (both exact).
        if mlr_depthwise_small_forward(x, w, bias, &cg, y) != 0 { return }
        return depthwiseConv2dForwardReference(x, weight: w, bias: bias, g, y)
    }
    mlr_depthwise_forward(x, w, bias, &cg, y)
}

/// Input gradient of `depthwiseConv2dForward` for one image: `dx [C, H, W]` (overwritten) from
/// `dy [C, Ho, Wo]` and `w [C, kh, kw]`.
public func depthwiseConv2dBackwardInput(_ dy: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
                                         _ g: ConvGeometry, _ dx: UnsafeMutablePointer<Float>,
                                         path: DepthwisePath = .automatic) {
    var cg = g.depthwiseC
    guard path.usesKernel(g) else {
        if mlr_depthwise_small_backward_input(dy, w, &cg, dx) != 0 { return }
        return depthwiseConv2dBackwardInputReference(dy, weight: w, g, dx)
    }
    mlr_depthwise_backward_input(dy, w, &cg, dx)
}

/// Weight gradient of `depthwiseConv2dForward` for one image, *added* into `dw [C, kh, kw]`:
/// `dw[c, i, j] += Σ_{oh, ow} dy[c, oh, ow] · x[c, oh·sh − ph + i·dh, ow·sw − pw + j·dw]`.
public func depthwiseConv2dBackwardWeight(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                                          _ g: ConvGeometry, _ dw: UnsafeMutablePointer<Float>,
                                          path: DepthwisePath = .automatic) {
    guard path.usesKernel(g) else { return depthwiseConv2dBackwardWeightReference(x, dy, g, dw) }
    var cg = g.depthwiseC
    mlr_depthwise_backward_weight(x, dy, &cg, dw)
}

/// Weight gradient of `depthwiseConv2dForward` over `images` consecutive images (`x` images `xImageStride`
/// floats apart, `dy` images `dyImageStride`), *added* into `dw [C, kh, kw]`. Wide outputs: the C kernel image by
/// image, exactly as `depthwiseConv2dBackwardWeight`. Narrow outputs (< 12 columns): with AVX-512 the whole-plane
/// kernel (`mlr_depthwise_small_backward_weight`: 16 lanes per tap summed over all the images, reduced once;
/// the order depends only on the geometry and `images`), else the scalar reference image by image.
public func depthwiseConv2dBackwardWeight(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, images: Int,
                                          xImageStride: Int, dyImageStride: Int, _ g: ConvGeometry,
                                          _ dw: UnsafeMutablePointer<Float>, path: DepthwisePath = .automatic) {
    precondition(images >= 0, "depthwiseConv2dBackwardWeight: negative image count \(images)")
    if !path.usesKernel(g) {
        var cg = g.depthwiseC
        if mlr_depthwise_small_backward_weight(x, xImageStride, dy, dyImageStride, images, &cg, dw) != 0 { return }
    }
    for img in 0..<images {
        depthwiseConv2dBackwardWeight(x + img * xImageStride, dy + img * dyImageStride, g, dw, path: path)
    }
}
