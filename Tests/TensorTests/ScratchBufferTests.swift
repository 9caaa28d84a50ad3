import Tensor
import Testing

/// `ScratchBuffer` (Conv2d's column matrices and partial gradients) is tensor storage: large buffers go through
/// the tensor-buffer cache (whose recycling `BufferReuseTests`/`BufferCacheLimit` test; whether this one is parked
/// depends on what other suites running at the same time hold there), and live buffers never share memory.
@Suite struct ScratchBufferTests {
    /// 4 MiB plus an odd number of floats: a size no other test asks for.
    static let count = (1 << 20) + 4093

    @Test func largeScratchIsRecycledAndLiveOnesAreDistinct() {
        var first: ScratchBuffer? = ScratchBuffer(count: Self.count)
        let address = first!.pointer
        first!.pointer[Self.count - 1] = 42.5
        let other = ScratchBuffer(count: Self.count)
        #expect(other.pointer != address, "two live scratch buffers share memory")
        first = nil
        let again = ScratchBuffer(count: Self.count)
        if again.pointer == address {
            #expect(again.pointer[Self.count - 1] == 42.5, "a recycled buffer comes back as it was parked")
        }
        #expect(again.count == Self.count)
        withExtendedLifetime(other) {}
    }
}
