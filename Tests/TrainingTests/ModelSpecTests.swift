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
    }

    @Test(arguments: ["resnet21", "wrn-27-2", "wrn-16", "vgg16", "", "resnet"]) func rejectsBadNames(name: String) {
        #expect(throws: ModelSpecError.self) { try ModelSpec(parsing: name) }
    }

    @Test func buildsModelsForTheInputShape() throws {
        var rng = RandomGenerator(seed: 0)
        let m = try ModelSpec(parsing: "resnet20").makeImageModel(channels: 1, size: 28, classes: 10, rng: &rng)
        #expect(m.forward(Tensor.zeros([2, 1, 28, 28])).shape == [2, 10])
        let w = try ModelSpec(parsing: "wrn-10-1").makeImageModel(channels: 3, size: 32, classes: 100, rng: &rng)
        #expect(w.forward(Tensor.zeros([1, 3, 32, 32])).shape == [1, 100])
    }
}
