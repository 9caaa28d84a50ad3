import NN
import Tensor
import Testing
import TestSupport

@Suite struct TanhTests {
    @Test func forwardAndBackwardKnownValues() {
        let t = Tanh()
        let y = t.forward(Tensor(shape: [3], values: [0, 1, -2]))
        #expect(abs(y[0]) < 1e-7 && abs(y[1] - 0.7615942) < 1e-6 && abs(y[2] + 0.9640276) < 1e-6)
        let dx = t.backward(Tensor(shape: [3], values: [1, 2, 1]))
        // 1 − tanh²: 1, 0.41997434, 0.07065082
        #expect(abs(dx[0] - 1) < 1e-6 && abs(dx[1] - 2 * 0.41997434) < 1e-5 && abs(dx[2] - 0.07065082) < 1e-5)
    }

    @Test func gradientCheck() {
        var rng = RandomGenerator(seed: 7)
        let report = checkGradients(Tanh(), input: Tensor.normal([3, 5], using: &rng))
        #expect(report.passed, "\(report.summary)")
    }
}
