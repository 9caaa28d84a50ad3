/// A dense, row-major (C order) n-dimensional array of `Float` with value semantics.
///
/// Copies share storage until one of them is written (copy-on-write). Shapes are checked with
/// `precondition`s whose messages name the operation and the offending shapes.
///
/// Layout conventions used across the engine: images are NCHW `[batch, channels, height, width]`,
/// linear-layer activations `[batch, features]`, sequences `[time, batch, features]`.
public struct Tensor: @unchecked Sendable {
    /// Extent of each dimension; the element count is their product (1 for a scalar `[]`).
    public private(set) var shape: [Int]
    @usableFromInline var storage: TensorStorage

    /// Number of elements.
    @inlinable public var count: Int { storage.count }
    /// Number of dimensions.
    public var rank: Int { shape.count }

    // MARK: Creation

    /// A tensor of the given shape filled with `value`.
    public init(repeating value: Float, shape: [Int]) {
        let n = Tensor.elementCount(shape, op: "Tensor(repeating:shape:)")
        self.shape = shape
        self.storage = TensorStorage(repeating: value, count: n)
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(repeating: 0, shape: shape) }

    /// A tensor of ones.
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(repeating: 1, shape: shape) }

    /// A tensor whose elements are left uninitialised; every element must be written before it is read.
    /// Used by kernels that overwrite their whole output (saves a memset on hot paths).
    public init(uninitializedShape shape: [Int]) {
        let n = Tensor.elementCount(shape, op: "Tensor(uninitializedShape:)")
        self.shape = shape
        self.storage = TensorStorage(uninitializedCount: n)
    }

    /// A tensor from row-major `values`; `values.count` must equal the product of `shape`.
    public init(shape: [Int], values: [Float]) {
        let n = Tensor.elementCount(shape, op: "Tensor(shape:values:)")
        precondition(values.count == n,
                     "Tensor(shape:values:): shape \(shape) needs \(n) values, got \(values.count)")
        self.shape = shape
        self.storage = TensorStorage(uninitializedCount: n)
        values.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: n) }
    }

    /// A rank-0 tensor holding `value`.
    public init(scalar value: Float) { self.init(shape: [], values: [value]) }

    static func elementCount(_ shape: [Int], op: String) -> Int {
        var n = 1
        for d in shape {
            precondition(d >= 0, "\(op): negative dimension in shape \(shape)")
            let (m, overflow) = n.multipliedReportingOverflow(by: d)
            precondition(!overflow, "\(op): shape \(shape) has too many elements")
            n = m
        }
        return n
    }

    // MARK: Element access

    /// All elements in row-major order.
    public var scalars: [Float] {
        Array(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// The single element of a one-element tensor.
    public var scalar: Float {
        precondition(count == 1, "Tensor.scalar: tensor of shape \(shape) has \(count) elements, not 1")
        return storage.pointer[0]
    }

    /// Element at a multi-index (slow path: for tests and small tensors).
    public subscript(index: Int...) -> Float {
        get { storage.pointer[flatIndex(index)] }
        set {
            let i = flatIndex(index)
            withUnsafeMutableBufferPointer { $0[i] = newValue }
        }
    }

    /// Element at a flat row-major offset.
    public subscript(flat i: Int) -> Float {
        get {
            precondition(i >= 0 && i < count, "Tensor[flat:]: index \(i) out of range for \(count) elements")
            return storage.pointer[i]
        }
        set {
            precondition(i >= 0 && i < count, "Tensor[flat:]: index \(i) out of range for \(count) elements")
            withUnsafeMutableBufferPointer { $0[i] = newValue }
        }
    }

    func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count,
                     "Tensor subscript: \(index.count) indices for a rank-\(shape.count) tensor of shape \(shape)")
        var flat = 0
        for (d, i) in index.enumerated() {
            precondition(i >= 0 && i < shape[d], "Tensor subscript: index \(index) out of bounds for shape \(shape)")
            flat = flat * shape[d] + i
        }
        return flat
    }

    /// Read-only access to the contiguous elements.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// Mutable access to the contiguous elements; copies the storage first if it is shared.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// True when no other tensor value shares this tensor's storage (writing will not copy).
    public mutating func isUniquelyReferenced() -> Bool { isKnownUniquelyReferenced(&storage) }

    // MARK: Shape

    /// The same elements viewed with another shape of equal element count (shares storage).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var newShape = newShape
        if let infer = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != infer }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0,
                         "Tensor.reshaped: cannot infer -1 in \(newShape) for \(count) elements (shape \(shape))")
            newShape[infer] = count / known
        }
        let n = Tensor.elementCount(newShape, op: "Tensor.reshaped")
        precondition(n == count, "Tensor.reshaped: cannot view shape \(shape) (\(count) elements) as \(newShape)")
        var t = self
        t.shape = newShape
        return t
    }

    /// Fills every element with `value` (in place).
    public mutating func fill(_ value: Float) {
        withUnsafeMutableBufferPointer { $0.update(repeating: value) }
    }
}

extension Tensor: Equatable {
    /// Exact equality of shape and every element bit pattern-wise as Floats (NaN ≠ NaN).
    public static func == (a: Tensor, b: Tensor) -> Bool {
        guard a.shape == b.shape else { return false }
        if a.storage === b.storage { return a.scalars.allSatisfy { !$0.isNaN } }
        return a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in
            for i in 0..<pa.count where pa[i] != pb[i] { return false }
            return true
        } }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = count <= 16 ? scalars.map { "\($0)" }.joined(separator: ", ")
            : scalars.prefix(8).map { "\($0)" }.joined(separator: ", ") + ", …"
        return "Tensor(shape: \(shape), [\(shown)])"
    }
}
