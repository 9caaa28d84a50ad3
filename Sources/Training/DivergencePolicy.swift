import NN
import Optim
import Tensor

/// What the trainer does when a step's training loss, gradients or learning rate, or an epoch's validation
/// loss, is not finite (NaN or ±Inf).
///
/// - `stop`: throw `TrainingError.diverged`; nothing of the broken state is written, the last checkpoint on
///   disk is kept (resume from it with a lower learning rate).
/// - `backoff(factor:retries:)`: reload the last good state, kept in memory (taken at the start of the run,
///   after every epoch and at every periodic checkpoint: weights, buffers, optimiser, updater, task, position
///   and logs), multiply every learning rate from then on by `factor` (cumulatively: two back-offs at 0.5
///   give 0.25), and continue. After `retries` back-offs in one run the next divergence stops as `stop` does.
///   The scale and the count are checkpointed, so a resumed run continues with them.
public enum DivergencePolicy: Sendable, Equatable, CustomStringConvertible {
    case stop
    case backoff(factor: Float, retries: Int)

    /// The default back-off: halve the learning rate, at most 3 times.
    public static let defaultBackoff = DivergencePolicy.backoff(factor: 0.5, retries: 3)

    /// Parses `stop`, `backoff` (= `backoff:0.5:3`), `backoff:FACTOR` or `backoff:FACTOR:RETRIES`.
    public init(parsing text: String) throws(TrainingError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch parts[0] {
        case "stop" where parts.count == 1: self = .stop
        case "backoff" where parts.count <= 3:
            var factor: Float = 0.5, retries = 3
            if parts.count >= 2 {
                guard let f = Float(parts[1]), f > 0, f < 1 else {
                    throw .invalidOption("divergence policy '\(text)': the back-off factor must be a number in (0, 1), got '\(parts[1])'")
                }
                factor = f
            }
            if parts.count == 3 {
                guard let r = Int(parts[2]), r >= 1, r <= 1000 else {
                    throw .invalidOption("divergence policy '\(text)': the retry count must be an integer in 1...1000, got '\(parts[2])'")
                }
                retries = r
            }
            self = .backoff(factor: factor, retries: retries)
        default:
            throw .invalidOption("divergence policy '\(text)': expected 'stop', 'backoff', 'backoff:FACTOR' or 'backoff:FACTOR:RETRIES'")
        }
    }

    public var description: String {
        switch self {
        case .stop: return "stop"
        case let .backoff(f, r): return "backoff:\(f):\(r)"
        }
    }
}

/// One back-off: what diverged where, and the state the run went back to.
public struct DivergenceEvent: Sendable, Equatable, Codable {
    /// The step (and epoch) at which the non-finite value appeared.
    public var step: Int
    public var epoch: Int
    /// What was not finite ("the training loss", "the gradients", "the learning rate", "the validation loss").
    public var what: String
    /// The global step of the reloaded state.
    public var reloadedStep: Int
    /// The learning-rate scale from then on.
    public var scale: Float
}

/// An optimiser seen through a learning-rate scale: every update runs at `scale × lr`; a non-finite
/// effective learning rate is refused (the update is skipped and recorded in `refusedLearningRate`), so a
/// broken schedule can never write NaN into the weights. With `scale == 1` updates are bit-identical to
/// the wrapped optimiser's.
public final class ScaledOptimizer: Optimizer {
    public let base: any Optimizer
    public var scale: Float = 1
    /// The first non-finite learning rate asked for since the last `clearRefusal()`.
    public private(set) var refusedLearningRate: Float?

    public init(_ base: any Optimizer) { self.base = base }

    public func clearRefusal() { refusedLearningRate = nil }

    private func effective(_ lr: Float) -> Float? {
        let e = lr * scale
        guard e.isFinite else { if refusedLearningRate == nil { refusedLearningRate = lr }; return nil }
        return e
    }

    public func step(_ parameters: [Parameter], learningRate lr: Float) {
        guard let e = effective(lr) else { return }
        base.step(parameters, learningRate: e)
    }

    public func direction(_ parameters: [Parameter], into d: inout [Tensor]) { base.direction(parameters, into: &d) }

    public func apply(direction d: [Tensor], to parameters: [Parameter], learningRate lr: Float) {
        guard let e = effective(lr) else { return }
        base.apply(direction: d, to: parameters, learningRate: e)
    }

    public var state: OptimizerState { base.state }
    public func restore(_ state: OptimizerState, for parameters: [Parameter]) throws { try base.restore(state, for: parameters) }
}

/// Whether every gradient value is finite: x·0 is 0 for finite x and NaN for ±Inf and NaN, so one pass of
/// 16-wide multiply-adds decides (a few ms for tens of millions of values; run every step without clipping).
func gradientsAreFinite(_ parameters: [Parameter]) -> Bool {
    for p in parameters {
        let ok = p.grad.withUnsafeBufferPointer { g -> Bool in
            guard let base = g.baseAddress else { return true }
            var wide = SIMD16<Float>()
            var i = 0
            let raw = UnsafeRawPointer(base)
            while i + 16 <= g.count {
                wide += raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self) * 0
                i += 16
            }
            var acc = wide.sum()
            while i < g.count { acc += g[i] * 0; i += 1 }
            return acc == 0
        }
        if !ok { return false }
    }
    return true
}
