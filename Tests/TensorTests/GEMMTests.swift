import Testing
import Tensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks `gemm` against a Double-accumulated reference for every kernel family this CPU supports.
///
/// Tolerance: each element of C is a chain of k fused multiply-adds in Float, cut into K blocks that
/// are merged through C (one multiply by alpha and one FMA with beta per block). The classical bound
/// for such a recursive sum is |error| ≤ γ_n · Σ_p |a_ip·b_pj| with γ_n ≈ n·u, u = 2⁻²⁴ and n the
/// number of roundings on the path (≤ k + 2·blocks + 2 ≤ 2k + 4 here). So we accept
///   |C − ref| ≤ 2·(k + 4)·u · (|alpha|·Σ_p |a_ip·b_pj| + |beta·c_ij|)
/// which is a worst-case bound (never fails for a correct kernel) yet about 10⁻⁵ relative for k ≈ 300,
/// while any indexing, packing or edge bug produces errors of the order of Σ|a||b| itself.
/// Matrix padding (ld > width) is filled with NaN so that reading outside a matrix shows up, and
/// C's padding holds a sentinel that must survive.
@Suite struct GEMMTests {
    struct Problem: CustomStringConvertible {
        var transA = false, transB = false
        var m: Int, n: Int, k: Int
        var padA = 0, padB = 0, padC = 0
        var alpha: Float = 1, beta: Float = 0
        var description: String {
            "\(m)×\(n)×\(k)\(transA ? " Aᵀ" : "")\(transB ? " Bᵀ" : "") pad(\(padA),\(padB),\(padC)) α=\(alpha) β=\(beta)"
        }
        var lda: Int { (transA ? m : k) + padA }
        var ldb: Int { (transB ? k : n) + padB }
        var ldc: Int { n + padC }
    }

    static let cSentinel: Float = -12345.5

    /// Operands for `p`: A, B with NaN padding; C with random values (or NaN when `nanC`) and a
    /// sentinel in its padding.
    static func operands(_ p: Problem, seed: UInt64, nanC: Bool = false) -> (a: [Float], b: [Float], c: [Float]) {
        var rng = RandomGenerator(seed: seed)
        func matrix(rows: Int, cols: Int, ld: Int, pad: Float) -> [Float] {
            var x = [Float](repeating: pad, count: max(1, rows * ld))
            for r in 0..<rows { for c in 0..<cols { x[r * ld + c] = rng.nextUniform() * 2 - 1 } }
            return x
        }
        let a = p.transA ? matrix(rows: p.k, cols: p.m, ld: p.lda, pad: .nan) : matrix(rows: p.m, cols: p.k, ld: p.lda, pad: .nan)
        let b = p.transB ? matrix(rows: p.n, cols: p.k, ld: p.ldb, pad: .nan) : matrix(rows: p.k, cols: p.n, ld: p.ldb, pad: .nan)
        var c = matrix(rows: p.m, cols: p.n, ld: p.ldc, pad: cSentinel)
        if nanC { for i in 0..<p.m { for j in 0..<p.n { c[i * p.ldc + j] = .nan } } }
        return (a, b, c)
    }

    /// Runs gemm on copies of the operands and returns C.
    static func run(_ p: Problem, _ a: [Float], _ b: [Float], _ c: [Float], parallel: Bool = false) -> [Float] {
        var out = c
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in out.withUnsafeMutableBufferPointer { pc in
            gemm(transA: p.transA, transB: p.transB, m: p.m, n: p.n, k: p.k, alpha: p.alpha,
                 a: pa.baseAddress!, lda: p.lda, b: pb.baseAddress!, ldb: p.ldb,
                 beta: p.beta, c: pc.baseAddress!, ldc: p.ldc, parallel: parallel)
        } } }
        return out
    }

    /// Compares `got` with the Double reference under the documented bound; returns the number of
    /// bad elements (recording the first few as issues).
    @discardableResult
    static func check(_ p: Problem, _ a: [Float], _ b: [Float], c0: [Float], got: [Float], label: String) -> Int {
        let u = Double(Float.ulpOfOne) / 2
        let factor = 2 * Double(p.k + 4) * u
        var bad = 0
        for i in 0..<p.m {
            for j in 0..<p.n {
                var sum = 0.0, mag = 0.0
                for q in 0..<p.k {
                    let x = Double(p.transA ? a[q * p.lda + i] : a[i * p.lda + q])
                    let y = Double(p.transB ? b[j * p.ldb + q] : b[q * p.ldb + j])
                    sum += x * y
                    mag += abs(x * y)
                }
                let old = Double(c0[i * p.ldc + j])
                let ref = Double(p.alpha) * sum + (p.beta == 0 ? 0 : Double(p.beta) * old)
                let tol = factor * (abs(Double(p.alpha)) * mag + (p.beta == 0 ? 0 : abs(Double(p.beta) * old)))
                let v = got[i * p.ldc + j]
                if !(v.isFinite && abs(Double(v) - ref) <= tol) {
                    bad += 1
                    if bad <= 3 {
                        Issue.record("\(label) \(p): C[\(i),\(j)] = \(v), expected \(ref) ± \(tol)")
                    }
                }
            }
            for j in p.n..<p.ldc where got[i * p.ldc + j] != cSentinel {
                bad += 1
                if bad <= 3 { Issue.record("\(label) \(p): wrote C padding at [\(i),\(j)]") }
            }
        }
        return bad
    }

    /// Shapes around 1, primes, vectors, k = 1, the register tiles (portable 6×8, AVX2 6×16,
    /// AVX-512 14×32 with its 8- and 4-row, 16-column edge tiles), the K block (256), the packed
    /// B block (256 columns), the A panel (4088 / 4092 rows), B read in place (small k·n, or m ≤ 14)
    /// and a few larger, irregular products.
    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (7, 13, 5), (2, 3, 1), (1, 300, 17), (300, 1, 17), (1, 1, 300), (33, 47, 1),
        (5, 7, 3), (6, 8, 8), (7, 9, 9), (5, 15, 4), (6, 16, 16), (7, 17, 33), (12, 32, 2), (13, 31, 3),
        (14, 32, 8), (15, 33, 9), (28, 64, 16), (29, 65, 17), (42, 96, 7),
        (9, 10, 255), (9, 10, 256), (9, 10, 257), (20, 40, 513), (3, 5, 1000),
        (20, 255, 30), (20, 257, 30), (9, 513, 40), (5, 700, 40), (15, 700, 40), (3, 2049, 5), (4089, 3, 2), (4093, 5, 3),
        (257, 129, 300), (700, 64, 200),
    ]

    @Test("matches the reference on many shapes, all transposes", arguments: GEMMKernel.supported)
    func shapesAllTransposes(kernel: GEMMKernel) {
        withGEMMKernel(kernel) {
            var seed: UInt64 = 1
            for s in Self.shapes {
                for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                    let p = Problem(transA: ta, transB: tb, m: s.m, n: s.n, k: s.k)
                    seed += 1
                    let (a, b, c) = Self.operands(p, seed: seed)
                    Self.check(p, a, b, c0: c, got: Self.run(p, a, b, c), label: kernel.rawValue)
                }
            }
        }
    }

    @Test("alpha, beta and padded leading dimensions", arguments: GEMMKernel.supported)
    func alphaBetaStrides(kernel: GEMMKernel) {
        withGEMMKernel(kernel) {
            var seed: UInt64 = 1000
            let shapes = [(1, 1, 1), (7, 13, 5), (15, 33, 9), (29, 65, 300), (130, 70, 600)]
            let scalars: [(Float, Float)] = [(1, 1), (0.5, -1.25), (-2, 0), (1, 0.5)]
            for s in shapes {
                for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                    for (alpha, beta) in scalars {
                        let p = Problem(transA: ta, transB: tb, m: s.0, n: s.1, k: s.2,
                                        padA: 3, padB: 5, padC: 2, alpha: alpha, beta: beta)
                        seed += 1
                        let (a, b, c) = Self.operands(p, seed: seed)
                        Self.check(p, a, b, c0: c, got: Self.run(p, a, b, c), label: kernel.rawValue)
                    }
                }
            }
        }
    }

    @Test("beta = 0 never reads C (NaN-filled C gives the exact product)", arguments: GEMMKernel.supported)
    func betaZeroIgnoresNaN(kernel: GEMMKernel) {
        withGEMMKernel(kernel) {
            for (i, s) in [(1, 1, 1), (14, 32, 7), (37, 70, 530), (64, 96, 1)].enumerated() {
                for (ta, tb) in [(false, false), (true, true)] {
                    let p = Problem(transA: ta, transB: tb, m: s.0, n: s.1, k: s.2, padC: 1, alpha: 0.75, beta: 0)
                    let (a, b, c) = Self.operands(p, seed: UInt64(2000 + i), nanC: true)
                    Self.check(p, a, b, c0: c, got: Self.run(p, a, b, c), label: kernel.rawValue)
                }
            }
        }
    }

    @Test("beta = 1 accumulates: two half-K products add up to the full one", arguments: GEMMKernel.supported)
    func betaOneAccumulates(kernel: GEMMKernel) {
        withGEMMKernel(kernel) {
            let m = 23, n = 41, k = 300, h = 170
            var rng = RandomGenerator(seed: 77)
            let a = (0..<(m * k)).map { _ in rng.nextUniform() - 0.5 }
            let b = (0..<(k * n)).map { _ in rng.nextUniform() - 0.5 }
            var full = [Float](repeating: .nan, count: m * n), split = full
            a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in
                full.withUnsafeMutableBufferPointer { pc in
                    gemm(transA: false, transB: false, m: m, n: n, k: k, a: pa.baseAddress!, lda: k,
                         b: pb.baseAddress!, ldb: n, c: pc.baseAddress!, ldc: n)
                }
                split.withUnsafeMutableBufferPointer { pc in
                    gemm(transA: false, transB: false, m: m, n: n, k: h, a: pa.baseAddress!, lda: k,
                         b: pb.baseAddress!, ldb: n, c: pc.baseAddress!, ldc: n)
                    gemm(transA: false, transB: false, m: m, n: n, k: k - h, a: pa.baseAddress! + h, lda: k,
                         b: pb.baseAddress! + h * n, ldb: n, beta: 1, c: pc.baseAddress!, ldc: n)
                }
            } }
            // Each is within 2(k+4)u·Σ|ab| of the exact value and Σ|ab| ≤ k/4 for entries in [-0.5, 0.5].
            let tol = 2 * (2 * Float(k + 4) * Float.ulpOfOne / 2) * Float(k) * 0.25
            for i in 0..<(m * n) { #expect(abs(full[i] - split[i]) <= tol, "element \(i)") }
        }
    }

    @Test("k = 0 scales C by beta; empty m or n leaves C alone", arguments: GEMMKernel.supported)
    func degenerateSizes(kernel: GEMMKernel) {
        withGEMMKernel(kernel) {
            let a: [Float] = [.nan], b: [Float] = [.nan]
            var c: [Float] = [1, 2, 3, 4, 5, 6]
            func call(m: Int, n: Int, k: Int, beta: Float) {
                a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
                    gemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 3, a: pa.baseAddress!, lda: max(1, k),
                         b: pb.baseAddress!, ldb: max(1, n), beta: beta, c: pc.baseAddress!, ldc: 3)
                } } }
            }
            call(m: 2, n: 3, k: 0, beta: 2)
            #expect(c == [2, 4, 6, 8, 10, 12])
            call(m: 0, n: 3, k: 4, beta: 0)
            call(m: 2, n: 0, k: 4, beta: 0)
            #expect(c == [2, 4, 6, 8, 10, 12])
            call(m: 2, n: 3, k: 0, beta: 0)
            #expect(c == [0, 0, 0, 0, 0, 0])
        }
    }

    @Test("the portable fallback agrees with the fastest kernel")
    func portableMatchesFastest() {
        guard let fastest = GEMMKernel.supported.last, fastest != .portable else { return }
        var seed: UInt64 = 3000
        for s in [(7, 13, 5), (64, 96, 576), (257, 129, 300), (100, 300, 1000)] {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let p = Problem(transA: ta, transB: tb, m: s.0, n: s.1, k: s.2, alpha: 1.5, beta: -0.5)
                seed += 1
                let (a, b, c) = Self.operands(p, seed: seed)
                let slow = withGEMMKernel(.portable) { Self.run(p, a, b, c) }
                let fast = withGEMMKernel(fastest) { Self.run(p, a, b, c) }
                // Both are within the bound of the exact value, so within twice of each other.
                var bad = 0
                for i in 0..<p.m {
                    for j in 0..<p.n {
                        var mag = 0.0
                        for q in 0..<p.k {
                            mag += abs(Double(p.transA ? a[q * p.lda + i] : a[i * p.lda + q])
                                       * Double(p.transB ? b[j * p.ldb + q] : b[q * p.ldb + j]))
                        }
                        let scale = 1.5 * mag + 0.5 * abs(Double(c[i * p.ldc + j]))
                        let tol = 4 * Double(p.k + 4) * Double(Float.ulpOfOne) / 2 * scale
                        if !(abs(Double(slow[i * p.ldc + j]) - Double(fast[i * p.ldc + j])) <= tol) { bad += 1 }
                    }
                }
                #expect(bad == 0, "portable vs \(fastest.rawValue) on \(p): \(bad) elements differ")
            }
        }
    }

    @Test("parallel and serial results are bit-identical", arguments: GEMMKernel.supported)
    func parallelBitIdentical(kernel: GEMMKernel) {
        withGEMMKernel(kernel) {
            var seed: UInt64 = 4000
            // Split along N (m ≤ n), along M (n small), with transposes, K blocks and beta.
            let cases = [
                Problem(m: 64, n: 1000, k: 300),
                Problem(transB: true, m: 64, n: 576, k: 700, beta: 1),
                Problem(transA: true, m: 900, n: 40, k: 270, alpha: -0.5),
                Problem(transA: true, transB: true, m: 333, n: 517, k: 129, padA: 1, padB: 2, padC: 3, beta: 0.5),
            ]
            for p in cases {
                seed += 1
                let (a, b, c) = Self.operands(p, seed: seed)
                let serial = Self.run(p, a, b, c, parallel: false)
                let parallel = Self.run(p, a, b, c, parallel: true)
                // (Compared outside #expect so that a failure does not diff two large arrays.)
                let firstDiff = serial.indices.first { serial[$0].bitPattern != parallel[$0].bitPattern }
                #expect(firstDiff == nil, "\(kernel.rawValue) \(p): parallel result differs from serial")
                Self.check(p, a, b, c0: c, got: parallel, label: kernel.rawValue)
            }
        }
    }

    @Test("any row or column block of C computed alone is bit-identical", arguments: GEMMKernel.supported)
    func subBlocksBitIdentical(kernel: GEMMKernel) {
        withGEMMKernel(kernel) {
            for (ta, tb) in [(false, false), (true, true)] {
                let p = Problem(transA: ta, transB: tb, m: 45, n: 77, k: 600, alpha: 0.5, beta: 2)
                let (a, b, c) = Self.operands(p, seed: 5000)
                let whole = Self.run(p, a, b, c)
                var pieces = c
                // Unaligned cuts: rows 0..<9, 9..<45 over columns 0..<37, 37..<77. (The 9-row blocks
                // take the AVX-512 path that reads B in place; the others pack B like the whole.)
                for (i0, i1) in [(0, 9), (9, 45)] {
                    for (j0, j1) in [(0, 37), (37, 77)] {
                        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in
                            pieces.withUnsafeMutableBufferPointer { pc in
                                gemm(transA: ta, transB: tb, m: i1 - i0, n: j1 - j0, k: p.k, alpha: p.alpha,
                                     a: pa.baseAddress! + (ta ? i0 : i0 * p.lda), lda: p.lda,
                                     b: pb.baseAddress! + (tb ? j0 * p.ldb : j0), ldb: p.ldb, beta: p.beta,
                                     c: pc.baseAddress! + i0 * p.ldc + j0, ldc: p.ldc, parallel: false)
                            }
                        } }
                    }
                }
                let firstDiff = whole.indices.first { whole[$0].bitPattern != pieces[$0].bitPattern }
                #expect(firstDiff == nil, "\(kernel.rawValue) \(p): blocks differ from the whole product")
            }
        }
    }

    /// `count` floats placed right after (`atStart`) or right before an inaccessible page, so that
    /// reading or writing outside them crashes.
    final class GuardedFloats {
        let region: UnsafeMutableRawPointer, regionBytes: Int
        let pointer: UnsafeMutablePointer<Float>
        init(_ values: [Float], atStart: Bool) {
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            let bytes = (values.count * 4 + page - 1) / page * page
            regionBytes = bytes + 2 * page
            region = mmap(nil, regionBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)!
            precondition(region != MAP_FAILED, "mmap failed")
            mprotect(region, page, PROT_NONE)
            mprotect(region + page + bytes, page, PROT_NONE)
            let start = atStart ? region + page : region + page + bytes - values.count * 4
            pointer = start.bindMemory(to: Float.self, capacity: values.count)
            pointer.update(from: values, count: values.count)
        }
        deinit { munmap(region, regionBytes) }
    }

    @Test("reads and writes stay inside A, B and C (guard pages)", arguments: GEMMKernel.supported)
    func staysInsideOperands(kernel: GEMMKernel) {
        withGEMMKernel(kernel) {
            var seed: UInt64 = 6000
            for s in [(1, 1, 1), (7, 13, 5), (5, 700, 40), (15, 33, 17), (29, 65, 300), (70, 300, 260)] {
                for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                    for atStart in [false, true] {
                        let p = Problem(transA: ta, transB: tb, m: s.0, n: s.1, k: s.2, padA: 3, padB: 5, padC: 2,
                                        alpha: 1, beta: 0.5)
                        seed += 1
                        let (a, b, c) = Self.operands(p, seed: seed)
                        // Trim each matrix to its last used element: (rows - 1)·ld + width.
                        let aUsed = ((ta ? p.k : p.m) - 1) * p.lda + (ta ? p.m : p.k)
                        let bUsed = ((tb ? p.n : p.k) - 1) * p.ldb + (tb ? p.k : p.n)
                        let cUsed = (p.m - 1) * p.ldc + p.n
                        let ga = GuardedFloats(Array(a[0..<aUsed]), atStart: atStart)
                        let gb = GuardedFloats(Array(b[0..<bUsed]), atStart: atStart)
                        let gc = GuardedFloats(Array(c[0..<cUsed]), atStart: atStart)
                        gemm(transA: ta, transB: tb, m: p.m, n: p.n, k: p.k, alpha: p.alpha, a: ga.pointer, lda: p.lda,
                             b: gb.pointer, ldb: p.ldb, beta: p.beta, c: gc.pointer, ldc: p.ldc, parallel: false)
                        var got = c
                        for i in 0..<cUsed { got[i] = gc.pointer[i] }
                        Self.check(p, a, b, c0: c, got: got, label: kernel.rawValue)
                    }
                }
            }
        }
    }

    @Test func kernelSelection() {
        let supported = GEMMKernel.supported
        #expect(supported.first == .portable)
        for kernel in supported {
            withGEMMKernel(kernel) { #expect(gemmKernelName == kernel.rawValue) }
        }
        // Forcing the family already in use changes nothing for concurrently running tests.
        let current = GEMMKernel.current
        #expect(forceGEMMKernel(current) == current)
        #expect(gemmKernelName == current.rawValue)
    }

    @Test func matmulUsesGEMM() {
        var rng = RandomGenerator(seed: 9)
        let a = Tensor.uniform([5, 3], using: &rng), b = Tensor.uniform([4, 3], using: &rng)
        let c = Tensor.matmul(a, b, transposeB: true)
        #expect(c.shape == [5, 4])
        for i in 0..<5 {
            for j in 0..<4 {
                var s: Float = 0
                for q in 0..<3 { s += a[i, q] * b[j, q] }
                #expect(abs(c[i, j] - s) < 1e-5)
            }
        }
    }
}
