import Tensor

/// A differentiable building block with an explicit backward pass.
///
/// `forward` computes the output and caches what `backward` needs; `backward` takes ∂L/∂output,
/// *adds* ∂L/∂parameter into each parameter's `grad`, and returns ∂L/∂input. One `backward`
/// follows each `forward` (the cache holds the most recent forward only).
public protocol Layer: AnyObject {
    /// Forward pass; caches activations for `backward` when `isTraining` or when gradients are needed.
    func forward(_ x: Tensor) -> Tensor
    /// Backward pass for the most recent `forward`: accumulates parameter gradients, returns ∂L/∂x.
    func backward(_ dy: Tensor) -> Tensor
    /// Trainable parameters (including those of sub-layers), in a stable order.
    var parameters: [Parameter] { get }
    /// Non-trainable state (including that of sub-layers), in a stable order.
    var buffers: [Buffer] { get }
    /// Training mode (BatchNorm batch statistics, Dropout active) vs evaluation mode.
    var isTraining: Bool { get set }
    /// The layers this one is built from (containers and models), for tools that walk a model.
    var sublayers: [any Layer] { get }
}

extension Layer {
    public var parameters: [Parameter] { [] }
    public var buffers: [Buffer] { [] }
    public var sublayers: [any Layer] { [] }

    /// Zeroes every parameter gradient.
    public func zeroGrad() { for p in parameters { p.zeroGrad() } }

    /// Total number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// Prefixes every parameter and buffer name with `prefix.` (used when nesting layers).
    public func prefixNames(_ prefix: String) {
        for p in parameters { p.name = p.name.isEmpty ? prefix : "\(prefix).\(p.name)" }
        for b in buffers { b.name = b.name.isEmpty ? prefix : "\(prefix).\(b.name)" }
    }
}

/// Layers applied one after another; backward runs them in reverse.
public final class Sequential: Layer {
    public private(set) var layers: [any Layer]

    /// - Parameter layers: applied in order; their parameter names get their index as prefix
    ///   (`0.weight`, `1.bias`, ...) like PyTorch's `nn.Sequential`.
    public init(_ layers: [any Layer]) {
        self.layers = layers
        for (i, l) in layers.enumerated() { l.prefixNames("\(i)") }
    }

    /// Layers applied in order, keeping the names they already have (for models that name their
    /// sub-layers themselves, e.g. `conv1`, `fc2`).
    public init(unnamed layers: [any Layer]) {
        self.layers = layers
    }

    public func forward(_ x: Tensor) -> Tensor {
        var h = x
        for l in layers { h = l.forward(h) }
        return h
    }

    public func backward(_ dy: Tensor) -> Tensor {
        var g = dy
        for l in layers.reversed() { g = l.backward(g) }
        return g
    }

    public var sublayers: [any Layer] { layers }
    public var parameters: [Parameter] { layers.flatMap { $0.parameters } }
    public var buffers: [Buffer] { layers.flatMap { $0.buffers } }
    public var isTraining: Bool {
        get { layers.first?.isTraining ?? true }
        set { for l in layers { l.isTraining = newValue } }
    }
}
