import Tensor

/// Batch normalisation of NCHW images per channel (PyTorch `nn.BatchNorm2d`).
///
/// Shape: `[N, C, H, W]` → same shape. Statistics are over N·H·W values per channel; see
/// `BatchNorm` for the exact training/evaluation semantics and the running-statistic update.
public final class BatchNorm2d: BatchNorm {
    /// - Parameters:
    ///   - eps: added to the variance before the square root (PyTorch default 1e-5).
    ///   - momentum: weight of the newest batch in the running statistics (default 0.1; nil = cumulative average).
    public override init(channels: Int, eps: Float = 1e-5, momentum: Float? = 0.1) {
        super.init(channels: channels, eps: eps, momentum: momentum)
    }

    override func layout(of shape: [Int], op: String) -> (n: Int, s: Int) {
        precondition(shape.count == 4 && shape[1] == channels,
                     "BatchNorm2d.\(op): expected input [N, \(channels), H, W], got \(shape)")
        return (shape[0], shape[2] * shape[3])
    }
}
