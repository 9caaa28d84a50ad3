import Testing
import Tensor

/// The whole-plane depthwise kernels for narrow outputs (`CKernels/depthwise_small.c`, used by the automatic
/// path when outputs are < 12 columns wide) against the scalar references: forward and input gradient bit for
/// bit, outputs NaN-filled first (a forgotten element fails), on MobileNetV2's 8×8 / 4×4 shapes, stride 2
/// (16×16 → 8×8: 16 vectors of input gradient), odd sizes with vector tails, dilation, non-square kernels.
@Suite struct DepthwiseSmallPlaneTests {
    static let geometries: [ConvGeometry] = [
        ConvGeometry(channels: 5, height: 8, width: 8, kernel: (3, 3), stride: (1, 1), padding: (1, 1)),
        ConvGeometry(channels: 3, height: 4, width: 4, kernel: (3, 3), stride: (1, 1), padding: (1, 1)),
        ConvGeometry(channels: 3, height: 8, width: 8, kernel: (3, 3), stride: (2, 2), padding: (1, 1)),
        ConvGeometry(channels: 2, height: 16, width: 16, kernel: (3, 3), stride: (2, 2), padding: (1, 1)),
        ConvGeometry(channels: 2, height: 5, width: 7, kernel: (3, 3), stride: (1, 1), padding: (1, 1)),
        ConvGeometry(channels: 2, height: 9, width: 6, kernel: (3, 5), stride: (2, 1), padding: (2, 2), dilation: (2, 1)),
        ConvGeometry(channels: 2, height: 1, width: 1, kernel: (3, 3), stride: (1, 1), padding: (1, 1)),
        ConvGeometry(channels: 2, height: 7, width: 9, kernel: (2, 2), stride: (3, 2), padding: (0, 1)),
    ]

    static func random(_ n: Int, seed: UInt64) -> [Float] {
        var rng = RandomGenerator(seed: seed)
        var v = Tensor.normal([n], using: &rng).scalars
        for i in stride(from: 3, to: n, by: 17) { v[i] = -0.0 }   // signed zeros must survive untouched lanes
        return v
    }

    @Test(arguments: geometries)
    func matchesReferenceBitForBit(_ g: ConvGeometry) {
        #expect(g.outWidth < DepthwisePath.minimumKernelWidth, "the automatic path must take the narrow-output branch")
        let kk = g.kernelArea, plane = g.outputPlane
        let x = Self.random(g.channels * g.inputPlane, seed: 1), w = Self.random(g.channels * kk, seed: 2)
        let b = Self.random(g.channels, seed: 3), dy = Self.random(g.channels * plane, seed: 4)
        var y = [Float](repeating: .nan, count: g.channels * plane), yRef = y
        var dx = [Float](repeating: .nan, count: g.channels * g.inputPlane), dxRef = dx
        x.withUnsafeBufferPointer { px in w.withUnsafeBufferPointer { pw in b.withUnsafeBufferPointer { pb in
            dy.withUnsafeBufferPointer { pdy in
                y.withUnsafeMutableBufferPointer { depthwiseConv2dForward(px.baseAddress!, weight: pw.baseAddress!, bias: pb.baseAddress!, g, $0.baseAddress!) }
                yRef.withUnsafeMutableBufferPointer { depthwiseConv2dForwardReference(px.baseAddress!, weight: pw.baseAddress!, bias: pb.baseAddress!, g, $0.baseAddress!) }
                dx.withUnsafeMutableBufferPointer { depthwiseConv2dBackwardInput(pdy.baseAddress!, weight: pw.baseAddress!, g, $0.baseAddress!) }
                dxRef.withUnsafeMutableBufferPointer { depthwiseConv2dBackwardInputReference(pdy.baseAddress!, weight: pw.baseAddress!, g, $0.baseAddress!) }
            }
        } } }
        #expect(y.map(\.bitPattern) == yRef.map(\.bitPattern), "forward")
        #expect(dx.map(\.bitPattern) == dxRef.map(\.bitPattern), "input gradient")
    }
}
