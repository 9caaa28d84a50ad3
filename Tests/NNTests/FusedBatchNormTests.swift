import Testing
import NN
import Tensor
import TestSupport

/// `BatchNorm.activation`: a BatchNorm with a fused ReLU/ReLU6 gives exactly (bit for bit) the outputs and
/// gradients of the separate `BatchNorm → ReLU(6)` layers, in training and evaluation mode, and passes a
/// finite-difference gradient check.
@Suite struct FusedBatchNorm {
    @Test(arguments: [BatchNorm.Activation.relu, .relu6], [true, false])
    func matchesSeparateLayers(activation: BatchNorm.Activation, training: Bool) {
        var rng = RandomGenerator(seed: 3)
        let separate = BatchNorm2d(channels: 5), fused = BatchNorm2d(channels: 5)
        fused.activation = activation
        for bn in [separate, fused] {
            bn.weight.value = Tensor(shape: [5], values: [1.5, -0.7, 2, 0.3, 1])
            bn.bias.value = Tensor(shape: [5], values: [0.2, 0.1, 4.5, 3, 0])
        }
        let act: any Layer = activation == .relu ? ReLU() : ReLU6()
        // Odd spatial size (7×3) so segments have vector tails; scaled so ReLU6's upper clamp is hit.
        let x = Tensor.normal([3, 5, 7, 3], using: &rng) * 4
        if !training {
            for bn in [separate, fused] { _ = bn.forward(x); bn.isTraining = false }
        }
        let y1 = act.forward(separate.forward(x)), y2 = fused.forward(x)
        #expect(y1.scalars.map(\.bitPattern) == y2.scalars.map(\.bitPattern), "forward differs")
        if activation == .relu6 { #expect(y2.scalars.contains(6) && y2.scalars.contains(0)) }
        let dy = Tensor.normal(x.shape, using: &rng)
        let dx1 = separate.backward(act.backward(dy)), dx2 = fused.backward(dy)
        #expect(dx1.scalars.map(\.bitPattern) == dx2.scalars.map(\.bitPattern), "input gradient differs")
        #expect(separate.weight.grad.scalars == fused.weight.grad.scalars, "dγ differs")
        #expect(separate.bias.grad.scalars == fused.bias.grad.scalars, "dβ differs")
    }

    @Test func gradientCheck() {
        var rng = RandomGenerator(seed: 4)
        let bn = BatchNorm2d(channels: 3)
        bn.activation = .relu6
        bn.weight.value = Tensor(shape: [3], values: [2, 1, 3])
        bn.bias.value = Tensor(shape: [3], values: [1, 0.5, 4])
        var o = GradientCheckOptions()
        o.fallbackEpsilons = [3e-3, 1e-3]
        let r = checkGradients(bn, input: Tensor.normal([4, 3, 3, 3], using: &rng), options: o)
        #expect(r.passed, "\(r.summary)")
        #expect(r.skippedAtKinks * 3 <= r.checked, "\(r.summary)")
    }
}
