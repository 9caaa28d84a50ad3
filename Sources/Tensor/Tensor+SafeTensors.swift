@_exported import SafeTensors

extension Tensor {
    /// A tensor holding a decoded safetensors entry.
    public init(_ array: ShapedArray) { self.init(shape: array.shape, values: array.values) }

    /// This tensor as a safetensors entry.
    public var shapedArray: ShapedArray { ShapedArray(shape: shape, values: scalars) }
}

extension SafeTensors {
    /// Writes named tensors atomically (see `SafeTensors.write`).
    public static func write(tensors: [String: Tensor], metadata: [String: String] = [:], to path: String) throws {
        try write(tensors.mapValues(\.shapedArray), metadata: metadata, to: path)
    }

    /// Reads a file into named tensors.
    public static func readTensors(_ path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let (arrays, metadata) = try read(path)
        return (arrays.mapValues(Tensor.init), metadata)
    }
}
