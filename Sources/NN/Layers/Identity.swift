import Tensor

/// `y = x` (PyTorch `nn.Identity`): the pass-through branch of a `Concat` (DenseNet's "keep every earlier
/// feature map") or a placeholder in a `Sequential`. Shape: any; backward returns dy unchanged. No parameters.
public final class Identity: Layer {
    public var isTraining = true
    private var inputShape: [Int]?

    public init() {}

    public func forward(_ x: Tensor) -> Tensor {
        inputShape = x.shape
        return x
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let shape = inputShape else { preconditionFailure("Identity.backward: called before forward") }
        precondition(dy.shape == shape, "Identity.backward: gradient shape \(dy.shape) ≠ forward output shape \(shape)")
        return dy
    }
}
