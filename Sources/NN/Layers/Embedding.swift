import Tensor

/// A lookup table of `vocabularySize` vectors of size `dimension` (like `torch.nn.Embedding`).
///
/// Weight `[V, D]` (state-dict name `weight`), initialised N(0, 1) as in PyTorch. Forward maps
/// token ids of any shape `S` (for a language model `[T, B]`) to `S + [D]`, row `y[n] = W[id[n]]`;
/// backward scatter-adds `dY[n]` into `grad[id[n]]`, in token order (deterministic; a token that
/// occurs several times accumulates all its rows).
///
/// Token ids: the typed API takes `[Int32]`/`[Int]` with an explicit shape. For generic code the
/// `Layer` conformance takes the ids as `Float` values in a `Tensor`; every integer up to 2²⁴
/// (16,777,216) is exact in Float, which covers any vocabulary used here. The input gradient of
/// integer ids is undefined: `backward` returns zeros of the input shape (check with
/// `checkGradients(checkInput: false)`).
public final class Embedding: Layer {
    public let vocabularySize: Int
    public let dimension: Int
    /// `[V, D]`, name `weight`.
    public let weight: Parameter
    public var isTraining = true

    private var cachedIds: [Int32] = []
    private var cachedShape: [Int] = []

    public init(vocabularySize: Int, dimension: Int, rng: inout RandomGenerator) {
        precondition(vocabularySize > 0 && dimension > 0,
                     "Embedding: vocabularySize and dimension must be positive, got \(vocabularySize), \(dimension)")
        self.vocabularySize = vocabularySize
        self.dimension = dimension
        self.weight = Parameter(Tensor.normal([vocabularySize, dimension], using: &rng), name: "weight")
    }

    public var parameters: [Parameter] { [weight] }

    // MARK: Typed token API

    /// Looks up `ids` (row-major, shape `shape`) → `shape + [D]`.
    public func forward(tokens ids: [Int32], shape: [Int]) -> Tensor {
        let n = shape.reduce(1, *)
        precondition(ids.count == n, "Embedding.forward: \(ids.count) token ids for shape \(shape) (\(n) elements)")
        let V = vocabularySize, D = dimension
        for id in ids {
            precondition(id >= 0 && Int(id) < V, "Embedding.forward: token id \(id) out of range 0..<\(V)")
        }
        cachedIds = ids
        cachedShape = shape
        var y = Tensor(uninitializedShape: shape + [D])
        weight.value.withUnsafeBufferPointer { pw in
            y.withUnsafeMutableBufferPointer { py in
                ids.withUnsafeBufferPointer { pid in
                    let w = pw.baseAddress!, out = py.baseAddress!
                    for t in 0..<n {
                        (out + t * D).update(from: w + Int(pid[t]) * D, count: D)
                    }
                }
            }
        }
        return y
    }

    /// Looks up `ids` given as `Int`.
    public func forward(tokens ids: [Int], shape: [Int]) -> Tensor {
        forward(tokens: ids.map { id -> Int32 in
            precondition(id >= 0 && id < vocabularySize, "Embedding.forward: token id \(id) out of range 0..<\(vocabularySize)")
            return Int32(id)
        }, shape: shape)
    }

    /// Backward for the most recent forward: `grad[id[n]] += dy[n]` in token order. `dy` is `shape + [D]`.
    public func backwardTokens(_ dy: Tensor) {
        let D = dimension, n = cachedIds.count
        precondition(dy.shape == cachedShape + [D],
                     "Embedding.backward: gradient shape \(dy.shape) ≠ forward output shape \(cachedShape + [D])")
        dy.withUnsafeBufferPointer { pdy in
            weight.grad.withUnsafeMutableBufferPointer { pg in
                cachedIds.withUnsafeBufferPointer { pid in
                    let g = pg.baseAddress!, d = pdy.baseAddress!
                    // Columns are split over the pool; every element still sums its rows in token order.
                    WorkerPool.shared.parallelFor(D, minPerPart: max(8, (1 << 15) / max(n, 1))) { cols in
                        for t in 0..<n {
                            let src = d + t * D, dst = g + Int(pid[t]) * D
                            for j in cols { dst[j] += src[j] }
                        }
                    }
                }
            }
        }
    }

    // MARK: Layer conformance (ids carried as Float values)

    /// `x`: token ids as Float values, any shape `S` → `S + [D]`.
    public func forward(_ x: Tensor) -> Tensor {
        let ids = x.withUnsafeBufferPointer { p in
            p.map { v -> Int32 in
                precondition(v == v.rounded() && v >= 0 && v < Float(vocabularySize),
                             "Embedding.forward: value \(v) is not a token id in 0..<\(vocabularySize)")
                return Int32(v)
            }
        }
        return forward(tokens: ids, shape: x.shape)
    }

    /// Accumulates the weight gradient; returns zeros of the id tensor's shape (ids have no gradient).
    public func backward(_ dy: Tensor) -> Tensor {
        backwardTokens(dy)
        return Tensor.zeros(cachedShape)
    }
}
