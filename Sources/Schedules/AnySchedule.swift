/// Any learning-rate schedule, behind one concrete type, so a trainer (or a `SequentialSchedule`) can hold
/// whichever schedule a run is configured with — built-in or not (e.g. the MLR-SNet meta-learner).
/// Calls forward to the wrapped schedule; it is mutated in place, so a call costs one dynamic dispatch and no
/// allocation. `state`/`restore` are the wrapped schedule's (nested schedules included);
/// `AnySchedule(state:)` rebuilds any built-in schedule, nested ones too, from a saved state alone.
public struct AnySchedule: LearningRateSchedule {
    public private(set) var base: any LearningRateSchedule

    /// Wraps `base` (an `AnySchedule` is not wrapped twice).
    public init(_ base: any LearningRateSchedule) {
        if let any = base as? AnySchedule { self = any } else { self.base = base }
    }

    /// The kinds `init(state:)` and `ScheduleConfig` can build.
    public static let knownKinds = [FixedSchedule.kind, ExponentialSchedule.kind, MultiStepSchedule.kind,
                                    CosineSchedule.kind, SGDRSchedule.kind, ReduceOnPlateauSchedule.kind,
                                    WarmupSchedule<AnySchedule>.kind, SequentialSchedule.kind]

    /// Rebuilds the built-in schedule saved in `state` (any kind in `knownKinds`, nested to any depth), with its
    /// progress. Throws `unknownKind` for other kinds, or the error of the schedule's own restore.
    public init(state: ScheduleState) throws(ScheduleError) {
        switch state.kind {
        case FixedSchedule.kind: base = try FixedSchedule(state: state)
        case ExponentialSchedule.kind: base = try ExponentialSchedule(state: state)
        case MultiStepSchedule.kind: base = try MultiStepSchedule(state: state)
        case CosineSchedule.kind: base = try CosineSchedule(state: state)
        case SGDRSchedule.kind: base = try SGDRSchedule(state: state)
        case ReduceOnPlateauSchedule.kind: base = try ReduceOnPlateauSchedule(state: state)
        case WarmupSchedule<AnySchedule>.kind: base = try WarmupSchedule<AnySchedule>(state: state)
        case SequentialSchedule.kind: base = try SequentialSchedule(state: state)
        default: throw .unknownKind(state.kind)
        }
    }

    public mutating func learningRate(for signal: TrainingSignal) -> Float {
        base.learningRate(for: signal)
    }

    public mutating func epochEnded(_ epoch: Int, validationLoss: Float?) {
        base.epochEnded(epoch, validationLoss: validationLoss)
    }

    public var state: ScheduleState { base.state }

    /// Restores into the wrapped schedule, which checks the kind (use `init(state:)` to rebuild from any kind).
    public mutating func restore(_ state: ScheduleState) throws(ScheduleError) {
        try base.restore(state)
    }

    public var summary: String { base.summary }
}
