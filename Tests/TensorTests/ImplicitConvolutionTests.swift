import Testing
import Tensor

/// `implicitConvolutionGEMM` (columns packed straight from the images) against `im2col` + `gemm` on the
/// explicit column matrix: bit for bit (same K blocks, same FMA chain per element), for strides 1–3,
/// padding, dilation, non-square kernels, several images side by side, K > 256 (several K blocks),
/// more than 256 columns (several column blocks), rows not a multiple of the register tile, and
/// output rows that do not divide the 32-column slivers.
@Suite struct ImplicitConvolutionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var m, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, images: Int
        var testDescription: String { "m\(m) c\(c) \(h)×\(w) k\(kh)×\(kw) s\(sh),\(sw) p\(ph),\(pw) d\(dh),\(dw) ×\(images)" }
    }

    static let cases: [Case] = [
        Case(m: 16, c: 16, h: 32, w: 32, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, images: 1),   // ResNet stage 1
        Case(m: 32, c: 16, h: 32, w: 32, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, dh: 1, dw: 1, images: 1),   // stride 2
        Case(m: 64, c: 64, h: 8, w: 8, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, images: 4),     // K = 576, 4 images
        Case(m: 5, c: 3, h: 7, w: 9, kh: 3, kw: 2, sh: 1, sw: 3, ph: 2, pw: 1, dh: 2, dw: 3, images: 3),
        Case(m: 30, c: 2, h: 28, w: 28, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, images: 2),    // rows of 28
        Case(m: 7, c: 4, h: 5, w: 5, kh: 1, kw: 1, sh: 2, sw: 2, ph: 0, pw: 0, dh: 1, dw: 1, images: 5),       // 1×1 strided
        Case(m: 3, c: 1, h: 3, w: 3, kh: 5, kw: 5, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, images: 2),       // all padding edges
        Case(m: 9, c: 5, h: 6, w: 40, kh: 3, kw: 3, sh: 1, sw: 2, ph: 0, pw: 2, dh: 1, dw: 1, images: 1),
        // Rows of 32 (the lane-shift path): two K blocks on channel boundaries (k = 360), K blocks that split
        // a channel (k = 279: the general path takes those slivers), two images, height stride and dilation.
        Case(m: 8, c: 40, h: 32, w: 32, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, images: 1),
        Case(m: 3, c: 31, h: 32, w: 32, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, images: 2),
        Case(m: 4, c: 2, h: 20, w: 32, kh: 3, kw: 3, sh: 2, sw: 1, ph: 2, pw: 1, dh: 2, dw: 1, images: 3),
        // Rows of 16 (two per sliver): ResNet-20's second stage with a second image, 16×6 planes (three
        // slivers each), and 16×5 planes (80 columns, not a multiple of 32: the general path).
        Case(m: 32, c: 32, h: 16, w: 16, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, images: 2),
        Case(m: 5, c: 3, h: 6, w: 16, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, images: 3),
        Case(m: 5, c: 3, h: 5, w: 16, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, images: 3),
    ]

    @Test(arguments: cases)
    func matchesExplicitColumnMatrix(_ t: Case) throws {
        try #require(implicitConvolutionAvailable, "the implicit GEMM needs the AVX-512 GEMM family (not active here)")
        let g = ConvGeometry(channels: t.c, height: t.h, width: t.w, kernel: (t.kh, t.kw), stride: (t.sh, t.sw),
                             padding: (t.ph, t.pw), dilation: (t.dh, t.dw))
        var rng = RandomGenerator(seed: UInt64(t.m * 31 + t.c))
        // The images sit `stride` apart with a gap after each (the group's slice of a larger batch tensor).
        let stride = t.c * t.h * t.w + 7
        let x = (0..<(stride * t.images)).map { _ in rng.nextUniform() * 2 - 1 }
        let k = g.columnRows, plane = g.outputPlane, n = plane * t.images
        let a = (0..<(t.m * k)).map { _ in rng.nextUniform() * 2 - 1 }
        var col = [Float](repeating: 0, count: k * n)
        var expected = [Float](repeating: 0, count: t.m * n)
        var actual = [Float](repeating: .nan, count: t.m * n)
        x.withUnsafeBufferPointer { px in a.withUnsafeBufferPointer { pa in
            col.withUnsafeMutableBufferPointer { pc in
                for i in 0..<t.images { im2col(px.baseAddress! + i * stride, g, pc.baseAddress! + i * plane, ld: n) }
            }
            col.withUnsafeBufferPointer { pc in expected.withUnsafeMutableBufferPointer { pe in
                gemm(transA: false, transB: false, m: t.m, n: n, k: k, a: pa.baseAddress!, lda: k, b: pc.baseAddress!, ldb: n,
                     beta: 0, c: pe.baseAddress!, ldc: n, parallel: false)
            } }
            actual.withUnsafeMutableBufferPointer { py in
                let done = implicitConvolutionGEMM(m: t.m, a: pa.baseAddress!, lda: k, x: px.baseAddress!, g, images: t.images,
                                                   imageStride: stride, c: py.baseAddress!, ldc: n)
                #expect(done)
            }
        } }
        #expect(actual.map(\.bitPattern) == expected.map(\.bitPattern))
    }
}
