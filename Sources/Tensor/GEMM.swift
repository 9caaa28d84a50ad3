import CKernels

/// Row-major single-precision matrix multiply:
/// `C[m, n] = alpha · op(A)[m, k] · op(B)[k, n] + beta · C`.
///
/// - Parameters:
///   - transA: use Aᵀ (A stored `[k, m]` with leading dimension `lda`) instead of A (`[m, k]`).
///   - transB: use Bᵀ (B stored `[n, k]`) instead of B (`[k, n]`).
///   - beta: 0 overwrites C; 1 accumulates into it.
///   - parallel: split large products over `WorkerPool.shared` (by output columns, so the result is
///     bit-identical to the single-threaded one).
public func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                 alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                 b: UnsafePointer<Float>, ldb: Int,
                 beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int,
                 parallel: Bool = true) {
    precondition(m >= 0 && n >= 0 && k >= 0, "gemm: negative size m=\(m) n=\(n) k=\(k)")
    precondition(lda >= max(1, transA ? m : k), "gemm: lda=\(lda) too small")
    precondition(ldb >= max(1, transB ? k : n), "gemm: ldb=\(ldb) too small")
    precondition(ldc >= max(1, n), "gemm: ldc=\(ldc) too small")
    mlr_sgemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

/// The GEMM kernel family in use ("portable", "avx2" or "avx512").
public var gemmKernelName: String {
    switch mlr_gemm_active() {
    case MLR_GEMM_AVX512: return "avx512"
    case MLR_GEMM_AVX2: return "avx2"
    default: return "portable"
    }
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
                 a: pa.baseAddress!, lda: a.shape[1], b: pb.baseAddress!, ldb: b.shape[1],
                 c: pc.baseAddress!, ldc: n)
        } } }
        return c
    }
}
