import Foundation
import Testing
import NN
import Tensor
import TestSupport

/// max|a − b| / max(max|b|, 1): the error relative to the tensor's scale (robust for entries near 0).
private func scaledError(_ a: Tensor, _ b: Tensor) -> Float {
    maxAbsDifference(a, b) / max(b.maxAbs(), 1)
}

private func randomiseAffineAndStatistics(_ bn: BatchNorm, seed: UInt64) {
    var rng = RandomGenerator(seed: seed)
    bn.weight.value = Tensor.uniform([bn.channels], low: 0.5, high: 1.5, using: &rng)
    bn.bias.value = Tensor.normal([bn.channels], using: &rng)
    bn.runningMean.value = Tensor.normal([bn.channels], using: &rng)
    bn.runningVar.value = Tensor.uniform([bn.channels], low: 0.5, high: 2, using: &rng)
}

@Suite struct BatchNormTests {
    @Test func namesAndInitialValues() {
        let bn = BatchNorm2d(channels: 3)
        #expect(bn.parameters.map(\.name) == ["weight", "bias"])
        #expect(bn.buffers.map(\.name) == ["running_mean", "running_var", "num_batches_tracked"])
        #expect(bn.weight.value == Tensor.ones([3]))
        #expect(bn.bias.value == Tensor.zeros([3]))
        #expect(bn.runningMean.value == Tensor.zeros([3]))
        #expect(bn.runningVar.value == Tensor.ones([3]))
    }

    /// One training forward of BatchNorm1d on a 4×2 batch, checked against arithmetic done by hand.
    @Test func runningStatisticsAfterOneForward() {
        let bn = BatchNorm1d(channels: 2)
        // Channel 0: [1, 2, 3, 4]  → mean 2.5, Σ(x−mean)² = 2.25+0.25+0.25+2.25 = 5,
        //   biased var 5/4 = 1.25, unbiased var 5/3.
        // Channel 1: [2, 4, 6, 10] → mean 5.5, Σ(x−mean)² = 12.25+2.25+0.25+20.25 = 35,
        //   biased var 35/4 = 8.75, unbiased var 35/3.
        let x = Tensor(shape: [4, 2], values: [1, 2, 2, 4, 3, 6, 4, 10])
        let y = bn.forward(x)
        // running_mean = 0.9·0 + 0.1·mean;  running_var = 0.9·1 + 0.1·unbiased var.
        let rm = bn.runningMean.value, rv = bn.runningVar.value
        #expect(abs(rm[0] - 0.25) < 1e-7 && abs(rm[1] - 0.55) < 1e-7)
        #expect(abs(rv[0] - (0.9 + 0.1 * 5 / 3)) < 1e-6 && abs(rv[1] - (0.9 + 0.1 * 35 / 3)) < 1e-6)
        #expect(bn.numBatchesTracked.value.scalar == 1)
        // Output normalised with the biased variance: (x − mean)/√(var + 1e-5).
        let expected: [Float] = [1, 2, 2, 4, 3, 6, 4, 10].enumerated().map { i, v in
            let (mean, variance): (Double, Double) = i % 2 == 0 ? (2.5, 1.25) : (5.5, 8.75)
            return Float((Double(v) - mean) / (variance + 1e-5).squareRoot())
        }
        #expect(maxAbsDifference(y, Tensor(shape: [4, 2], values: expected)) < 1e-6)
    }

    /// BatchNorm2d statistics run over N·H·W per channel: a [2, 2, 1, 2] batch by hand.
    @Test func runningStatisticsBatchNorm2d() {
        let bn = BatchNorm2d(channels: 2, momentum: 0.5)
        // Channel 0 values: n0 → [0, 2], n1 → [4, 6]: mean 3, Σ(x−mean)² = 9+1+1+9 = 20, unbiased 20/3.
        // Channel 1 values: n0 → [1, 1], n1 → [1, 5]: mean 2, Σ(x−mean)² = 1+1+1+9 = 12, unbiased 4.
        let x = Tensor(shape: [2, 2, 1, 2], values: [0, 2, 1, 1, 4, 6, 1, 5])
        _ = bn.forward(x)
        // momentum 0.5: running_mean = 0.5·0 + 0.5·mean, running_var = 0.5·1 + 0.5·unbiased.
        #expect(maxAbsDifference(bn.runningMean.value, Tensor(shape: [2], values: [1.5, 1])) < 1e-7)
        #expect(maxAbsDifference(bn.runningVar.value, Tensor(shape: [2], values: [0.5 + 10.0 / 3, 2.5])) < 1e-6)
    }

    @Test func cumulativeAverageWhenMomentumIsNil() {
        let bn = BatchNorm1d(channels: 1, momentum: nil)
        _ = bn.forward(Tensor(shape: [2, 1], values: [1, 3]))    // mean 2, unbiased var 2
        _ = bn.forward(Tensor(shape: [2, 1], values: [10, 14]))  // mean 12, unbiased var 8
        // Cumulative: after update 1 the factor is 1 (replace), after update 2 it is 1/2.
        #expect(abs(bn.runningMean.value[0] - 7) < 1e-6)
        #expect(abs(bn.runningVar.value[0] - 5) < 1e-6)
        #expect(bn.numBatchesTracked.value.scalar == 2)
    }

    @Test func trainingForwardWithoutRunningStatisticUpdate() {
        var rng = RandomGenerator(seed: 1)
        let x = Tensor.normal([4, 3, 2, 2], mean: 1, std: 2, using: &rng)
        let reference = BatchNorm2d(channels: 3)
        let bn = BatchNorm2d(channels: 3)
        bn.updatesRunningStatistics = false
        let y = bn.forward(x)
        #expect(y == reference.forward(x))  // still batch statistics
        #expect(bn.runningMean.value == Tensor.zeros([3]))
        #expect(bn.runningVar.value == Tensor.ones([3]))
        #expect(bn.numBatchesTracked.value.scalar == 0)
        #expect(reference.numBatchesTracked.value.scalar == 1)
    }

    @Test func evalModeUsesRunningStatistics() {
        let bn = BatchNorm1d(channels: 2)
        bn.runningMean.value = Tensor(shape: [2], values: [1, -1])
        bn.runningVar.value = Tensor(shape: [2], values: [4, 0.25])
        bn.weight.value = Tensor(shape: [2], values: [2, 1])
        bn.bias.value = Tensor(shape: [2], values: [0.5, 0])
        bn.isTraining = false
        let y = bn.forward(Tensor(shape: [1, 2], values: [3, 0]))
        // [2·(3−1)/√(4+1e-5) + 0.5, (0+1)/√(0.25+1e-5)] ≈ [2.5, 2]
        let e0 = Float(2 * 2 / (4 + 1e-5).squareRoot() + 0.5), e1 = Float(1 / (0.25 + 1e-5).squareRoot())
        #expect(maxAbsDifference(y, Tensor(shape: [1, 2], values: [e0, e1])) < 1e-6)
        #expect(bn.numBatchesTracked.value.scalar == 0)
    }

    @Test func gradientsBatchNorm2dTraining() {
        var rng = RandomGenerator(seed: 2)
        let bn = BatchNorm2d(channels: 3)
        randomiseAffineAndStatistics(bn, seed: 3)
        let report = checkGradients(bn, input: Tensor.normal([3, 3, 3, 4], mean: 0.5, std: 1.5, using: &rng))
        #expect(report.passed, "\(report.summary)")
    }

    @Test func gradientsBatchNorm2dEval() {
        var rng = RandomGenerator(seed: 4)
        let bn = BatchNorm2d(channels: 3)
        randomiseAffineAndStatistics(bn, seed: 5)
        bn.isTraining = false
        let report = checkGradients(bn, input: Tensor.normal([2, 3, 3, 3], using: &rng))
        #expect(report.passed, "\(report.summary)")
    }

    @Test func gradientsBatchNorm1dTraining() {
        var rng = RandomGenerator(seed: 6)
        let bn = BatchNorm1d(channels: 4)
        randomiseAffineAndStatistics(bn, seed: 7)
        let report = checkGradients(bn, input: Tensor.normal([6, 4], mean: -1, std: 2, using: &rng))
        #expect(report.passed, "\(report.summary)")
        let bn3 = BatchNorm1d(channels: 3)
        randomiseAffineAndStatistics(bn3, seed: 8)
        let report3 = checkGradients(bn3, input: Tensor.normal([3, 3, 5], using: &rng))
        #expect(report3.passed, "\(report3.summary)")
    }

    @Test func gradientsBatchNorm1dEval() {
        var rng = RandomGenerator(seed: 9)
        let bn = BatchNorm1d(channels: 4)
        randomiseAffineAndStatistics(bn, seed: 10)
        bn.isTraining = false
        let report = checkGradients(bn, input: Tensor.normal([5, 4], using: &rng))
        #expect(report.passed, "\(report.summary)")
    }

    /// Many channels and a large spatial size (parallel path, segments longer than the 4096-element
    /// flush) against a straightforward Double computation: y and dx to 2e-5 of their scale.
    @Test func largeInputMatchesDoubleReference() {
        var rng = RandomGenerator(seed: 11)
        let (n, c, h, w) = (2, 8, 80, 80)
        let x = Tensor.normal([n, c, h, w], mean: 3, std: 2, using: &rng)
        let dy = Tensor.normal([n, c, h, w], using: &rng)
        let bn = BatchNorm2d(channels: c)
        randomiseAffineAndStatistics(bn, seed: 12)
        let y = bn.forward(x)
        let dx = bn.backward(dy)
        var yRef = [Float](repeating: 0, count: x.count), dxRef = yRef
        let s = h * w, m = Double(n * s)
        let xs = x.scalars, gs = dy.scalars
        for ch in 0..<c {
            var idx: [Int] = []
            for b in 0..<n { idx += ((b * c + ch) * s)..<((b * c + ch + 1) * s) }
            let mean = idx.reduce(0.0) { $0 + Double(xs[$1]) } / m
            let variance = idx.reduce(0.0) { $0 + (Double(xs[$1]) - mean) * (Double(xs[$1]) - mean) } / m
            let inv = 1 / (variance + 1e-5).squareRoot()
            let gamma = Double(bn.weight.value[ch]), beta = Double(bn.bias.value[ch])
            let sumDy = idx.reduce(0.0) { $0 + Double(gs[$1]) }
            let sumDyXhat = idx.reduce(0.0) { $0 + Double(gs[$1]) * (Double(xs[$1]) - mean) * inv }
            for i in idx {
                let xhat = (Double(xs[i]) - mean) * inv
                yRef[i] = Float(gamma * xhat + beta)
                dxRef[i] = Float(gamma * inv / m * (m * Double(gs[i]) - sumDy - xhat * sumDyXhat))
            }
        }
        #expect(scaledError(y, Tensor(shape: x.shape, values: yRef)) < 2e-5)
        #expect(scaledError(dx, Tensor(shape: x.shape, values: dxRef)) < 2e-5)
    }

    // MARK: Golden (PyTorch, scripts/golden/batchnorm.py)

    /// Runs the fixture's protocol: train forward on x1 (keep y1), train forward on x2, backward of
    /// L = Σ y1·r (re-running the x1 forward without touching the running statistics, so the
    /// backward cache belongs to x1), then eval forward on x1.
    ///
    /// Tolerance: 1e-5 of each tensor's scale (max(max|ref|, 1)). The reference is float64 PyTorch
    /// on the same float32 inputs, so this bounds our float32 error; observed errors are ~1e-7–1e-6
    /// (a few float32 ulps from the normalisation and the per-channel reductions), and any semantic
    /// difference (biased vs unbiased variance, momentum convention, missing backward term) is ≥ 1e-2.
    private func checkGolden(_ name: String, _ bn: BatchNorm) throws {
        let f = try GoldenFixture(named: name, in: Bundle.module)
        #expect(f.config["momentum"] == 0.1 && f.config["eps"] == 1e-5)
        bn.weight.value = f["weight"]
        bn.bias.value = f["bias"]
        let y1 = bn.forward(f["x1"])
        #expect(scaledError(y1, f["y1"]) < 1e-5, "y1")
        _ = bn.forward(f["x2"])
        #expect(scaledError(bn.runningMean.value, f["running_mean"]) < 1e-5, "running_mean")
        #expect(scaledError(bn.runningVar.value, f["running_var"]) < 1e-5, "running_var")
        #expect(bn.numBatchesTracked.value.scalar == f["num_batches_tracked"].scalar)

        bn.updatesRunningStatistics = false
        #expect(bn.forward(f["x1"]) == y1)
        bn.zeroGrad()
        let dx = bn.backward(f["r"])
        #expect(scaledError(dx, f["dx"]) < 1e-5, "dx \(scaledError(dx, f["dx"]))")
        #expect(scaledError(bn.weight.grad, f["dweight"]) < 1e-5, "dweight")
        #expect(scaledError(bn.bias.grad, f["dbias"]) < 1e-5, "dbias")

        bn.isTraining = false
        let yEval = bn.forward(f["x1"])
        #expect(scaledError(yEval, f["y_eval"]) < 1e-5, "y_eval")
    }

    @Test func goldenBatchNorm2d() throws {
        try checkGolden("batchnorm2d", BatchNorm2d(channels: 3))
    }

    @Test func goldenBatchNorm1d() throws {
        try checkGolden("batchnorm1d", BatchNorm1d(channels: 5))
    }
}
