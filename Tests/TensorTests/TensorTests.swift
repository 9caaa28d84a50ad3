import Testing
import Tensor

@Suite struct TensorBasics {
    @Test func copyOnWrite() {
        var a = Tensor(shape: [2, 2], values: [1, 2, 3, 4])
        let b = a
        a[0, 1] = 9
        #expect(b[0, 1] == 2)
        #expect(a[0, 1] == 9)
    }

    @Test func reshapeInfers() {
        let a = Tensor.zeros([2, 3, 4])
        #expect(a.reshaped([6, -1]).shape == [6, 4])
    }

    @Test func seededRandomIsDeterministic() {
        var r1 = RandomGenerator(seed: 7), r2 = RandomGenerator(seed: 7), r3 = RandomGenerator(seed: 8)
        let a = Tensor.normal([100], using: &r1), b = Tensor.normal([100], using: &r2), c = Tensor.normal([100], using: &r3)
        #expect(a == b)
        #expect(a != c)
        let m = a.mean()
        #expect(abs(m) < 0.5)
    }

    @Test func restoredGeneratorContinuesSequence() {
        var r = RandomGenerator(seed: 3)
        _ = r.next()
        var copy = RandomGenerator(state: r.state)
        #expect(r.next() == copy.next())
    }

    @Test func poolRunsEveryPartOnce() {
        let pool = WorkerPool(threadCount: 2)
        for parts in [1, 2, 3, 7, 64] {
            var hits = [Int](repeating: 0, count: parts)
            hits.withUnsafeMutableBufferPointer { h in
                let p = h.baseAddress!
                pool.run(parts: parts) { i in p[i] += 1 }
            }
            #expect(hits == [Int](repeating: 1, count: parts))
        }
    }

    @Test func matmulSmall() {
        // [[1,2],[3,4]] × [[5,6],[7,8]] = [[19,22],[43,50]]
        let a = Tensor(shape: [2, 2], values: [1, 2, 3, 4]), b = Tensor(shape: [2, 2], values: [5, 6, 7, 8])
        #expect(Tensor.matmul(a, b).scalars == [19, 22, 43, 50])
        // Aᵀ·B = [[1,3],[2,4]]·B = [[26,30],[38,44]]
        #expect(Tensor.matmul(a, b, transposeA: true).scalars == [26, 30, 38, 44])
    }
}
