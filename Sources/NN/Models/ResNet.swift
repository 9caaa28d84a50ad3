import Tensor

/// ResNet basic block: conv3×3-BN-ReLU → conv3×3-BN, plus a shortcut, then ReLU. The first ReLU is
/// fused into `bn1` (`BatchNorm.activation`), which saves a pass and an activation tensor.
/// The shortcut is the identity, or a strided 1×1 conv + BN ("option B") when the shape changes.
/// Input `[N, Cin, H, W]` → `[N, Cout, H/stride, W/stride]`. Names as PyTorch: `conv1`, `bn1`, `conv2`,
/// `bn2`, `shortcut.0` (conv), `shortcut.1` (BN).
public final class BasicBlock: Layer {
    let conv1: Conv2d, bn1: BatchNorm2d
    let conv2: Conv2d, bn2: BatchNorm2d
    let shortcut: Sequential?
    let reluOut = ReLU()
    public var isTraining = true {
        didSet { for l in children { l.isTraining = isTraining } }
    }
    var children: [any Layer] { [conv1, bn1, conv2, bn2, reluOut] + (shortcut.map { [$0] } ?? []) }

    public init(inChannels: Int, outChannels: Int, stride: Int, rng: inout RandomGenerator) {
        conv1 = Conv2d(inChannels: inChannels, outChannels: outChannels, kernelSize: 3, stride: stride, padding: 1, bias: false, rng: &rng)
        bn1 = BatchNorm2d(channels: outChannels)
        bn1.activation = .relu
        conv2 = Conv2d(inChannels: outChannels, outChannels: outChannels, kernelSize: 3, stride: 1, padding: 1, bias: false, rng: &rng)
        bn2 = BatchNorm2d(channels: outChannels)
        if stride != 1 || inChannels != outChannels {
            shortcut = Sequential([
                Conv2d(inChannels: inChannels, outChannels: outChannels, kernelSize: 1, stride: stride, padding: 0, bias: false, rng: &rng),
                BatchNorm2d(channels: outChannels),
            ])
            shortcut!.prefixNames("shortcut")
        } else {
            shortcut = nil
        }
        conv1.prefixNames("conv1"); bn1.prefixNames("bn1"); conv2.prefixNames("conv2"); bn2.prefixNames("bn2")
    }

    /// The input of the most recent evaluation-mode forward, which ran fused and cached nothing else; a
    /// `backward` after it first replays the layer-by-layer forward from this input (the same output, bit
    /// for bit) so that the layers hold their caches. nil after a training-mode forward.
    private var evaluationInput: Tensor?

    public func forward(_ x: Tensor) -> Tensor {
        evaluationInput = isTraining ? nil : x
        return isTraining ? layerByLayerForward(x) : evaluationForward(x)
    }

    private func layerByLayerForward(_ x: Tensor) -> Tensor {
        var main = bn2.forward(conv2.forward(bn1.forward(conv1.forward(x))))
        main.addScaled(shortcut?.forward(x) ?? x)
        return reluOut.forward(main)
    }

    /// Evaluation mode: each BatchNorm (running statistics), the residual add and the ReLUs run as the
    /// epilogues of the convolutions before them — three passes over the activations instead of eight,
    /// bit-identical to the layer-by-layer forward; the layers cache nothing.
    private func evaluationForward(_ x: Tensor) -> Tensor {
        let h = conv1.forward(x, epilogue: bn1.evaluationEpilogue())
        bn1.recordFusedForward(output: h)   // the ReLU patterns stay about this forward
        let s: Tensor
        if let shortcut {
            guard let conv = shortcut.layers[0] as? Conv2d, let bn = shortcut.layers[1] as? BatchNorm else {
                preconditionFailure("BasicBlock: the shortcut must be a Conv2d then a BatchNorm")
            }
            s = conv.forward(x, epilogue: bn.evaluationEpilogue())
            bn.recordFusedForward(output: s)
        } else {
            s = x
        }
        let y = conv2.forward(h, epilogue: bn2.evaluationEpilogue(residual: s, activation: .relu))
        bn2.recordFusedForward(output: y)
        reluOut.recordFusedOutput(y)
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        if let x = evaluationInput { _ = layerByLayerForward(x); evaluationInput = nil }
        let d = reluOut.backward(dy)
        var dx = conv1.backward(bn1.backward(conv2.backward(bn2.backward(d))))
        dx.addScaled(shortcut?.backward(d) ?? d)
        return dx
    }

    public var sublayers: [any Layer] { children }
    public var parameters: [Parameter] { children.flatMap { $0.parameters } }
    public var buffers: [Buffer] { children.flatMap { $0.buffers } }
}

/// CIFAR-style ResNet: 3×3 stem conv (stride 1, no max-pool) + BN + ReLU, stages of `BasicBlock`s (the
/// first block of every stage after the first has stride 2), global average pool, linear classifier.
/// Input `[N, 3, H, W]` → logits `[N, classes]`. Names as PyTorch: `stem`, `bn`, `layers.K.*`, `fc`.
public final class CifarResNet: Layer {
    let stem: Conv2d, bn: BatchNorm2d   // bn has the stem's ReLU fused
    let blocks: [BasicBlock]
    let pool = GlobalAvgPool2d()
    let fc: Linear
    public var isTraining = true {
        didSet { for l in children { l.isTraining = isTraining } }
    }
    var children: [any Layer] { [stem, bn] + blocks + [pool, fc] }

    /// - Parameters:
    ///   - widths: channels per stage, e.g. [16, 32, 64].
    ///   - blocksPerStage: basic blocks per stage, e.g. [3, 3, 3].
    public init(widths: [Int], blocksPerStage: [Int], classes: Int = 10, inputChannels: Int = 3,
                rng: inout RandomGenerator) {
        precondition(!widths.isEmpty && widths.count == blocksPerStage.count,
                     "CifarResNet: widths \(widths) and blocksPerStage \(blocksPerStage) must be non-empty and of equal length")
        stem = Conv2d(inChannels: inputChannels, outChannels: widths[0], kernelSize: 3, stride: 1, padding: 1, bias: false, rng: &rng)
        bn = BatchNorm2d(channels: widths[0])
        bn.activation = .relu
        var blocks: [BasicBlock] = []
        var c = widths[0]
        for (stage, (w, n)) in zip(widths, blocksPerStage).enumerated() {
            for j in 0..<n {
                let block = BasicBlock(inChannels: c, outChannels: w, stride: stage > 0 && j == 0 ? 2 : 1, rng: &rng)
                block.prefixNames("layers.\(blocks.count)")
                blocks.append(block)
                c = w
            }
        }
        self.blocks = blocks
        fc = Linear(inFeatures: c, outFeatures: classes, rng: &rng)
        stem.prefixNames("stem"); bn.prefixNames("bn"); fc.prefixNames("fc")
    }

    /// ResNet-20/32/56 (depth = 6n + 2): 16/32/64 channels, n blocks per stage.
    public static func resnet(depth: Int, classes: Int = 10, rng: inout RandomGenerator) -> CifarResNet {
        precondition(depth >= 8 && (depth - 2) % 6 == 0, "CifarResNet.resnet: depth must be 6n + 2 (20, 32, 56, ...), got \(depth)")
        let n = (depth - 2) / 6
        return CifarResNet(widths: [16, 32, 64], blocksPerStage: [n, n, n], classes: classes, rng: &rng)
    }

    /// ResNet-18, CIFAR variant (3×3 stem, no max-pool): 64/128/256/512, two blocks per stage (≈11.2 M params).
    public static func resnet18(classes: Int = 10, rng: inout RandomGenerator) -> CifarResNet {
        CifarResNet(widths: [64, 128, 256, 512], blocksPerStage: [2, 2, 2, 2], classes: classes, rng: &rng)
    }

    /// The input of the most recent evaluation-mode forward, which ran fused and cached nothing else; a
    /// `backward` after it first replays the layer-by-layer forward from this input (the same output, bit
    /// for bit) so that the layers hold their caches. nil after a training-mode forward.
    private var evaluationInput: Tensor?

    /// Evaluation mode runs the stem's BatchNorm+ReLU as the stem convolution's epilogue and the blocks'
    /// fused path (see `BasicBlock`); the result is bit-identical to the layer-by-layer forward.
    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "CifarResNet.forward: expected [N, C, H, W], got \(x.shape)")
        evaluationInput = isTraining ? nil : x
        var h: Tensor
        if isTraining {
            h = bn.forward(stem.forward(x))
        } else {
            h = stem.forward(x, epilogue: bn.evaluationEpilogue())
            bn.recordFusedForward(output: h)
        }
        for b in blocks { h = b.forward(h) }
        return fc.forward(pool.forward(h))
    }

    public func backward(_ dy: Tensor) -> Tensor {
        if let x = evaluationInput { _ = bn.forward(stem.forward(x)); evaluationInput = nil }   // the stem's caches
        var g = pool.backward(fc.backward(dy))
        for b in blocks.reversed() { g = b.backward(g) }
        return stem.backward(bn.backward(g))
    }

    public var sublayers: [any Layer] { children }
    public var parameters: [Parameter] { children.flatMap { $0.parameters } }
    public var buffers: [Buffer] { children.flatMap { $0.buffers } }
}
