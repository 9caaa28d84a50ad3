import Testing
import Tensor

/// Large tensor buffers are recycled between allocations of the same size (`BufferRecycler`): live
/// tensors never share a buffer, whether they are allocated and freed on one thread or on the
/// worker pool, and copy-on-write still separates a copy from its source.
@Suite struct BufferReuseTests {
    static let count = 1 << 19   // 2 MiB: above the recycling threshold

    func filled(_ v: Float) -> Tensor {
        var t = Tensor(uninitializedShape: [Self.count])
        t.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] = v + Float(i % 7) } }
        return t
    }

    func intact(_ t: Tensor, _ v: Float) -> Bool {
        t.withUnsafeBufferPointer { p in (0..<p.count).allSatisfy { p[$0] == v + Float($0 % 7) } }
    }

    @Test func liveTensorsNeverShareABuffer() {
        var kept: [(Tensor, Float)] = []
        for round in 0..<40 {
            let v = Float(round)
            let t = filled(v)
            if round % 3 != 0 { kept.append((t, v)) }          // some die at once (their buffers are reused)
            if kept.count > 6 { kept.removeFirst(2) }
            for (k, kv) in kept { #expect(intact(k, kv), "round \(round): a live tensor was overwritten") }
        }
    }

    @Test func reuseAcrossWorkerThreads() {
        let parts = 8
        let flags = UnsafeMutablePointer<Bool>.allocate(capacity: parts)
        flags.initialize(repeating: false, count: parts)
        defer { flags.deallocate() }
        WorkerPool.shared.run(parts: parts) { p in
            var good = true
            for r in 0..<6 {
                let v = Float(p * 100 + r)
                let a = filled(v), b = filled(v + 50)
                good = good && intact(a, v) && intact(b, v + 50)
            }
            flags[p] = good
        }
        #expect((0..<parts).allSatisfy { flags[$0] })
    }

    @Test func copyOnWriteStillCopies() {
        let a = filled(1)
        var b = a
        b.withUnsafeMutableBufferPointer { p in p[0] = -1 }
        #expect(intact(a, 1))
        #expect(b[flat: 0] == -1)
    }
}
