import NN
import Tensor

/// A model named on the command line or in a config: `smallcnn`, `resnet20` (any 6n+2), `resnet18`,
/// `wrn-16-4` (WRN-depth-width), or `lstm` (the language model; sizes come from `LanguageModelShape`).
public enum ModelSpec: Equatable, Sendable, CustomStringConvertible {
    case smallCNN
    case resnet(depth: Int)
    case resnet18
    case wideResNet(depth: Int, width: Int)
    case lstm
    /// ShuffleNetV2 for 32×32 inputs with a torchvision width multiplier (0.5, 1, 1.5, 2): `shufflenetv2[-W]`.
    case shuffleNetV2(width: Double)
    /// DenseNet-BC-depth-k for 32×32 inputs (depth 6n + 4): `densenet-D-K`, e.g. `densenet-100-12`.
    case denseNet(depth: Int, growthRate: Int)
    /// MobileNetV2 (torchvision's design with CIFAR strides): `mobilenetv2`.
    case mobileNetV2

    /// Parses a model name; throws a message listing the accepted forms.
    public init(parsing text: String) throws(ModelSpecError) {
        let s = text.lowercased()
        if s == "smallcnn" { self = .smallCNN; return }
        if s == "resnet18" { self = .resnet18; return }
        if s == "lstm" { self = .lstm; return }
        if s == "mobilenetv2" { self = .mobileNetV2; return }
        if s.hasPrefix("resnet"), let d = Int(s.dropFirst(6)), d >= 8, (d - 2) % 6 == 0 { self = .resnet(depth: d); return }
        let parts = s.split(separator: "-")
        if s == "shufflenetv2" { self = .shuffleNetV2(width: 1); return }
        if s.hasPrefix("shufflenetv2-"), let w = Double(s.dropFirst(13)), ShuffleNetV2.channels(widthMultiplier: w) != nil {
            self = .shuffleNetV2(width: w); return
        }
        if parts.count == 3, parts[0] == "densenet", let d = Int(parts[1]), let k = Int(parts[2]), d >= 10, (d - 4) % 6 == 0, k >= 1 {
            self = .denseNet(depth: d, growthRate: k); return
        }
        if parts.count == 3, parts[0] == "wrn", let d = Int(parts[1]), let k = Int(parts[2]), d >= 10, (d - 4) % 6 == 0, k >= 1 {
            self = .wideResNet(depth: d, width: k); return
        }
        throw ModelSpecError(text: text)
    }

    public var description: String {
        switch self {
        case .smallCNN: return "smallcnn"
        case .resnet(let d): return "resnet\(d)"
        case .resnet18: return "resnet18"
        case .wideResNet(let d, let k): return "wrn-\(d)-\(k)"
        case .lstm: return "lstm"
        case .shuffleNetV2(let w): return w == 1 ? "shufflenetv2" : "shufflenetv2-\(w)"
        case .denseNet(let d, let k): return "densenet-\(d)-\(k)"
        case .mobileNetV2: return "mobilenetv2"
        }
    }

    /// Builds an image classifier for `channels`×`size`×`size` inputs and `classes` classes.
    public func makeImageModel(channels: Int, size: Int, classes: Int, dropout: Float = 0, rng: inout RandomGenerator) -> any Layer {
        switch self {
        case .smallCNN: return SmallCNN(classes: classes, inputChannels: channels, inputSize: size, rng: &rng)
        case .resnet(let d):
            let n = (d - 2) / 6
            return CifarResNet(widths: [16, 32, 64], blocksPerStage: [n, n, n], classes: classes, inputChannels: channels, rng: &rng)
        case .resnet18:
            return CifarResNet(widths: [64, 128, 256, 512], blocksPerStage: [2, 2, 2, 2], classes: classes, inputChannels: channels, rng: &rng)
        case .wideResNet(let d, let k):
            return WideResNet(depth: d, widenFactor: k, dropRate: dropout, classes: classes, inputChannels: channels, rng: &rng)
        case .shuffleNetV2(let w):
            return ShuffleNetV2.cifar(widthMultiplier: w, classes: classes, inputChannels: channels, rng: &rng)
        case .denseNet(let d, let k):
            return DenseNet.bc(depth: d, growthRate: k, classes: classes, inputChannels: channels, rng: &rng)
        case .mobileNetV2:
            return MobileNetV2(classes: classes, inputChannels: channels, rng: &rng)
        case .lstm:
            preconditionFailure("ModelSpec.makeImageModel: lstm is a language model")
        }
    }
}

public struct ModelSpecError: Error, CustomStringConvertible {
    public var text: String
    public var description: String {
        "unknown model '\(text)'; expected smallcnn, resnet20/32/56/... (6n+2), resnet18, wrn-DEPTH-WIDTH (e.g. wrn-16-4, wrn-28-10), "
            + "mobilenetv2, shufflenetv2[-W] (W = 0.5, 1, 1.5, 2), densenet-DEPTH-K (DenseNet-BC, depth 6n+4, e.g. densenet-100-12) or lstm"
    }
}
