import Tensor

/// A trainable tensor with its gradient. Layers own their parameters; optimisers update `value`
/// in place from `grad`. `backward` passes *add* into `grad`, so callers zero it between steps.
public final class Parameter {
    /// Dotted path inside the model, e.g. `layer1.0.conv1.weight` (PyTorch state-dict style).
    public var name: String
    public var value: Tensor
    public var grad: Tensor

    public init(_ value: Tensor, name: String) {
        self.value = value
        self.grad = Tensor.zeros(value.shape)
        self.name = name
    }

    /// Sets the gradient to zero (keeps its storage).
    public func zeroGrad() { grad.fill(0) }
}

/// A non-trainable state tensor that belongs to the model (e.g. BatchNorm running statistics).
public final class Buffer {
    public var name: String
    public var value: Tensor
    public init(_ value: Tensor, name: String) { self.value = value; self.name = name }
}
