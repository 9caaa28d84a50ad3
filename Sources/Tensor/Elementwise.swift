import CKernels

/// Element-wise arithmetic and in-place updates. Large tensors are split over the worker pool in
/// contiguous chunks (element-wise results do not depend on the split).

/// Elements per part below which element-wise loops stay single-threaded.
public let elementwiseGrain = 1 << 15

extension Tensor {
    /// `self += alpha · other` (shapes must match).
    public mutating func addScaled(_ other: Tensor, _ alpha: Float = 1) {
        precondition(shape == other.shape, "addScaled: shapes differ: \(shape) vs \(other.shape)")
        other.withUnsafeBufferPointer { src in
            withUnsafeMutableBufferPointer { dst in
                let s = src.baseAddress!, d = dst.baseAddress!
                WorkerPool.shared.parallelFor(dst.count, minPerPart: elementwiseGrain) { r in
                    for i in r { d[i] += alpha * s[i] }
                }
            }
        }
    }

    /// `self = a + alpha · b` (shapes of `a` and `b` must match), rounded exactly as `var t = a; t.addScaled(b, alpha)`.
    /// Writes into this tensor's storage when it is unshared and of `a`'s shape (no allocation: a reusable
    /// scratch tensor), else into new storage.
    public mutating func setScaledSum(_ a: Tensor, _ b: Tensor, _ alpha: Float) {
        precondition(a.shape == b.shape, "setScaledSum: shapes differ: \(a.shape) vs \(b.shape)")
        if shape != a.shape || !isUniquelyReferenced() { self = Tensor(uninitializedShape: a.shape) }
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in
            withUnsafeMutableBufferPointer { dst in
                let x = pa.baseAddress!, y = pb.baseAddress!, d = dst.baseAddress!
                WorkerPool.shared.parallelFor(dst.count, minPerPart: elementwiseGrain) { r in
                    for i in r { d[i] = x[i] + alpha * y[i] }
                }
            }
        } }
    }

    /// `self *= alpha`.
    public mutating func scale(by alpha: Float) {
        withUnsafeMutableBufferPointer { dst in
            let d = dst.baseAddress!
            WorkerPool.shared.parallelFor(dst.count, minPerPart: elementwiseGrain) { r in
                for i in r { d[i] *= alpha }
            }
        }
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor { var c = a; c.addScaled(b, 1); return c }
    public static func - (a: Tensor, b: Tensor) -> Tensor { var c = a; c.addScaled(b, -1); return c }
    public static func * (a: Tensor, s: Float) -> Tensor { var c = a; c.scale(by: s); return c }

    /// Element-wise product (shapes must match).
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "Tensor *: shapes differ: \(a.shape) vs \(b.shape)")
        var c = Tensor(uninitializedShape: a.shape)
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
            for i in 0..<pc.count { pc[i] = pa[i] * pb[i] }
        } } }
        return c
    }

    /// A new tensor with `f` applied to every element.
    public func map(_ f: (Float) -> Float) -> Tensor {
        var c = Tensor(uninitializedShape: shape)
        withUnsafeBufferPointer { pa in c.withUnsafeMutableBufferPointer { pc in
            for i in 0..<pc.count { pc[i] = f(pa[i]) }
        } }
        return c
    }
}

// MARK: Reductions (sequential, in a fixed order, so results never depend on the thread count)

extension Tensor {
    /// Sum of all elements (accumulated in Double).
    public func sum() -> Float {
        withUnsafeBufferPointer { p in
            var s = 0.0
            for v in p { s += Double(v) }
            return Float(s)
        }
    }

    /// Mean of all elements.
    public func mean() -> Float { count == 0 ? 0 : Float(Double(sum()) / Double(count)) }

    /// ⟨self, other⟩ accumulated in Double.
    public func dot(_ other: Tensor) -> Float {
        precondition(count == other.count, "dot: element counts differ: \(shape) vs \(other.shape)")
        return withUnsafeBufferPointer { a in other.withUnsafeBufferPointer { b in
            var s = 0.0
            for i in 0..<a.count { s += Double(a[i]) * Double(b[i]) }
            return Float(s)
        } }
    }

    /// ⟨self, other⟩ in Double, vectorised (`mlr_dot_double`): the exact Double products summed in 32 lanes
    /// (element i into lane i mod 32, in index order) that are then combined pairwise in a fixed order. The
    /// same bits on every CPU path and thread count; equal to `dot` up to the order of the Double additions.
    public func dotInLanes(_ other: Tensor) -> Double {
        precondition(count == other.count, "dotInLanes: element counts differ: \(shape) vs \(other.shape)")
        return withUnsafeBufferPointer { a in other.withUnsafeBufferPointer { b in
            mlr_dot_double(a.baseAddress!, b.baseAddress!, a.count)
        } }
    }

    /// Largest |element|.
    public func maxAbs() -> Float {
        withUnsafeBufferPointer { p in p.reduce(0) { max($0, abs($1)) } }
    }

    /// True when every element is finite.
    public var isFinite: Bool { withUnsafeBufferPointer { p in p.allSatisfy { $0.isFinite } } }
}
