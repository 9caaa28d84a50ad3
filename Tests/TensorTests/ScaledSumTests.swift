import Tensor
import Testing

/// `setScaledSum` (the MLR-SNet virtual step's ŵ = w − α·d into a kept scratch tensor) against `addScaled` on a
/// copy, which it replaces: the same bits, written in place only when the scratch is unshared.
@Suite struct ScaledSum {
    /// Above `elementwiseGrain`, so the parallel split runs too.
    static let shape = [3, 50_000]

    static func operands() -> (Tensor, Tensor) {
        var rng = RandomGenerator(seed: 17)
        return (Tensor.normal(shape, using: &rng), Tensor.normal(shape, using: &rng))
    }

    static func address(_ t: Tensor) -> UnsafePointer<Float> { t.withUnsafeBufferPointer { $0.baseAddress! } }

    @Test func equalsAddScaledOnACopyBitForBit() {
        let (a, b) = Self.operands()
        for alpha: Float in [-0.0137, 1, 0, 3.5e-3] {
            var reference = a
            reference.addScaled(b, alpha)
            var t = Tensor(uninitializedShape: Self.shape)
            t.setScaledSum(a, b, alpha)
            #expect(t.shape == Self.shape)
            #expect(t.scalars.map(\.bitPattern) == reference.scalars.map(\.bitPattern), "alpha \(alpha)")
        }
    }

    @Test func writesInPlaceWhenUnsharedAndNeverIntoSharedStorage() {
        let (a, b) = Self.operands()
        var t = Tensor(uninitializedShape: Self.shape)
        let before = Self.address(t)
        t.setScaledSum(a, b, 0.5)
        #expect(Self.address(t) == before, "an unshared scratch of the right shape is reused")

        let kept = t   // shares t's storage
        let keptValues = kept.scalars
        t.setScaledSum(a, b, -2)
        #expect(kept.scalars == keptValues, "a tensor sharing the scratch's storage is not written")
        var reference = a
        reference.addScaled(b, -2)
        #expect(t == reference)
        #expect(a == Self.operands().0, "the operands are unchanged")

        var other = Tensor.zeros([7])
        other.setScaledSum(a, b, 1)
        #expect(other.shape == Self.shape)
        #expect(other == a + b)
    }
}
