import Tensor

/// Global average pooling: the mean of each channel plane, `[N, C, H, W]` → `[N, C]` (PyTorch's
/// `AdaptiveAvgPool2d(1)` followed by a flatten, as at the end of a ResNet).
/// Work is split over the N·C planes when large (per-plane results never depend on the split).
public final class GlobalAvgPool2d: Layer {
    public var isTraining = true
    private var inputShape: [Int]?

    public init() {}

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4 && x.shape[2] > 0 && x.shape[3] > 0,
                     "GlobalAvgPool2d.forward: expected input [N, C, H, W] with H, W > 0, got \(x.shape)")
        inputShape = x.shape
        let planes = x.shape[0] * x.shape[1], plane = x.shape[2] * x.shape[3]
        var y = Tensor(uninitializedShape: [x.shape[0], x.shape[1]])
        x.withUnsafeBufferPointer { px in y.withUnsafeMutableBufferPointer { py in
            let xb = px.baseAddress!, yb = py.baseAddress!
            WorkerPool.shared.parallelFor(planes, minPerPart: max(1, elementwiseGrain / plane)) { r in
                globalAvgPoolForward(xb + r.lowerBound * plane, planes: r.count, plane: plane, yb + r.lowerBound)
            }
        } }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let shape = inputShape else { preconditionFailure("GlobalAvgPool2d.backward: called before forward") }
        precondition(dy.shape == [shape[0], shape[1]],
                     "GlobalAvgPool2d.backward: gradient shape \(dy.shape) ≠ forward output shape \([shape[0], shape[1]])")
        let planes = shape[0] * shape[1], plane = shape[2] * shape[3]
        var dx = Tensor(uninitializedShape: shape)
        dy.withUnsafeBufferPointer { pdy in dx.withUnsafeMutableBufferPointer { pdx in
            let dyb = pdy.baseAddress!, dxb = pdx.baseAddress!
            WorkerPool.shared.parallelFor(planes, minPerPart: max(1, elementwiseGrain / plane)) { r in
                globalAvgPoolBackward(dyb + r.lowerBound, planes: r.count, plane: plane, dxb + r.lowerBound * plane)
            }
        } }
        return dx
    }
}
