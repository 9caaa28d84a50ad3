/// A constant learning rate. State kind "fixed", values: `lr`.
public struct FixedSchedule: LearningRateSchedule, Sendable, Equatable {
    public static let kind = "fixed"
    public private(set) var lr: Double

    /// Throws `invalidValue` unless `lr` is finite and ≥ 0.
    public init(lr: Double) throws(ScheduleError) {
        try Check.nonNegative(lr, Self.kind, "lr")
        self.lr = lr
    }

    /// Rebuilds the schedule saved in `state`.
    public init(state: ScheduleState) throws(ScheduleError) {
        try state.expectKind(Self.kind)
        try self.init(lr: state.double("lr"))
    }

    public mutating func learningRate(for signal: TrainingSignal) -> Float { Float(lr) }

    public var state: ScheduleState { ScheduleState(kind: Self.kind, values: ["lr": lr]) }

    public mutating func restore(_ state: ScheduleState) throws(ScheduleError) { self = try Self(state: state) }

    public var summary: String { "fixed(\(formatNumber(lr)))" }
}
