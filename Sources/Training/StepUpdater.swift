import NN
import Optim
import Schedules
import Tensor

/// How a step's update is made once the training gradients are in the parameters: which learning rate,
/// and what else happens first (MLR-SNet's meta-update plugs in here). Owns the state that decides the
/// learning rate, and checkpoints it.
public protocol StepUpdater: AnyObject {
    /// Applies the update of the step described by `signal` (its training loss is known; the gradients,
    /// clipped if asked, are in `parameters`) and returns the learning rate used.
    func update(parameters: [Parameter], optimizer: any Optimizer, signal: TrainingSignal) throws -> Float
    /// End of an epoch (0-based), with the validation loss when one was measured.
    func epochEnded(_ epoch: Int, validationLoss: Float?)
    /// A one-line description for logs.
    var summary: String { get }
    /// State to checkpoint, as named tensors and string metadata.
    var checkpointTensors: [String: Tensor] { get }
    var checkpointMetadata: [String: String] { get throws }
    /// Restores what the two properties above returned.
    func restore(tensors: [String: Tensor], metadata: [String: String]) throws
}

/// The ordinary update: the schedule's learning rate for the step, then the optimiser's step at that rate.
public final class ScheduledUpdate: StepUpdater {
    public private(set) var schedule: AnySchedule

    public init(_ schedule: AnySchedule) { self.schedule = schedule }

    public func update(parameters: [Parameter], optimizer: any Optimizer, signal: TrainingSignal) throws -> Float {
        let lr = schedule.learningRate(for: signal)
        optimizer.step(parameters, learningRate: lr)
        return lr
    }

    public func epochEnded(_ epoch: Int, validationLoss: Float?) { schedule.epochEnded(epoch, validationLoss: validationLoss) }
    public var summary: String { schedule.summary }
    public var checkpointTensors: [String: Tensor] { [:] }
    public var checkpointMetadata: [String: String] { get throws { ["schedule_state": try jsonString(schedule.state)] } }

    public func restore(tensors: [String: Tensor], metadata: [String: String]) throws {
        let s: ScheduleState = try decodeJSON(metadata["schedule_state"] ?? "")
        do { try schedule.restore(s) } catch { throw TrainingError.incompatibleCheckpoint("schedule: \(error)") }
    }
}
