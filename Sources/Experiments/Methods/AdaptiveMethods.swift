import Baselines
import Foundation
import Training

/// The adaptive-LR baselines of the paper (Sources/Baselines) as method kinds. The base optimiser is the run's
/// (`overrides.optimizer`): hd on sgd → SGD-HD, nesterov → SGDN-HD, adam → Adam-HD; l4 on sgd/sgdm → L4-SGD/L4Mom,
/// adam → L4Adam; rtho on any. Parameters mirror `mlrsnet train --schedule hd|l4|rtho` (AdaptiveOptions):
///
/// - `hd`: `lr` (initial LR α₀, required), `hyperLR` (β ≥ 0, required), `minLR`/`maxLR` (clamp; none).
/// - `l4`: `alpha` (fraction α > 0; default 0.15, the paper's image value), `gradientDecay` (δ in [0, 1); 0.9),
///   `minLR`/`maxLR`.
/// - `rtho`: `lr` (required), `hyperLR` (β ≥ 0, required), `interval` (steps between hyper-steps; 1), `epsilon`
///   (finite-difference length of the Hessian-vector products; 1e-2), `minLR`/`maxLR`. Needs validation data
///   (image groups: validationPerClass > 0); the run's `clip` is passed on (clip-aware tangent).
extension MethodKind {
    public static let hd = MethodKind(
        name: "hd", summary: "hypergradient descent (SGD-HD / SGDN-HD / Adam-HD by the run's optimiser)",
        parameters: ["lr", "hyperLR", "minLR", "maxLR"],
        check: { method, _ in _ = try AdaptiveParameters(method, kind: "hd") },
        make: { context in
            let p = try AdaptiveParameters(context.method, kind: "hd")
            let u = try wrapped(context.method) { try HypergradientUpdate(initialLR: Float(p.lr!), hyperLR: Float(p.hyperLR!), bounds: p.bounds) }
            return PreparedMethod(updater: u, summary: "\(context.run.optimizer.rawValue) + \(u.summary), α₀ = \(p.lr!)")
        })

    public static let l4 = MethodKind(
        name: "l4", summary: "L4 loss-based step size (L4-SGD / L4Mom / L4Adam by the run's optimiser)",
        parameters: ["alpha", "gradientDecay", "minLR", "maxLR"],
        check: { method, _ in _ = try AdaptiveParameters(method, kind: "l4") },
        make: { context in
            let p = try AdaptiveParameters(context.method, kind: "l4")
            let u = try wrapped(context.method) { try L4Update(fraction: Float(p.alpha), gradientDecay: Float(p.gradientDecay), bounds: p.bounds) }
            return PreparedMethod(updater: u, summary: "\(context.run.optimizer.rawValue) + \(u.summary)")
        })

    public static let rtho = MethodKind(
        name: "rtho", summary: "RTHO: forward-mode LR hypergradient on validation data (finite-difference HVPs)",
        parameters: ["lr", "hyperLR", "interval", "epsilon", "minLR", "maxLR"],
        check: { method, run in
            _ = try AdaptiveParameters(method, kind: "rtho")
            if !run.dataset.isText && run.validationPerClass == 0 {
                throw ExperimentError("method \(method.name) (rtho): RTHO's hypergradient needs validation data: set validationPerClass > 0")
            }
        },
        make: { context in
            let p = try AdaptiveParameters(context.method, kind: "rtho")
            guard let task = context.prepared.task as? any MetaValidationSource, task.validationBatchCount > 0 else {
                throw ExperimentError("method \(context.method.name) (rtho): the task has no validation data")
            }
            let u = try wrapped(context.method) {
                try RTHOUpdate(task: task, initialLR: Float(p.lr!), hyperLR: Float(p.hyperLR!), hyperInterval: p.interval, bounds: p.bounds,
                               hvp: FiniteDifferenceHVP(epsilon: Float(p.epsilon)), clipNorm: context.run.clip)
            }
            return PreparedMethod(updater: u, summary: "\(context.run.optimizer.rawValue) + \(u.summary), α₀ = \(p.lr!)")
        })
}

/// A Baselines constructor's error, re-thrown naming the method.
private func wrapped<T>(_ m: MethodSpec, _ body: () throws -> T) throws -> T {
    do { return try body() } catch { throw ExperimentError("method \(m.name) (\(m.kind)): \(error)") }
}

/// The parsed and checked parameters of an `hd`, `l4` or `rtho` method (only the ones its kind uses are set).
struct AdaptiveParameters {
    var lr: Double?
    var hyperLR: Double?
    var alpha = 0.15
    var gradientDecay = 0.9
    var interval = 1
    var epsilon = 1e-2
    var bounds = AdaptiveLRBounds.unbounded

    init(_ m: MethodSpec, kind: String) throws {
        func fail(_ s: String) -> ExperimentError { ExperimentError("method \(m.name) (\(kind)): \(s)") }
        if kind == "hd" || kind == "rtho" {
            guard let lr = try m.number("lr") else { throw fail("needs the initial learning rate \"lr\"") }
            guard lr.isFinite, lr > 0 else { throw fail("lr must be a positive number (got \(lr))") }
            guard let h = try m.number("hyperLR") else { throw fail("needs the hyper-learning rate \"hyperLR\" (paper grids: images 1e-3…1e-7, text 1, 0.5, 0.1, 0.05)") }
            guard h.isFinite, h >= 0 else { throw fail("hyperLR must be ≥ 0 (got \(h))") }
            self.lr = lr; hyperLR = h
        }
        if kind == "l4" {
            alpha = try m.number("alpha") ?? alpha
            guard alpha.isFinite, alpha > 0 else { throw fail("alpha must be positive (got \(alpha))") }
            gradientDecay = try m.number("gradientDecay") ?? gradientDecay
            guard (0..<1).contains(gradientDecay) else { throw fail("gradientDecay must be in [0, 1) (got \(gradientDecay))") }
        }
        if kind == "rtho" {
            interval = try m.count("interval") ?? interval
            epsilon = try m.number("epsilon") ?? epsilon
            guard epsilon.isFinite, epsilon > 0 else { throw fail("epsilon must be positive (got \(epsilon))") }
        }
        let lo = try m.number("minLR"), hi = try m.number("maxLR")
        if lo != nil || hi != nil {
            do { bounds = try AdaptiveLRBounds(minimum: Float(lo ?? -.infinity), maximum: Float(hi ?? .infinity)) }
            catch { throw fail("LR bounds: \(error)") }
        }
    }
}
