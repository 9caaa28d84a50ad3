import Tensor
import Testing

/// `Tensor.dotInLanes` (the hypergradient's ⟨∇L_val, d⟩): exact on values whose sums are exact, the same bits
/// on the AVX-512 and portable paths, and within the Double summation bound of the sequential `dot`.
@Suite struct DotInLanes {

    /// Small integers: every product and partial sum is exact in Double, so any order gives the exact value.
    @Test(arguments: [0, 1, 5, 31, 32, 33, 64, 100, 1000, 4099])
    func exactOnIntegers(count: Int) {
        let a = Tensor(shape: [count], values: (0..<count).map { Float($0 % 13) - 6 })
        let b = Tensor(shape: [count], values: (0..<count).map { Float($0 % 7) - 3 })
        var exact = 0.0
        for i in 0..<count { exact += Double((i % 13) - 6) * Double((i % 7) - 3) }
        #expect(a.dotInLanes(b) == exact)
    }

    /// The portable path (forced on this thread) gives the AVX-512 path's bits; both are within the error
    /// bound of a Double sum of n exact products, γ·Σ|aᵢbᵢ| with γ = n·2⁻⁵³ each, of the sequential sum.
    @Test(arguments: [7, 32, 1000, 65_537, 300_001])
    func pathsAgreeAndStayWithinTheSummationBound(count: Int) {
        var rng = RandomGenerator(seed: UInt64(count))
        let a = Tensor.normal([count], using: &rng), b = Tensor.normal([count], using: &rng)
        let fast = a.dotInLanes(b)
        let portable = VectorKernels.withPortablePath { a.dotInLanes(b) }
        #expect(fast.bitPattern == portable.bitPattern, "AVX-512 \(fast) vs portable \(portable)")
        var sequential = 0.0, magnitude = 0.0
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in
            for i in 0..<count {
                sequential += Double(pa[i]) * Double(pb[i])
                magnitude += abs(Double(pa[i]) * Double(pb[i]))
            }
        } }
        let bound = 2 * Double(count) * 0x1p-53 * magnitude
        #expect(abs(fast - sequential) <= bound, "\(fast) vs \(sequential), bound \(bound)")
        #expect(Float(fast) == a.dot(b) || abs(Float(fast) - a.dot(b)) <= Float(bound) + a.dot(b).ulp)
    }
}
