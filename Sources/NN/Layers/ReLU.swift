import Tensor

/// Rectified linear unit `y = max(x, 0)` (PyTorch `nn.ReLU`; NaN passes through).
/// Shape: any; output shape = input shape. Backward: dy where x > 0, else 0.
///
/// Caches its *output* (as PyTorch does), not its input: `y > 0` exactly where `x > 0`, and the output
/// is usually kept anyway as the next layer's input, so the input can be freed (one activation less).
public final class ReLU: Layer {
    public var isTraining = true
    private var output: Tensor?
    /// The output of the most recent forward (for `activationPattern`).
    var cachedOutput: Tensor? { output }

    public init() {}

    public func forward(_ x: Tensor) -> Tensor {
        let y = clampElementwise(x, upper: nil)
        output = y
        return y
    }

    /// Records `y` as this layer's output when a fused kernel computed it instead of `forward` (keeps
    /// `activationPattern` about the most recent forward; a reference, no copy).
    func recordFusedOutput(_ y: Tensor) { output = y }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let y = output else { preconditionFailure("ReLU.backward: called before forward") }
        precondition(dy.shape == y.shape, "ReLU.backward: gradient shape \(dy.shape) ≠ forward output shape \(y.shape)")
        return clampGradient(y, dy, upper: nil)
    }
}

/// `y = min(max(x, 0), 6)` (PyTorch `nn.ReLU6`, used by MobileNetV2). Shape: any.
/// Backward: dy where 0 < x < 6, else 0 (PyTorch's hardtanh backward: no gradient at the kinks).
/// Caches its output like `ReLU` (0 < y < 6 exactly where 0 < x < 6).
public final class ReLU6: Layer {
    public var isTraining = true
    private var output: Tensor?
    /// The output of the most recent forward (for `activationPattern`).
    var cachedOutput: Tensor? { output }

    public init() {}

    public func forward(_ x: Tensor) -> Tensor {
        let y = clampElementwise(x, upper: 6)
        output = y
        return y
    }

    /// Records `y` as this layer's output when a fused kernel computed it instead of `forward`.
    func recordFusedOutput(_ y: Tensor) { output = y }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let y = output else { preconditionFailure("ReLU6.backward: called before forward") }
        precondition(dy.shape == y.shape, "ReLU6.backward: gradient shape \(dy.shape) ≠ forward output shape \(y.shape)")
        return clampGradient(y, dy, upper: 6)
    }
}

/// `min(max(x, 0), upper)` element-wise (no upper bound when nil), split over the worker pool.
private func clampElementwise(_ x: Tensor, upper: Float?) -> Tensor {
    var y = Tensor(uninitializedShape: x.shape)
    x.withUnsafeBufferPointer { px in y.withUnsafeMutableBufferPointer { py in
        let s = px.baseAddress!, d = py.baseAddress!
        WorkerPool.shared.parallelFor(px.count, minPerPart: elementwiseGrain) { r in
            VectorKernels.clamp(s + r.lowerBound, d + r.lowerBound, count: r.count, upper: upper)
        }
    } }
    return y
}

/// dy where 0 < x (< upper), else 0 (x may be the clamp's input or its output: same mask).
private func clampGradient(_ x: Tensor, _ dy: Tensor, upper: Float?) -> Tensor {
    var dx = Tensor(uninitializedShape: x.shape)
    x.withUnsafeBufferPointer { px in dy.withUnsafeBufferPointer { pg in dx.withUnsafeMutableBufferPointer { pd in
        let s = px.baseAddress!, g = pg.baseAddress!, d = pd.baseAddress!
        WorkerPool.shared.parallelFor(px.count, minPerPart: elementwiseGrain) { r in
            VectorKernels.clampGradient(s + r.lowerBound, g + r.lowerBound, d + r.lowerBound, count: r.count, upper: upper)
        }
    } } }
    return dx
}
