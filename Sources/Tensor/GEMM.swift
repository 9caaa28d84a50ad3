import CKernels

/// Row-major single-precision matrix multiply:
/// `C[m, n] = alpha · op(A)[m, k] · op(B)[k, n] + beta · C`.
///
/// - Parameters:
///   - transA: use Aᵀ (A stored `[k, m]` with leading dimension `lda`) instead of A (`[m, k]`).
///   - transB: use Bᵀ (B stored `[n, k]`) instead of B (`[k, n]`).
///   - beta: 0 overwrites C (without reading it); 1 accumulates into it.
///   - parallel: split large products (≥ `gemmParallelMinFlops`) over `WorkerPool.shared`, by
///     output columns (or rows when there are few columns). Every element of C is computed by the
///     same K-blocked FMA chain however C is split, so the result is bit-identical to the
///     single-threaded one. Pass `false` when already inside a `WorkerPool` part.
///
/// The kernel family is `GEMMKernel.current` (see `withGEMMKernel` / `forceGEMMKernel`).
public func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                 alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                 b: UnsafePointer<Float>, ldb: Int,
                 beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int,
                 parallel: Bool = true) {
    precondition(m >= 0 && n >= 0 && k >= 0, "gemm: negative size m=\(m) n=\(n) k=\(k)")
    precondition(lda >= max(1, transA ? m : k), "gemm: lda=\(lda) too small for \(transA ? "Aᵀ" : "A") with m=\(m) k=\(k)")
    precondition(ldb >= max(1, transB ? k : n), "gemm: ldb=\(ldb) too small for \(transB ? "Bᵀ" : "B") with k=\(k) n=\(n)")
    precondition(ldc >= max(1, n), "gemm: ldc=\(ldc) too small for n=\(n)")
    let kind = GEMMKernel.current.cValue
    let ta: Int32 = transA ? 1 : 0, tb: Int32 = transB ? 1 : 0
    let pool = WorkerPool.shared
    let flops = 2.0 * Double(m) * Double(n) * Double(k)
    guard parallel, pool.threadCount > 1, flops >= gemmParallelMinFlops else {
        mlr_sgemm_with(kind, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        return
    }
    var mr = 0, nr = 0
    mlr_gemm_tile(kind, m, n, k, &mr, &nr)
    let parts = pool.threadCount
    let tilesM = (m + mr - 1) / mr, tilesN = (n + nr - 1) / nr
    // Every part packs the whole of the operand it does not split: splitting N repacks A (m×k) in
    // each part, splitting M repacks B (k×n). Split the side that keeps the repacked operand small,
    // unless that leaves the parts clearly unequal (e.g. n = 40 → 32 + 8 columns).
    let slackN = gemmSplitSlack(n, unit: nr, parts: parts), slackM = gemmSplitSlack(m, unit: mr, parts: parts)
    let preferN = m <= n
    let splitN = preferN ? (slackN <= 1.25 || slackN <= slackM) : !(slackM <= 1.25 || slackM <= slackN)
    let tiles = splitN ? tilesN : tilesM
    guard tiles >= parts else {
        mlr_sgemm_with(kind, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        return
    }
    pool.run(parts: parts) { p in
        let t0 = p * tiles / parts, t1 = (p + 1) * tiles / parts
        if splitN {
            let j0 = t0 * nr, j1 = min(n, t1 * nr)
            mlr_sgemm_with(kind, ta, tb, m, j1 - j0, k, alpha, a, lda,
                           b + (transB ? j0 * ldb : j0), ldb, beta, c + j0, ldc)
        } else {
            let i0 = t0 * mr, i1 = min(m, t1 * mr)
            mlr_sgemm_with(kind, ta, tb, i1 - i0, n, k, alpha, a + (transA ? i0 : i0 * lda), lda,
                           b, ldb, beta, c + i0 * ldc, ldc)
        }
    }
}

/// Largest part / ideal part when `size` is cut into `parts` runs of whole `unit`s (∞ when there are
/// fewer units than parts).
func gemmSplitSlack(_ size: Int, unit: Int, parts: Int) -> Double {
    let units = (size + unit - 1) / unit
    guard units >= parts else { return .infinity }
    let largest = min(size, (units + parts - 1) / parts * unit)
    return Double(largest) * Double(parts) / Double(size)
}

/// Products below this many floating-point operations (2·m·n·k) stay on the calling thread: a
/// parallel region costs a few µs of hand-off and each part repacks one operand.
public let gemmParallelMinFlops: Double = 2_000_000

/// A GEMM kernel family: plain C (any CPU), AVX2+FMA, or AVX-512.
public enum GEMMKernel: String, CaseIterable, Sendable {
    case portable, avx2, avx512

    init(_ c: mlr_gemm_kernel) {
        switch c {
        case MLR_GEMM_AVX512: self = .avx512
        case MLR_GEMM_AVX2: self = .avx2
        default: self = .portable
        }
    }

    var cValue: mlr_gemm_kernel {
        switch self {
        case .portable: return MLR_GEMM_PORTABLE
        case .avx2: return MLR_GEMM_AVX2
        case .avx512: return MLR_GEMM_AVX512
        }
    }

    /// Whether this CPU can run the family.
    public var isSupported: Bool { mlr_gemm_supported(cValue) != 0 }

    /// The families this CPU can run, slowest (portable) first.
    public static var supported: [GEMMKernel] { allCases.filter(\.isSupported) }

    /// Per-task override set by `withGEMMKernel`.
    @TaskLocal static var scoped: GEMMKernel?

    /// The family `gemm` uses right now: the innermost `withGEMMKernel` scope, else the
    /// process-wide one (`forceGEMMKernel`, env `MLRSNET_GEMM_KERNEL`, else the best supported).
    public static var current: GEMMKernel { scoped ?? GEMMKernel(mlr_gemm_active()) }
}

/// The GEMM kernel family in use ("portable", "avx2" or "avx512").
public var gemmKernelName: String { GEMMKernel.current.rawValue }

/// Runs `body` with every `gemm` it calls (from this task, including its parallel parts) using
/// `kernel` (portable if the CPU lacks it). Other tasks and threads are not affected, which makes
/// it the safe way for tests to exercise each family.
public func withGEMMKernel<R>(_ kernel: GEMMKernel, _ body: () throws -> R) rethrows -> R {
    try GEMMKernel.$scoped.withValue(kernel.isSupported ? kernel : .portable, operation: body)
}

/// Sets the process-wide GEMM kernel family (`nil` restores the start-up choice). Falls back to
/// portable when the CPU lacks `kernel`. Returns the family now in use. Affects every thread:
/// prefer `withGEMMKernel` in tests that may run concurrently with others.
@discardableResult
public func forceGEMMKernel(_ kernel: GEMMKernel?) -> GEMMKernel {
    GEMMKernel(mlr_gemm_force(kernel?.cValue ?? mlr_gemm_default()))
}

extension Tensor {
    /// Matrix product of two rank-2 tensors, `[m, k] × [k, n] → [m, n]` (with optional transposes).
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        precondition(a.rank == 2 && b.rank == 2, "matmul: need rank-2 tensors, got \(a.shape) and \(b.shape)")
        let (m, ka) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (kb, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        precondition(ka == kb, "matmul: inner dimensions differ: \(a.shape)\(transposeA ? "ᵀ" : "") × \(b.shape)\(transposeB ? "ᵀ" : "")")
        var c = Tensor(uninitializedShape: [m, n])
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
            gemm(transA: transposeA, transB: transposeB, m: m, n: n, k: ka,
                 a: pa.baseAddress!, lda: max(1, a.shape[1]), b: pb.baseAddress!, ldb: max(1, b.shape[1]),
                 c: pc.baseAddress!, ldc: max(1, n))
        } } }
        return c
    }
}

/// Measured single-core FMA peak (GFLOP/s) of a kernel family: the best of a few timed runs of
/// register-only multiply-add chains. Context for GEMM benchmarks (what fraction of peak they reach).
public func measuredFMAPeakGFLOPS(_ kernel: GEMMKernel, seconds: Double = 0.05) -> Double {
    let clock = ContinuousClock()
    var iterations = 1 << 16
    var best = 0.0
    for _ in 0..<8 {
        let start = clock.now
        let flops = mlr_fma_probe(kernel.cValue, iterations)
        let elapsed = start.duration(to: clock.now)
        let s = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        best = max(best, flops / max(s, 1e-9) / 1e9)
        if s < seconds / 2 { iterations *= 2 }
    }
    return best
}
