import Testing
import NN
import Tensor
import TestSupport

/// `Identity` and `SplitBranch` (the layers ShuffleNetV2 and DenseNet add): hand-computed outputs and
/// finite-difference gradient checks.
@Suite struct SplitBranchIdentityTests {
    @Test func identityPassesValuesAndGradients() {
        var rng = RandomGenerator(seed: 1)
        let id = Identity()
        let x = Tensor.normal([2, 3, 4], using: &rng)
        #expect(id.forward(x) == x)
        let dy = Tensor.normal([2, 3, 4], using: &rng)
        #expect(id.backward(dy) == dy)
        let r = checkGradients(id, input: x)
        #expect(r.passed, "\(r.summary)")
    }

    /// Branch = a 1×1 conv (1 → 2 channels) with weights [2, −1] and bias [0.5, 0]: on channels [a | b] the
    /// output is [a | 2b + 0.5, −b].
    @Test func splitBranchKeepsTheFirstChannelsAndTransformsTheRest() {
        var rng = RandomGenerator(seed: 2)
        let conv = Conv2d(inChannels: 1, outChannels: 2, kernelSize: 1, rng: &rng)
        conv.weight.value = Tensor(shape: [2, 1, 1, 1], values: [2, -1])
        conv.bias!.value = Tensor(shape: [2], values: [0.5, 0])
        let layer = SplitBranch(passthrough: 1, branch: conv)
        // [N=1, C=2, H=1, W=2]: channel 0 = [1, 2], channel 1 = [3, 4].
        let y = layer.forward(Tensor(shape: [1, 2, 1, 2], values: [1, 2, 3, 4]))
        #expect(y == Tensor(shape: [1, 3, 1, 2], values: [1, 2, 6.5, 8.5, -3, -4]))
        // dy on the kept channel passes straight through; the branch part gets Wᵀ·dy = 2·d1 − d2.
        let dx = layer.backward(Tensor(shape: [1, 3, 1, 2], values: [1, 1, 1, 0, 0, 1]))
        #expect(dx == Tensor(shape: [1, 2, 1, 2], values: [1, 1, 2, -1]))
        #expect(layer.parameters.map(\.name) == ["branch2.weight", "branch2.bias"])
    }

    @Test(arguments: [true, false]) func splitBranchGradients(training: Bool) {
        var rng = RandomGenerator(seed: 3)
        let branch = Sequential([
            Conv2d(inChannels: 3, outChannels: 3, kernelSize: 1, bias: false, rng: &rng),
            BatchNorm2d(channels: 3),
            Conv2d(inChannels: 3, outChannels: 3, kernelSize: 3, padding: 1, groups: 3, bias: false, rng: &rng),
        ])
        let layer = SplitBranch(passthrough: 2, branch: branch)
        if !training { for _ in 0..<3 { _ = layer.forward(Tensor.normal([4, 5, 4, 4], using: &rng)) } }
        layer.isTraining = training
        let r = checkGradients(layer, input: Tensor.normal([2, 5, 4, 4], using: &rng))
        #expect(r.passed, "\(r.summary)")
    }
}
