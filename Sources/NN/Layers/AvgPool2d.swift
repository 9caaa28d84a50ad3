import Tensor

/// 2-D average pooling over NCHW images with PyTorch's defaults (`nn.AvgPool2d`,
/// count_include_pad = true, ceil_mode false): each output is the window's sum of real pixels
/// divided by `kernelSize²` (zero padding counts in the divisor).
///
/// Shapes: `[N, C, H, W]` → `[N, C, Ho, Wo]`, `Ho = (H + 2p − k) / s + 1`.
/// Work is split over the N·C planes when large (per-plane results never depend on the split).
public final class AvgPool2d: Layer {
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    public var isTraining = true

    private var inputShape: [Int]?

    /// - Parameter stride: defaults to `kernelSize` (PyTorch's default).
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        let s = stride ?? kernelSize
        precondition(kernelSize > 0 && s > 0, "AvgPool2d: kernel \(kernelSize) and stride \(s) must be positive")
        precondition(padding >= 0 && padding <= kernelSize / 2,
                     "AvgPool2d: padding \(padding) must be in 0...kernelSize/2 (kernel \(kernelSize))")
        self.kernelSize = kernelSize
        self.stride = s
        self.padding = padding
    }

    func geometry(_ shape: [Int], op: String) -> ConvGeometry {
        precondition(shape.count == 4, "\(op): expected input [N, C, H, W], got \(shape)")
        return ConvGeometry(channels: shape[0] * shape[1], height: shape[2], width: shape[3],
                            kernel: (kernelSize, kernelSize), stride: (stride, stride), padding: (padding, padding), op: op)
    }

    public func forward(_ x: Tensor) -> Tensor {
        let g = geometry(x.shape, op: "AvgPool2d.forward")
        var y = Tensor(uninitializedShape: [x.shape[0], x.shape[1], g.outHeight, g.outWidth])
        inputShape = x.shape
        let inPlane = g.inputPlane, outPlane = g.outputPlane
        x.withUnsafeBufferPointer { px in y.withUnsafeMutableBufferPointer { py in
            let xb = px.baseAddress!, yb = py.baseAddress!
            WorkerPool.shared.parallelFor(g.channels, minPerPart: max(1, elementwiseGrain / inPlane)) { r in
                avgPool2dForward(xb + r.lowerBound * inPlane, g.withChannels(r.count), yb + r.lowerBound * outPlane)
            }
        } }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let shape = inputShape else { preconditionFailure("AvgPool2d.backward: called before forward") }
        let g = geometry(shape, op: "AvgPool2d.backward")
        precondition(dy.shape == [shape[0], shape[1], g.outHeight, g.outWidth],
                     "AvgPool2d.backward: gradient shape \(dy.shape) ≠ forward output shape \([shape[0], shape[1], g.outHeight, g.outWidth])")
        var dx = Tensor(uninitializedShape: shape)
        let inPlane = g.inputPlane, outPlane = g.outputPlane
        dy.withUnsafeBufferPointer { pdy in dx.withUnsafeMutableBufferPointer { pdx in
            let dyb = pdy.baseAddress!, dxb = pdx.baseAddress!
            WorkerPool.shared.parallelFor(g.channels, minPerPart: max(1, elementwiseGrain / inPlane)) { r in
                avgPool2dBackward(dyb + r.lowerBound * outPlane, g.withChannels(r.count), dxb + r.lowerBound * inPlane)
            }
        } }
        return dx
    }
}
