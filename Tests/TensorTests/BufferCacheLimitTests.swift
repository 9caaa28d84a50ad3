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

    @Test func limitIsHalfThePeakOfLiveBuffersWithA256MiBFloor() {
        guard !TensorBufferCache.hasFixedLimit else {
            print("BufferCacheLimit: skipped, MLRSNET_BUFFER_CACHE_MB fixes the limit")
            return
        }
        let mib = 1 << 20
        #expect(TensorBufferCache.limit(peakLiveBytes: 0) == 256 * mib)
        #expect(TensorBufferCache.limit(peakLiveBytes: 400 * mib) == 256 * mib)
        #expect(TensorBufferCache.limit(peakLiveBytes: 512 * mib) == 256 * mib)
        #expect(TensorBufferCache.limit(peakLiveBytes: 2048 * mib) == 1024 * mib)
        #expect(TensorBufferCache.limit(peakLiveBytes: 2048 * mib + 2) == 1024 * mib + 1)
    }

    /// The same limit at work on the shared cache. Other suites run in parallel in this process and park
    /// buffers of their own, so the check asks for as many recycled buffers as the headroom under the limit,
    /// measured just before ours are freed, allowed (at most 4).
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
        let expected = min(4, max(0, (during.limit - during.parked) / bytes))
        live.removeAll()
        let again: [Tensor] = (0..<n).map { _ in Tensor(uninitializedShape: [Self.count]) }
        let recycled = again.filter { t in t.withUnsafeBufferPointer { p in p[0] >= 1234.5 && p[0] < 1234.5 + Float(n) } }.count
        if expected < 4 { print("BufferCacheLimit: other tests had \(during.parked >> 20) MiB parked; expecting \(expected) recycled") }
        #expect(recycled >= expected, "only \(recycled) of \(n) buffers were recycled (headroom allowed \(expected))")
        let after = TensorBufferCache.statistics
        #expect(after.parked <= after.limit)
    }
}
