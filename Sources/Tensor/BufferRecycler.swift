import Foundation
import Synchronization

/// Keeps large freed tensor buffers for reuse by the next allocation of the same size.
///
/// Training repeats the same allocations every step (activations, gradients of fixed shapes). Without
/// reuse, glibc returns buffers above its mmap threshold (≤ 32 MiB) to the kernel on free, and every
/// step pays page faults plus the kernel zeroing each new page again (measured with `perf`: ~8% of a
/// ResNet-20 step and ~35% of a MobileNetV2 step, b128, 1 thread). Buffers of at least
/// `minimumBytes` are parked here instead, up to `limitBytes` in total (env `MLRSNET_BUFFER_CACHE_MB`,
/// default 256; 0 disables); a buffer that does not fit is freed as before. Only exact sizes are
/// reused, so a buffer never outgrows its request; contents are not cleared (storage is
/// "uninitialised" by contract).
final class BufferRecycler: Sendable {
    static let shared = BufferRecycler()

    /// Buffers smaller than this (1 MiB) go straight back to malloc.
    static let minimumBytes = 1 << 20

    let limitBytes: Int

    private struct State: ~Copyable {
        var free: [Int: [Int]] = [:]   // byte count → addresses
        var bytes = 0
    }
    private let state = Mutex(State())

    init() {
        let mb = ProcessInfo.processInfo.environment["MLRSNET_BUFFER_CACHE_MB"].flatMap { Int($0) } ?? 256
        limitBytes = max(0, mb) << 20
    }

    /// A parked buffer of exactly `bytes` bytes (64-byte aligned), or nil.
    func take(bytes: Int) -> UnsafeMutableRawPointer? {
        guard bytes >= Self.minimumBytes, limitBytes > 0 else { return nil }
        let address: Int? = state.withLock { s in
            guard var list = s.free[bytes], let a = list.popLast() else { return nil }
            s.free[bytes] = list.isEmpty ? nil : list
            s.bytes -= bytes
            return a
        }
        return address.flatMap { UnsafeMutableRawPointer(bitPattern: $0) }
    }

    /// Parks `pointer` (of `bytes` bytes) when it is large and fits under the limit; else frees it.
    func give(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        if bytes >= Self.minimumBytes && limitBytes > 0 {
            let address = Int(bitPattern: pointer)
            let kept = state.withLock { s in
                guard s.bytes + bytes <= limitBytes else { return false }
                s.free[bytes, default: []].append(address)
                s.bytes += bytes
                return true
            }
            if kept { return }
        }
        pointer.deallocate()
    }
}
