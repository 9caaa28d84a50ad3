import Testing
import NN
import Tensor
import TestSupport

/// MobileNetV2 (CIFAR variant): parameter count against torchvision's, names, output shape, and a
/// finite-difference gradient check of a small instance (depthwise + pointwise convs, BN, ReLU6, residuals).
@Suite struct MobileNetV2Model {
    @Test func parameterCountMatchesTorchvision() {
        var rng = RandomGenerator(seed: 0)
        // torchvision.models.mobilenet_v2(num_classes=10): 2,236,682 parameters (strides do not change it).
        let m = MobileNetV2(rng: &rng)
        #expect(m.parameterCount == 2_236_682)
        let names = m.parameters.map(\.name)
        #expect(names.first == "features.0.0.weight")
        #expect(names.contains("features.1.conv.0.0.weight"))    // first block: no expansion, depthwise first
        #expect(names.contains("features.2.conv.0.0.weight"))    // expansion 1×1
        #expect(names.contains("features.2.conv.1.0.weight"))    // depthwise
        #expect(names.contains("features.2.conv.2.weight"))      // projection 1×1
        #expect(m.buffers.map(\.name).contains("features.2.conv.3.running_mean"))
        #expect(names.contains("features.18.0.weight"))
        #expect(names.last == "classifier.bias")
    }

    @Test func outputShapeAt32() {
        var rng = RandomGenerator(seed: 1)
        let m = MobileNetV2(width: 0.25, rng: &rng)
        #expect(m.forward(Tensor.normal([2, 3, 32, 32], using: &rng)).shape == [2, 10])
    }

    @Test(arguments: [true, false]) func gradients(training: Bool) {
        var rng = RandomGenerator(seed: 7)
        // Expansion-1 block, a strided expanding block and a residual block (kept small: every extra
        // ReLU6 makes more finite-difference steps cross a kink).
        let m = MobileNetV2(classes: 3, stages: [(1, 8, 1, 1), (2, 8, 2, 2)], stemChannels: 8, headChannels: 16, rng: &rng)
        if !training {
            for _ in 0..<3 { _ = m.forward(Tensor.normal([4, 3, 8, 8], using: &rng)) }
        }
        m.isTraining = training
        var o = GradientCheckOptions()
        o.fallbackEpsilons = [3e-3, 1e-3, 3e-4]
        o.maxCoordinatesPerTensor = 24
        // One image in training mode (BatchNorm still sees 16–64 values per channel): fewer ReLU6 units, so
        // fewer steps cross a kink.
        let r = checkGradients(m, input: Tensor.normal([training ? 1 : 2, 3, 8, 8], using: &rng), options: o)
        #expect(r.passed, "\(r.summary)")
        #expect(r.skippedAtKinks * 3 <= r.checked, "\(r.summary)")
    }
}
