import Testing
import NN
import Tensor
import TestSupport

@Suite struct LinearTests {
    @Test func initialisationIsPyTorchUniform() {
        var rng = RandomGenerator(seed: 1)
        let l = Linear(inFeatures: 16, outFeatures: 8, rng: &rng)
        #expect(l.weight.value.shape == [8, 16])
        #expect(l.bias!.value.shape == [8])
        #expect(l.parameters.map(\.name) == ["weight", "bias"])
        let bound: Float = 1 / 4
        #expect(l.weight.value.maxAbs() <= bound)
        #expect(l.bias!.value.maxAbs() <= bound)
        // Not degenerate: uniform ±0.25 over 128 draws spans most of the interval.
        #expect(l.weight.value.maxAbs() > 0.2)
        let noBias = Linear(inFeatures: 3, outFeatures: 2, bias: false, rng: &rng)
        #expect(noBias.parameters.map(\.name) == ["weight"])
    }

    @Test func forwardMatchesHandComputation() {
        var rng = RandomGenerator(seed: 2)
        let l = Linear(inFeatures: 3, outFeatures: 2, rng: &rng)
        l.weight.value = Tensor(shape: [2, 3], values: [1, 2, 3, -1, 0, 0.5])
        l.bias!.value = Tensor(shape: [2], values: [0.25, -2])
        let x = Tensor(shape: [2, 3], values: [1, 1, 1, 2, -1, 4])
        // Row 0: [1+2+3+0.25, -1+0+0.5-2] = [6.25, -2.5]
        // Row 1: [2-2+12+0.25, -2+0+2-2] = [12.25, -2]
        let y = l.forward(x)
        #expect(y == Tensor(shape: [2, 2], values: [6.25, -2.5, 12.25, -2]))
    }

    @Test func higherRankInputKeepsLeadingDimensions() {
        var rng = RandomGenerator(seed: 3)
        let l = Linear(inFeatures: 4, outFeatures: 3, rng: &rng)
        let x = Tensor.normal([2, 5, 4], using: &rng)
        let y = l.forward(x)
        #expect(y.shape == [2, 5, 3])
        let flat = l.forward(x.reshaped([10, 4]))
        #expect(y.reshaped([10, 3]) == flat)
    }

    @Test func gradientsWithBias() {
        var rng = RandomGenerator(seed: 4)
        let l = Linear(inFeatures: 5, outFeatures: 4, rng: &rng)
        let report = checkGradients(l, input: Tensor.normal([3, 5], using: &rng))
        #expect(report.passed, "\(report.summary)")
    }

    @Test func gradientsWithoutBias() {
        var rng = RandomGenerator(seed: 5)
        let l = Linear(inFeatures: 6, outFeatures: 3, bias: false, rng: &rng)
        let report = checkGradients(l, input: Tensor.normal([4, 6], using: &rng))
        #expect(report.passed, "\(report.summary)")
    }

    @Test func gradientsWithThreeDimensionalInput() {
        var rng = RandomGenerator(seed: 6)
        let l = Linear(inFeatures: 4, outFeatures: 3, rng: &rng)
        let report = checkGradients(l, input: Tensor.normal([2, 3, 4], using: &rng))
        #expect(report.passed, "\(report.summary)")
    }

    @Test func backwardAccumulatesParameterGradients() {
        var rng = RandomGenerator(seed: 7)
        let l = Linear(inFeatures: 3, outFeatures: 2, rng: &rng)
        let x = Tensor.normal([4, 3], using: &rng)
        let dy = Tensor.normal([4, 2], using: &rng)
        l.zeroGrad()
        _ = l.forward(x); _ = l.backward(dy)
        let once = (l.weight.grad, l.bias!.grad)
        _ = l.forward(x); _ = l.backward(dy)
        #expect(maxAbsDifference(l.weight.grad, once.0 * 2) < 1e-6)
        #expect(maxAbsDifference(l.bias!.grad, once.1 * 2) < 1e-6)
    }

    /// Big enough that the bias-gradient column sums run over the worker pool.
    @Test func largeBiasGradientMatchesSerialSum() {
        var rng = RandomGenerator(seed: 8)
        let l = Linear(inFeatures: 8, outFeatures: 3000, rng: &rng)
        let x = Tensor.normal([40, 8], using: &rng)
        let dy = Tensor.normal([40, 3000], using: &rng)
        l.zeroGrad()
        _ = l.forward(x)
        _ = l.backward(dy)
        var expected = [Float](repeating: 0, count: 3000)
        for r in 0..<40 { for j in 0..<3000 { expected[j] += dy[r, j] } }
        #expect(l.bias!.grad == Tensor(shape: [3000], values: expected))
    }
}
