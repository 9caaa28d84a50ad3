import Foundation
import Testing
import NN
import Tensor
import TestSupport

/// ShuffleNetV2 and DenseNet-BC sized for CIFAR (the transfer-architectures study): parameter counts and
/// state-dict names against torchvision's models adapted the same way (counted with torch 2.15 + torchvision
/// 0.29 by `scripts/golden/cifar_architectures_reference.py`, which also wrote the names fixture), output
/// shapes, and whole-model finite-difference gradient checks on tiny configurations (see `Models` in
/// ModelTests.swift for the kink handling and tolerances).
@Suite struct Architectures {
    @Test func parameterCountsMatchTorchvision() {
        var rng = RandomGenerator(seed: 0)
        #expect(ShuffleNetV2.cifar(widthMultiplier: 0.5, rng: &rng).parameterCount == 352_042)
        #expect(ShuffleNetV2.cifar(widthMultiplier: 1, rng: &rng).parameterCount == 1_263_854)
        #expect(ShuffleNetV2.cifar(widthMultiplier: 1.5, rng: &rng).parameterCount == 2_488_874)
        #expect(ShuffleNetV2.cifar(widthMultiplier: 1, classes: 100, rng: &rng).parameterCount == 1_356_104)
        #expect(DenseNet.bc(depth: 100, growthRate: 12, rng: &rng).parameterCount == 769_162)
        #expect(DenseNet.bc(depth: 40, growthRate: 12, rng: &rng).parameterCount == 176_122)
        #expect(DenseNet.bc(depth: 100, growthRate: 12, classes: 100, rng: &rng).parameterCount == 800_032)
    }

    /// Every parameter (name and shape, in order) and every buffer name equals torchvision's state dict.
    @Test func stateDictNamesAndShapesMatchTorchvision() throws {
        let url = try #require(Bundle.module.url(forResource: "cifar_architectures_state_dict", withExtension: "json",
                                                 subdirectory: "Fixtures"))
        let json = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: [String: Any]])
        var rng = RandomGenerator(seed: 0)
        let models: [(String, any Layer)] = [("shufflenetv2-0.5", ShuffleNetV2.cifar(widthMultiplier: 0.5, rng: &rng)),
                                             ("densenet-40-12", DenseNet.bc(depth: 40, growthRate: 12, rng: &rng))]
        for (key, model) in models {
            let entry = try #require(json[key])
            let reference = try #require(entry["parameters"] as? [[Any]])
            let refNames = reference.map { $0[0] as! String }
            let refShapes = reference.map { ($0[1] as! [Int]) }
            #expect(model.parameters.map(\.name) == refNames, "\(key) parameter names")
            #expect(model.parameters.map(\.value.shape) == refShapes, "\(key) parameter shapes")
            #expect(model.buffers.map(\.name) == (entry["buffers"] as? [String]), "\(key) buffer names")
        }
    }

    @Test func outputShapes() {
        var rng = RandomGenerator(seed: 1)
        let x = Tensor.normal([2, 3, 32, 32], using: &rng)
        #expect(ShuffleNetV2.cifar(widthMultiplier: 0.5, rng: &rng).forward(x).shape == [2, 10])
        #expect(DenseNet.bc(depth: 40, growthRate: 12, classes: 100, rng: &rng).forward(x).shape == [2, 100])
        // Fashion-MNIST-shaped input: one channel, 28×28 (odd sizes after the strides: 28 → 14 → 7 → 4).
        let g = Tensor.normal([3, 1, 28, 28], using: &rng)
        #expect(ShuffleNetV2.cifar(widthMultiplier: 0.5, inputChannels: 1, rng: &rng).forward(g).shape == [3, 10])
        #expect(DenseNet.bc(depth: 40, growthRate: 6, inputChannels: 1, rng: &rng).forward(g).shape == [3, 10])
    }

    @Test(arguments: [true, false]) func shuffleNetV2Gradients(training: Bool) {
        var rng = RandomGenerator(seed: 2)
        // Two units in the first stage, so both the stride-2 and the stride-1 (split) unit are checked.
        // Training mode on 16×16 inputs, batch 4: the last stage still sees 2×2 planes, so each BatchNorm normalises
        // ≥ 16 values (over only 3 values — 8×8 inputs, batch 3, 1×1 planes — BN is so curved that ε = 1e-2
        // differences are off by ~10% while smaller steps converge to the analytic gradient). Eval mode (BN affine)
        // on 8×8 inputs, batch 3: fewer ReLU inputs, so fewer steps cross a kink.
        let side = training ? 16 : 8, batch = training ? 4 : 3
        let m = ShuffleNetV2(repeats: [2, 1, 1], channels: [4, 8, 8, 12, 6], classes: 3, rng: &rng)
        if !training { for _ in 0..<10 { _ = m.forward(Tensor.normal([4, 3, side, side], using: &rng)) } }
        m.isTraining = training
        let r = checkGradients(m, input: Tensor.normal([batch, 3, side, side], using: &rng), options: Models.modelOptions)
        #expect(r.passed, "\(r.summary)")
        #expect(r.skippedAtKinks * 3 <= r.checked, "\(r.summary)")
    }

    @Test(arguments: [true, false]) func denseNetGradients(training: Bool) {
        var rng = RandomGenerator(seed: 3)
        let m = DenseNet(growthRate: 3, blockLayers: [2, 1], classes: 3, rng: &rng)
        // Eval mode: running statistics warmed up until they normalise, on 4×4 inputs: every feature of a dense
        // block passes through several BN-ReLUs, so larger inputs put too many ReLU inputs near a kink.
        let side = training ? 8 : 4
        if !training { for _ in 0..<10 { _ = m.forward(Tensor.normal([4, 3, side, side], using: &rng)) } }
        m.isTraining = training
        let r = checkGradients(m, input: Tensor.normal([2, 3, side, side], using: &rng), options: Models.modelOptions)
        #expect(r.passed, "\(r.summary)")
        #expect(r.skippedAtKinks * 3 <= r.checked, "\(r.summary)")
    }

    @Test func modelSpecBuildsTheNewArchitectures() throws {
        var rng = RandomGenerator(seed: 4)
        let s = ShuffleNetV2.cifar(widthMultiplier: 0.5, rng: &rng)
        #expect(s.parameters.first?.name == "conv1.0.weight" && s.parameters.last?.name == "fc.bias")
        let d = DenseNet.bc(depth: 40, growthRate: 12, rng: &rng)
        #expect(d.parameters.contains { $0.name == "features.denseblock3.denselayer6.conv2.weight" })
    }
}
