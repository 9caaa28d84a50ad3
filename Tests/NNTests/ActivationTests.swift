import Testing
import NN
import Tensor
import TestSupport

/// Values in [-8, 8] pushed at least 0.25 away from the kinks at 0 and 6 (≫ the 1e-2 finite-difference step).
private func awayFromKinks(_ shape: [Int], seed: UInt64) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    return Tensor.uniform(shape, low: -8, high: 8, using: &rng).map { v in
        for k: Float in [0, 6] where abs(v - k) < 0.25 { return v < k ? k - 0.25 : k + 0.25 }
        return v
    }
}

@Suite struct ActivationTests {
    @Test func reluForwardAndBackwardValues() {
        let relu = ReLU()
        let x = Tensor(shape: [5], values: [-2, -0.0, 0, 0.5, 7])
        #expect(relu.forward(x) == Tensor(shape: [5], values: [0, 0, 0, 0.5, 7]))
        // Gradient 0 at x ≤ 0 (PyTorch's ReLU gives 0 at 0), 1 above.
        #expect(relu.backward(Tensor.ones([5])) == Tensor(shape: [5], values: [0, 0, 0, 1, 1]))
    }

    @Test func relu6ForwardAndBackwardValues() {
        let relu6 = ReLU6()
        let x = Tensor(shape: [6], values: [-1, 0, 3, 6, 6.5, 100])
        #expect(relu6.forward(x) == Tensor(shape: [6], values: [0, 0, 3, 6, 6, 6]))
        // Derivative 1 only strictly inside (0, 6), like PyTorch's hardtanh backward.
        #expect(relu6.backward(Tensor(repeating: 2, shape: [6])) == Tensor(shape: [6], values: [0, 0, 2, 0, 0, 0]))
    }

    @Test func reluGradientCheck() {
        let report = checkGradients(ReLU(), input: awayFromKinks([3, 4, 5], seed: 1))
        #expect(report.passed, "\(report.summary)")
    }

    @Test func relu6GradientCheck() {
        let report = checkGradients(ReLU6(), input: awayFromKinks([3, 4, 5], seed: 2))
        #expect(report.passed, "\(report.summary)")
    }

    /// Large enough to take the parallel path; compared with the scalar definition.
    @Test func largeInputsMatchScalarDefinition() {
        let x = awayFromKinks([300_000], seed: 3)
        let dy = awayFromKinks([300_000], seed: 4)
        let relu = ReLU(), relu6 = ReLU6()
        #expect(relu.forward(x) == x.map { max($0, 0) })
        #expect(relu6.forward(x) == x.map { min(max($0, 0), 6) })
        let expected6 = Tensor(shape: [300_000], values: (0..<300_000).map { i in
            x[flat: i] > 0 && x[flat: i] < 6 ? dy[flat: i] : 0 })
        #expect(relu6.backward(dy) == expected6)
    }

    @Test func flattenReshapesAndRestores() {
        var rng = RandomGenerator(seed: 5)
        let f = Flatten()
        let x = Tensor.normal([2, 3, 4, 5], using: &rng)
        let y = f.forward(x)
        #expect(y.shape == [2, 60])
        #expect(y.scalars == x.scalars)
        let dx = f.backward(y)
        #expect(dx == x)
        let report = checkGradients(f, input: x)
        #expect(report.passed, "\(report.summary)")
    }
}
