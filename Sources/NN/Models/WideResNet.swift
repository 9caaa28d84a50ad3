import Tensor

/// Wide-ResNet pre-activation block (Zagoruyko & Komodakis 2016): BN-ReLU-conv3×3(stride) → [dropout] →
/// BN-ReLU-conv3×3, plus a shortcut. When the shape changes, the shortcut is a 1×1 strided conv applied to the
/// block's pre-activation relu(bn1(x)), as in the authors' code; otherwise the identity on x.
/// Names: `bn1`, `conv1`, `bn2`, `conv2`, `shortcut`.
public final class WideBasicBlock: Layer {
    let bn1: BatchNorm2d, conv1: Conv2d   // bn1 and bn2 have their ReLUs fused

    let dropout: Dropout?
    let bn2: BatchNorm2d, conv2: Conv2d
    let shortcut: Conv2d?
    public var isTraining = true {
        didSet { for l in children { l.isTraining = isTraining } }
    }
    var children: [any Layer] {
        [bn1, conv1] + (dropout.map { [$0] } ?? []) + [bn2, conv2] + (shortcut.map { [$0] } ?? [])
    }

    public init(inChannels: Int, outChannels: Int, stride: Int, dropRate: Float, dropoutSeed: UInt64 = 0,
                rng: inout RandomGenerator) {
        bn1 = BatchNorm2d(channels: inChannels)
        bn1.activation = .relu
        conv1 = Conv2d(inChannels: inChannels, outChannels: outChannels, kernelSize: 3, stride: stride, padding: 1, bias: false, rng: &rng)
        dropout = dropRate > 0 ? Dropout(p: dropRate, seed: dropoutSeed) : nil
        bn2 = BatchNorm2d(channels: outChannels)
        bn2.activation = .relu
        conv2 = Conv2d(inChannels: outChannels, outChannels: outChannels, kernelSize: 3, stride: 1, padding: 1, bias: false, rng: &rng)
        shortcut = (stride != 1 || inChannels != outChannels)
            ? Conv2d(inChannels: inChannels, outChannels: outChannels, kernelSize: 1, stride: stride, padding: 0, bias: false, rng: &rng)
            : nil
        bn1.prefixNames("bn1"); conv1.prefixNames("conv1"); bn2.prefixNames("bn2"); conv2.prefixNames("conv2")
        shortcut?.prefixNames("shortcut")
    }

    public func forward(_ x: Tensor) -> Tensor {
        let a = bn1.forward(x)
        var h = conv1.forward(a)
        if let dropout { h = dropout.forward(h) }
        var y = conv2.forward(bn2.forward(h))
        y.addScaled(shortcut?.forward(a) ?? x)
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        var dh = bn2.backward(conv2.backward(dy))
        if let dropout { dh = dropout.backward(dh) }
        var da = conv1.backward(dh)
        if let shortcut {
            da.addScaled(shortcut.backward(dy))
            return bn1.backward(da)
        }
        var dx = bn1.backward(da)
        dx.addScaled(dy)
        return dx
    }

    public var sublayers: [any Layer] { children }
    public var parameters: [Parameter] { children.flatMap { $0.parameters } }
    public var buffers: [Buffer] { children.flatMap { $0.buffers } }
}

/// WRN-depth-k for CIFAR: conv3×3(16) stem, three stages of n = (depth − 4)/6 wide blocks with 16k, 32k, 64k
/// channels (strides 1, 2, 2), then BN-ReLU, global average pool and a linear classifier.
/// WRN-28-10 (the paper's CIFAR-100 net) has ≈36.5 M parameters. Names: `conv1`, `block1.layer.K.*`, `bn1`, `fc`.
public final class WideResNet: Layer {
    let conv1: Conv2d
    let blocks: [WideBasicBlock]
    let bn: BatchNorm2d, pool = GlobalAvgPool2d()   // bn has the final ReLU fused
    let fc: Linear
    public var isTraining = true {
        didSet { for l in children { l.isTraining = isTraining } }
    }
    var children: [any Layer] { [conv1] + blocks + [bn, pool, fc] }

    public init(depth: Int, widenFactor: Int, dropRate: Float = 0, classes: Int = 10, inputChannels: Int = 3,
                rng: inout RandomGenerator) {
        precondition(depth >= 10 && (depth - 4) % 6 == 0, "WideResNet: depth must be 6n + 4 (16, 22, 28, ...), got \(depth)")
        precondition(widenFactor >= 1, "WideResNet: widenFactor must be ≥ 1, got \(widenFactor)")
        let n = (depth - 4) / 6
        let widths = [16, 16 * widenFactor, 32 * widenFactor, 64 * widenFactor]
        conv1 = Conv2d(inChannels: inputChannels, outChannels: widths[0], kernelSize: 3, stride: 1, padding: 1, bias: false, rng: &rng)
        var blocks: [WideBasicBlock] = []
        for stage in 0..<3 {
            for j in 0..<n {
                let cin = j == 0 ? widths[stage] : widths[stage + 1]
                let b = WideBasicBlock(inChannels: cin, outChannels: widths[stage + 1], stride: j == 0 && stage > 0 ? 2 : 1,
                                       dropRate: dropRate, dropoutSeed: UInt64(blocks.count), rng: &rng)
                b.prefixNames("block\(stage + 1).layer.\(j)")
                blocks.append(b)
            }
        }
        self.blocks = blocks
        bn = BatchNorm2d(channels: widths[3])
        bn.activation = .relu
        fc = Linear(inFeatures: widths[3], outFeatures: classes, rng: &rng)
        conv1.prefixNames("conv1"); bn.prefixNames("bn1"); fc.prefixNames("fc")
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "WideResNet.forward: expected [N, C, H, W], got \(x.shape)")
        var h = conv1.forward(x)
        for b in blocks { h = b.forward(h) }
        return fc.forward(pool.forward(bn.forward(h)))
    }

    public func backward(_ dy: Tensor) -> Tensor {
        var g = bn.backward(pool.backward(fc.backward(dy)))
        for b in blocks.reversed() { g = b.backward(g) }
        return conv1.backward(g)
    }

    public var sublayers: [any Layer] { children }
    public var parameters: [Parameter] { children.flatMap { $0.parameters } }
    public var buffers: [Buffer] { children.flatMap { $0.buffers } }
}
