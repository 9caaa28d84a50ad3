import Foundation
import Tensor

/// Softmax cross-entropy of integer class labels, averaged over the batch (PyTorch
/// `F.cross_entropy(logits, labels)` with the default mean reduction).
///
/// Shapes: `logits` `[N, C]` (or `[..., C]`: leading dimensions are flattened into N rows, e.g.
/// `[T, B, vocab]` for language models), `labels` N class indices in `0..<C`.
///
/// Per row: `loss_i = log Σ_j exp(z_ij − m_i) − (z_i,label − m_i)` with `m_i = max_j z_ij` (stable
/// log-sum-exp); the gradient is `(softmax(z_i) − onehot(label_i)) / N`. Rows are processed in
/// parallel; each row's loss is computed by one worker and the row losses are added sequentially in
/// row order (in Double), so the result is bit-identical for any thread count.
public struct SoftmaxCrossEntropy: Sendable {
    /// The loss, optionally its gradient, and the number of rows whose argmax equals the label.
    public struct Result: Sendable {
        /// Mean of the per-row losses.
        public var loss: Float
        /// ∂loss/∂logits, shaped like the logits (nil when not requested).
        public var gradient: Tensor?
        /// Rows whose first maximal logit is at the label.
        public var correct: Int
        /// Number of rows N.
        public var count: Int
        /// `correct / count`.
        public var accuracy: Double { count == 0 ? 0 : Double(correct) / Double(count) }
    }

    public init() {}

    /// Mean loss over the batch and its gradient with respect to the logits.
    public func callAsFunction(logits: Tensor, labels: [Int]) -> (loss: Float, gradient: Tensor) {
        let r = evaluate(logits: logits, labels: labels, computeGradient: true)
        return (r.loss, r.gradient!)
    }

    /// Loss, argmax-accuracy count and (when `computeGradient`) the gradient in one pass over the logits.
    public func evaluate(logits: Tensor, labels: [Int], computeGradient: Bool = true) -> Result {
        precondition(logits.rank >= 1 && logits.shape[logits.rank - 1] > 0,
                     "SoftmaxCrossEntropy: expected logits [N, C] with C > 0, got \(logits.shape)")
        let c = logits.shape[logits.rank - 1], n = logits.count / c
        precondition(labels.count == n,
                     "SoftmaxCrossEntropy: \(labels.count) labels for \(n) rows of logits \(logits.shape)")
        for (i, l) in labels.enumerated() {
            precondition(l >= 0 && l < c, "SoftmaxCrossEntropy: label \(l) at row \(i) is out of range 0..<\(c)")
        }
        guard n > 0 else { return Result(loss: 0, gradient: computeGradient ? logits : nil, correct: 0, count: 0) }

        var rowLoss = [Double](repeating: 0, count: n)
        var rowCorrect = [UInt8](repeating: 0, count: n)
        var gradient = computeGradient ? Tensor(uninitializedShape: logits.shape) : nil
        let invN = 1 / Double(n)

        func run(_ g: UnsafeMutablePointer<Float>?) {
            logits.withUnsafeBufferPointer { pz in labels.withUnsafeBufferPointer { pl in
                rowLoss.withUnsafeMutableBufferPointer { pLoss in rowCorrect.withUnsafeMutableBufferPointer { pCor in
                    let z = pz.baseAddress!, lossOut = pLoss.baseAddress!, corOut = pCor.baseAddress!
                    WorkerPool.shared.parallelFor(n, minPerPart: max(1, 8192 / c)) { rows in
                        for r in rows {
                            let zr = z + r * c, label = pl[r]
                            let (mx, arg) = rowMaxAndArgmax(zr, c)
                            let sum = rowExpSum(zr, c, shift: mx, into: g.map { $0 + r * c })
                            lossOut[r] = log(sum) - (Double(zr[label]) - Double(mx))
                            corOut[r] = arg == label ? 1 : 0
                            if let g {
                                let gr = g + r * c
                                let s = Float(invN / sum)
                                for j in 0..<c { gr[j] *= s }
                                gr[label] -= Float(invN)
                            }
                        }
                    }
                } }
            } }
        }
        if gradient != nil {
            gradient!.withUnsafeMutableBufferPointer { run($0.baseAddress!) }
        } else {
            run(nil)
        }

        var total = 0.0, correct = 0
        for r in 0..<n { total += rowLoss[r]; correct += Int(rowCorrect[r]) }
        return Result(loss: Float(total * invN), gradient: gradient, correct: correct, count: n)
    }
}

// MARK: Row kernels (16 Float lanes)

@inline(__always) private func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

/// The largest element and the index of its first occurrence.
private func rowMaxAndArgmax(_ p: UnsafePointer<Float>, _ count: Int) -> (Float, Int) {
    var i = 0
    var mx = -Float.infinity
    if count >= 16 {
        var acc = load16(p)
        i = 16
        while i + 16 <= count {
            // (`pointwiseMax` is scalarised with NaN handling; a masked select compiles to max/blend.)
            let v = load16(p + i)
            acc.replace(with: v, where: v .> acc)
            i += 16
        }
        mx = acc.max()
    }
    while i < count { if p[i] > mx { mx = p[i] }; i += 1 }
    var j = 0
    while j + 16 <= count {
        if any(load16(p + j) .== mx) { break }
        j += 16
    }
    while j < count && p[j] != mx { j += 1 }
    return (mx, min(j, count - 1))   // a NaN row has no index equal to its max: report the last
}

/// Σ_j exp(p[j] − shift) in Double (16 Float lanes flushed every 4096 elements); when `out` is given
/// also stores each exp(p[j] − shift) there.
private func rowExpSum(_ p: UnsafePointer<Float>, _ count: Int, shift: Float,
                       into out: UnsafeMutablePointer<Float>?) -> Double {
    let sv = SIMD16<Float>(repeating: shift)
    var total = 0.0
    var start = 0
    while start < count {
        let end = min(count, start + 4096)
        var acc = SIMD16<Float>(repeating: 0)
        var i = start
        while i + 16 <= end {
            let e = exp16(load16(p + i) - sv)
            if let out { UnsafeMutableRawPointer(out + i).storeBytes(of: e, as: SIMD16<Float>.self) }
            acc += e
            i += 16
        }
        if i < end {
            // Tail: pad with a value whose exp is 0, so tail elements use the same formula.
            var v = SIMD16<Float>(repeating: -.infinity)
            for j in 0..<(end - i) { v[j] = p[i + j] - shift }
            let e = exp16(v)
            for j in 0..<(end - i) { out?[i + j] = e[j] }
            acc += e
        }
        total += Double(acc.sum())
        start = end
    }
    return total
}

/// exp(x) for 16 lanes with x ≤ 0 (here x = z − max z), accurate to about 1 ulp; exactly 0 below −87
/// (the true value is < 1.7e-38 there, negligible next to the row sum ≥ 1).
///
/// Range reduction x = n·ln2 + r with n = round(x/ln2), |r| ≤ ln2/2 (ln2 split into a 9-bit high part,
/// so n·ln2_hi is exact), e^r by its degree-7 Taylor polynomial (truncation < 1e-8 relative), and
/// the factor 2ⁿ built directly in the exponent bits. Written with plain SIMD arithmetic and masked
/// selects, which compile to vector instructions (no libm call per element).
@inline(__always) private func exp16(_ x: SIMD16<Float>) -> SIMD16<Float> {
    let lower: Float = -87
    let xc = x.replacing(with: lower, where: x .< lower)
    // 1.5·2²³: adding it rounds to the nearest integer and leaves n in the low mantissa bits.
    let magic = SIMD16<Float>(repeating: 12_582_912)
    let t = xc * 1.442_695_04 + magic
    let nf = t - magic
    var r = xc - nf * 0.693_359_375
    r = r - nf * -2.121_944_4e-4
    var p = SIMD16<Float>(repeating: 1.0 / 5040)
    p = p * r + 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let n = unsafeBitCast(t, to: SIMD16<Int32>.self) &- unsafeBitCast(magic, to: SIMD16<Int32>.self)
    let scale = unsafeBitCast((n &+ 127) &<< 23, to: SIMD16<Float>.self)
    return (p * scale).replacing(with: 0, where: x .< lower)
}
