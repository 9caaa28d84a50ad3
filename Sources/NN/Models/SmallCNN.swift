import Tensor

/// The small CNN for 28×28×1 images used throughout the paper's Fashion-MNIST experiments and the
/// benchmarks: conv3×3(32)-ReLU-maxpool2 → conv3×3(64)-ReLU-maxpool2 → fc(3136→128)-ReLU → fc(128→10).
/// No BatchNorm; ≈0.42 M parameters. Input `[N, 1, 28, 28]` → logits `[N, classes]`.
/// Parameter names match PyTorch's (`conv1.weight`, ..., `fc2.bias`).
public final class SmallCNN: Layer {
    let conv1: Conv2d, relu1 = ReLU(), pool1 = MaxPool2d(kernelSize: 2, stride: 2)
    let conv2: Conv2d, relu2 = ReLU(), pool2 = MaxPool2d(kernelSize: 2, stride: 2)
    let flatten = Flatten()
    let fc1: Linear, relu3 = ReLU()
    let fc2: Linear
    private var body: Sequential
    public var isTraining: Bool {
        get { body.isTraining }
        set { body.isTraining = newValue }
    }

    /// - Parameters:
    ///   - inputSize: height = width of the input (28 for MNIST-family images; must be divisible by 4).
    public init(classes: Int = 10, inputChannels: Int = 1, inputSize: Int = 28, rng: inout RandomGenerator) {
        precondition(inputSize % 4 == 0 && inputSize >= 4, "SmallCNN: inputSize must be a positive multiple of 4, got \(inputSize)")
        conv1 = Conv2d(inChannels: inputChannels, outChannels: 32, kernelSize: 3, stride: 1, padding: 1, rng: &rng)
        conv2 = Conv2d(inChannels: 32, outChannels: 64, kernelSize: 3, stride: 1, padding: 1, rng: &rng)
        let side = inputSize / 4
        fc1 = Linear(inFeatures: 64 * side * side, outFeatures: 128, rng: &rng)
        fc2 = Linear(inFeatures: 128, outFeatures: classes, rng: &rng)
        conv1.prefixNames("conv1"); conv2.prefixNames("conv2"); fc1.prefixNames("fc1"); fc2.prefixNames("fc2")
        body = Sequential(unnamed: [conv1, relu1, pool1, conv2, relu2, pool2, flatten, fc1, relu3, fc2])
    }

    /// The input of the most recent evaluation-mode forward, which ran fused and cached nothing else; a
    /// `backward` after it first replays the layer-by-layer forward from this input (the same output, bit
    /// for bit) so that the layers hold their caches. nil after a training-mode forward.
    private var evaluationInput: Tensor?

    /// Evaluation mode runs each convolution's ReLU as its epilogue (one pass over the activation
    /// fewer per convolution); bit-identical to the layer-by-layer forward.
    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "SmallCNN.forward: expected [N, C, H, W], got \(x.shape)")
        evaluationInput = isTraining ? nil : x
        if isTraining { return body.forward(x) }
        let relu = ConvEpilogue(activation: .relu)
        let h1 = conv1.forward(x, epilogue: relu)
        relu1.recordFusedOutput(h1)   // the ReLU patterns stay about this forward
        let h2 = conv2.forward(pool1.forward(h1), epilogue: relu)
        relu2.recordFusedOutput(h2)
        return fc2.forward(relu3.forward(fc1.forward(flatten.forward(pool2.forward(h2)))))
    }
    public func backward(_ dy: Tensor) -> Tensor {
        if let x = evaluationInput { _ = body.forward(x); evaluationInput = nil }
        return body.backward(dy)
    }
    public var sublayers: [any Layer] { [body] }
    public var parameters: [Parameter] { body.parameters }
    public var buffers: [Buffer] { body.buffers }
}
