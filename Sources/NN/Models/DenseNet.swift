import Tensor

/// DenseNet-BC (Huang et al., 2017) for 32×32 inputs: a 3×3 stem conv to 2k channels, three dense blocks joined
/// by transitions (BN-ReLU-1×1 conv that halves the channels, then 2×2 average pooling), a final BN-ReLU, global
/// average pooling and a linear classifier. Each dense layer is BN-ReLU-1×1 conv (4k channels, the bottleneck)
/// → BN-ReLU-3×3 conv (k channels, the growth rate), and its output is concatenated to its input
/// (`Concat([Identity, layer])`), so a block of n layers adds n·k channels.
///
/// `DenseNet.bc(depth: 100, growthRate: 12)` is DenseNet-BC-100-12 (16 layers per block, 769,162 parameters for
/// 10 classes); depth = 6n + 4. This is torchvision's `DenseNet` (`growth_rate=k, block_config=(n, n, n),
/// num_init_features=2k, bn_size=4`, compression 0.5) with the CIFAR stem of the DenseNet paper: a 3×3 conv
/// without BN/ReLU/max-pool instead of torchvision's 7×7 conv-BN-ReLU-pool.
///
/// Input `[N, C, H, W]` → logits `[N, classes]`. Names as torchvision's state dict: `features.conv0.weight`,
/// `features.denseblock1.denselayer1.norm1.weight`, `....conv1.weight`, `....norm2.*`, `....conv2.weight`,
/// `features.transition1.norm.*`, `features.transition1.conv.weight`, `features.norm5.*`, `classifier.*`.
public final class DenseNet: Layer {
    public let growthRate: Int
    public let blockLayers: [Int]
    let features: Sequential
    let relu = ReLU()
    let pool = GlobalAvgPool2d()
    let classifier: Linear

    var children: [any Layer] { [features, relu, pool, classifier] }

    /// - Parameters:
    ///   - growthRate: k, channels each dense layer adds.
    ///   - blockLayers: dense layers per block (DenseNet-BC-100: [16, 16, 16]).
    ///   - initialFeatures: stem channels (DenseNet-BC: 2k).
    ///   - bottleneckFactor: the 1×1 conv outputs `bottleneckFactor·k` channels (torchvision's `bn_size`, 4).
    ///   - compression: a transition keeps ⌊compression·C⌋ channels (0.5 in DenseNet-BC).
    public init(growthRate: Int, blockLayers: [Int], initialFeatures: Int? = nil, bottleneckFactor: Int = 4,
                compression: Double = 0.5, classes: Int = 10, inputChannels: Int = 3, rng: inout RandomGenerator) {
        precondition(growthRate >= 1 && bottleneckFactor >= 1, "DenseNet: growth rate \(growthRate) and bottleneck factor \(bottleneckFactor) must be positive")
        precondition(!blockLayers.isEmpty && blockLayers.allSatisfy { $0 >= 1 }, "DenseNet: blockLayers must be positive, got \(blockLayers)")
        precondition(compression > 0 && compression <= 1, "DenseNet: compression must be in (0, 1], got \(compression)")
        self.growthRate = growthRate
        self.blockLayers = blockLayers
        let c0 = initialFeatures ?? 2 * growthRate
        var layers: [any Layer] = []
        let conv0 = Conv2d(inChannels: inputChannels, outChannels: c0, kernelSize: 3, padding: 1, bias: false, rng: &rng)
        conv0.prefixNames("conv0")
        layers.append(conv0)
        var c = c0
        for (bi, n) in blockLayers.enumerated() {
            var dense: [any Layer] = []
            for li in 0..<n {
                let layer = DenseNet.denseLayer(inChannels: c, growthRate: growthRate, bottleneck: bottleneckFactor * growthRate, rng: &rng)
                layer.prefixNames("denselayer\(li + 1)")
                dense.append(layer)
                c += growthRate
            }
            let block = Sequential(unnamed: dense)
            block.prefixNames("denseblock\(bi + 1)")
            layers.append(block)
            if bi + 1 < blockLayers.count {
                let out = Int((Double(c) * compression).rounded(.down))
                precondition(out >= 1, "DenseNet: a transition would keep no channels (\(c) × \(compression))")
                let transition = DenseNet.transition(inChannels: c, outChannels: out, rng: &rng)
                transition.prefixNames("transition\(bi + 1)")
                layers.append(transition)
                c = out
            }
        }
        let norm5 = BatchNorm2d(channels: c)
        norm5.prefixNames("norm5")
        layers.append(norm5)
        features = Sequential(unnamed: layers)
        features.prefixNames("features")
        classifier = Linear(inFeatures: c, outFeatures: classes, rng: &rng)
        classifier.prefixNames("classifier")
    }

    /// DenseNet-BC-depth-k: three blocks of (depth − 4)/6 dense layers, 2k stem channels, compression 0.5.
    public static func bc(depth: Int, growthRate: Int, classes: Int = 10, inputChannels: Int = 3,
                          rng: inout RandomGenerator) -> DenseNet {
        precondition(depth >= 10 && (depth - 4) % 6 == 0, "DenseNet.bc: depth must be 6n + 4 (40, 100, 190, ...), got \(depth)")
        let n = (depth - 4) / 6
        return DenseNet(growthRate: growthRate, blockLayers: [n, n, n], classes: classes, inputChannels: inputChannels, rng: &rng)
    }

    /// `x ↦ concat(x, conv2(relu2(norm2(conv1(relu1(norm1(x)))))))`: names `norm1`, `conv1`, `norm2`, `conv2`.
    static func denseLayer(inChannels c: Int, growthRate k: Int, bottleneck: Int, rng: inout RandomGenerator) -> Concat {
        let norm1 = BatchNorm2d(channels: c), relu1 = ReLU()
        let conv1 = Conv2d(inChannels: c, outChannels: bottleneck, kernelSize: 1, bias: false, rng: &rng)
        let norm2 = BatchNorm2d(channels: bottleneck), relu2 = ReLU()
        let conv2 = Conv2d(inChannels: bottleneck, outChannels: k, kernelSize: 3, padding: 1, bias: false, rng: &rng)
        norm1.prefixNames("norm1"); conv1.prefixNames("conv1"); norm2.prefixNames("norm2"); conv2.prefixNames("conv2")
        let branch = Sequential(unnamed: [norm1, relu1, conv1, norm2, relu2, conv2])
        return Concat([Identity(), branch], names: ["", ""])
    }

    /// BN-ReLU-1×1 conv-2×2 average pool: names `norm`, `conv`.
    static func transition(inChannels: Int, outChannels: Int, rng: inout RandomGenerator) -> Sequential {
        let norm = BatchNorm2d(channels: inChannels)
        let conv = Conv2d(inChannels: inChannels, outChannels: outChannels, kernelSize: 1, bias: false, rng: &rng)
        norm.prefixNames("norm"); conv.prefixNames("conv")
        return Sequential(unnamed: [norm, ReLU(), conv, AvgPool2d(kernelSize: 2, stride: 2)])
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "DenseNet.forward: expected [N, C, H, W], got \(x.shape)")
        return classifier.forward(pool.forward(relu.forward(features.forward(x))))
    }

    public func backward(_ dy: Tensor) -> Tensor {
        features.backward(relu.backward(pool.backward(classifier.backward(dy))))
    }

    public var sublayers: [any Layer] { children }
    public var parameters: [Parameter] { children.flatMap { $0.parameters } }
    public var buffers: [Buffer] { children.flatMap { $0.buffers } }
    public var isTraining: Bool {
        get { features.isTraining }
        set { for l in children { l.isTraining = newValue } }
    }
}
