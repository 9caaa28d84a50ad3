import Testing
import Tensor

/// im2col / col2im and the direct depthwise kernels against definitions written out naively.
@Suite struct Im2colTests {
    /// Geometries covering padding larger than 1, strides > 1 (different per axis), dilation,
    /// non-square kernels and inputs, a kernel as large as the padded input, and both paths of
    /// the stride-1 same-width case (wrap-around gaps of 1–2 and of 9 columns).
    static let geometries: [ConvGeometry] = [
        ConvGeometry(channels: 2, height: 5, width: 6, kernel: (3, 3), stride: (1, 1), padding: (1, 1)),
        ConvGeometry(channels: 3, height: 7, width: 5, kernel: (3, 3), stride: (2, 2), padding: (1, 1)),
        ConvGeometry(channels: 1, height: 6, width: 9, kernel: (2, 3), stride: (2, 1), padding: (0, 2)),
        ConvGeometry(channels: 2, height: 8, width: 7, kernel: (3, 2), stride: (1, 3), padding: (2, 1), dilation: (2, 3)),
        ConvGeometry(channels: 2, height: 4, width: 4, kernel: (5, 5), stride: (1, 1), padding: (2, 2)),
        ConvGeometry(channels: 1, height: 3, width: 3, kernel: (5, 5), stride: (1, 1), padding: (1, 1)),
        ConvGeometry(channels: 2, height: 5, width: 5, kernel: (1, 1), stride: (2, 2), padding: (0, 0)),
        ConvGeometry(channels: 2, height: 3, width: 12, kernel: (3, 19), stride: (1, 1), padding: (1, 9)),
        ConvGeometry(channels: 3, height: 6, width: 6, kernel: (3, 3), stride: (1, 1), padding: (2, 2), dilation: (2, 2)),
    ]

    /// `x[c, ih, iw]` of a window position, or nil in the padding.
    static func source(_ g: ConvGeometry, _ c: Int, _ i: Int, _ j: Int, _ oh: Int, _ ow: Int) -> Int? {
        let ih = oh * g.strideHeight - g.padHeight + i * g.dilationHeight
        let iw = ow * g.strideWidth - g.padWidth + j * g.dilationWidth
        guard ih >= 0 && ih < g.height && iw >= 0 && iw < g.width else { return nil }
        return (c * g.height + ih) * g.width + iw
    }

    static func naiveIm2col(_ x: [Float], _ g: ConvGeometry) -> [Float] {
        var col = [Float](repeating: 0, count: g.columnRows * g.outputPlane)
        for c in 0..<g.channels { for i in 0..<g.kernelHeight { for j in 0..<g.kernelWidth {
            let row = (c * g.kernelHeight + i) * g.kernelWidth + j
            for oh in 0..<g.outHeight { for ow in 0..<g.outWidth {
                if let s = source(g, c, i, j, oh, ow) { col[row * g.outputPlane + oh * g.outWidth + ow] = x[s] }
            } }
        } } }
        return col
    }

    static func naiveCol2im(_ col: [Float], _ g: ConvGeometry) -> [Float] {
        var x = [Float](repeating: 0, count: g.channels * g.inputPlane)
        for c in 0..<g.channels { for i in 0..<g.kernelHeight { for j in 0..<g.kernelWidth {
            let row = (c * g.kernelHeight + i) * g.kernelWidth + j
            for oh in 0..<g.outHeight { for ow in 0..<g.outWidth {
                if let s = source(g, c, i, j, oh, ow) { x[s] += col[row * g.outputPlane + oh * g.outWidth + ow] }
            } }
        } } }
        return x
    }

    static func random(_ n: Int, seed: UInt64) -> [Float] {
        var rng = RandomGenerator(seed: seed)
        return Tensor.normal([n], using: &rng).scalars
    }

    static func lowered(_ x: [Float], _ g: ConvGeometry) -> [Float] {
        // Pre-fill with NaN so an entry the kernel forgets to write cannot pass.
        var col = [Float](repeating: .nan, count: g.columnRows * g.outputPlane)
        x.withUnsafeBufferPointer { px in col.withUnsafeMutableBufferPointer { pc in
            im2col(px.baseAddress!, g, pc.baseAddress!)
        } }
        return col
    }

    static func scattered(_ col: [Float], _ g: ConvGeometry) -> [Float] {
        var x = [Float](repeating: .nan, count: g.channels * g.inputPlane)
        col.withUnsafeBufferPointer { pc in x.withUnsafeMutableBufferPointer { px in
            col2im(pc.baseAddress!, g, px.baseAddress!)
        } }
        return x
    }

    @Test func outputSizeMatchesPyTorchFormula() {
        let g = ConvGeometry(channels: 1, height: 32, width: 31, kernel: (3, 3), stride: (2, 2), padding: (1, 1))
        #expect(g.outHeight == 16 && g.outWidth == 16)
        let d = ConvGeometry(channels: 1, height: 10, width: 10, kernel: (3, 3), stride: (1, 1), padding: (0, 0), dilation: (2, 2))
        #expect(d.outHeight == 6 && d.outWidth == 6)
    }

    @Test func validRangeMatchesBruteForce() {
        for offset in -6...6 { for stride in 1...3 { for size in 1...5 { for count in 0...6 {
            let r = convValidRange(offset: offset, stride: stride, size: size, count: count)
            let brute = (0..<count).filter { $0 * stride + offset >= 0 && $0 * stride + offset < size }
            if brute.isEmpty { #expect(r.isEmpty) } else { #expect(Array(r) == brute, "offset \(offset) stride \(stride) size \(size) count \(count)") }
        } } } }
    }

    @Test(arguments: geometries)
    func im2colMatchesDefinition(_ g: ConvGeometry) {
        let x = Self.random(g.channels * g.inputPlane, seed: 1)
        #expect(Self.lowered(x, g) == Self.naiveIm2col(x, g))
    }

    @Test(arguments: geometries)
    func col2imMatchesDefinition(_ g: ConvGeometry) {
        // Same per-pixel summation order as the naive scatter, so the results are identical.
        let col = Self.random(g.columnRows * g.outputPlane, seed: 2)
        #expect(Self.scattered(col, g) == Self.naiveCol2im(col, g))
    }

    /// ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩: col2im is the adjoint (transpose) of im2col, which is what
    /// makes `col2im(Wᵀ·dY)` the input gradient. Dots in Double; the only rounding is col2im's
    /// Float sums of ≤ kh·kw terms, ~1e-7 relative, so 1e-5 is a safe bound.
    @Test(arguments: geometries)
    func col2imIsAdjointOfIm2col(_ g: ConvGeometry) {
        let x = Self.random(g.channels * g.inputPlane, seed: 3)
        let c = Self.random(g.columnRows * g.outputPlane, seed: 4)
        let a = zip(Self.lowered(x, g), c).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let b = zip(x, Self.scattered(c, g)).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let scale = zip(x, Self.scattered(c, g)).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
        #expect(abs(a - b) <= 1e-5 * max(scale, 1), "⟨im2col x, c⟩ = \(a), ⟨x, col2im c⟩ = \(b)")
    }

    /// Two images side by side in one column matrix (`ld` = 2·Ho·Wo), and back.
    @Test(arguments: geometries)
    func sideBySideImagesWithLeadingDimension(_ g: ConvGeometry) {
        let plane = g.outputPlane, ld = 2 * plane, size = g.channels * g.inputPlane
        let x0 = Self.random(size, seed: 9), x1 = Self.random(size, seed: 10)
        var col = [Float](repeating: .nan, count: g.columnRows * ld)
        col.withUnsafeMutableBufferPointer { pc in
            x0.withUnsafeBufferPointer { im2col($0.baseAddress!, g, pc.baseAddress!, ld: ld) }
            x1.withUnsafeBufferPointer { im2col($0.baseAddress!, g, pc.baseAddress! + plane, ld: ld) }
        }
        let c0 = Self.naiveIm2col(x0, g), c1 = Self.naiveIm2col(x1, g)
        var expected = [Float]()
        for r in 0..<g.columnRows {
            let rows: Range<Int> = r * plane..<(r + 1) * plane
            expected.append(contentsOf: c0[rows])
            expected.append(contentsOf: c1[rows])
        }
        #expect(col == expected)
        var back = [Float](repeating: .nan, count: size)
        col.withUnsafeBufferPointer { pc in back.withUnsafeMutableBufferPointer { col2im(pc.baseAddress! + plane, g, $0.baseAddress!, ld: ld) } }
        #expect(back == Self.naiveCol2im(c1, g))
    }

    @Test(arguments: geometries)
    func depthwiseKernelsMatchDefinition(_ g: ConvGeometry) {
        let kk = g.kernelArea, plane = g.outputPlane
        let x = Self.random(g.channels * g.inputPlane, seed: 5)
        let w = Self.random(g.channels * kk, seed: 6)
        let b = Self.random(g.channels, seed: 7)
        let dy = Self.random(g.channels * plane, seed: 8)
        var y = [Float](repeating: .nan, count: g.channels * plane)
        var dx = [Float](repeating: .nan, count: g.channels * g.inputPlane)
        var dw = [Float](repeating: 0.5, count: g.channels * kk)   // the kernel adds into dw
        x.withUnsafeBufferPointer { px in w.withUnsafeBufferPointer { pw in b.withUnsafeBufferPointer { pb in
            dy.withUnsafeBufferPointer { pdy in
                y.withUnsafeMutableBufferPointer { depthwiseConv2dForward(px.baseAddress!, weight: pw.baseAddress!, bias: pb.baseAddress!, g, $0.baseAddress!) }
                dx.withUnsafeMutableBufferPointer { depthwiseConv2dBackwardInput(pdy.baseAddress!, weight: pw.baseAddress!, g, $0.baseAddress!) }
                dw.withUnsafeMutableBufferPointer { depthwiseConv2dBackwardWeight(px.baseAddress!, pdy.baseAddress!, g, $0.baseAddress!) }
            }
        } } }
        // Reference in Double: y = b + Σ w·x; dx = Σ w·dy scattered; dw = 0.5 + Σ dy·x.
        var ry = [Double](repeating: 0, count: y.count), rdx = [Double](repeating: 0, count: dx.count)
        var rdw = [Double](repeating: 0.5, count: dw.count)
        for c in 0..<g.channels {
            for o in 0..<plane { ry[c * plane + o] = Double(b[c]) }
            for i in 0..<g.kernelHeight { for j in 0..<g.kernelWidth {
                let wi = c * kk + i * g.kernelWidth + j
                for oh in 0..<g.outHeight { for ow in 0..<g.outWidth {
                    guard let s = Self.source(g, c, i, j, oh, ow) else { continue }
                    let o = c * plane + oh * g.outWidth + ow
                    ry[o] += Double(w[wi]) * Double(x[s])
                    rdx[s] += Double(w[wi]) * Double(dy[o])
                    rdw[wi] += Double(dy[o]) * Double(x[s])
                } }
            } }
        }
        // Float sums of at most ~100 O(1) terms: errors ~1e-5 absolute at worst.
        for (got, want) in [(y, ry), (dx, rdx), (dw, rdw)] {
            let err = zip(got, want).map { abs(Double($0) - $1) }.max() ?? 0
            #expect(err <= 1e-4, "max error \(err) in \(g)")
        }
    }
}

extension ConvGeometry: CustomTestStringConvertible {
    public var testDescription: String { description }
}
