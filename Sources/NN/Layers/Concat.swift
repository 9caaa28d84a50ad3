import Tensor

/// Parallel branches on the same input, concatenated along channels:
/// `y = concatChannels([b₀(x), b₁(x), ...])` (Inception/DenseNet/ShuffleNet-style blocks).
/// Backward splits dy by each branch's channel count, runs each branch backward and sums their
/// input gradients.
///
/// Shapes: every branch maps `x` to `[N, C_i, ...]` with the same dimensions apart from C_i.
/// Parameter/buffer names are prefixed with `names[i].` (default: the branch index, like `nn.Sequential`).
public final class Concat: Layer {
    public let branches: [any Layer]
    private var channelSizes: [Int]?

    public init(_ branches: [any Layer], names: [String]? = nil) {
        precondition(!branches.isEmpty, "Concat: need at least one branch")
        precondition(names == nil || names!.count == branches.count,
                     "Concat: \(names?.count ?? 0) names for \(branches.count) branches")
        self.branches = branches
        for (i, b) in branches.enumerated() {
            let name = names?[i] ?? "\(i)"
            if !name.isEmpty { b.prefixNames(name) }
        }
    }

    public func forward(_ x: Tensor) -> Tensor {
        let outs = branches.map { $0.forward(x) }
        for o in outs {
            precondition(o.rank >= 2, "Concat.forward: branch outputs must be [N, C, ...], got \(outs.map(\.shape))")
        }
        channelSizes = outs.map { $0.shape[1] }
        return concatChannels(outs)
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let sizes = channelSizes else { preconditionFailure("Concat.backward: called before forward") }
        let parts = splitChannels(dy, sizes: sizes)
        var dx = branches[0].backward(parts[0])
        for i in 1..<branches.count {
            let d = branches[i].backward(parts[i])
            precondition(d.shape == dx.shape, "Concat.backward: branch input gradients differ in shape: \(dx.shape) vs \(d.shape)")
            dx.addScaled(d)
        }
        return dx
    }

    public var sublayers: [any Layer] { branches }
    public var parameters: [Parameter] { branches.flatMap { $0.parameters } }
    public var buffers: [Buffer] { branches.flatMap { $0.buffers } }
    public var isTraining: Bool {
        get { branches[0].isTraining }
        set { for b in branches { b.isTraining = newValue } }
    }
}
