import Tensor

/// ShuffleNetV2's stride-1 unit without its shuffle: the input's channels are split in two, the first
/// `passthrough` channels are kept as they are and the rest go through `branch`; the two are concatenated
/// along channels: `y = concatChannels([x[:, :p], branch(x[:, p:])])` (PyTorch: `x1, x2 = x.chunk(2, 1);
/// torch.cat((x1, branch2(x2)), 1)` with p = C/2).
///
/// Shapes: `[N, C, ...]` → `[N, p + C_b, ...]`, where the branch maps `[N, C − p, ...]` to `[N, C_b, ...]` with
/// the same trailing dimensions. Backward: dy is split into `[p, C_b]` channels; the first part is the
/// gradient of the kept channels, the second goes back through the branch; the two are concatenated.
/// Parameter/buffer names get the prefix `branchName.` (PyTorch: `branch2`).
public final class SplitBranch: Layer {
    public let passthrough: Int
    public let branch: any Layer
    private var branchChannels: Int?

    public init(passthrough: Int, branch: any Layer, branchName: String = "branch2") {
        precondition(passthrough >= 0, "SplitBranch: passthrough must be ≥ 0, got \(passthrough)")
        self.passthrough = passthrough
        self.branch = branch
        if !branchName.isEmpty { branch.prefixNames(branchName) }
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank >= 2 && x.shape[1] > passthrough,
                     "SplitBranch.forward: input \(x.shape) needs more than \(passthrough) channels [N, C, ...]")
        let parts = splitChannels(x, sizes: [passthrough, x.shape[1] - passthrough])
        let b = branch.forward(parts[1])
        precondition(b.rank == x.rank && b.shape[0] == x.shape[0] && b.shape[2...] == x.shape[2...],
                     "SplitBranch.forward: the branch maps \(parts[1].shape) to \(b.shape); only the channel count may change")
        branchChannels = b.shape[1]
        return concatChannels([parts[0], b])
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let cb = branchChannels else { preconditionFailure("SplitBranch.backward: called before forward") }
        precondition(dy.rank >= 2 && dy.shape[1] == passthrough + cb,
                     "SplitBranch.backward: gradient \(dy.shape) must have \(passthrough + cb) channels")
        let parts = splitChannels(dy, sizes: [passthrough, cb])
        return concatChannels([parts[0], branch.backward(parts[1])])
    }

    public var sublayers: [any Layer] { [branch] }
    public var parameters: [Parameter] { branch.parameters }
    public var buffers: [Buffer] { branch.buffers }
    public var isTraining: Bool {
        get { branch.isTraining }
        set { branch.isTraining = newValue }
    }
}
