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
    /// Smaller step sizes tried, in order, when a step crosses a kink (empty: none).
    ///
    /// A ReLU, ReLU6 or max-pool kink within ε of some input makes the central difference measure a secant
    /// across the kink instead of the derivative. Whole networks hit this often: with BatchNorm every weight
    /// moves every normalised value of its channel, and those cluster around the ReLU's kink at 0. The check
    /// therefore compares the activation patterns (`PiecewiseLayer.activationPattern`) of the ±ε evaluations
    /// with the unperturbed one; if any differs, that ε is not used and the next smaller one is tried. A
    /// coordinate whose every step crosses a kink is skipped (and counted), never passed. A mismatch without
    /// a crossing is a failure.
    public var fallbackEpsilons: [Float] = []
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
    /// Coordinates skipped because every step size crossed a kink.
    public var skippedAtKinks = 0
    public var mismatches: [GradientMismatch] = []
    public var maxAbsError: Float = 0
    public var passed: Bool { mismatches.isEmpty && checked > 0 }
    public var summary: String {
        "checked \(checked) coordinates (\(skippedAtKinks) more skipped at kinks), max |err| \(maxAbsError), \(mismatches.count) mismatches"
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

    let piecewise = layer.allLayers.compactMap { $0 as? any PiecewiseLayer }
    func pattern() -> [UInt64] { piecewise.map { $0.activationPattern() } }

    // Analytic gradients.
    layer.zeroGrad()
    prepare()
    _ = layer.forward(x)
    let basePattern = pattern()
    let dx = layer.backward(r)
    let analyticParams = layer.parameters.map { $0.grad }

    var report = GradientCheckReport()
    func agrees(_ num: Float, _ ana: Float) -> Bool {
        abs(num - ana) <= options.atol + options.rtol * max(abs(num), abs(ana))
    }
    /// Compares the analytic value with the difference quotient at the first step size whose ±ε evaluations
    /// stay on the unperturbed piece. `evaluate(ε)` returns L(+ε), L(−ε) and whether both kept the pattern.
    func compare(_ name: String, _ i: Int, _ ana: Float, _ evaluate: (Float) -> (Double, Double, Bool)) {
        for eps in [options.epsilon] + options.fallbackEpsilons {
            let (lp, lm, samePiece) = evaluate(eps)
            guard samePiece else { continue }
            let num = Float((lp - lm) / Double(2 * eps))
            report.checked += 1
            report.maxAbsError = max(report.maxAbsError, abs(num - ana))
            if !agrees(num, ana) {
                report.mismatches.append(GradientMismatch(tensor: name, index: i, numeric: num, analytic: ana))
            }
            return
        }
        report.skippedAtKinks += 1
    }

    /// Coordinates in a seeded random order (all of them for small tensors); callers stop once
    /// `maxCoordinatesPerTensor` of them were checked, so kink-skipped ones are replaced by others.
    func order(_ n: Int) -> [Int] {
        if options.maxCoordinatesPerTensor == 0 || n <= options.maxCoordinatesPerTensor { return Array(0..<n) }
        return rng.permutation(n)
    }
    func enough(since start: Int) -> Bool {
        options.maxCoordinatesPerTensor > 0 && report.checked - start >= options.maxCoordinatesPerTensor
    }

    if checkInput {
        precondition(dx.shape == x.shape, "checkGradients: input gradient shape \(dx.shape) ≠ input shape \(x.shape)")
        let start = report.checked
        for i in order(x.count) where !enough(since: start) {
            compare("input", i, dx[flat: i]) { eps in
                var xp = x; xp[flat: i] += eps
                var xm = x; xm[flat: i] -= eps
                let lp = loss(xp), pp = pattern()
                let lm = loss(xm), pm = pattern()
                return (lp, lm, pp == basePattern && pm == basePattern)
            }
        }
    }
    for (pi, p) in layer.parameters.enumerated() {
        let original = p.value
        let start = report.checked
        for i in order(original.count) where !enough(since: start) {
            compare(p.name.isEmpty ? "param\(pi)" : p.name, i, analyticParams[pi][flat: i]) { eps in
                p.value[flat: i] = original[flat: i] + eps
                let lp = loss(x), pp = pattern()
                p.value[flat: i] = original[flat: i] - eps
                let lm = loss(x), pm = pattern()
                p.value = original
                return (lp, lm, pp == basePattern && pm == basePattern)
            }
        }
    }
    return report
}

/// Largest |a − b| over all elements (shapes must match).
public func maxAbsDifference(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.shape == b.shape, "maxAbsDifference: shapes differ: \(a.shape) vs \(b.shape)")
    return (a - b).maxAbs()
}
