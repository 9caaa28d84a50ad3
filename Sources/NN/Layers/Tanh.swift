import Tensor

/// Hyperbolic tangent `y = tanh(x)` element-wise (PyTorch `nn.Tanh`). Shape: any; output shape = input shape.
/// Backward: dx = dy · (1 − y²), from the cached output. Used by the small actor/critic MLPs of the LR Controller.
public final class Tanh: Layer {
    public var isTraining = true
    private var output: Tensor?

    public init() {}

    public func forward(_ x: Tensor) -> Tensor {
        let y = x.map { Float(_tanh(Double($0))) }
        output = y
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let y = output else { preconditionFailure("Tanh.backward: called before forward") }
        precondition(dy.shape == y.shape, "Tanh.backward: gradient shape \(dy.shape) ≠ forward output shape \(y.shape)")
        var dx = Tensor(uninitializedShape: y.shape)
        y.withUnsafeBufferPointer { py in dy.withUnsafeBufferPointer { pg in dx.withUnsafeMutableBufferPointer { pd in
            for i in 0..<py.count { pd[i] = pg[i] * (1 - py[i] * py[i]) }
        } } }
        return dx
    }
}

#if canImport(Glibc)
import Glibc
private func _tanh(_ x: Double) -> Double { Glibc.tanh(x) }
#elseif canImport(Darwin)
import Darwin
private func _tanh(_ x: Double) -> Double { Darwin.tanh(x) }
#endif
