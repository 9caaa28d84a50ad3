import Tensor

// Channel-dimension operations for ShuffleNet/DenseNet-style networks. Tensors are `[N, C, ...]`
// (NCHW images, or any rank ≥ 2); "spatial" below is the product of the dimensions after C.

/// Concatenates `[N, C_i, ...]` tensors along the channel dimension into `[N, ΣC_i, ...]` (all other
/// dimensions must agree). Its backward is `splitChannels(dy, sizes: [C_i])`.
public func concatChannels(_ xs: [Tensor]) -> Tensor {
    precondition(!xs.isEmpty, "concatChannels: need at least one tensor")
    let first = xs[0].shape
    precondition(first.count >= 2, "concatChannels: need tensors of rank ≥ 2 [N, C, ...], got \(first)")
    for t in xs {
        precondition(t.rank == first.count && t.shape[0] == first[0] && t.shape[2...] == first[2...],
                     "concatChannels: shapes must agree except in dimension 1, got \(xs.map(\.shape))")
    }
    let n = first[0], spatial = first[2...].reduce(1, *)
    let total = xs.reduce(0) { $0 + $1.shape[1] }
    var shape = first
    shape[1] = total
    var y = Tensor(uninitializedShape: shape)
    y.withUnsafeMutableBufferPointer { py in
        let yp = py.baseAddress!
        var offset = 0   // channel offset of the current input
        for t in xs {
            let block = t.shape[1] * spatial, dstOffset = offset * spatial
            t.withUnsafeBufferPointer { px in
                let xp = px.baseAddress!
                copyBlocks(count: n, block: block) { b in
                    (yp + b * total * spatial + dstOffset).update(from: xp + b * block, count: block)
                }
            }
            offset += t.shape[1]
        }
    }
    return y
}

/// Splits `[N, C, ...]` along the channel dimension into tensors of `sizes[i]` channels
/// (`sizes` must sum to C). Its backward is `concatChannels`.
public func splitChannels(_ x: Tensor, sizes: [Int]) -> [Tensor] {
    precondition(x.rank >= 2, "splitChannels: need a tensor of rank ≥ 2 [N, C, ...], got \(x.shape)")
    precondition(sizes.allSatisfy { $0 >= 0 } && sizes.reduce(0, +) == x.shape[1],
                 "splitChannels: sizes \(sizes) must be non-negative and sum to the \(x.shape[1]) channels of \(x.shape)")
    let n = x.shape[0], total = x.shape[1], spatial = x.shape[2...].reduce(1, *)
    var outputs: [Tensor] = []
    outputs.reserveCapacity(sizes.count)
    x.withUnsafeBufferPointer { px in
        let xp = px.baseAddress!
        var offset = 0
        for size in sizes {
            var shape = x.shape
            shape[1] = size
            var t = Tensor(uninitializedShape: shape)
            let block = size * spatial, srcOffset = offset * spatial
            t.withUnsafeMutableBufferPointer { pt in
                let tp = pt.baseAddress!
                copyBlocks(count: n, block: block) { b in
                    (tp + b * block).update(from: xp + b * total * spatial + srcOffset, count: block)
                }
            }
            outputs.append(t)
            offset += size
        }
    }
    return outputs
}

/// Runs `body(b)` for `b` in `0..<count`, over the worker pool when the copies are large.
private func copyBlocks(count: Int, block: Int, _ body: (Int) -> Void) {
    WorkerPool.shared.parallelFor(count, minPerPart: max(1, elementwiseGrain / max(block, 1))) { r in
        for b in r { body(b) }
    }
}

/// ShuffleNet's channel shuffle: views `[N, C, H, W]` as `[N, g, C/g, H, W]`, swaps the two channel
/// axes and flattens back, so output channel `j·g + i` is input channel `i·(C/g) + j`. Rank ≥ 2 inputs
/// `[N, C, ...]` are accepted. Backward applies the inverse permutation. No parameters.
public final class ChannelShuffle: Layer {
    public let groups: Int
    public var isTraining = true
    private var inputShape: [Int]?

    public init(groups: Int) {
        precondition(groups >= 1, "ChannelShuffle: groups must be ≥ 1, got \(groups)")
        self.groups = groups
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank >= 2 && x.shape[1] % groups == 0,
                     "ChannelShuffle.forward: channels of \(x.shape) must be divisible by groups=\(groups)")
        inputShape = x.shape
        let g = groups, k = x.shape[1] / groups
        // out channel j·g + i ← in channel i·k + j
        return permuteChannels(x) { out in (out % g) * k + out / g }
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let shape = inputShape else { preconditionFailure("ChannelShuffle.backward: called before forward") }
        precondition(dy.shape == shape, "ChannelShuffle.backward: gradient shape \(dy.shape) ≠ forward output shape \(shape)")
        let g = groups, k = shape[1] / groups
        // dx channel i·k + j ← dy channel j·g + i
        return permuteChannels(dy) { inCh in (inCh % k) * g + inCh / k }
    }
}

/// `y[:, c] = x[:, source(c)]` for a channel permutation `source`.
private func permuteChannels(_ x: Tensor, source: (Int) -> Int) -> Tensor {
    let n = x.shape[0], c = x.shape[1], spatial = x.shape[2...].reduce(1, *)
    let sources = (0..<c).map(source)
    var y = Tensor(uninitializedShape: x.shape)
    x.withUnsafeBufferPointer { px in y.withUnsafeMutableBufferPointer { py in
        let xp = px.baseAddress!, yp = py.baseAddress!
        sources.withUnsafeBufferPointer { src in
            copyBlocks(count: n, block: c * spatial) { b in
                let base = b * c * spatial
                for ch in 0..<c {
                    (yp + base + ch * spatial).update(from: xp + base + src[ch] * spatial, count: spatial)
                }
            }
        }
    } }
    return y
}
