import NN
import Tensor

/// Clips the gradients of `parameters` by their total L2 norm, like `torch.nn.utils.clip_grad_norm_`
/// (norm type 2): with N = √(Σ over all grads of g²), every grad is scaled by
/// c = maxNorm / (N + 1e-6) when c < 1 (i.e. when N exceeds maxNorm, up to that 1e-6), else left as is.
///
/// The sum of squares is accumulated in Double over fixed chunks combined in a fixed order, so the
/// norm is identical for any thread count.
///
/// Non-finite norms are reported, not propagated: if N is NaN or ±∞ (a NaN or ∞ in some gradient, or
/// overflow), the gradients are left untouched and N is returned, so the caller can see it
/// (`!norm.isFinite`) and skip the step. (PyTorch would scale every gradient by 0 or NaN.)
///
/// - Returns: the total norm before clipping.
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Float) -> Float {
    precondition(maxNorm >= 0, "clipGradientNorm: maxNorm must be ≥ 0, got \(maxNorm)")
    var total = 0.0
    for p in parameters {
        total += p.grad.withUnsafeBufferPointer { sumOfSquares($0) }
    }
    let norm = total.squareRoot()
    guard norm.isFinite else { return Float(norm) }
    let coefficient = Double(maxNorm) / (norm + 1e-6)
    if coefficient < 1 {
        let c = Float(coefficient)
        for p in parameters { p.grad.scale(by: c) }
    }
    return Float(norm)
}

/// Elements per chunk of the sum of squares; the chunking depends only on the element count.
private let normChunk = 1 << 15

/// Σ x² in Double: fixed chunks of `normChunk` elements (in parallel for big tensors), each summed
/// with 8 interleaved accumulators, then combined in chunk order. Deterministic for any thread count.
func sumOfSquares(_ x: UnsafeBufferPointer<Float>) -> Double {
    let n = x.count
    guard n > 0 else { return 0 }
    let base = x.baseAddress!
    let chunks = (n + normChunk - 1) / normChunk
    if chunks == 1 { return chunkSumOfSquares(base, n) }
    var partial = [Double](repeating: 0, count: chunks)
    partial.withUnsafeMutableBufferPointer { pb in
        let out = pb.baseAddress!
        // At most 32768 parts per pool region; chunk results do not depend on the grouping.
        var start = 0
        while start < chunks {
            let count = min(chunks - start, 1 << 15)
            let first = start
            WorkerPool.shared.run(parts: count) { j in
                let c = first + j
                let lo = c * normChunk
                out[c] = chunkSumOfSquares(base + lo, min(normChunk, n - lo))
            }
            start += count
        }
    }
    var s = 0.0
    for v in partial { s += v }
    return s
}

@inline(__always)
private func chunkSumOfSquares(_ p: UnsafePointer<Float>, _ n: Int) -> Double {
    var a = SIMD8<Double>(repeating: 0)
    var i = 0
    while i + 8 <= n {
        let v = SIMD8<Double>(Double(p[i]), Double(p[i + 1]), Double(p[i + 2]), Double(p[i + 3]),
                              Double(p[i + 4]), Double(p[i + 5]), Double(p[i + 6]), Double(p[i + 7]))
        a += v * v
        i += 8
    }
    var s = a.sum()
    while i < n { let v = Double(p[i]); s += v * v; i += 1 }
    return s
}
