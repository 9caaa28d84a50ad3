import Testing
import NN
import Tensor
import TestSupport

/// Whole-model checks: parameter counts against PyTorch's (`../shared/bench/pytorch/common.py` models and
/// the WRN authors' code), output shapes, and finite-difference gradient checks on tiny inputs.
///
/// Model-level gradient checks keep the documented default tolerances (atol 2e-3, rtol 2e-2) and ε = 1e-2, and
/// add smaller fallback steps for kink crossings: a ±ε perturbation of an early weight moves thousands of
/// downstream ReLU inputs (BatchNorm moves a whole channel at once), so some step sizes cross a kink and the
/// difference quotient stops measuring the derivative. `checkGradients` detects the crossing from the
/// activation patterns and retries smaller steps; coordinates at a kink for every step are skipped and counted,
/// and each test requires them to stay a minority (≤ 1/4 of all tried), so the check cannot degenerate.
@Suite struct Models {
    static var modelOptions: GradientCheckOptions {
        var o = GradientCheckOptions()
        o.fallbackEpsilons = [3e-3, 1e-3, 3e-4]
        o.maxCoordinatesPerTensor = 24
        return o
    }

    @Test func parameterCountsMatchPyTorch() {
        var rng = RandomGenerator(seed: 0)
        #expect(SmallCNN(rng: &rng).parameterCount == 421_642)
        #expect(CifarResNet.resnet(depth: 20, rng: &rng).parameterCount == 272_474)
        #expect(CifarResNet.resnet(depth: 32, rng: &rng).parameterCount == 466_906)
        #expect(CifarResNet.resnet18(rng: &rng).parameterCount == 11_173_962)
        // WRN-16-4 (CIFAR-10): 2,748,890 in the authors' PyTorch code.
        #expect(WideResNet(depth: 16, widenFactor: 4, rng: &rng).parameterCount == 2_748_890)
    }

    @Test func wrn28x10IsConstructible() {
        var rng = RandomGenerator(seed: 0)
        let wrn = WideResNet(depth: 28, widenFactor: 10, dropRate: 0.3, classes: 100, rng: &rng)
        // 36,536,884 parameters for CIFAR-100 in the authors' code.
        #expect(wrn.parameterCount == 36_536_884)
        #expect(wrn.parameters.first?.name == "conv1.weight")
        #expect(wrn.parameters.last?.name == "fc.bias")
    }

    @Test func namesFollowPyTorchStateDict() {
        var rng = RandomGenerator(seed: 0)
        let r = CifarResNet.resnet(depth: 20, rng: &rng)
        let names = Set(r.parameters.map(\.name) + r.buffers.map(\.name))
        for n in ["stem.weight", "bn.weight", "bn.running_mean", "layers.0.conv1.weight", "layers.3.shortcut.0.weight",
                  "layers.3.shortcut.1.running_var", "layers.8.bn2.bias", "fc.weight", "fc.bias"] {
            #expect(names.contains(n), "missing \(n)")
        }
        let s = SmallCNN(rng: &rng)
        #expect(s.parameters.map(\.name) == ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                                             "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"])
    }

    @Test func outputShapes() {
        var rng = RandomGenerator(seed: 1)
        let x = Tensor.normal([2, 3, 32, 32], using: &rng)
        #expect(CifarResNet.resnet(depth: 20, rng: &rng).forward(x).shape == [2, 10])
        #expect(WideResNet(depth: 10, widenFactor: 1, classes: 100, rng: &rng).forward(x).shape == [2, 100])
        #expect(SmallCNN(rng: &rng).forward(Tensor.normal([3, 1, 28, 28], using: &rng)).shape == [3, 10])
    }

    @Test func smallCNNGradients() {
        var rng = RandomGenerator(seed: 2)
        let m = SmallCNN(classes: 5, inputSize: 8, rng: &rng)
        let r = checkGradients(m, input: Tensor.normal([2, 1, 8, 8], using: &rng), options: Models.modelOptions)
        #expect(r.passed, "\(r.summary)")
        #expect(r.skippedAtKinks * 3 <= r.checked, "\(r.summary)")
    }

    @Test(arguments: [true, false]) func resNetGradients(training: Bool) {
        var rng = RandomGenerator(seed: 3)
        let m = CifarResNet(widths: [4, 8], blocksPerStage: [1, 1], classes: 3, rng: &rng)
        if !training {
            // Eval mode uses running statistics: give them non-trivial values first.
            for _ in 0..<3 { _ = m.forward(Tensor.normal([4, 3, 8, 8], using: &rng)) }
        }
        m.isTraining = training
        let r = checkGradients(m, input: Tensor.normal([3, 3, 8, 8], using: &rng), options: Models.modelOptions)
        #expect(r.passed, "\(r.summary)")
        #expect(r.skippedAtKinks * 3 <= r.checked, "\(r.summary)")
    }

    @Test func wideResNetGradients() {
        var rng = RandomGenerator(seed: 4)
        let m = WideResNet(depth: 10, widenFactor: 1, classes: 3, rng: &rng)
        let r = checkGradients(m, input: Tensor.normal([2, 3, 8, 8], using: &rng), options: Models.modelOptions)
        #expect(r.passed, "\(r.summary)")
        #expect(r.skippedAtKinks * 3 <= r.checked, "\(r.summary)")
    }

    @Test func evalModeIsDeterministicAndBatchIndependent() {
        var rng = RandomGenerator(seed: 5)
        let m = CifarResNet(widths: [4, 8], blocksPerStage: [1, 1], classes: 3, rng: &rng)
        for _ in 0..<2 { _ = m.forward(Tensor.normal([4, 3, 8, 8], using: &rng)) }
        m.isTraining = false
        let x = Tensor.normal([2, 3, 8, 8], using: &rng)
        let both = m.forward(x)
        let first = m.forward(Tensor(shape: [1, 3, 8, 8], values: Array(x.scalars.prefix(192))))
        #expect(maxAbsDifference(first, Tensor(shape: [1, 3], values: Array(both.scalars.prefix(3)))) < 1e-5)
    }
}
