import Tensor

/// What an evaluation-mode convolution applies to its output in the same pass, per output channel o:
/// `y = act(((conv + bias[o])·scale[o] + shift[o]) + residual)` — the work of a following BatchNorm
/// (running statistics), residual add and ReLU/ReLU6, done while the output plane is still in cache
/// instead of as separate passes over the whole activation.
///
/// Each step is rounded separately, in the order the separate layers apply them (the convolution's
/// bias add, BatchNorm's `x·a` then `+ b`, `Residual`'s add, the clamp), so the fused output is
/// bit-identical to running the layers one after another. The model's parameters are never modified
/// (the BatchNorm is not folded into the weights).
public struct ConvEpilogue {
    /// `[out]` each: `y·scale + shift` (a BatchNorm in evaluation mode), or nil for no affine step.
    public var scale: [Float]?
    public var shift: [Float]?
    /// Added after the affine step: a tensor of the convolution's output shape (a residual branch), or nil.
    public var residual: Tensor?
    /// Clamp applied last.
    public var activation: BatchNorm.Activation

    public init(scale: [Float]? = nil, shift: [Float]? = nil, residual: Tensor? = nil,
                activation: BatchNorm.Activation = .identity) {
        precondition((scale == nil) == (shift == nil), "ConvEpilogue: scale and shift must be given together")
        if let scale, let shift {
            precondition(scale.count == shift.count,
                         "ConvEpilogue: scale has \(scale.count) channels, shift \(shift.count)")
        }
        self.scale = scale
        self.shift = shift
        self.residual = residual
        self.activation = activation
    }

    /// The clamp code `mlr_channel_epilogue` takes (0 none, 1 ReLU, 2 ReLU6).
    var activationCode: Int32 { activation == .identity ? 0 : activation == .relu ? 1 : 2 }
}

extension BatchNorm {
    /// This BatchNorm in evaluation mode as a convolution epilogue: the per-channel `a = γ/√(var + eps)`
    /// and `b = β − mean·a` from the running statistics (computed exactly as `forward` computes them in
    /// evaluation mode), with this layer's fused activation unless `activation` overrides it.
    /// Shapes: `scale`, `shift` `[channels]`; `residual` as the convolution's output.
    public func evaluationEpilogue(residual: Tensor? = nil, activation: Activation? = nil) -> ConvEpilogue {
        let (a, b) = evaluationAffine()
        return ConvEpilogue(scale: a, shift: b, residual: residual, activation: activation ?? self.activation)
    }
}

/// Applies `e` to output channels `channels` of one image, planes of `plane` floats, read from `src`
/// (channel o at `src + (o − channels.lowerBound)·srcStride`) and written to `dst` (channel o at
/// `dst + o·plane`); `residual` points at the image's residual planes (laid out as `dst`), `bias` at the
/// convolution's bias when it has one, `scale`/`shift` at the epilogue's arrays when it has them.
@inline(__always)
func applyEpilogue(activation: Int32, upper: Float, scale: UnsafePointer<Float>?, shift: UnsafePointer<Float>?,
                   bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?,
                   channels: Range<Int>, plane: Int, src: UnsafePointer<Float>, srcStride: Int,
                   dst: UnsafeMutablePointer<Float>) {
    for o in channels {
        VectorKernels.channelEpilogue(src + (o - channels.lowerBound) * srcStride, dst + o * plane, count: plane,
                                      bias: bias?[o], scale: scale.map { ($0[o], shift![o]) },
                                      residual: residual.map { $0 + o * plane }, activation: activation, upper: upper)
    }
}
