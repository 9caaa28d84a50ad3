/// Heap storage for a tensor's elements: `count` contiguous `Float`s, 64-byte aligned so SIMD
/// kernels can use aligned loads on whole cache lines. Shared between `Tensor` values until one
/// of them writes (copy-on-write, see `Tensor.withUnsafeMutableBufferPointer`).
public final class TensorStorage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    /// Allocates uninitialised storage for `count` floats (callers fill it).
    init(uninitializedCount count: Int) {
        precondition(count >= 0, "TensorStorage: negative element count \(count)")
        self.count = count
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        let raw = BufferRecycler.shared.take(bytes: bytes)
            ?? UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    convenience init(repeating value: Float, count: Int) {
        self.init(uninitializedCount: count)
        pointer.initialize(repeating: value, count: count)
    }

    @usableFromInline func copy() -> TensorStorage {
        let s = TensorStorage(uninitializedCount: count)
        s.pointer.update(from: pointer, count: count)
        return s
    }

    /// Large buffers go to `BufferRecycler` for the next allocation of the same size.
    deinit { BufferRecycler.shared.give(UnsafeMutableRawPointer(pointer), bytes: max(count, 1) * MemoryLayout<Float>.stride) }
}
