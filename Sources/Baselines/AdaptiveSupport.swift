import NN
import Optim
import Tensor
import Training

/// Optional limits on an adapted learning rate. Hypergradient methods (HD, RTHO) move the LR by a hyper-LR
/// times a hypergradient; with a hyper-LR that is too large the LR can go negative (the update then climbs
/// the loss) or grow without bound until the run diverges. Bounds clamp the LR after every adaptation step.
public struct AdaptiveLRBounds: Sendable, Equatable {
    public var minimum: Float
    public var maximum: Float

    /// No limits.
    public static let unbounded = AdaptiveLRBounds(uncheckedMinimum: -.infinity, maximum: .infinity)

    /// Throws when `minimum > maximum` or either is NaN.
    public init(minimum: Float, maximum: Float) throws {
        guard !minimum.isNaN, !maximum.isNaN, minimum <= maximum else {
            throw AdaptiveError.invalid("LR bounds must satisfy min ≤ max, got \(minimum), \(maximum)")
        }
        self.minimum = minimum
        self.maximum = maximum
    }

    private init(uncheckedMinimum: Float, maximum: Float) { self.minimum = uncheckedMinimum; self.maximum = maximum }

    /// `lr` clamped into [minimum, maximum].
    public func clamp(_ lr: Float) -> Float { Swift.min(Swift.max(lr, minimum), maximum) }

    public var isUnbounded: Bool { minimum == -.infinity && maximum == .infinity }
    var text: String { isUnbounded ? "unbounded" : "[\(minimum), \(maximum)]" }
}

/// Bad configuration or use of an adaptive-LR method.
public enum AdaptiveError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    public var description: String {
        switch self { case .invalid(let why): return why }
    }
}

/// λ of an optimiser's coupled L2 weight decay (g' = g + λw), the part of the objective's gradient the task does
/// not put in `Parameter.grad`. AdamW's decay is decoupled (not part of the objective), so 0.
public func coupledWeightDecay(of optimizer: any Optimizer) -> Float {
    if let s = optimizer as? SGD { return s.weightDecay }
    if let a = optimizer as? Adam { return a.weightDecay }
    return 0
}

/// Σ_k ⟨a_k, b_k⟩ over parameter-shaped tensor lists, accumulated in Double in a fixed order.
func dot(_ a: [Tensor], _ b: [Tensor]) -> Double {
    precondition(a.count == b.count, "dot: \(a.count) tensors vs \(b.count)")
    var s = 0.0
    for (x, y) in zip(a, b) { s += Double(x.dot(y)) }
    return s
}

/// ⟨g + λw, v⟩ summed over the parameters: the objective's gradient (task gradient plus coupled L2) against `v`.
func objectiveGradientDot(_ parameters: [Parameter], _ v: [Tensor], weightDecay λ: Float) -> Double {
    var s = 0.0
    for (p, t) in zip(parameters, v) {
        s += Double(p.grad.dot(t))
        if λ != 0 { s += Double(λ) * Double(p.value.dot(t)) }
    }
    return s
}

/// Encodes a Float exactly (its bit pattern) for checkpoint metadata.
func encodeBits(_ x: Float) -> String { String(x.bitPattern) }
/// Decodes `encodeBits`, throwing a clear checkpoint error when absent or malformed.
func decodeBits(_ s: String?, _ what: String) throws -> Float {
    guard let s, let b = UInt32(s) else { throw TrainingError.incompatibleCheckpoint("\(what) missing from the checkpoint") }
    return Float(bitPattern: b)
}
/// Encodes a Double exactly (its bit pattern).
func encodeBits(_ x: Double) -> String { String(x.bitPattern) }
func decodeDoubleBits(_ s: String?, _ what: String) throws -> Double {
    guard let s, let b = UInt64(s) else { throw TrainingError.incompatibleCheckpoint("\(what) missing from the checkpoint") }
    return Double(bitPattern: b)
}

/// Stores a list of parameter-shaped tensors under `prefix.<index>`.
func namedTensors(_ list: [Tensor], prefix: String) -> [String: Tensor] {
    var out: [String: Tensor] = [:]
    for (i, t) in list.enumerated() { out["\(prefix).\(i)"] = t }
    return out
}

/// Reads back `namedTensors` (count given by metadata), or [] when `count` is 0.
func tensorList(_ tensors: [String: Tensor], prefix: String, count: Int) throws -> [Tensor] {
    try (0..<count).map { i in
        guard let t = tensors["\(prefix).\(i)"] else { throw TrainingError.incompatibleCheckpoint("\(prefix).\(i) missing from the checkpoint") }
        return t
    }
}
