import Tensor

/// 2-D max pooling over NCHW images with PyTorch's semantics (`nn.MaxPool2d`, ceil_mode false):
/// zero-free padding that never wins (it counts as −∞), ties resolved to the first maximum in
/// row-major window order, NaN propagates. The winners' positions are cached for backward,
/// which routes each output gradient to its winner (overlapping windows accumulate).
///
/// Shapes: `[N, C, H, W]` → `[N, C, Ho, Wo]`, `Ho = (H + 2p − d·(k − 1) − 1) / s + 1`.
/// Work is split over the N·C planes when large (per-plane results never depend on the split).
public final class MaxPool2d: Layer {
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    public let dilation: Int
    public var isTraining = true

    private var inputShape: [Int]?
    private var argmax: [Int32] = []   // flat index inside its input plane, per output element
    /// The winners of the most recent forward (for `activationPattern`).
    var winners: [Int32] { argmax }

    /// - Parameter stride: defaults to `kernelSize` (PyTorch's default).
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1) {
        let s = stride ?? kernelSize
        precondition(kernelSize > 0 && s > 0 && dilation > 0,
                     "MaxPool2d: kernel \(kernelSize), stride \(s) and dilation \(dilation) must be positive")
        precondition(padding >= 0 && padding <= (dilation * (kernelSize - 1) + 1) / 2,
                     "MaxPool2d: padding \(padding) must be in 0...half the effective kernel size \(dilation * (kernelSize - 1) + 1)")
        self.kernelSize = kernelSize
        self.stride = s
        self.padding = padding
        self.dilation = dilation
    }

    func geometry(_ shape: [Int], op: String) -> ConvGeometry {
        precondition(shape.count == 4, "\(op): expected input [N, C, H, W], got \(shape)")
        return ConvGeometry(channels: shape[0] * shape[1], height: shape[2], width: shape[3],
                            kernel: (kernelSize, kernelSize), stride: (stride, stride), padding: (padding, padding),
                            dilation: (dilation, dilation), op: op)
    }

    public func forward(_ x: Tensor) -> Tensor {
        let g = geometry(x.shape, op: "MaxPool2d.forward")
        var y = Tensor(uninitializedShape: [x.shape[0], x.shape[1], g.outHeight, g.outWidth])
        if argmax.count != y.count { argmax = [Int32](repeating: 0, count: y.count) }
        inputShape = x.shape
        let inPlane = g.inputPlane, outPlane = g.outputPlane
        x.withUnsafeBufferPointer { px in y.withUnsafeMutableBufferPointer { py in
            argmax.withUnsafeMutableBufferPointer { pa in
                let xb = px.baseAddress!, yb = py.baseAddress!, ab = pa.baseAddress!
                WorkerPool.shared.parallelFor(g.channels, minPerPart: max(1, elementwiseGrain / inPlane)) { r in
                    maxPool2dForward(xb + r.lowerBound * inPlane, g.withChannels(r.count),
                                     yb + r.lowerBound * outPlane, argmax: ab + r.lowerBound * outPlane)
                }
            }
        } }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let shape = inputShape else { preconditionFailure("MaxPool2d.backward: called before forward") }
        let g = geometry(shape, op: "MaxPool2d.backward")
        precondition(dy.shape == [shape[0], shape[1], g.outHeight, g.outWidth],
                     "MaxPool2d.backward: gradient shape \(dy.shape) ≠ forward output shape \([shape[0], shape[1], g.outHeight, g.outWidth])")
        var dx = Tensor(uninitializedShape: shape)
        let inPlane = g.inputPlane, outPlane = g.outputPlane
        dy.withUnsafeBufferPointer { pdy in dx.withUnsafeMutableBufferPointer { pdx in
            argmax.withUnsafeBufferPointer { pa in
                let dyb = pdy.baseAddress!, dxb = pdx.baseAddress!, ab = pa.baseAddress!
                WorkerPool.shared.parallelFor(g.channels, minPerPart: max(1, elementwiseGrain / inPlane)) { r in
                    maxPool2dBackward(dyb + r.lowerBound * outPlane, argmax: ab + r.lowerBound * outPlane,
                                      g.withChannels(r.count), dxb + r.lowerBound * inPlane)
                }
            }
        } }
        return dx
    }
}
