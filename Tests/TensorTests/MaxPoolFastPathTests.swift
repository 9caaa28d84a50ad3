import Testing
import Tensor

/// The AVX-512 2×2 stride-2 max pool against the generic kernel (the same function on the portable path):
/// values bit for bit (NaN payloads, −0 vs +0 ties) and winner indices equal, on odd sizes (a last row and
/// column that no window uses, plane widths that leave vector tails) with ties, NaNs, ±∞ and all-(−∞) windows.
@Suite struct MaxPoolFastPathTests {
    @Test(arguments: [(4, 4), (5, 7), (6, 34), (3, 33), (2, 2), (9, 64)])
    func matchesGenericKernel(_ size: (Int, Int)) {
        let (h, w) = size, planes = 3
        var rng = RandomGenerator(seed: UInt64(h * 100 + w))
        // Few distinct values so that windows often tie; special values sprinkled in.
        var x = (0..<(planes * h * w)).map { _ in Float(Int(rng.nextUniform() * 4)) - 1 }
        let specials: [Float] = [.nan, -.infinity, .infinity, -0.0, 0, Float(bitPattern: 0x7FC0_1234)]
        for i in stride(from: 0, to: x.count, by: 5) { x[i] = specials[(i / 5) % specials.count] }
        // One window of −∞ only, one with two NaNs of different payloads.
        if h >= 2 && w >= 2 {
            x[0] = -.infinity; x[1] = -.infinity; x[w] = -.infinity; x[w + 1] = -.infinity
        }
        if h >= 2 && w >= 4 {
            x[2] = Float(bitPattern: 0x7FC0_0001); x[w + 3] = Float(bitPattern: 0x7FC0_0002)
        }
        let g = ConvGeometry(channels: planes, height: h, width: w, kernel: (2, 2), stride: (2, 2))
        let n = planes * g.outputPlane
        var fastY = [Float](repeating: 7, count: n), slowY = [Float](repeating: 7, count: n)
        var fastA = [Int32](repeating: -1, count: n), slowA = [Int32](repeating: -1, count: n)
        x.withUnsafeBufferPointer { px in
            fastY.withUnsafeMutableBufferPointer { py in fastA.withUnsafeMutableBufferPointer { pa in
                maxPool2dForward(px.baseAddress!, g, py.baseAddress!, argmax: pa.baseAddress!)
            } }
            VectorKernels.withPortablePath {
                slowY.withUnsafeMutableBufferPointer { py in slowA.withUnsafeMutableBufferPointer { pa in
                    maxPool2dForward(px.baseAddress!, g, py.baseAddress!, argmax: pa.baseAddress!)
                } }
            }
        }
        #expect(fastY.map(\.bitPattern) == slowY.map(\.bitPattern))
        #expect(fastA == slowA)
        if h >= 2 && w >= 4 {
            #expect(slowY[0] == -.infinity && slowA[0] == 0, "all −∞: the first element")
            #expect(slowY[1].bitPattern == 0x7FC0_0002 && slowA[1] == Int32(w + 3), "the last NaN wins")
        }
    }
}
