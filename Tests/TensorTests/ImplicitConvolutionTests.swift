import Testing
import Tensor

/// `convolutionGEMM` (B panels packed straight from the images) against the explicit route it replaces,
/// `im2col` of the images side by side followed by `gemm`: bit-identical on odd geometries (strides,
/// padding wider than the kernel reach, dilation, rectangular kernels, several images per GEMM, widths
/// that are not multiples of the register tile), for every GEMM kernel family, without writing past n
/// columns of a NaN-filled output with a wider leading dimension.
@Suite struct ImplicitConvolutionTests {
    struct Case: CustomStringConvertible, Sendable {
        var c: Int, h: Int, w: Int, kernel: (Int, Int), stride: (Int, Int), pad: (Int, Int), dilation: (Int, Int)
        var m: Int, count: Int
        var description: String { "C\(c) \(h)×\(w) k\(kernel) s\(stride) p\(pad) d\(dilation) m\(m) ×\(count)" }
    }

    static let cases: [Case] = [
        Case(c: 3, h: 32, w: 32, kernel: (3, 3), stride: (1, 1), pad: (1, 1), dilation: (1, 1), m: 16, count: 1),
        Case(c: 5, h: 8, w: 8, kernel: (3, 3), stride: (1, 1), pad: (1, 1), dilation: (1, 1), m: 33, count: 4),
        Case(c: 4, h: 9, w: 7, kernel: (3, 3), stride: (2, 2), pad: (1, 1), dilation: (1, 1), m: 15, count: 3),
        Case(c: 2, h: 11, w: 13, kernel: (5, 3), stride: (2, 1), pad: (2, 3), dilation: (1, 2), m: 7, count: 2),
        Case(c: 6, h: 16, w: 16, kernel: (1, 1), stride: (2, 2), pad: (0, 0), dilation: (1, 1), m: 20, count: 2),
        Case(c: 3, h: 5, w: 37, kernel: (3, 3), stride: (1, 3), pad: (0, 1), dilation: (2, 1), m: 9, count: 5),
        Case(c: 70, h: 6, w: 6, kernel: (3, 3), stride: (1, 1), pad: (1, 1), dilation: (1, 1), m: 30, count: 2),  // k = 630: 3 K blocks
    ]

    @Test(arguments: cases) func matchesIm2colThenGEMM(_ t: Case) {
        var rng = RandomGenerator(seed: 17)
        let g = ConvGeometry(channels: t.c, height: t.h, width: t.w, kernel: t.kernel, stride: t.stride,
                             padding: t.pad, dilation: t.dilation)
        let image = t.c * t.h * t.w + 3   // a gap between images: the stride is honoured
        let x = Tensor.normal([t.count * image], using: &rng)
        let w = Tensor.normal([t.m, g.columnRows], using: &rng)
        let n = t.count * g.outputPlane, ldc = n + 5
        for kernel in GEMMKernel.supported {
            var expected = [Float](repeating: .nan, count: t.m * ldc)
            var actual = expected
            withGEMMKernel(kernel) {
                x.withUnsafeBufferPointer { px in w.withUnsafeBufferPointer { pw in
                    var col = [Float](repeating: .nan, count: g.columnRows * n)
                    col.withUnsafeMutableBufferPointer { pc in
                        for i in 0..<t.count { im2col(px.baseAddress! + i * image, g, pc.baseAddress! + i * g.outputPlane, ld: n) }
                        expected.withUnsafeMutableBufferPointer { pe in
                            gemm(transA: false, transB: false, m: t.m, n: n, k: g.columnRows, a: pw.baseAddress!, lda: g.columnRows,
                                 b: pc.baseAddress!, ldb: n, c: pe.baseAddress!, ldc: ldc, parallel: false)
                        }
                    }
                    actual.withUnsafeMutableBufferPointer { pa in
                        convolutionGEMM(weight: pw.baseAddress!, outputs: t.m, images: px.baseAddress!, imageStride: image,
                                        count: t.count, g, into: pa.baseAddress!, ldc: ldc)
                    }
                } }
            }
            var mismatches = 0
            for r in 0..<t.m {
                for j in 0..<n where actual[r * ldc + j].bitPattern != expected[r * ldc + j].bitPattern { mismatches += 1 }
                for j in n..<ldc where !actual[r * ldc + j].isNaN { mismatches += 1 }
            }
            #expect(mismatches == 0, "\(t) with \(kernel): \(mismatches) elements differ from im2col + gemm")
        }
    }
}
