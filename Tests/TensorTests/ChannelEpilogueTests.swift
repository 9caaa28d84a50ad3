import Testing
import Tensor

/// `VectorKernels.channelEpilogue` (the evaluation-mode convolution epilogue): against a scalar reference
/// that rounds each step separately (bias add, ·a, +b, + residual, clamp) on odd lengths with NaN and ±0
/// inputs, nothing written past the end, and the AVX-512 path equal to the portable one bit for bit.
@Suite struct ChannelEpilogueTests {
    static let lengths = [1, 5, 15, 16, 17, 33, 1000]

    func values(_ n: Int, seed: UInt64) -> [Float] {
        var rng = RandomGenerator(seed: seed)
        var v = (0..<n).map { _ in rng.nextUniform() * 16 - 5 }
        for (k, s) in [Float.nan, 0, -0.0, 6, -Float.infinity].enumerated() where k * 7 < n { v[k * 7] = s }
        return v
    }

    /// The epilogue over `x` with every combination of steps, on the calling thread's path.
    func run(_ x: [Float], _ r: [Float], bias: Float?, scale: (a: Float, b: Float)?, residual: Bool,
             activation: Int32) -> [Float] {
        var y = [Float](repeating: .nan, count: x.count + 3)
        x.withUnsafeBufferPointer { px in r.withUnsafeBufferPointer { pr in y.withUnsafeMutableBufferPointer { py in
            VectorKernels.channelEpilogue(px.baseAddress!, py.baseAddress!, count: x.count, bias: bias, scale: scale,
                                          residual: residual ? pr.baseAddress! : nil, activation: activation, upper: 6)
        } } }
        return y
    }

    @Test func matchesScalarReferenceOnBothPaths() {
        for n in Self.lengths {
            let x = values(n, seed: UInt64(n)), r = values(n, seed: UInt64(n) + 7)
            for bias in [nil, Float(0.37)] {
                for scale in [nil, (a: Float(1.3), b: Float(-0.71))] {
                    for residual in [false, true] {
                        for act in Int32(0)...2 {
                            let y = run(x, r, bias: bias, scale: scale, residual: residual, activation: act)
                            let portable = VectorKernels.withPortablePath {
                                run(x, r, bias: bias, scale: scale, residual: residual, activation: act)
                            }
                            let tag = "n=\(n) bias \(bias != nil) affine \(scale != nil) residual \(residual) act \(act)"
                            #expect(y.map(\.bitPattern) == portable.map(\.bitPattern), "paths differ: \(tag)")
                            for i in 0..<n {
                                var v = x[i]
                                if let bias { v = v + bias }
                                if let scale { v = v * scale.a; v = v + scale.b }
                                if residual { v = v + r[i] }
                                if act >= 1 && v < 0 { v = 0 }
                                if act == 2 && v > 6 { v = 6 }
                                #expect(y[i].bitPattern == v.bitPattern || (y[i].isNaN && v.isNaN), "\(tag) i=\(i): \(y[i]) vs \(v)")
                            }
                            #expect(y[n...].allSatisfy { $0.isNaN }, "wrote past the end: \(tag)")
                        }
                    }
                }
            }
        }
    }
}
