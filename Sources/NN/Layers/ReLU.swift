import Tensor

/// Rectified linear unit `y = max(x, 0)` (PyTorch `nn.ReLU`; NaN passes through).
/// Shape: any; output shape = input shape. Backward: dy where x > 0, else 0.
public final class ReLU: Layer {
    public var isTraining = true
    private var input: Tensor?
    /// The input of the most recent forward (for `activationPattern`).
    var cachedInput: Tensor? { input }

    public init() {}

    public func forward(_ x: Tensor) -> Tensor {
        input = x
        return clampElementwise(x, upper: nil)
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("ReLU.backward: called before forward") }
        precondition(dy.shape == x.shape, "ReLU.backward: gradient shape \(dy.shape) ≠ forward output shape \(x.shape)")
        return clampGradient(x, dy, upper: nil)
    }
}

/// `y = min(max(x, 0), 6)` (PyTorch `nn.ReLU6`, used by MobileNetV2). Shape: any.
/// Backward: dy where 0 < x < 6, else 0 (PyTorch's hardtanh backward: no gradient at the kinks).
public final class ReLU6: Layer {
    public var isTraining = true
    private var input: Tensor?
    /// The input of the most recent forward (for `activationPattern`).
    var cachedInput: Tensor? { input }

    public init() {}

    public func forward(_ x: Tensor) -> Tensor {
        input = x
        return clampElementwise(x, upper: 6)
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("ReLU6.backward: called before forward") }
        precondition(dy.shape == x.shape, "ReLU6.backward: gradient shape \(dy.shape) ≠ forward output shape \(x.shape)")
        return clampGradient(x, dy, upper: 6)
    }
}

/// `min(max(x, 0), upper)` element-wise (no upper bound when nil), split over the worker pool.
private func clampElementwise(_ x: Tensor, upper: Float?) -> Tensor {
    var y = Tensor(uninitializedShape: x.shape)
    x.withUnsafeBufferPointer { px in y.withUnsafeMutableBufferPointer { py in
        let s = px.baseAddress!, d = py.baseAddress!
        WorkerPool.shared.parallelFor(px.count, minPerPart: elementwiseGrain) { r in
            if let u = upper {
                for i in r { let v = s[i]; d[i] = v < 0 ? 0 : (v > u ? u : v) }
            } else {
                for i in r { let v = s[i]; d[i] = v < 0 ? 0 : v }
            }
        }
    } }
    return y
}

/// dy where 0 < x (< upper), else 0.
private func clampGradient(_ x: Tensor, _ dy: Tensor, upper: Float?) -> Tensor {
    var dx = Tensor(uninitializedShape: x.shape)
    x.withUnsafeBufferPointer { px in dy.withUnsafeBufferPointer { pg in dx.withUnsafeMutableBufferPointer { pd in
        let s = px.baseAddress!, g = pg.baseAddress!, d = pd.baseAddress!
        WorkerPool.shared.parallelFor(px.count, minPerPart: elementwiseGrain) { r in
            if let u = upper {
                for i in r { let v = s[i]; d[i] = v > 0 && v < u ? g[i] : 0 }
            } else {
                for i in r { d[i] = s[i] > 0 ? g[i] : 0 }
            }
        }
    } } }
    return dx
}
