import Foundation
import Tensor
import Testing

/// The tensor-buffer cache's adaptive limit: without `MLRSNET_BUFFER_CACHE_MB` it keeps up to half the
/// high-water mark of live large buffers (at least 256 MiB), so a model cycling through more than 256 MiB of
/// large buffers gets them back instead of fresh pages. The buffers here are never written except one marker
/// float each (untouched pages cost no memory), and their odd size is requested by no other test.
@Suite(.serialized) struct BufferCacheLimit {
    /// ≈ 100 MiB plus an odd number of pages.
    static let count = (100 << 18) + 7 * 1024

    @Test func keepsHalfThePeakOfLiveBuffersAbove256MiB() throws {
        guard TensorBufferCache.isEnabled, !TensorBufferCache.hasFixedLimit else {
            print("BufferCacheLimit: skipped, MLRSNET_BUFFER_CACHE_MB fixes the limit")
            return
        }
        let n = 10, bytes = Self.count * 4
        var live: [Tensor] = (0..<n).map { _ in Tensor(uninitializedShape: [Self.count]) }
        for i in 0..<n { live[i].withUnsafeMutableBufferPointer { $0[0] = 1234.5 + Float(i) } }
        let during = TensorBufferCache.statistics
        #expect(during.peakLive >= n * bytes)
        #expect(during.limit >= n * bytes / 2, "limit \(during.limit) with a peak of \(during.peakLive) live bytes")
        live.removeAll()
        // ≥ 4 of the 10 parked (≈ 400 MiB of the ≈ 500 MiB limit; the old fixed 256 MiB held 2), with their contents.
        let again: [Tensor] = (0..<n).map { _ in Tensor(uninitializedShape: [Self.count]) }
        let recycled = again.filter { t in t.withUnsafeBufferPointer { p in p[0] >= 1234.5 && p[0] < 1234.5 + Float(n) } }.count
        #expect(recycled >= 4, "only \(recycled) of \(n) buffers were recycled")
        let after = TensorBufferCache.statistics
        #expect(after.parked <= after.limit)
    }
}
