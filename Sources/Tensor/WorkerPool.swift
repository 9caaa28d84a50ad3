import Foundation
import Synchronization

/// A persistent pool of worker threads for the machine's cores (2 here).
///
/// `DispatchQueue.concurrentPerform` costs ~55–60 µs per call when a second worker joins; these
/// workers spin briefly after each job and then sleep, so back-to-back parallel regions cost ~1 µs.
/// Small operations should stay single-threaded: use `parallelFor(_:minPerPart:)` which falls back to
/// a serial loop when the work is small.
///
/// Determinism: `run(parts:)` calls `body(i)` exactly once for each part; which thread runs a part
/// never changes what it computes. Kernels split work into parts whose results do not depend on
/// the number of threads (e.g. a fixed number of batch chunks reduced in a fixed order), so the
/// same seed gives bit-identical results with 1 or 2 threads.
///
/// Thread count: `MLRSNET_THREADS` in the environment, else the number of active processors.
public final class WorkerPool: @unchecked Sendable {
    /// The process-wide pool used by all kernels.
    public static let shared = WorkerPool(threadCount: WorkerPool.defaultThreadCount())

    /// Threads that execute parts, including the calling thread.
    public let threadCount: Int

    // Ticket word: generation (high 32 bits) | parts (bits 16–31) | next part index (low 16 bits).
    private let ticket = Atomic<UInt64>(0)
    private let finished = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let sleepers = Atomic<Int>(0)
    private var job: ((Int) -> Void)?
    private let wake = NSCondition()
    private var generation: UInt64 = 0

    /// `MLRSNET_THREADS` when set (1…64), else the number of active processors (at most 64).
    public static func defaultThreadCount() -> Int {
        if let s = ProcessInfo.processInfo.environment["MLRSNET_THREADS"], let n = Int(s), n >= 1 {
            return min(n, 64)
        }
        return max(1, min(ProcessInfo.processInfo.activeProcessorCount, 64))
    }

    /// A pool with `threadCount - 1` background workers (the caller is the remaining one).
    public init(threadCount: Int) {
        precondition(threadCount >= 1, "WorkerPool: threadCount must be ≥ 1, got \(threadCount)")
        self.threadCount = threadCount
        for w in 1..<max(threadCount, 1) {
            // Workers keep the pool alive: a pool lives for the rest of the process.
            let t = Thread { self.workerLoop() }
            t.name = "mlrsnet-worker-\(w)"
            t.stackSize = 1 << 20
            t.start()
        }
    }

    /// Calls `body(i)` once for each `i` in `0..<parts`, spread over the pool's threads, and returns
    /// when all parts are done. Nested or concurrent calls run serially on the calling thread.
    public func run(parts: Int, _ body: (Int) -> Void) {
        precondition(parts >= 0 && parts < 1 << 16, "WorkerPool.run: parts must be in 0..<65536, got \(parts)")
        if parts == 0 { return }
        if parts == 1 || threadCount == 1 || !busy.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged {
            for i in 0..<parts { body(i) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            job = escapable
            finished.store(0, ordering: .sequentiallyConsistent)
            generation = (generation + 1) & 0xFFFF_FFFF
            let word = generation << 32 | UInt64(parts) << 16
            ticket.store(word, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                wake.lock(); wake.broadcast(); wake.unlock()
            }
            drain(generation: generation)
            var spins = 0
            while finished.load(ordering: .acquiring) < parts {
                spins += 1
                if spins > 1000 { sched_yield() }
            }
            job = nil
        }
        busy.store(false, ordering: .releasing)
    }

    /// Runs `body(range)` over contiguous chunks of `0..<count`, in parallel only when each chunk
    /// would get at least `minPerPart` items. Chunk boundaries depend only on `count` and the pool
    /// size, so use it for element-wise work (not for reductions whose rounding depends on chunking).
    public func parallelFor(_ count: Int, minPerPart: Int, _ body: (Range<Int>) -> Void) {
        let parts = max(1, min(threadCount, count / max(minPerPart, 1)))
        if parts == 1 { if count > 0 { body(0..<count) }; return }
        run(parts: parts) { p in
            body((p * count / parts)..<((p + 1) * count / parts))
        }
    }

    /// Takes parts of the job of `generation` until none are left.
    private func drain(generation gen: UInt64) {
        while true {
            let word = ticket.load(ordering: .sequentiallyConsistent)
            guard word >> 32 == gen else { return }
            let parts = (word >> 16) & 0xFFFF, next = word & 0xFFFF
            guard next < parts else { return }
            guard ticket.compareExchange(expected: word, desired: word + 1, ordering: .sequentiallyConsistent).exchanged
            else { continue }
            // The job cannot be cleared before `finished` counts this part.
            job!(Int(next))
            finished.add(1, ordering: .releasing)
        }
    }

    private func workerLoop() {
        var seen: UInt64 = 0
        while true {
            var spins = 0
            var gen = ticket.load(ordering: .acquiring) >> 32
            while gen == seen {
                spins += 1
                if spins < 200_000 {
                    if spins & 63 == 0 { sched_yield() }
                } else {
                    sleepers.add(1, ordering: .sequentiallyConsistent)
                    wake.lock()
                    while ticket.load(ordering: .sequentiallyConsistent) >> 32 == seen { wake.wait() }
                    wake.unlock()
                    sleepers.subtract(1, ordering: .sequentiallyConsistent)
                    spins = 0
                }
                gen = ticket.load(ordering: .acquiring) >> 32
            }
            seen = gen
            drain(generation: gen)
        }
    }
}
