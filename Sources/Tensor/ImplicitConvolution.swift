import CKernels

/// Implicit-GEMM convolution: `C [m, images·Ho·Wo] = A [m, C·kh·kw] × im2col(x)` with the GEMM's B slivers
/// packed straight from the NCHW images (`CKernels/sgemm_conv.c`, AVX-512 family only), so the column
/// matrix is never written and read back. Bit-identical to `im2col` + `gemm` (same K blocks and FMA chain
/// per element). Single-threaded.
///
/// - Parameters:
///   - x: image 0's first channel of the group; image t at `x + t·imageStride`, channel c at `+ c·H·W`.
///   - g: the geometry of one group of one image (`g.channels` = channels of the group).
///   - images: images whose columns sit side by side (column order image, output row, output column).
/// - Returns: false when the active GEMM kernel family has no implicit packer (nothing written; use
///   `im2col` + `gemm`).
public func implicitConvolutionGEMM(m: Int, a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>, _ g: ConvGeometry,
                                    images: Int, imageStride: Int, c: UnsafeMutablePointer<Float>, ldc: Int) -> Bool {
    var geometry = mlr_conv_geometry(
        channels: g.channels, height: g.height, width: g.width, out_height: g.outHeight, out_width: g.outWidth,
        kernel_height: g.kernelHeight, kernel_width: g.kernelWidth, stride_height: g.strideHeight,
        stride_width: g.strideWidth, pad_height: g.padHeight, pad_width: g.padWidth,
        dilation_height: g.dilationHeight, dilation_width: g.dilationWidth, images: images, image_stride: imageStride)
    return mlr_sgemm_conv(m, a, lda, x, &geometry, c, ldc) != 0
}

/// Whether `implicitConvolutionGEMM` runs with the GEMM kernel family now active (the AVX-512 one).
public var implicitConvolutionAvailable: Bool { mlr_gemm_active() == MLR_GEMM_AVX512 }
