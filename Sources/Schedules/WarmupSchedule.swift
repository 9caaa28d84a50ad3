/// Linear warm-up in front of another schedule (PyTorch `LinearLR` multiplied onto the inner schedule): for the
/// global steps s < `steps`, lr = inner(s) · (startFactor + (1 − startFactor)·s/steps); from step `steps` on,
/// lr = inner(s). The inner schedule sees the same signals (it is asked every step and told every epoch end), so
/// e.g. `WarmupSchedule(MultiStepSchedule(...), steps: 500, startFactor: 0.1)` decays at the same epochs as the
/// plain multistep schedule.
/// State kind "warmup", values: `steps`, `startFactor`; children: [inner].
public struct WarmupSchedule<Inner: LearningRateSchedule>: LearningRateSchedule {
    public static var kind: String { "warmup" }
    public private(set) var inner: Inner
    public private(set) var steps: Int
    public private(set) var startFactor: Double

    /// Throws `invalidValue` unless steps ≥ 0 and 0 ≤ startFactor ≤ 1.
    public init(_ inner: Inner, steps: Int, startFactor: Double) throws(ScheduleError) {
        try Check.atLeast(steps, 0, Self.kind, "steps")
        try Check.range(startFactor, Self.kind, "startFactor", startFactor >= 0 && startFactor <= 1,
                        "must be in [0, 1]")
        self.inner = inner
        self.steps = steps
        self.startFactor = startFactor
    }

    public mutating func learningRate(for signal: TrainingSignal) -> Float {
        let lr = inner.learningRate(for: signal)
        guard signal.step < steps else { return lr }
        let f = startFactor + (1 - startFactor) * Double(max(signal.step, 0)) / Double(steps)
        return Float(Double(lr) * f)
    }

    public mutating func epochEnded(_ epoch: Int, validationLoss: Float?) {
        inner.epochEnded(epoch, validationLoss: validationLoss)
    }

    public var state: ScheduleState {
        ScheduleState(kind: Self.kind, values: ["steps": Double(steps), "startFactor": startFactor],
                      children: [inner.state])
    }

    public mutating func restore(_ state: ScheduleState) throws(ScheduleError) {
        try state.expectKind(Self.kind)
        try state.expectChildren(1)
        var restoredInner = inner
        try restoredInner.restore(state.children[0])
        self = try Self(restoredInner, steps: state.int("steps"), startFactor: state.double("startFactor"))
    }

    public var summary: String {
        "warmup(\(steps) steps from ×\(formatNumber(startFactor))) then \(inner.summary)"
    }
}

extension WarmupSchedule: Sendable where Inner: Sendable {}
extension WarmupSchedule: Equatable where Inner: Equatable {}

extension WarmupSchedule where Inner == AnySchedule {
    /// Rebuilds a warm-up around any built-in schedule from its saved state.
    public init(state: ScheduleState) throws(ScheduleError) {
        try state.expectKind(Self.kind)
        try state.expectChildren(1)
        try self.init(AnySchedule(state: state.children[0]), steps: state.int("steps"),
                      startFactor: state.double("startFactor"))
    }
}
