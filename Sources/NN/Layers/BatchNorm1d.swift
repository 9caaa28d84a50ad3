import Tensor

/// Batch normalisation of features per channel (PyTorch `nn.BatchNorm1d`).
///
/// Shape: `[N, C]` (statistics over N values per channel) or `[N, C, L]` (over N·L values) → same
/// shape. See `BatchNorm` for the exact training/evaluation semantics.
public final class BatchNorm1d: BatchNorm {
    /// - Parameters:
    ///   - eps: added to the variance before the square root (PyTorch default 1e-5).
    ///   - momentum: weight of the newest batch in the running statistics (default 0.1; nil = cumulative average).
    public override init(channels: Int, eps: Float = 1e-5, momentum: Float? = 0.1) {
        super.init(channels: channels, eps: eps, momentum: momentum)
    }

    override func layout(of shape: [Int], op: String) -> (n: Int, s: Int) {
        precondition((shape.count == 2 || shape.count == 3) && shape[1] == channels,
                     "BatchNorm1d.\(op): expected input [N, \(channels)] or [N, \(channels), L], got \(shape)")
        return (shape[0], shape.count == 3 ? shape[2] : 1)
    }
}
