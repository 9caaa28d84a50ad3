import Tensor

/// Flattens every dimension after the first: `[N, d1, d2, ...] → [N, d1·d2·…]` (PyTorch
/// `nn.Flatten()`). A view: no data is copied. Backward reshapes the gradient back.
public final class Flatten: Layer {
    public var isTraining = true
    private var inputShape: [Int]?

    public init() {}

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank >= 1, "Flatten.forward: expected input [N, ...], got a scalar")
        inputShape = x.shape
        return x.reshaped([x.shape[0], x.shape.dropFirst().reduce(1, *)])
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let shape = inputShape else { preconditionFailure("Flatten.backward: called before forward") }
        precondition(dy.count == shape.reduce(1, *) && dy.rank == 2 && dy.shape[0] == shape[0],
                     "Flatten.backward: gradient shape \(dy.shape) does not match forward input \(shape)")
        return dy.reshaped(shape)
    }
}
