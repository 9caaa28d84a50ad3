/// A learning-rate schedule: asked once per optimisation step, in order, for that step's learning rate, and told
/// when each epoch ends. Hand-designed schedules (`FixedSchedule`, `MultiStepSchedule`, ...) and learned ones
/// (the MLR-SNet meta-learner) conform; `AnySchedule` holds any of them.
///
/// Contract for a trainer: for each step call `learningRate(for:)` exactly once, in increasing step order; after
/// the last step of epoch `e` call `epochEnded(e, validationLoss:)` (with the loss when one was measured). To
/// resume after a restart, save `state` and later `restore` it into a schedule of the same type: the LR sequence
/// then continues exactly as if training had not stopped.
///
/// The built-in schedules compute in Double and round once to Float. They validate their parameters in throwing
/// initialisers (`ScheduleError.invalidValue`, naming the schedule, the parameter and the value) rather than
/// trapping, so that a bad config or a corrupt saved state is reported, not fatal. A call to `learningRate` costs
/// a few arithmetic operations and allocates nothing.
public protocol LearningRateSchedule {
    /// The LR for the update of the step described by `signal`; called exactly once per step, in order.
    mutating func learningRate(for signal: TrainingSignal) -> Float
    /// End of an epoch (0-based), with the validation loss when one was measured. Plateau rules react here.
    mutating func epochEnded(_ epoch: Int, validationLoss: Float?)
    /// Everything needed to continue the identical LR sequence after a restart.
    var state: ScheduleState { get }
    /// Replaces this schedule's hyper-parameters and progress by those in `state` (a value of `state` taken from a
    /// schedule of the same type). Throws, leaving `self` unchanged, when the kind differs or a value is missing
    /// or invalid.
    mutating func restore(_ state: ScheduleState) throws(ScheduleError)
    /// A one-line human description, e.g. "multistep(0.1, milestones [100, 150], ×0.1)".
    var summary: String { get }
}

extension LearningRateSchedule {
    /// Default: the schedule does not react to epoch ends.
    public mutating func epochEnded(_ epoch: Int, validationLoss: Float?) {}
}

/// Whether a schedule counts its time `t` in optimisation steps or in epochs.
public enum ScheduleUnit: String, Sendable, Equatable, CaseIterable {
    case step
    case epoch

    /// `signal.step` or `signal.epoch`.
    @inlinable func count(_ signal: TrainingSignal) -> Int {
        self == .step ? signal.step : signal.epoch
    }
}
