import Tensor

/// MobileNetV2 inverted residual block (Sandler et al. 2018): 1×1 expansion conv-BN-ReLU6 (skipped when
/// the expansion is 1) → 3×3 depthwise conv(stride)-BN-ReLU6 → 1×1 linear projection conv-BN, plus the
/// identity when stride is 1 and the channel count is unchanged (as torchvision).
/// Input `[N, Cin, H, W]` → `[N, Cout, H/stride, W/stride]`. Names: `conv.K.*` as torchvision's
/// `InvertedResidual` (expand `conv.0.{0,1}`, depthwise `conv.1.{0,1}` — or `conv.0.*` without expansion —,
/// projection conv and BN last).
public final class InvertedResidual: Layer {
    // The ReLU6s are fused into bnExpand and bnDepthwise (`BatchNorm.activation`).
    let expand: Conv2d?, bnExpand: BatchNorm2d?
    let depthwise: Conv2d, bnDepthwise: BatchNorm2d
    let project: Conv2d, bnProject: BatchNorm2d
    /// Whether the block adds its input to its output.
    public let usesResidual: Bool
    public var isTraining = true {
        didSet { for l in children { l.isTraining = isTraining } }
    }
    var children: [any Layer] {
        var c: [any Layer] = []
        if let expand, let bnExpand { c += [expand, bnExpand] }
        return c + [depthwise, bnDepthwise, project, bnProject]
    }

    public init(inChannels: Int, outChannels: Int, stride: Int, expansion: Int, rng: inout RandomGenerator) {
        precondition(stride == 1 || stride == 2, "InvertedResidual: stride must be 1 or 2, got \(stride)")
        precondition(expansion >= 1, "InvertedResidual: expansion must be ≥ 1, got \(expansion)")
        let hidden = inChannels * expansion
        if expansion != 1 {
            let e = Conv2d(inChannels: inChannels, outChannels: hidden, kernelSize: 1, bias: false, rng: &rng)
            let b = BatchNorm2d(channels: hidden)
            b.activation = .relu6
            e.prefixNames("conv.0.0"); b.prefixNames("conv.0.1")
            expand = e; bnExpand = b
        } else {
            expand = nil; bnExpand = nil
        }
        let k = expansion != 1 ? 1 : 0
        depthwise = Conv2d(inChannels: hidden, outChannels: hidden, kernelSize: 3, stride: stride, padding: 1,
                           groups: hidden, bias: false, rng: &rng)
        bnDepthwise = BatchNorm2d(channels: hidden)
        bnDepthwise.activation = .relu6
        project = Conv2d(inChannels: hidden, outChannels: outChannels, kernelSize: 1, bias: false, rng: &rng)
        bnProject = BatchNorm2d(channels: outChannels)
        depthwise.prefixNames("conv.\(k).0"); bnDepthwise.prefixNames("conv.\(k).1")
        project.prefixNames("conv.\(k + 1)"); bnProject.prefixNames("conv.\(k + 2)")
        usesResidual = stride == 1 && inChannels == outChannels
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
        var h = x
        if let expand, let bnExpand { h = bnExpand.forward(expand.forward(h)) }
        h = bnDepthwise.forward(depthwise.forward(h))
        var y = bnProject.forward(project.forward(h))
        if usesResidual { y.addScaled(x) }
        return y
    }

    /// Evaluation mode: each BatchNorm (with its ReLU6) and the residual add run as the epilogue of the
    /// convolution before it; bit-identical to the layer-by-layer forward; the layers cache nothing.
    private func evaluationForward(_ x: Tensor) -> Tensor {
        var h = x
        if let expand, let bnExpand {
            h = expand.forward(h, epilogue: bnExpand.evaluationEpilogue())
            bnExpand.recordFusedForward(output: h)   // the ReLU6 patterns stay about this forward
        }
        h = depthwise.forward(h, epilogue: bnDepthwise.evaluationEpilogue())
        bnDepthwise.recordFusedForward(output: h)
        let y = project.forward(h, epilogue: bnProject.evaluationEpilogue(residual: usesResidual ? x : nil))
        bnProject.recordFusedForward(output: y)
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        if let x = evaluationInput { _ = layerByLayerForward(x); evaluationInput = nil }
        var g = bnDepthwise.backward(project.backward(bnProject.backward(dy)))
        g = depthwise.backward(g)
        if let expand, let bnExpand { g = expand.backward(bnExpand.backward(g)) }
        if usesResidual { g.addScaled(dy) }
        return g
    }

    public var sublayers: [any Layer] { children }
    public var parameters: [Parameter] { children.flatMap { $0.parameters } }
    public var buffers: [Buffer] { children.flatMap { $0.buffers } }
}

/// MobileNetV2 for CIFAR-sized inputs (32×32): torchvision's architecture (width multiplier `width`)
/// with the stem and the second stage at stride 1 instead of 2, so 32×32 inputs end at 4×4 (the
/// usual CIFAR adaptation): conv3×3(32)-BN-ReLU6, inverted residual stages
/// (t, c, n, s) = (1,16,1,1) (6,24,2,1) (6,32,3,2) (6,64,4,2) (6,96,3,1) (6,160,3,2) (6,320,1,1),
/// conv1×1(1280)-BN-ReLU6, global average pool, linear classifier (no dropout).
/// Input `[N, C, H, W]` → logits `[N, classes]`; ≈2.24 M parameters for 10 classes at width 1.
/// Names: `features.K.*` and `classifier` as torchvision.
public final class MobileNetV2: Layer {
    let stem: Conv2d, bnStem: BatchNorm2d   // bnStem and bnHead have their ReLU6s fused
    let blocks: [InvertedResidual]
    let head: Conv2d, bnHead: BatchNorm2d
    let pool = GlobalAvgPool2d()
    let fc: Linear
    public var isTraining = true {
        didSet { for l in children { l.isTraining = isTraining } }
    }
    var children: [any Layer] { [stem, bnStem] + blocks + [head, bnHead, pool, fc] }

    /// The (expansion, channels, blocks, first stride) table for CIFAR inputs.
    public static let cifarStages: [(t: Int, c: Int, n: Int, s: Int)] = [
        (1, 16, 1, 1), (6, 24, 2, 1), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
    ]

    /// - Parameters:
    ///   - width: channel multiplier (channels rounded to multiples of 8 as torchvision; 1 = the standard net).
    ///   - stages: the (t, c, n, s) table (default `cifarStages`; tests pass smaller ones).
    public init(classes: Int = 10, inputChannels: Int = 3, width: Double = 1,
                stages: [(t: Int, c: Int, n: Int, s: Int)] = MobileNetV2.cifarStages,
                stemChannels: Int = 32, headChannels: Int = 1280, rng: inout RandomGenerator) {
        precondition(width > 0, "MobileNetV2: width must be positive, got \(width)")
        precondition(!stages.isEmpty, "MobileNetV2: need at least one stage")
        func scaled(_ c: Int) -> Int {
            // torchvision's _make_divisible(c · width, 8): round to a multiple of 8, never below 90%.
            let v = Double(c) * width
            var r = max(8, Int(v + 4) / 8 * 8)
            if Double(r) < 0.9 * v { r += 8 }
            return r
        }
        let c0 = scaled(stemChannels)
        stem = Conv2d(inChannels: inputChannels, outChannels: c0, kernelSize: 3, stride: 1, padding: 1, bias: false, rng: &rng)
        bnStem = BatchNorm2d(channels: c0)
        bnStem.activation = .relu6
        stem.prefixNames("features.0.0"); bnStem.prefixNames("features.0.1")
        var blocks: [InvertedResidual] = []
        var c = c0
        for st in stages {
            let out = scaled(st.c)
            for j in 0..<st.n {
                let b = InvertedResidual(inChannels: c, outChannels: out, stride: j == 0 ? st.s : 1, expansion: st.t, rng: &rng)
                b.prefixNames("features.\(blocks.count + 1)")
                blocks.append(b)
                c = out
            }
        }
        self.blocks = blocks
        let last = width > 1 ? scaled(headChannels) : headChannels
        head = Conv2d(inChannels: c, outChannels: last, kernelSize: 1, bias: false, rng: &rng)
        bnHead = BatchNorm2d(channels: last)
        bnHead.activation = .relu6
        head.prefixNames("features.\(blocks.count + 1).0"); bnHead.prefixNames("features.\(blocks.count + 1).1")
        fc = Linear(inFeatures: last, outFeatures: classes, rng: &rng)
        fc.prefixNames("classifier")
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "MobileNetV2.forward: expected [N, C, H, W], got \(x.shape)")
        evaluationInput = isTraining ? nil : x
        if !isTraining {
            // Evaluation: BatchNorm+ReLU6 as the stem's and head's epilogues, the blocks' fused path.
            var h = stem.forward(x, epilogue: bnStem.evaluationEpilogue())
            bnStem.recordFusedForward(output: h)
            for b in blocks { h = b.forward(h) }
            h = head.forward(h, epilogue: bnHead.evaluationEpilogue())
            bnHead.recordFusedForward(output: h)
            return fc.forward(pool.forward(h))
        }
        return layerByLayerForward(x)
    }

    private func layerByLayerForward(_ x: Tensor) -> Tensor {
        var h = bnStem.forward(stem.forward(x))
        for b in blocks { h = b.forward(h) }
        return fc.forward(pool.forward(bnHead.forward(head.forward(h))))
    }

    /// The input of the most recent evaluation-mode forward, which ran fused and cached nothing else; a
    /// `backward` after it first replays the layer-by-layer forward from this input (the same output, bit
    /// for bit) so that the layers hold their caches. nil after a training-mode forward.
    private var evaluationInput: Tensor?

    public func backward(_ dy: Tensor) -> Tensor {
        if let x = evaluationInput { _ = layerByLayerForward(x); evaluationInput = nil }
        var g = head.backward(bnHead.backward(pool.backward(fc.backward(dy))))
        for b in blocks.reversed() { g = b.backward(g) }
        return stem.backward(bnStem.backward(g))
    }

    public var sublayers: [any Layer] { children }
    public var parameters: [Parameter] { children.flatMap { $0.parameters } }
    public var buffers: [Buffer] { children.flatMap { $0.buffers } }
}
