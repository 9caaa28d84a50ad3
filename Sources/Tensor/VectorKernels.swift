import CKernels

/// Branch-free 16-lane kernels for the memory-bound passes of activations and BatchNorm (C with an
/// AVX-512 path chosen at run time, see `CKernels/elementwise.c`). The Swift code is compiled for
/// baseline x86-64, where e.g. ReLU's backward `x > 0 ? dy : 0` became a data-dependent branch.
/// Results are identical on every path and thread count (the sums reduce in a fixed order).
public enum VectorKernels {
    /// Whether the AVX-512 path runs on this thread.
    public static var usesAVX512: Bool { mlr_elementwise_avx512() != 0 }

    /// Runs `body` with the calling thread pinned to the portable path (for tests comparing paths;
    /// call the kernels directly on this thread, not through the worker pool).
    public static func withPortablePath<R>(_ body: () throws -> R) rethrows -> R {
        mlr_elementwise_force_portable(1)
        defer { mlr_elementwise_force_portable(0) }
        return try body()
    }

    /// `y[i] = max(x[i], 0)`, clamped to `upper` too when given (ReLU, ReLU6); NaN passes through.
    public static func clamp(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int, upper: Float?) {
        mlr_clamp(x, y, count, upper == nil ? 0 : 1, upper ?? 0)
    }

    /// `dx[i] = dy[i]` where `0 < x[i]` (and `x[i] < upper` when given), else 0.
    public static func clampGradient(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                                                _ dx: UnsafeMutablePointer<Float>, count: Int, upper: Float?) {
        mlr_clamp_grad(x, dy, dx, count, upper == nil ? 0 : 1, upper ?? 0)
    }

    /// `Σ p[0..<count]` (16 Float lanes flushed into a Double every 4096 elements).
    public static func sum(_ p: UnsafePointer<Float>, count: Int) -> Double { mlr_lane_sum(p, count) }

    /// `Σ (p[i] − mean)²`, accumulated like `sum`.
    public static func sumSquaredDeviation(_ p: UnsafePointer<Float>, count: Int, mean: Float) -> Double {
        mlr_lane_sum_squared_deviation(p, count, mean)
    }

    /// `(Σ g[i], Σ g[i]·(x[i] − mean))`, accumulated like `sum`.
    public static func sumAndDot(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, count: Int,
                                            mean: Float) -> (Double, Double) {
        var a = 0.0, b = 0.0
        mlr_lane_sum_and_dot(g, x, count, mean, &a, &b)
        return (a, b)
    }

    /// `y[i] = x[i]·a + b` (a product then a sum, two roundings), then clamped like `clamp` when
    /// `clamp` is true (to `[0, upper]`, or `[0, ∞)` when `upper` is nil).
    public static func affine(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int,
                              scale a: Float, shift b: Float, clamp: Bool = false, upper: Float? = nil) {
        mlr_affine(x, y, count, a, b, clamp ? (upper == nil ? 1 : 2) : 0, upper ?? 0)
    }

    /// `y[i] = act(((x[i] + bias)·a + b) + r[i])`, each step rounded separately and each optional: the
    /// bias add when `bias` is given, the affine step when `scale` is given (`a`, `b` = `scale`), the
    /// residual add when `residual` is given; `activation` 0 = none, 1 = ReLU, 2 = ReLU6 (`upper`).
    /// Bit-identical to the separate passes (a convolution's bias add, `affine`, `Tensor.addScaled`,
    /// `clamp`). `y` may equal `x`.
    public static func channelEpilogue(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int,
                                       bias: Float?, scale: (a: Float, b: Float)?, residual: UnsafePointer<Float>?,
                                       activation: Int32, upper: Float) {
        let flags = (bias != nil ? MLR_EPILOGUE_BIAS : 0) | (scale != nil ? MLR_EPILOGUE_AFFINE : 0)
        mlr_channel_epilogue(x, y, count, flags, bias ?? 0, scale?.a ?? 1, scale?.b ?? 0, residual, activation, upper)
    }

    /// `dx[i] = (k1·dy[i] + k2·(x[i] − mean)) + k3`.
    public static func batchNormInputGradient(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                                                         _ dx: UnsafeMutablePointer<Float>, count: Int, mean: Float,
                                                         k1: Float, k2: Float, k3: Float) {
        mlr_bn_input_grad(x, dy, dx, count, mean, k1, k2, k3)
    }
}
