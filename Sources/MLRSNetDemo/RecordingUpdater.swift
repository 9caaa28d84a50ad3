import NN
import Optim
import Schedules
import Tensor
import Training

/// Wraps a `StepUpdater` and records every step's learning rate and training loss (the loss the updater
/// sees in its `TrainingSignal`), so the demo can plot curves without writing checkpoints or logs.
final class RecordingUpdater: StepUpdater {
    let base: any StepUpdater
    private(set) var learningRates: [Float] = []
    private(set) var losses: [Float] = []

    init(_ base: any StepUpdater) { self.base = base }

    func update(parameters: [Parameter], optimizer: any Optimizer, signal: TrainingSignal) throws -> Float {
        let lr = try base.update(parameters: parameters, optimizer: optimizer, signal: signal)
        learningRates.append(lr)
        losses.append(signal.trainingLoss ?? .nan)
        return lr
    }

    func epochEnded(_ epoch: Int, validationLoss: Float?) { base.epochEnded(epoch, validationLoss: validationLoss) }
    var summary: String { base.summary }
    var checkpointTensors: [String: Tensor] { base.checkpointTensors }
    var checkpointMetadata: [String: String] { get throws { try base.checkpointMetadata } }
    func restore(tensors: [String: Tensor], metadata: [String: String]) throws { try base.restore(tensors: tensors, metadata: metadata) }
}
