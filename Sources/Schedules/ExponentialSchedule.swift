/// Exponential decay (PyTorch `ExponentialLR`, in closed form): lr = initial · gammaᵗ, where t is the global step
/// or the epoch (`per`). The closed form avoids the drift of multiplying by gamma once per step.
/// State kind "exponential", values: `initial`, `gamma`, `perEpoch` (0/1).
public struct ExponentialSchedule: LearningRateSchedule, Sendable, Equatable {
    public static let kind = "exponential"
    public private(set) var initial: Double
    public private(set) var gamma: Double
    public private(set) var per: ScheduleUnit

    /// Throws `invalidValue` unless initial ≥ 0 and gamma > 0 (both finite).
    public init(initial: Double, gamma: Double, per: ScheduleUnit) throws(ScheduleError) {
        try Check.nonNegative(initial, Self.kind, "initial")
        try Check.positive(gamma, Self.kind, "gamma")
        self.initial = initial
        self.gamma = gamma
        self.per = per
    }

    public init(state: ScheduleState) throws(ScheduleError) {
        try state.expectKind(Self.kind)
        try self.init(initial: state.double("initial"), gamma: state.double("gamma"), per: state.unit("perEpoch"))
    }

    public mutating func learningRate(for signal: TrainingSignal) -> Float {
        Float(initial * power(gamma, per.count(signal)))
    }

    public var state: ScheduleState {
        ScheduleState(kind: Self.kind, values: ["initial": initial, "gamma": gamma, "perEpoch": per.code])
    }

    public mutating func restore(_ state: ScheduleState) throws(ScheduleError) { self = try Self(state: state) }

    public var summary: String { "exponential(\(formatNumber(initial)), ×\(formatNumber(gamma)) per \(per.rawValue))" }
}
