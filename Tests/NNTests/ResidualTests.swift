import Testing
import NN
import Tensor
import TestSupport

@Suite struct ResidualTests {
    @Test func identityShortcutForwardAndGradients() {
        var rng = RandomGenerator(seed: 1)
        let main = Linear(inFeatures: 4, outFeatures: 4, rng: &rng)
        let block = Residual(main: main)
        #expect(block.parameters.map(\.name) == ["main.weight", "main.bias"])
        let x = Tensor.normal([3, 4], using: &rng)
        let y = block.forward(x)
        #expect(y == main.forward(x) + x)
        let report = checkGradients(block, input: x)
        #expect(report.passed, "\(report.summary)")
    }

    @Test func projectionShortcutForwardAndGradients() {
        var rng = RandomGenerator(seed: 2)
        let main = Linear(inFeatures: 4, outFeatures: 3, rng: &rng)
        let shortcut = Linear(inFeatures: 4, outFeatures: 3, bias: false, rng: &rng)
        let block = Residual(main: main, shortcut: shortcut)
        #expect(block.parameters.map(\.name) == ["main.weight", "main.bias", "shortcut.weight"])
        let x = Tensor.normal([5, 4], using: &rng)
        #expect(block.forward(x) == main.forward(x) + shortcut.forward(x))
        let report = checkGradients(block, input: x)
        #expect(report.passed, "\(report.summary)")
    }

    /// The input gradient is the sum of both branches' input gradients.
    @Test func backwardSumsBranchGradients() {
        var rng = RandomGenerator(seed: 3)
        let main = Linear(inFeatures: 3, outFeatures: 2, rng: &rng)
        let shortcut = Linear(inFeatures: 3, outFeatures: 2, rng: &rng)
        let block = Residual(main: main, shortcut: shortcut)
        let x = Tensor.normal([4, 3], using: &rng)
        let dy = Tensor.normal([4, 2], using: &rng)
        _ = block.forward(x)
        let dx = block.backward(dy)
        _ = main.forward(x)
        let dMain = main.backward(dy)
        _ = shortcut.forward(x)
        let dShort = shortcut.backward(dy)
        #expect(maxAbsDifference(dx, dMain + dShort) == 0)
    }

    @Test func nestedNamesModeAndBatchNormGradients() {
        var rng = RandomGenerator(seed: 4)
        let bn = BatchNorm1d(channels: 3)
        let block = Residual(main: Sequential([Linear(inFeatures: 3, outFeatures: 3, rng: &rng), bn]),
                             shortcut: nil, mainName: "")
        #expect(block.parameters.map(\.name) == ["0.weight", "0.bias", "1.weight", "1.bias"])
        #expect(block.buffers.map(\.name) == ["1.running_mean", "1.running_var", "1.num_batches_tracked"])
        block.isTraining = false
        #expect(!bn.isTraining && !block.isTraining)
        block.isTraining = true
        let report = checkGradients(block, input: Tensor.normal([6, 3], using: &rng))
        #expect(report.passed, "\(report.summary)")
    }
}
