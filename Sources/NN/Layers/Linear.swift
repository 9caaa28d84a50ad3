import Tensor

/// Fully connected layer `y = x · Wᵀ + b` (PyTorch `nn.Linear`).
///
/// Shapes: input `[..., in]` (any number of leading dimensions, flattened into rows), output
/// `[..., out]`; `weight` is `[out, in]` and `bias` `[out]` (PyTorch layouts, so state dicts map 1:1).
/// Default initialisation is PyTorch's: weight and bias uniform in ±1/√in.
public final class Linear: Layer {
    public let inFeatures: Int
    public let outFeatures: Int
    public let weight: Parameter
    public let bias: Parameter?
    public var isTraining = true
    private var input: Tensor?   // the most recent input, viewed as [rows, in]

    /// - Parameters:
    ///   - bias: whether to add a learned bias.
    ///   - rng: generator for the initial weights (uniform ±1/√inFeatures, like PyTorch).
    public init(inFeatures: Int, outFeatures: Int, bias: Bool = true, rng: inout RandomGenerator) {
        precondition(inFeatures > 0 && outFeatures > 0,
                     "Linear: feature counts must be positive, got in=\(inFeatures) out=\(outFeatures)")
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        let bound = 1 / Float(inFeatures).squareRoot()
        weight = Parameter(Tensor.uniform([outFeatures, inFeatures], low: -bound, high: bound, using: &rng),
                           name: "weight")
        self.bias = bias
            ? Parameter(Tensor.uniform([outFeatures], low: -bound, high: bound, using: &rng), name: "bias")
            : nil
    }

    public var parameters: [Parameter] { bias.map { [weight, $0] } ?? [weight] }

    /// `[..., in] → [..., out]`.
    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank >= 1 && x.shape[x.rank - 1] == inFeatures,
                     "Linear.forward: expected input [..., \(inFeatures)], got \(x.shape)")
        let rows = x.count / inFeatures
        let (k, n) = (inFeatures, outFeatures)
        var y = Tensor(uninitializedShape: Array(x.shape.dropLast()) + [n])
        x.withUnsafeBufferPointer { px in weight.value.withUnsafeBufferPointer { pw in
            y.withUnsafeMutableBufferPointer { py in
                var beta: Float = 0
                if let b = bias {
                    // Start every row at the bias, then accumulate x · Wᵀ on top (beta = 1).
                    b.value.withUnsafeBufferPointer { pb in
                        for r in 0..<rows { (py.baseAddress! + r * n).update(from: pb.baseAddress!, count: n) }
                    }
                    beta = 1
                }
                gemm(transA: false, transB: true, m: rows, n: n, k: k,
                     a: px.baseAddress!, lda: k, b: pw.baseAddress!, ldb: k,
                     beta: beta, c: py.baseAddress!, ldc: n)
            }
        } }
        input = x
        return y
    }

    /// dX = dY · W, dW += dYᵀ · X, db += Σ_rows dY.
    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("Linear.backward: called before forward") }
        precondition(dy.shape == Array(x.shape.dropLast()) + [outFeatures],
                     "Linear.backward: gradient shape \(dy.shape) ≠ forward output shape \(Array(x.shape.dropLast()) + [outFeatures])")
        let rows = x.count / inFeatures
        let (k, n) = (inFeatures, outFeatures)
        var dx = Tensor(uninitializedShape: x.shape)
        dy.withUnsafeBufferPointer { pdy in
            let g = pdy.baseAddress!
            x.withUnsafeBufferPointer { px in
                weight.grad.withUnsafeMutableBufferPointer { pdw in
                    gemm(transA: true, transB: false, m: n, n: k, k: rows,
                         a: g, lda: n, b: px.baseAddress!, ldb: k,
                         beta: 1, c: pdw.baseAddress!, ldc: k)
                }
            }
            weight.value.withUnsafeBufferPointer { pw in
                dx.withUnsafeMutableBufferPointer { pdx in
                    gemm(transA: false, transB: false, m: rows, n: k, k: n,
                         a: g, lda: n, b: pw.baseAddress!, ldb: k,
                         c: pdx.baseAddress!, ldc: k)
                }
            }
            if let b = bias {
                b.grad.withUnsafeMutableBufferPointer { pdb in
                    let db = pdb.baseAddress!
                    // Column sums: each output feature is summed over rows in row order by one part,
                    // so the result does not depend on how the columns are split.
                    WorkerPool.shared.parallelFor(n, minPerPart: max(64, elementwiseGrain / max(rows, 1))) { cols in
                        for r in 0..<rows {
                            let row = g + r * n
                            for j in cols { db[j] += row[j] }
                        }
                    }
                }
            }
        }
        return dx
    }
}
