import Testing
import NN
import Tensor
import TestSupport

/// The evaluation-mode fast path: `Conv2d.forward(_:epilogue:)` (a following BatchNorm, residual add and
/// ReLU/ReLU6 applied in the convolution's output pass) and the models that use it in evaluation mode
/// (CifarResNet, MobileNetV2, SmallCNN). Every output is compared bit for bit with the same computation
/// done by separate public layers (each step is rounded separately in both, so there is no tolerance).
@Suite struct EvaluationFastPath {
    /// Bit patterns, for exact comparisons that also tell NaN payloads and signed zeros apart.
    static func bits(_ t: Tensor) -> [UInt32] { t.scalars.map(\.bitPattern) }

    /// A BatchNorm with non-trivial running statistics and affine parameters.
    static func randomisedBatchNorm(_ channels: Int, activation: BatchNorm.Activation, rng: inout RandomGenerator) -> BatchNorm2d {
        let bn = BatchNorm2d(channels: channels)
        bn.activation = activation
        bn.weight.value = Tensor.normal([channels], mean: 1, std: 0.5, using: &rng)
        bn.bias.value = Tensor.normal([channels], using: &rng)
        bn.runningMean.value = Tensor.normal([channels], using: &rng)
        bn.runningVar.value = Tensor.uniform([channels], low: 0.2, high: 3, using: &rng)
        bn.isTraining = false
        return bn
    }

    struct ConvCase: CustomTestStringConvertible, Sendable {
        var cin, cout, kernel, stride, padding, groups, size: Int
        var bias: Bool
        var testDescription: String { "\(cin)→\(cout) k\(kernel) s\(stride) p\(padding) g\(groups) \(size)² bias \(bias)" }
    }

    // Covers: one image per GEMM (16² planes), several images per GEMM (small planes: the epilogue reads
    // the side-by-side buffer), pointwise direct, grouped, depthwise (bias already in), strided.
    static let convCases: [ConvCase] = [
        ConvCase(cin: 3, cout: 6, kernel: 3, stride: 1, padding: 1, groups: 1, size: 16, bias: false),
        ConvCase(cin: 4, cout: 5, kernel: 3, stride: 1, padding: 1, groups: 1, size: 5, bias: true),
        ConvCase(cin: 8, cout: 6, kernel: 1, stride: 1, padding: 0, groups: 1, size: 17, bias: true),
        ConvCase(cin: 6, cout: 4, kernel: 3, stride: 2, padding: 1, groups: 2, size: 9, bias: true),
        ConvCase(cin: 6, cout: 6, kernel: 3, stride: 1, padding: 1, groups: 6, size: 7, bias: true),
        ConvCase(cin: 6, cout: 6, kernel: 3, stride: 2, padding: 1, groups: 6, size: 8, bias: false),
    ]

    /// Conv → BatchNorm (eval) → + residual → activation, fused vs separate layers, for every combination
    /// of affine step, residual and activation.
    @Test(arguments: convCases)
    func convEpilogueMatchesSeparateLayers(_ c: ConvCase) {
        var rng = RandomGenerator(seed: 11)
        let conv = Conv2d(inChannels: c.cin, outChannels: c.cout, kernelSize: c.kernel, stride: c.stride,
                          padding: c.padding, groups: c.groups, bias: c.bias, rng: &rng)
        conv.isTraining = false
        let x = Tensor.normal([3, c.cin, c.size, c.size], using: &rng) * 10   // large enough to hit ReLU6's 6
        let plain = conv.forward(x)
        let residual = Tensor.normal(plain.shape, using: &rng) * 2
        for activation in [BatchNorm.Activation.identity, .relu, .relu6] {
            let bn = Self.randomisedBatchNorm(c.cout, activation: activation, rng: &rng)
            // BatchNorm with its activation, no residual.
            let fused = conv.forward(x, epilogue: bn.evaluationEpilogue())
            #expect(Self.bits(fused) == Self.bits(bn.forward(plain)), "BN+\(activation)")
            // BatchNorm, then the residual, then the activation (a ResNet block's end).
            bn.activation = .identity
            var separate = bn.forward(plain)
            separate.addScaled(residual)
            if activation == .relu { separate = ReLU().forward(separate) }
            if activation == .relu6 { separate = ReLU6().forward(separate) }
            let fusedResidual = conv.forward(x, epilogue: bn.evaluationEpilogue(residual: residual, activation: activation))
            #expect(Self.bits(fusedResidual) == Self.bits(separate), "BN+residual+\(activation)")
            // No affine step: the activation alone (SmallCNN's conv → ReLU).
            let actOnly = conv.forward(x, epilogue: ConvEpilogue(activation: activation))
            let expected = activation == .relu ? ReLU().forward(plain) : activation == .relu6 ? ReLU6().forward(plain) : plain
            #expect(Self.bits(actOnly) == Self.bits(expected), "\(activation) only")
            if activation == .relu6 { #expect(fused.scalars.contains(6) && fused.scalars.contains(0)) }
        }
    }

    /// `evaluationAffine` gives the very scale and shift BatchNorm's own evaluation forward applies.
    @Test func evaluationAffineMatchesForward() {
        var rng = RandomGenerator(seed: 5)
        let c = 64
        let bn = Self.randomisedBatchNorm(c, activation: .identity, rng: &rng)
        let x = Tensor.normal([2, c, 3, 5], using: &rng) * 4
        let y = bn.forward(x)
        let (a, b) = bn.evaluationAffine()
        var expected = x
        for i in 0..<x.count {
            let ch = (i / 15) % c
            expected[flat: i] = x[flat: i] * a[ch] + b[ch]
        }
        #expect(Self.bits(y) == Self.bits(expected))
        // A zero input gives the shift itself (0·a + b = b exactly) and a unit input fl(a + b), so an
        // ulp of difference in either shows.
        let y0 = bn.forward(Tensor.zeros([1, c, 1, 1])), y1 = bn.forward(Tensor.ones([1, c, 1, 1]))
        #expect(y0.scalars.map(\.bitPattern) == b.map(\.bitPattern))
        #expect(y1.scalars.map(\.bitPattern) == zip(a, b).map { ($0 + $1).bitPattern })
    }

    // MARK: Models: the fused evaluation forward vs the same network built from separate public layers

    /// Copies `source`'s parameters and buffers into `target` by position (shapes must agree).
    static func copyState(from source: any Layer, to target: any Layer) {
        let (sp, tp) = (source.parameters, target.parameters)
        let (sb, tb) = (source.buffers, target.buffers)
        precondition(sp.count == tp.count && sb.count == tb.count, "copyState: different layouts")
        for (s, t) in zip(sp, tp) { precondition(s.value.shape == t.value.shape); t.value = s.value }
        for (s, t) in zip(sb, tb) { precondition(s.value.shape == t.value.shape); t.value = s.value }
    }

    /// CifarResNet(widths, blocks) built from `Sequential`, `Residual`, `Conv2d`, `BatchNorm2d`, `ReLU`:
    /// the same parameter and buffer order as the model.
    static func referenceResNet(widths: [Int], blocks: [Int], classes: Int, rng: inout RandomGenerator) -> Sequential {
        let bn0 = BatchNorm2d(channels: widths[0]); bn0.activation = .relu
        var layers: [any Layer] = [Conv2d(inChannels: 3, outChannels: widths[0], kernelSize: 3, padding: 1, bias: false, rng: &rng), bn0]
        var c = widths[0]
        for (stage, (w, n)) in zip(widths, blocks).enumerated() {
            for j in 0..<n {
                let s = stage > 0 && j == 0 ? 2 : 1
                let bn1 = BatchNorm2d(channels: w); bn1.activation = .relu
                let main = Sequential([Conv2d(inChannels: c, outChannels: w, kernelSize: 3, stride: s, padding: 1, bias: false, rng: &rng), bn1,
                                       Conv2d(inChannels: w, outChannels: w, kernelSize: 3, padding: 1, bias: false, rng: &rng), BatchNorm2d(channels: w)])
                let shortcut = s != 1 || c != w
                    ? Sequential([Conv2d(inChannels: c, outChannels: w, kernelSize: 1, stride: s, bias: false, rng: &rng), BatchNorm2d(channels: w)])
                    : nil
                layers += [Residual(main: main, shortcut: shortcut), ReLU()]
                c = w
            }
        }
        layers += [GlobalAvgPool2d(), Linear(inFeatures: c, outFeatures: classes, rng: &rng)]
        return Sequential(layers)
    }

    /// One SGD step in training mode (so the running statistics and weights are not the initial ones).
    static func trainStep(_ m: any Layer, _ x: Tensor, classes: Int) {
        m.isTraining = true
        let loss = SoftmaxCrossEntropy()
        let (_, g) = loss(logits: m.forward(x), labels: (0..<x.shape[0]).map { $0 % classes })
        _ = m.backward(g)
        for p in m.parameters {
            p.value.addScaled(p.grad, -0.1)
            p.zeroGrad()
        }
    }

    @Test func resNetEvaluationMatchesSeparateLayersAfterTraining() {
        var rng = RandomGenerator(seed: 21)
        // Stage 2 has a projection shortcut, stage 1's second block an identity one; 10² planes give one
        // image per GEMM at stage 1 and several at stage 2.
        let model = CifarResNet(widths: [4, 8], blocksPerStage: [2, 1], classes: 3, rng: &rng)
        let reference = Self.referenceResNet(widths: [4, 8], blocks: [2, 1], classes: 3, rng: &rng)
        let x = Tensor.normal([6, 3, 10, 10], using: &rng)
        for _ in 0..<2 { Self.trainStep(model, x, classes: 3) }
        Self.copyState(from: model, to: reference)
        model.isTraining = false
        reference.isTraining = false
        let xe = Tensor.normal([5, 3, 10, 10], using: &rng)
        #expect(Self.bits(model.forward(xe)) == Self.bits(reference.forward(xe)))
        // The evaluation forward leaves the running statistics alone.
        let before = model.buffers.map { Self.bits($0.value) }
        _ = model.forward(xe)
        #expect(model.buffers.map { Self.bits($0.value) } == before)
    }

    @Test func mobileNetEvaluationMatchesSeparateLayersAfterTraining() {
        var rng = RandomGenerator(seed: 22)
        let stages: [(t: Int, c: Int, n: Int, s: Int)] = [(1, 8, 1, 1), (2, 8, 2, 2)]
        let model = MobileNetV2(classes: 3, stages: stages, stemChannels: 8, headChannels: 16, rng: &rng)
        // The reference: stem, blocks (expansion → depthwise → projection, identity residual when
        // the shape is kept), head, pool, classifier, from separate layers.
        func bn(_ c: Int, _ a: BatchNorm.Activation) -> BatchNorm2d { let b = BatchNorm2d(channels: c); b.activation = a; return b }
        var layers: [any Layer] = [Conv2d(inChannels: 3, outChannels: 8, kernelSize: 3, padding: 1, bias: false, rng: &rng), bn(8, .relu6)]
        var c = 8
        for st in stages {
            for j in 0..<st.n {
                let s = j == 0 ? st.s : 1, hidden = c * st.t
                var body: [any Layer] = []
                if st.t != 1 { body += [Conv2d(inChannels: c, outChannels: hidden, kernelSize: 1, bias: false, rng: &rng), bn(hidden, .relu6)] }
                body += [Conv2d(inChannels: hidden, outChannels: hidden, kernelSize: 3, stride: s, padding: 1, groups: hidden, bias: false, rng: &rng),
                         bn(hidden, .relu6),
                         Conv2d(inChannels: hidden, outChannels: st.c, kernelSize: 1, bias: false, rng: &rng), bn(st.c, .identity)]
                layers.append(s == 1 && c == st.c ? Residual(main: Sequential(body)) : Sequential(body))
                c = st.c
            }
        }
        layers += [Conv2d(inChannels: c, outChannels: 16, kernelSize: 1, bias: false, rng: &rng), bn(16, .relu6),
                   GlobalAvgPool2d(), Linear(inFeatures: 16, outFeatures: 3, rng: &rng)]
        let reference = Sequential(layers)
        let x = Tensor.normal([4, 3, 8, 8], using: &rng)
        for _ in 0..<2 { Self.trainStep(model, x, classes: 3) }
        Self.copyState(from: model, to: reference)
        model.isTraining = false
        reference.isTraining = false
        let xe = Tensor.normal([3, 3, 8, 8], using: &rng) * 2
        #expect(Self.bits(model.forward(xe)) == Self.bits(reference.forward(xe)))
    }

    @Test func smallCNNEvaluationMatchesTrainingModeForward() {
        // No BatchNorm or dropout: the training-mode forward (separate layers) computes the same function.
        var rng = RandomGenerator(seed: 23)
        let model = SmallCNN(classes: 4, inputSize: 12, rng: &rng)
        let x = Tensor.normal([5, 1, 12, 12], using: &rng)
        Self.trainStep(model, x, classes: 4)
        model.isTraining = true
        let train = model.forward(x)
        model.isTraining = false
        #expect(Self.bits(model.forward(x)) == Self.bits(train))
    }

    /// Training → evaluation → training: the evaluation forward in between neither changes what the next
    /// training forward and backward compute nor leaves a stale cache behind.
    @Test func trainEvalTrainKeepsGradientsExact() {
        var rng = RandomGenerator(seed: 24)
        let a = CifarResNet(widths: [4, 8], blocksPerStage: [1, 1], classes: 3, rng: &rng)
        var rng2 = RandomGenerator(seed: 24)
        let b = CifarResNet(widths: [4, 8], blocksPerStage: [1, 1], classes: 3, rng: &rng2)
        let x = Tensor.normal([4, 3, 8, 8], using: &rng), other = Tensor.normal([3, 3, 8, 8], using: &rng)
        let dy = Tensor.normal([4, 3], using: &rng)
        // a: forward, backward. b: forward (training), forward (evaluation, other batch), forward, backward.
        _ = a.forward(x); _ = a.forward(x)   // a's running statistics see x twice, as b's do
        let dxa = a.backward(dy)
        _ = b.forward(x)
        b.isTraining = false
        _ = b.forward(other)
        b.isTraining = true
        _ = b.forward(x)
        let dxb = b.backward(dy)
        #expect(Self.bits(dxa) == Self.bits(dxb))
        for (p, q) in zip(a.parameters, b.parameters) { #expect(Self.bits(p.grad) == Self.bits(q.grad), "\(p.name)") }
        for (p, q) in zip(a.buffers, b.buffers) { #expect(Self.bits(p.value) == Self.bits(q.value), "\(p.name)") }
    }

    /// A backward after an evaluation-mode forward (the fused path caches nothing but the block inputs) replays
    /// the layer-by-layer forward and gives exactly the gradients of the separate layers in evaluation mode.
    @Test func backwardAfterEvaluationForwardMatchesSeparateLayers() {
        var rng = RandomGenerator(seed: 25)
        let model = CifarResNet(widths: [4, 8], blocksPerStage: [2, 1], classes: 3, rng: &rng)
        let reference = Self.referenceResNet(widths: [4, 8], blocks: [2, 1], classes: 3, rng: &rng)
        let x = Tensor.normal([4, 3, 8, 8], using: &rng)
        Self.trainStep(model, x, classes: 3)
        Self.copyState(from: model, to: reference)
        model.isTraining = false
        reference.isTraining = false
        let xe = Tensor.normal([3, 3, 8, 8], using: &rng), dy = Tensor.normal([3, 3], using: &rng)
        #expect(Self.bits(model.forward(xe)) == Self.bits(reference.forward(xe)))
        #expect(Self.bits(model.backward(dy)) == Self.bits(reference.backward(dy)))
        for (p, q) in zip(model.parameters, reference.parameters) { #expect(Self.bits(p.grad) == Self.bits(q.grad), "\(p.name)") }
    }

    // MARK: Programmer errors (each runs in a child process that must crash)

    @Test func convBackwardAfterEpilogueForwardStops() async {
        await #expect(processExitsWith: .failure) {
            var rng = RandomGenerator(seed: 1)
            let conv = Conv2d(inChannels: 2, outChannels: 2, kernelSize: 3, padding: 1, rng: &rng)
            _ = conv.forward(Tensor.normal([1, 2, 4, 4], using: &rng))   // a cache from a plain forward
            conv.isTraining = false
            _ = conv.forward(Tensor.normal([1, 2, 4, 4], using: &rng), epilogue: ConvEpilogue(activation: .relu))
            _ = conv.backward(Tensor.zeros([1, 2, 4, 4]))
        }
    }

    @Test func epilogueForwardInTrainingModeStops() async {
        await #expect(processExitsWith: .failure) {
            var rng = RandomGenerator(seed: 1)
            let conv = Conv2d(inChannels: 2, outChannels: 2, kernelSize: 3, padding: 1, rng: &rng)
            _ = conv.forward(Tensor.normal([1, 2, 4, 4], using: &rng), epilogue: ConvEpilogue(activation: .relu))
        }
    }
}
