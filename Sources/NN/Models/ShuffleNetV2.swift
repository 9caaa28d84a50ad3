import Tensor

/// One ShuffleNetV2 unit (torchvision's `InvertedResidual`), followed by a channel shuffle with 2 groups.
///
/// - stride 1 (input channels = output channels = 2b): the first half of the channels is kept, the second half
///   goes through `branch2` = 1×1 conv-BN-ReLU → 3×3 depthwise conv-BN → 1×1 conv-BN-ReLU (b channels each);
/// - stride 2: both branches see the whole input: `branch1` = 3×3 depthwise conv (stride 2)-BN → 1×1 conv-BN-ReLU
///   (in → b), `branch2` as above with the depthwise conv at stride 2 (in → b); outputs concatenated (2b channels).
///
/// Input `[N, in, H, W]` → `[N, out, H/stride, W/stride]` (out = 2b). Every convolution is bias-free.
/// Names as torchvision: `branch1.0` (dw conv), `branch1.1` (BN), `branch1.2` (1×1), `branch1.3` (BN);
/// `branch2.0`, `.1`, `.3` (dw), `.4`, `.5`, `.6` (the ReLUs hold indices 2, 7 and branch1's 4).
public final class ShuffleUnit: Layer {
    public let stride: Int
    let body: any Layer        // SplitBranch (stride 1) or Concat of the two branches (stride 2)
    let shuffle = ChannelShuffle(groups: 2)

    public init(inChannels: Int, outChannels: Int, stride: Int, rng: inout RandomGenerator) {
        precondition(stride == 1 || stride == 2, "ShuffleUnit: stride must be 1 or 2, got \(stride)")
        precondition(outChannels % 2 == 0, "ShuffleUnit: output channels must be even, got \(outChannels)")
        let b = outChannels / 2
        precondition(stride == 2 || inChannels == outChannels,
                     "ShuffleUnit: a stride-1 unit needs inChannels == outChannels, got \(inChannels) → \(outChannels)")
        self.stride = stride
        let branch2In = stride == 1 ? b : inChannels
        let branch2 = Sequential([
            Conv2d(inChannels: branch2In, outChannels: b, kernelSize: 1, bias: false, rng: &rng),
            BatchNorm2d(channels: b), ReLU(),
            Conv2d(inChannels: b, outChannels: b, kernelSize: 3, stride: stride, padding: 1, groups: b, bias: false, rng: &rng),
            BatchNorm2d(channels: b),
            Conv2d(inChannels: b, outChannels: b, kernelSize: 1, bias: false, rng: &rng),
            BatchNorm2d(channels: b), ReLU(),
        ])
        if stride == 1 {
            body = SplitBranch(passthrough: b, branch: branch2, branchName: "branch2")
        } else {
            // torchvision builds branch1 before branch2; the same order keeps the random draws in name order.
            let branch1 = Sequential([
                Conv2d(inChannels: inChannels, outChannels: inChannels, kernelSize: 3, stride: 2, padding: 1,
                       groups: inChannels, bias: false, rng: &rng),
                BatchNorm2d(channels: inChannels),
                Conv2d(inChannels: inChannels, outChannels: b, kernelSize: 1, bias: false, rng: &rng),
                BatchNorm2d(channels: b), ReLU(),
            ])
            body = Concat([branch1, branch2], names: ["branch1", "branch2"])
        }
    }

    public func forward(_ x: Tensor) -> Tensor { shuffle.forward(body.forward(x)) }
    public func backward(_ dy: Tensor) -> Tensor { body.backward(shuffle.backward(dy)) }

    public var sublayers: [any Layer] { [body, shuffle] }
    public var parameters: [Parameter] { body.parameters }
    public var buffers: [Buffer] { body.buffers }
    public var isTraining: Bool {
        get { body.isTraining }
        set { body.isTraining = newValue; shuffle.isTraining = newValue }
    }
}

/// ShuffleNetV2 (Ma et al., 2018) sized for 32×32 inputs: torchvision's `ShuffleNetV2` with its stem conv at
/// stride 1 and no max-pool (so a 32×32 image reaches the last stage at 4×4, as in the CIFAR versions used by
/// the MLR-SNet paper's transfer experiments). Parameter counts equal torchvision's for the same width and
/// classes (the stem conv is 3×3 in both): 0.5× 352,042 and 1× 1,263,854 for 10 classes.
///
/// Layout: `conv1` (3×3 conv-BN-ReLU, c₀ channels) → `stage2`, `stage3`, `stage4` (a stride-2 `ShuffleUnit`,
/// then stride-1 units; `repeats` units each) → `conv5` (1×1 conv-BN-ReLU, c₄ channels) → global average pool
/// → `fc`. Input `[N, C, H, W]` → logits `[N, classes]`. Names as torchvision's state dict (`conv1.0.weight`,
/// `stage2.0.branch1.0.weight`, `stage3.4.branch2.6.running_var`, `conv5.1.bias`, `fc.weight`, ...).
public final class ShuffleNetV2: Layer {
    public let stageChannels: [Int]
    let conv1: Sequential
    let stages: [Sequential]
    let conv5: Sequential
    let pool = GlobalAvgPool2d()
    let fc: Linear

    var children: [any Layer] { [conv1] + stages + [conv5, pool, fc] }

    /// - Parameters:
    ///   - repeats: units per stage (torchvision: [4, 8, 4]).
    ///   - channels: stem, the three stages and `conv5` (5 numbers; the stage widths must be even).
    public init(repeats: [Int] = [4, 8, 4], channels: [Int], classes: Int = 10, inputChannels: Int = 3,
                rng: inout RandomGenerator) {
        precondition(repeats.count == 3 && repeats.allSatisfy { $0 >= 1 },
                     "ShuffleNetV2: repeats must be three positive numbers, got \(repeats)")
        precondition(channels.count == 5 && channels.allSatisfy { $0 >= 1 } && channels[1...3].allSatisfy { $0 % 2 == 0 },
                     "ShuffleNetV2: channels must be 5 positive numbers (stem, 3 even stage widths, conv5), got \(channels)")
        stageChannels = channels
        conv1 = Sequential([
            Conv2d(inChannels: inputChannels, outChannels: channels[0], kernelSize: 3, stride: 1, padding: 1, bias: false, rng: &rng),
            BatchNorm2d(channels: channels[0]), ReLU(),
        ])
        conv1.prefixNames("conv1")
        var stages: [Sequential] = []
        var c = channels[0]
        for (i, n) in repeats.enumerated() {
            let out = channels[i + 1]
            var units: [any Layer] = []
            for j in 0..<n {
                units.append(ShuffleUnit(inChannels: j == 0 ? c : out, outChannels: out, stride: j == 0 ? 2 : 1, rng: &rng))
            }
            let stage = Sequential(units)
            stage.prefixNames("stage\(i + 2)")
            stages.append(stage)
            c = out
        }
        self.stages = stages
        conv5 = Sequential([
            Conv2d(inChannels: c, outChannels: channels[4], kernelSize: 1, bias: false, rng: &rng),
            BatchNorm2d(channels: channels[4]), ReLU(),
        ])
        conv5.prefixNames("conv5")
        fc = Linear(inFeatures: channels[4], outFeatures: classes, rng: &rng)
        fc.prefixNames("fc")
    }

    /// The stage widths of torchvision's width multipliers 0.5, 1, 1.5 and 2 (nil for others).
    public static func channels(widthMultiplier w: Double) -> [Int]? {
        switch w {
        case 0.5: return [24, 48, 96, 192, 1024]
        case 1.0: return [24, 116, 232, 464, 1024]
        case 1.5: return [24, 176, 352, 704, 1024]
        case 2.0: return [24, 244, 488, 976, 2048]
        default: return nil
        }
    }

    /// ShuffleNetV2 0.5×, 1×, 1.5× or 2× for 32×32 inputs.
    public static func cifar(widthMultiplier w: Double = 1, classes: Int = 10, inputChannels: Int = 3,
                             rng: inout RandomGenerator) -> ShuffleNetV2 {
        guard let c = channels(widthMultiplier: w) else {
            preconditionFailure("ShuffleNetV2.cifar: width multiplier must be 0.5, 1, 1.5 or 2, got \(w)")
        }
        return ShuffleNetV2(channels: c, classes: classes, inputChannels: inputChannels, rng: &rng)
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "ShuffleNetV2.forward: expected [N, C, H, W], got \(x.shape)")
        var h = conv1.forward(x)
        for s in stages { h = s.forward(h) }
        return fc.forward(pool.forward(conv5.forward(h)))
    }

    public func backward(_ dy: Tensor) -> Tensor {
        var g = conv5.backward(pool.backward(fc.backward(dy)))
        for s in stages.reversed() { g = s.backward(g) }
        return conv1.backward(g)
    }

    public var sublayers: [any Layer] { children }
    public var parameters: [Parameter] { children.flatMap { $0.parameters } }
    public var buffers: [Buffer] { children.flatMap { $0.buffers } }
    public var isTraining: Bool {
        get { conv1.isTraining }
        set { for l in children { l.isTraining = newValue } }
    }
}
