import Foundation
import Synchronization

/// Keeps large freed tensor buffers for reuse by the next allocation of the same size.
///
/// Training repeats the same allocations every step (activations, gradients of fixed shapes). Without
/// reuse, glibc returns buffers above its mmap threshold (≤ 32 MiB) to the kernel on free, and every
/// step pays page faults plus the kernel zeroing each new page again (measured with `perf`: ~8% of a
/// ResNet-20 step and ~35% of a MobileNetV2 step, b128, 1 thread). Buffers of at least
/// `minimumBytes` are parked here instead, up to a limit in total; a buffer that does not fit is freed
/// as before. Only exact sizes are reused, so a buffer never outgrows its request; contents are not
/// cleared (storage is "uninitialised" by contract).
///
/// The limit: `MLRSNET_BUFFER_CACHE_MB` when set (0 disables parking); else the larger of 256 MiB and half
/// the high-water mark of the large buffers alive at once. A model whose step cycles through more than
/// 256 MiB of distinct large buffers (MobileNetV2 b128: ≈ 2 GiB of activations in many sizes) keeps them
/// all, while the parked memory stays a bounded fraction of what the model itself needs.
final class BufferRecycler: Sendable {
    static let shared = BufferRecycler()

    /// Buffers smaller than this (1 MiB) go straight back to malloc.
    static let minimumBytes = 1 << 20
    /// The limit's floor without `MLRSNET_BUFFER_CACHE_MB`.
    static let defaultLimitBytes = 256 << 20

    /// The fixed limit from `MLRSNET_BUFFER_CACHE_MB`, or nil for the adaptive one.
    let fixedLimitBytes: Int?

    private struct State: ~Copyable {
        var free: [Int: [Int]] = [:]   // byte count → addresses
        var bytes = 0                  // parked
        var live = 0                   // large buffers handed out and not given back
        var peakLive = 0
    }
    private let state = Mutex(State())

    init() {
        let setting = ProcessInfo.processInfo.environment["MLRSNET_BUFFER_CACHE_MB"]
        fixedLimitBytes = setting.flatMap { Int($0) }.map { max(0, $0) << 20 }
        if let setting, fixedLimitBytes == nil {
            FileHandle.standardError.write(Data("warning: MLRSNET_BUFFER_CACHE_MB=\(setting) is not a whole number of MiB; ignored (the adaptive limit applies)\n".utf8))
        }
    }

    /// Whether buffers are parked at all.
    var enabled: Bool { fixedLimitBytes != 0 }

    /// The parked-bytes limit given the live high-water mark.
    func limit(peakLive: Int) -> Int { fixedLimitBytes ?? max(Self.defaultLimitBytes, peakLive / 2) }

    /// A parked buffer of exactly `bytes` bytes (64-byte aligned), or nil (the caller then allocates one).
    /// Either way the buffer counts as live until `give`.
    func take(bytes: Int) -> UnsafeMutableRawPointer? {
        guard bytes >= Self.minimumBytes, enabled else { return nil }
        let address: Int? = state.withLock { s in
            s.live += bytes
            s.peakLive = max(s.peakLive, s.live)
            guard var list = s.free[bytes], let a = list.popLast() else { return nil }
            s.free[bytes] = list.isEmpty ? nil : list
            s.bytes -= bytes
            return a
        }
        return address.flatMap { UnsafeMutableRawPointer(bitPattern: $0) }
    }

    /// Parks `pointer` (of `bytes` bytes) when it is large and fits under the limit; else frees it.
    func give(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        if bytes >= Self.minimumBytes && enabled {
            let address = Int(bitPattern: pointer)
            let kept = state.withLock { s in
                s.live -= bytes
                guard s.bytes + bytes <= limit(peakLive: s.peakLive) else { return false }
                s.free[bytes, default: []].append(address)
                s.bytes += bytes
                return true
            }
            if kept { return }
        }
        pointer.deallocate()
    }

    /// (parked, live, peak live, current limit) in bytes.
    var statistics: (parked: Int, live: Int, peakLive: Int, limit: Int) {
        state.withLock { s in (s.bytes, s.live, s.peakLive, limit(peakLive: s.peakLive)) }
    }
}

/// What the tensor-buffer cache holds (diagnostics and tests): bytes parked for reuse, bytes of large
/// buffers in use, their high-water mark, and the parking limit now in force.
public enum TensorBufferCache {
    public static var statistics: (parked: Int, live: Int, peakLive: Int, limit: Int) { BufferRecycler.shared.statistics }
    /// Whether the cache is on (`MLRSNET_BUFFER_CACHE_MB` is not 0).
    public static var isEnabled: Bool { BufferRecycler.shared.enabled }
    /// Whether `MLRSNET_BUFFER_CACHE_MB` fixes the limit.
    public static var hasFixedLimit: Bool { BufferRecycler.shared.fixedLimitBytes != nil }
    /// The parking limit in bytes the cache applies when the large buffers alive at once have peaked at
    /// `peakLiveBytes`: `MLRSNET_BUFFER_CACHE_MB` when set, else max(256 MiB, peakLiveBytes / 2).
    public static func limit(peakLiveBytes: Int) -> Int { BufferRecycler.shared.limit(peakLive: peakLiveBytes) }
}

/// An uninitialised scratch buffer of `count` floats for a kernel's temporaries (column matrices, per-chunk
/// partial gradients). Large ones come from and go back to the tensor-buffer cache like tensor storage, so a
/// layer that needs the same scratch every step reuses it instead of faulting in fresh pages each time.
/// Keep the value alive while `pointer` is used (e.g. `withExtendedLifetime`).
public final class ScratchBuffer: @unchecked Sendable {
    private let storage: TensorStorage
    /// The first of `count` floats (contents undefined until written).
    public var pointer: UnsafeMutablePointer<Float> { storage.pointer }
    public var count: Int { storage.count }

    public init(count: Int) {
        precondition(count >= 0, "ScratchBuffer: negative count \(count)")
        storage = TensorStorage(uninitializedCount: count)
    }
}
