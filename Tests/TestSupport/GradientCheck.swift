import NN
import Tensor

/// Finite-difference gradient checking for layers and models.
///
/// The scalar checked is `L(x, θ) = Σ_i forward(x)_i · r_i` for a fixed random `r`, so
/// `∂L/∂output = r` is what `backward` receives. Each checked coordinate is compared with the
/// central difference `(L(v + ε) − L(v − ε)) / 2ε`, with L accumulated in Double.
///
/// Tolerances (why they are what they are): the forward pass runs in Float32, so each L evaluation
/// carries a relative rounding error of roughly 1e-6·√(terms); dividing by 2ε = 2e-2 amplifies that
/// to ~1e-4 of |L|'s scale, and the truncation error of the central difference is O(ε²·f‴) ≈ 1e-4
/// for the smooth layers here. A coordinate passes when
/// `|num − ana| ≤ atol + rtol · max(|num|, |ana|)` with the defaults `atol = 2e-3`, `rtol = 2e-2`:
/// an order of magnitude above that noise, and far below the size of any real backward bug
/// (a wrong sign, a missing term or an off-by-one index changes gradients by O(1) relative).
public struct GradientCheckOptions: Sendable {
    public var epsilon: Float = 1e-2
    public var atol: Float = 2e-3
    public var rtol: Float = 2e-2
    /// At most this many coordinates are checked per tensor (chosen at random, seeded); 0 = all.
    public var maxCoordinatesPerTensor: Int = 64
    public var seed: UInt64 = 1234
    public init() {}
}

/// One coordinate that failed the check.
public struct GradientMismatch: CustomStringConvertible, Sendable {
    public var tensor: String
    public var index: Int
    public var numeric: Float
    public var analytic: Float
    public var description: String { "\(tensor)[\(index)]: numeric \(numeric) vs analytic \(analytic)" }
}

/// The result of a gradient check: every mismatch plus how many coordinates were checked.
public struct GradientCheckReport: Sendable {
    public var checked = 0
    public var mismatches: [GradientMismatch] = []
    public var maxAbsError: Float = 0
    public var passed: Bool { mismatches.isEmpty && checked > 0 }
    public var summary: String {
        "checked \(checked) coordinates, max |err| \(maxAbsError), \(mismatches.count) mismatches"
            + (mismatches.isEmpty ? "" : ": " + mismatches.prefix(5).map(\.description).joined(separator: "; "))
    }
}

/// Checks `backward` of `layer` at input `x` against central finite differences, for the input
/// gradient (unless `checkInput` is false, e.g. for integer token inputs) and every parameter.
///
/// - Parameters:
///   - prepare: called before every forward (e.g. to re-seed a Dropout mask so each evaluation
///     uses the same mask).
public func checkGradients(_ layer: any Layer, input x: Tensor, checkInput: Bool = true,
                           options: GradientCheckOptions = GradientCheckOptions(),
                           prepare: () -> Void = {}) -> GradientCheckReport {
    var rng = RandomGenerator(seed: options.seed)
    prepare()
    let y0 = layer.forward(x)
    let r = Tensor.normal(y0.shape, using: &rng)

    func loss(_ input: Tensor) -> Double {
        prepare()
        let y = layer.forward(input)
        return y.withUnsafeBufferPointer { py in r.withUnsafeBufferPointer { pr in
            var s = 0.0
            for i in 0..<py.count { s += Double(py[i]) * Double(pr[i]) }
            return s
        } }
    }

    // Analytic gradients.
    layer.zeroGrad()
    prepare()
    _ = layer.forward(x)
    let dx = layer.backward(r)
    let analyticParams = layer.parameters.map { $0.grad }

    var report = GradientCheckReport()
    func compare(_ name: String, _ i: Int, _ num: Float, _ ana: Float) {
        report.checked += 1
        let err = abs(num - ana)
        report.maxAbsError = max(report.maxAbsError, err)
        if !(err <= options.atol + options.rtol * max(abs(num), abs(ana))) {
            report.mismatches.append(GradientMismatch(tensor: name, index: i, numeric: num, analytic: ana))
        }
    }
    func coordinates(_ n: Int) -> [Int] {
        if options.maxCoordinatesPerTensor == 0 || n <= options.maxCoordinatesPerTensor { return Array(0..<n) }
        return Array(rng.permutation(n).prefix(options.maxCoordinatesPerTensor)).sorted()
    }
    let eps = options.epsilon

    if checkInput {
        precondition(dx.shape == x.shape, "checkGradients: input gradient shape \(dx.shape) ≠ input shape \(x.shape)")
        for i in coordinates(x.count) {
            var xp = x; xp[flat: i] += eps
            var xm = x; xm[flat: i] -= eps
            let num = Float((loss(xp) - loss(xm)) / Double(2 * eps))
            compare("input", i, num, dx[flat: i])
        }
    }
    for (pi, p) in layer.parameters.enumerated() {
        let original = p.value
        for i in coordinates(original.count) {
            p.value[flat: i] = original[flat: i] + eps
            let lp = loss(x)
            p.value[flat: i] = original[flat: i] - eps
            let lm = loss(x)
            p.value = original
            compare(p.name.isEmpty ? "param\(pi)" : p.name, i, Float((lp - lm) / Double(2 * eps)),
                    analyticParams[pi][flat: i])
        }
    }
    return report
}

/// Largest |a − b| over all elements (shapes must match).
public func maxAbsDifference(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.shape == b.shape, "maxAbsDifference: shapes differ: \(a.shape) vs \(b.shape)")
    return (a - b).maxAbs()
}
