import Foundation
import Schedules

/// How γ, the scale of the learned LR (α = γ·p, p ∈ (0, 1)), is chosen.
public enum GammaPolicy: Sendable, Equatable, Hashable {
    /// A constant γ. The paper uses 1 for images and 40 for text (`paperImages`, `paperText`).
    case fixed(Double)
    /// The reference code's rule, computed once from the first raw training loss L0 with C classes:
    /// `γ = |√L0 · ln(L0·C) / C^¼ / 4|` (the reference takes the absolute value too).
    case reference(classes: Int)
    /// The reference's text form: the same rule on the perplexity P0 = exp(L0) and the vocabulary size V:
    /// `γ = |√P0 · ln(P0·V) / V^¼ / 4|`.
    case referencePerplexity(vocabularySize: Int)

    public static let paperImages = GammaPolicy.fixed(1)
    public static let paperText = GammaPolicy.fixed(40)

    /// The floor of the reference rules. The rule is exactly 0 at L0 = 1/C (P0·V = 1): ln 1 = 0, which would
    /// stop training for good; any result below this value, or non-finite (L0 ≤ 0, overflow), becomes this
    /// value. 1e-3 is far below every γ the rule gives in the reference's regime (≈0.67 at CIFAR-10's initial
    /// loss ln 10, ≈1.04 for CIFAR-100), so it only acts as a guard.
    public static let minimumReferenceGamma = 1e-3

    /// Whether γ is computed from a loss (the reference rules) rather than given.
    public var isComputed: Bool { if case .fixed = self { return false } else { return true } }

    /// The reference rule's raw value `|√x · ln(x·n) / n^¼ / 4|` (no floor; may be 0 or non-finite).
    public static func referenceRule(_ x: Double, count n: Int) -> Double {
        let nd = Double(n)
        return abs(x.squareRoot() * log(x * nd) / pow(nd, 0.25) / 4)
    }

    /// γ for this policy, given the raw loss L0 (ignored by `fixed`). Reference rules are floored at
    /// `minimumReferenceGamma`, so the result is always finite and > 0 for a valid policy.
    public func gamma(initialLoss l0: Double) -> Double {
        let raw: Double
        switch self {
        case .fixed(let g): return g
        case .reference(let c): raw = Self.referenceRule(l0, count: c)
        case .referencePerplexity(let v): raw = Self.referenceRule(exp(l0), count: v)
        }
        return raw.isFinite && raw >= Self.minimumReferenceGamma ? raw : Self.minimumReferenceGamma
    }

    /// Throws unless a fixed γ is finite and > 0, and C ≥ 2 / V ≥ 2.
    public func validate() throws(ScheduleError) {
        switch self {
        case .fixed(let g):
            guard g.isFinite && g > 0 else { throw .invalidValue(kind: LearnedLRSchedule.kind, key: "gamma", value: "\(g)", reason: "must be finite and > 0") }
        case .reference(let c):
            guard c >= 2 else { throw .invalidValue(kind: LearnedLRSchedule.kind, key: "classes", value: "\(c)", reason: "must be ≥ 2") }
        case .referencePerplexity(let v):
            guard v >= 2 else { throw .invalidValue(kind: LearnedLRSchedule.kind, key: "vocabularySize", value: "\(v)", reason: "must be ≥ 2") }
        }
    }

    public var summary: String {
        switch self {
        case .fixed(let g): return "γ \(g)"
        case .reference(let c): return "γ reference rule (C = \(c))"
        case .referencePerplexity(let v): return "γ reference rule on perplexity (V = \(v))"
        }
    }

    /// `summary` plus, for a computed γ, the value it gave for this run: "γ 1.0", or
    /// "γ reference rule (C = 10) = 2.302585092994046".
    public func summary(value: Double) -> String { isComputed ? "\(summary) = \(value)" : summary }
}

/// What the meta-learner sees of the training loss L.
public enum InputNormalisation: Sendable, Equatable, Hashable {
    /// L itself (the paper and the reference, classification).
    case raw
    /// L / ln V for a language model with vocabulary size V (the reference: `loss / np.log(vocab_size)`), so the
    /// input is ≈ 1 at the uniform prediction whatever V is.
    case perLogVocabulary(Int)

    /// The cell's input for the raw loss `l` (computed in Double, rounded once).
    public func apply(_ l: Float) -> Float {
        switch self {
        case .raw: return l
        case .perLogVocabulary(let v): return Float(Double(l) / log(Double(v)))
        }
    }

    /// Throws unless V ≥ 2.
    public func validate() throws(ScheduleError) {
        if case .perLogVocabulary(let v) = self, v < 2 {
            throw .invalidValue(kind: LearnedLRSchedule.kind, key: "vocabularySize", value: "\(v)", reason: "must be ≥ 2")
        }
    }

    public var summary: String {
        switch self {
        case .raw: return "raw loss"
        case .perLogVocabulary(let v): return "loss/ln(\(v))"
        }
    }
}

/// Optional clamp of the learned LR to [minimum, maximum] (defaults: [0, +∞), i.e. none, since α ∈ (0, γ)).
public struct LearningRateBounds: Sendable, Equatable, Hashable {
    public let minimum: Double
    public let maximum: Double

    public static let unbounded = LearningRateBounds(uncheckedMinimum: 0, maximum: .infinity)

    /// Throws unless 0 ≤ minimum ≤ maximum, minimum finite (maximum may be +∞).
    public init(minimum: Double = 0, maximum: Double = .infinity) throws(ScheduleError) {
        guard minimum.isFinite && minimum >= 0 else {
            throw .invalidValue(kind: LearnedLRSchedule.kind, key: "minLR", value: "\(minimum)", reason: "must be finite and ≥ 0")
        }
        guard !maximum.isNaN && maximum >= minimum else {
            throw .invalidValue(kind: LearnedLRSchedule.kind, key: "maxLR", value: "\(maximum)", reason: "must be ≥ minLR (\(minimum))")
        }
        self.minimum = minimum
        self.maximum = maximum
    }

    private init(uncheckedMinimum: Double, maximum: Double) {
        minimum = uncheckedMinimum
        self.maximum = maximum
    }

    /// `lr` clamped, and whether the clamp changed it.
    func clamp(_ lr: Double) -> (Double, Bool) {
        if lr < minimum { return (minimum, true) }
        if lr > maximum { return (maximum, true) }
        return (lr, false)
    }
}

/// What the schedule does with a step whose training loss is missing or not finite (NaN, ±∞): such a loss
/// never reaches the cell.
public enum NonFiniteLossPolicy: String, Sendable, Equatable, Hashable, CaseIterable {
    /// Feed the last finite loss instead (the state advances as on any step). The default.
    case reuseLastFiniteLoss
    /// Skip the cell: return the previous step's LR and leave (h, c) as they are.
    case holdPreviousLearningRate
}
