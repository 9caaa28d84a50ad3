import Testing
import Tensor

/// The 16-lane element-wise kernels: against plain scalar references on odd lengths (tails of every size,
/// NaN and ±0 inputs, NaN-filled output buffers), and AVX-512 vs the portable path bit for bit.
@Suite struct VectorKernelsTests {
    static let lengths = [0, 1, 5, 15, 16, 17, 31, 33, 100, 4095, 4096, 4097, 9000]

    func values(_ n: Int, seed: UInt64) -> [Float] {
        var rng = RandomGenerator(seed: seed)
        var v = (0..<n).map { _ in rng.nextUniform() * 16 - 5 }
        // Special values: NaN, ±0, exactly the clamp bounds.
        for (k, s) in [Float.nan, 0, -0.0, 6, -Float.infinity, .infinity].enumerated() where k * 7 < n { v[k * 7] = s }
        return v
    }

    func bits(_ a: [Float]) -> [UInt32] { a.map(\.bitPattern) }

    @Test(arguments: [nil, Float(6)]) func clampMatchesScalarReference(upper: Float?) {
        for n in Self.lengths {
            let x = values(n, seed: UInt64(n)), g = values(n, seed: UInt64(n) + 99)
            var y = [Float](repeating: .nan, count: n + 3), dx = [Float](repeating: .nan, count: n + 3)
            x.withUnsafeBufferPointer { px in g.withUnsafeBufferPointer { pg in
                y.withUnsafeMutableBufferPointer { py in dx.withUnsafeMutableBufferPointer { pd in
                    if n > 0 {
                        VectorKernels.clamp(px.baseAddress!, py.baseAddress!, count: n, upper: upper)
                        VectorKernels.clampGradient(px.baseAddress!, pg.baseAddress!, pd.baseAddress!, count: n, upper: upper)
                    }
                } }
            } }
            for i in 0..<n {
                let v = x[i]
                let ref: Float = v < 0 ? 0 : (upper.map { v > $0 ? $0 : v } ?? v)
                #expect(y[i].bitPattern == ref.bitPattern || (y[i].isNaN && ref.isNaN), "clamp n=\(n) i=\(i): \(y[i]) vs \(ref)")
                let inside = v > 0 && (upper.map { v < $0 } ?? true)
                let gref: Float = inside ? g[i] : 0
                #expect(dx[i].bitPattern == gref.bitPattern, "clampGradient n=\(n) i=\(i) x=\(v): \(dx[i]) vs \(gref)")
            }
            // Nothing written past the end.
            #expect(y[n...].allSatisfy(\.isNaN) && dx[n...].allSatisfy(\.isNaN), "n=\(n): wrote past the end")
        }
    }

    @Test func sumsMatchDoubleReference() {
        for n in Self.lengths where n > 0 {
            var rng = RandomGenerator(seed: 5)
            let x = (0..<n).map { _ in rng.nextUniform() * 4 - 1 }
            let g = (0..<n).map { _ in rng.nextUniform() * 2 - 1 }
            let mean: Float = 0.7
            var s = 0.0, sq = 0.0, sg = 0.0, sgx = 0.0
            for i in 0..<n {
                s += Double(x[i]); sq += Double((x[i] - mean) * (x[i] - mean))
                sg += Double(g[i]); sgx += Double(g[i] * (x[i] - mean))
            }
            x.withUnsafeBufferPointer { px in g.withUnsafeBufferPointer { pg in
                let a = VectorKernels.sum(px.baseAddress!, count: n)
                let b = VectorKernels.sumSquaredDeviation(px.baseAddress!, count: n, mean: mean)
                let (c, d) = VectorKernels.sumAndDot(pg.baseAddress!, px.baseAddress!, count: n, mean: mean)
                let tol = 1e-5 * Double(n)
                #expect(abs(a - s) <= tol, "sum n=\(n): \(a) vs \(s)")
                #expect(abs(b - sq) <= tol, "sumSquaredDeviation n=\(n): \(b) vs \(sq)")
                #expect(abs(c - sg) <= tol && abs(d - sgx) <= tol, "sumAndDot n=\(n): \(c), \(d) vs \(sg), \(sgx)")
            } }
        }
    }

    @Test(arguments: [0, 1, 2]) func affineAndBatchNormGradientMatchScalarReference(act: Int) {
        for n in Self.lengths {
            let x = values(n, seed: 11), g = values(n, seed: 12)
            let a: Float = 1.7, b: Float = -0.3
            let upper: Float? = act == 2 ? 6 : nil
            var y = [Float](repeating: .nan, count: n + 2), dx = [Float](repeating: .nan, count: n + 2)
            x.withUnsafeBufferPointer { px in g.withUnsafeBufferPointer { pg in
                y.withUnsafeMutableBufferPointer { py in dx.withUnsafeMutableBufferPointer { pd in
                    if n > 0 {
                        VectorKernels.affine(px.baseAddress!, py.baseAddress!, count: n, scale: a, shift: b, clamp: act > 0, upper: upper)
                        VectorKernels.batchNormInputGradient(px.baseAddress!, pg.baseAddress!, pd.baseAddress!, count: n,
                                                             mean: 0.25, k1: 0.9, k2: -0.2, k3: 0.05)
                    }
                } }
            } }
            for i in 0..<n {
                var ref = x[i] * a + b
                if act > 0 { ref = ref < 0 ? 0 : (upper.map { ref > $0 ? $0 : ref } ?? ref) }
                #expect(y[i].bitPattern == ref.bitPattern || (y[i].isNaN && ref.isNaN), "affine n=\(n) i=\(i): \(y[i]) vs \(ref)")
                let k1: Float = 0.9, k2: Float = -0.2, k3: Float = 0.05
                let r2 = k1 * g[i] + k2 * (x[i] - 0.25) + k3
                #expect(dx[i].bitPattern == r2.bitPattern || (dx[i].isNaN && r2.isNaN), "bn dx n=\(n) i=\(i): \(dx[i]) vs \(r2)")
            }
            #expect(y[n...].allSatisfy(\.isNaN) && dx[n...].allSatisfy(\.isNaN), "n=\(n): wrote past the end")
        }
    }

    @Test func avx512AndPortablePathsAreBitIdentical() {
        for n in Self.lengths where n > 0 {
            let x = values(n, seed: 21), g = values(n, seed: 22)
            func run() -> [UInt64] {
                var out: [UInt64] = []
                var y = [Float](repeating: 0, count: n), d = [Float](repeating: 0, count: n)
                x.withUnsafeBufferPointer { px in g.withUnsafeBufferPointer { pg in
                    y.withUnsafeMutableBufferPointer { py in d.withUnsafeMutableBufferPointer { pd in
                        let xp = px.baseAddress!, gp = pg.baseAddress!
                        VectorKernels.clamp(xp, py.baseAddress!, count: n, upper: 6)
                        VectorKernels.clampGradient(xp, gp, pd.baseAddress!, count: n, upper: nil)
                        // Finite inputs for the sums (NaN would hide differences).
                        VectorKernels.affine(xp, py.baseAddress!, count: n, scale: 0, shift: 0)
                        out.append(VectorKernels.sum(gp + 1, count: n - 1).bitPattern)
                        out.append(VectorKernels.sumSquaredDeviation(pd.baseAddress!, count: n, mean: 0.3).bitPattern)
                        let (a, b) = VectorKernels.sumAndDot(pd.baseAddress!, pd.baseAddress!, count: n, mean: -0.1)
                        out += [a.bitPattern, b.bitPattern]
                    } }
                } }
                return out + bits(d).map(UInt64.init)
            }
            let best = run()
            let portable = VectorKernels.withPortablePath { run() }
            #expect(best == portable, "n=\(n): AVX-512 (\(VectorKernels.usesAVX512)) and portable paths differ")
        }
    }
}
