import Testing
import NN
import Tensor
import TestSupport

@Suite struct DropoutTests {
    /// p = 0.3 on 200,000 elements: the dropped fraction has standard deviation √(0.3·0.7/2e5) ≈ 0.001,
    /// so |fraction − 0.3| < 0.006 is a 6σ bound; kept elements are scaled by exactly 1/0.7.
    @Test func keepRateAndScaling() {
        let dropout = Dropout(p: 0.3, seed: 42)
        let x = Tensor.ones([200_000])
        let y = dropout.forward(x)
        let values = y.scalars
        let dropped = values.filter { $0 == 0 }.count
        let scale: Float = 1 / 0.7
        #expect(values.allSatisfy { $0 == 0 || $0 == scale })
        #expect(abs(Double(dropped) / 200_000 - 0.3) < 0.006)
        // The mean is preserved in expectation: E[y] = 1 (same 6σ reasoning, σ ≈ 0.0015).
        #expect(abs(y.mean() - 1) < 0.01)
        // Backward uses the same mask.
        #expect(dropout.backward(x) == y)
    }

    @Test func evalModeAndZeroRateAreIdentity() {
        var rng = RandomGenerator(seed: 1)
        let x = Tensor.normal([4, 5], using: &rng)
        let dropout = Dropout(p: 0.5, seed: 3)
        dropout.isTraining = false
        #expect(dropout.forward(x) == x)
        #expect(dropout.backward(x) == x)
        let none = Dropout(p: 0)
        #expect(none.forward(x) == x)
    }

    @Test func reseedingReproducesMasks() {
        let dropout = Dropout(p: 0.5, seed: 9)
        let x = Tensor.ones([64])
        dropout.reseed(5)
        let a = dropout.forward(x)
        let b = dropout.forward(x)
        dropout.reseed(5)
        #expect(dropout.forward(x) == a)
        #expect(a != b)
    }

    @Test func gradientCheckWithFixedMask() {
        var rng = RandomGenerator(seed: 2)
        let dropout = Dropout(p: 0.4)
        let report = checkGradients(dropout, input: Tensor.normal([6, 7], using: &rng),
                                    prepare: { dropout.reseed(5) })
        #expect(report.passed, "\(report.summary)")
    }
}
