import Testing
import NN
import Tensor
import Training

@Suite struct ModelSpecParsing {
    @Test func parsesEveryForm() throws {
        #expect(try ModelSpec(parsing: "smallcnn") == .smallCNN)
        #expect(try ModelSpec(parsing: "ResNet20") == .resnet(depth: 20))
        #expect(try ModelSpec(parsing: "resnet56") == .resnet(depth: 56))
        #expect(try ModelSpec(parsing: "resnet18") == .resnet18)
        #expect(try ModelSpec(parsing: "wrn-28-10") == .wideResNet(depth: 28, width: 10))
        #expect(try ModelSpec(parsing: "lstm") == .lstm)
        #expect(try ModelSpec(parsing: "MobileNetV2") == .mobileNetV2)
        #expect(try ModelSpec(parsing: "mobilenetv2").description == "mobilenetv2")
    }

    @Test(arguments: ["resnet21", "wrn-27-2", "wrn-16", "vgg16", "", "resnet", "mobilenetv3"]) func rejectsBadNames(name: String) {
        #expect(throws: ModelSpecError.self) { try ModelSpec(parsing: name) }
    }

    @Test func buildsModelsForTheInputShape() throws {
        var rng = RandomGenerator(seed: 0)
        let m = try ModelSpec(parsing: "resnet20").makeImageModel(channels: 1, size: 28, classes: 10, rng: &rng)
        #expect(m.forward(Tensor.zeros([2, 1, 28, 28])).shape == [2, 10])
        let w = try ModelSpec(parsing: "wrn-10-1").makeImageModel(channels: 3, size: 32, classes: 100, rng: &rng)
        #expect(w.forward(Tensor.zeros([1, 3, 32, 32])).shape == [1, 100])
        let mb = try ModelSpec(parsing: "mobilenetv2").makeImageModel(channels: 1, size: 28, classes: 10, rng: &rng)
        #expect(mb.forward(Tensor.zeros([1, 1, 28, 28])).shape == [1, 10])
    }
}

@Suite struct ModelSpecArchitectures {
    @Test func parsesShuffleNetAndDenseNet() throws {
        #expect(try ModelSpec(parsing: "shufflenetv2") == .shuffleNetV2(width: 1))
        #expect(try ModelSpec(parsing: "ShuffleNetV2-0.5") == .shuffleNetV2(width: 0.5))
        #expect(try ModelSpec(parsing: "shufflenetv2-2") == .shuffleNetV2(width: 2))
        #expect(try ModelSpec(parsing: "densenet-100-12") == .denseNet(depth: 100, growthRate: 12))
        for name in ["shufflenetv2", "shufflenetv2-0.5", "densenet-40-12"] {
            #expect(try ModelSpec(parsing: name).description == name)
            #expect(try ModelSpec(parsing: ModelSpec(parsing: name).description) == ModelSpec(parsing: name))
        }
    }

    @Test(arguments: ["shufflenetv2-0.75", "shufflenetv2-", "shufflenetv2-1-2", "densenet-101-12", "densenet-100", "densenet-100-0"])
    func rejectsBadArchitectureNames(name: String) {
        #expect(throws: ModelSpecError.self) { try ModelSpec(parsing: name) }
    }

    @Test func buildsForFashionMNISTShapes() throws {
        var rng = RandomGenerator(seed: 0)
        let s = try ModelSpec(parsing: "shufflenetv2-0.5").makeImageModel(channels: 1, size: 28, classes: 10, rng: &rng)
        #expect(s.forward(Tensor.zeros([2, 1, 28, 28])).shape == [2, 10])
        let d = try ModelSpec(parsing: "densenet-40-12").makeImageModel(channels: 3, size: 32, classes: 100, rng: &rng)
        #expect(d.forward(Tensor.zeros([1, 3, 32, 32])).shape == [1, 100])
        #expect(d.parameterCount == 176_122 - 1_330 + 13_300)   // classifier 10 → 100 outputs (132 features)
    }
}
