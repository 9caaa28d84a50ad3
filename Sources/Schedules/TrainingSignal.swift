/// What a schedule may observe when asked for the learning rate of one optimisation step.
///
/// Invariant a trainer keeps: `step == epoch · stepsPerEpoch + i`, where `i` is the 0-based index of the step
/// inside its epoch (every epoch has the same number of steps; the last mini-batch may be smaller).
public struct TrainingSignal: Sendable, Equatable {
    /// Global 0-based index of the step about to be taken.
    public var step: Int
    /// 0-based epoch that step belongs to.
    public var epoch: Int
    /// Number of optimisation steps in one epoch (≥ 1).
    public var stepsPerEpoch: Int
    /// This step's mini-batch loss (already computed), if known.
    public var trainingLoss: Float?
    /// Most recent validation loss, if any.
    public var validationLoss: Float?

    public init(step: Int, epoch: Int, stepsPerEpoch: Int, trainingLoss: Float? = nil, validationLoss: Float? = nil) {
        self.step = step
        self.epoch = epoch
        self.stepsPerEpoch = stepsPerEpoch
        self.trainingLoss = trainingLoss
        self.validationLoss = validationLoss
    }

    /// The signal of global step `step` when every epoch has `stepsPerEpoch` steps (epoch = step / stepsPerEpoch).
    public init(step: Int, stepsPerEpoch: Int, trainingLoss: Float? = nil, validationLoss: Float? = nil) {
        precondition(stepsPerEpoch > 0, "TrainingSignal: stepsPerEpoch must be positive, got \(stepsPerEpoch)")
        precondition(step >= 0, "TrainingSignal: step must be non-negative, got \(step)")
        self.init(step: step, epoch: step / stepsPerEpoch, stepsPerEpoch: stepsPerEpoch,
                  trainingLoss: trainingLoss, validationLoss: validationLoss)
    }
}
