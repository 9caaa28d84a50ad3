import Testing
import Tensor

/// The C depthwise kernels (`CKernels/depthwise.c`) against the scalar Swift references on odd shapes:
/// forward and input gradient bit for bit on both the AVX-512 and the portable path, weight gradient
/// bit-identical between the paths and within rounding of the reference. Outputs start NaN-filled so an
/// element a kernel forgets to write cannot pass.
@Suite struct DepthwiseKernelTests {
    static let geometries: [ConvGeometry] = [
        ConvGeometry(channels: 3, height: 37, width: 37, kernel: (3, 3), stride: (1, 1), padding: (1, 1)),
        ConvGeometry(channels: 2, height: 33, width: 35, kernel: (3, 3), stride: (2, 2), padding: (1, 1)),
        ConvGeometry(channels: 2, height: 34, width: 50, kernel: (3, 3), stride: (2, 2), padding: (1, 1)),
        ConvGeometry(channels: 4, height: 1, width: 1, kernel: (3, 3), stride: (1, 1), padding: (1, 1)),
        ConvGeometry(channels: 4, height: 1, width: 1, kernel: (3, 3), stride: (2, 2), padding: (1, 1)),
        ConvGeometry(channels: 2, height: 2, width: 2, kernel: (3, 3), stride: (2, 2), padding: (1, 1)),
        ConvGeometry(channels: 1, height: 9, width: 19, kernel: (3, 3), stride: (1, 2), padding: (0, 0)),
        ConvGeometry(channels: 2, height: 8, width: 40, kernel: (3, 5), stride: (2, 1), padding: (2, 2), dilation: (2, 2)),
        ConvGeometry(channels: 2, height: 7, width: 11, kernel: (3, 3), stride: (1, 3), padding: (1, 1)),
    ]

    static func random(_ n: Int, seed: UInt64) -> [Float] {
        var rng = RandomGenerator(seed: seed)
        return Tensor.normal([n], using: &rng).scalars
    }

    struct Outputs { var y: [Float]; var dx: [Float]; var dw: [Float] }

    static func run(_ g: ConvGeometry, reference: Bool, path: DepthwisePath = .kernel) -> Outputs {
        let kk = g.kernelArea, plane = g.outputPlane
        let x = random(g.channels * g.inputPlane, seed: 11), w = random(g.channels * kk, seed: 12)
        let b = random(g.channels, seed: 13), dy = random(g.channels * plane, seed: 14)
        var o = Outputs(y: .init(repeating: .nan, count: g.channels * plane),
                        dx: .init(repeating: .nan, count: g.channels * g.inputPlane),
                        dw: .init(repeating: 0.25, count: g.channels * kk))
        x.withUnsafeBufferPointer { px in w.withUnsafeBufferPointer { pw in b.withUnsafeBufferPointer { pb in
            dy.withUnsafeBufferPointer { pdy in
                let xp = px.baseAddress!, wp = pw.baseAddress!, bp = pb.baseAddress!, dyp = pdy.baseAddress!
                o.y.withUnsafeMutableBufferPointer { p in
                    if reference { depthwiseConv2dForwardReference(xp, weight: wp, bias: bp, g, p.baseAddress!) }
                    else { depthwiseConv2dForward(xp, weight: wp, bias: bp, g, p.baseAddress!, path: path) }
                }
                o.dx.withUnsafeMutableBufferPointer { p in
                    if reference { depthwiseConv2dBackwardInputReference(dyp, weight: wp, g, p.baseAddress!) }
                    else { depthwiseConv2dBackwardInput(dyp, weight: wp, g, p.baseAddress!, path: path) }
                }
                o.dw.withUnsafeMutableBufferPointer { p in
                    if reference { depthwiseConv2dBackwardWeightReference(xp, dyp, g, p.baseAddress!) }
                    else { depthwiseConv2dBackwardWeight(xp, dyp, g, p.baseAddress!, path: path) }
                }
            }
        } } }
        return o
    }

    /// How many elements differ in their bit patterns (0 = bit-identical; a count keeps failures short).
    static func mismatches(_ a: [Float], _ b: [Float]) -> Int {
        a.count != b.count ? max(a.count, b.count) : zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count
    }

    @Test(arguments: geometries)
    func kernelsMatchReference(_ g: ConvGeometry) {
        let ref = Self.run(g, reference: true)
        let fast = Self.run(g, reference: false)
        let portable = VectorKernels.withPortablePath { Self.run(g, reference: false) }
        #expect(Self.mismatches(fast.y, ref.y) == 0)
        #expect(Self.mismatches(fast.dx, ref.dx) == 0)
        #expect(Self.mismatches(portable.y, ref.y) == 0)
        #expect(Self.mismatches(portable.dx, ref.dx) == 0)
        #expect(Self.mismatches(portable.dw, fast.dw) == 0)
        for (a, r) in zip(fast.dw, ref.dw) {
            #expect(abs(a - r) <= 1e-5 * max(1, abs(r)), "dw \(a) vs reference \(r)")
        }
        // The default path (kernel when ≥ 12 output columns, reference below) matches one of the two.
        let auto = Self.run(g, reference: false, path: .automatic)
        let expected = g.outWidth >= DepthwisePath.minimumKernelWidth ? fast : ref
        #expect(Self.mismatches(auto.y, expected.y) == 0 && Self.mismatches(auto.dx, expected.dx) == 0
                && Self.mismatches(auto.dw, expected.dw) == 0)
        #expect(!fast.y.contains { $0.isNaN } && !fast.dx.contains { $0.isNaN } && !fast.dw.contains { $0.isNaN })
    }
}
