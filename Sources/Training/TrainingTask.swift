import NN
import Tensor

/// What a trainer trains: a model, its training batches and how to evaluate it.
///
/// The trainer drives the loop (steps, learning rates, logs, checkpoints); a task knows its data. Every
/// batch is addressed by its position (epoch, batch index), so a resumed run can rebuild exactly the batch
/// (and its augmentation and dropout masks) an uninterrupted run would have used.
public protocol TrainingTask: AnyObject {
    /// The model being trained.
    var model: any Layer { get }
    /// Training batches per epoch.
    var batchesPerEpoch: Int { get }
    /// Called once at the start of every epoch (e.g. to reset a language model's carried state).
    func beginEpoch(_ epoch: Int)
    /// Forward and backward on training batch `batch` of `epoch`, with gradients ADDED into the model's
    /// parameters (the trainer zeroes them first). Returns the mini-batch mean training loss.
    func trainStep(epoch: Int, batch: Int) -> Float
    /// Evaluates the model on a named split ("validation", "test") in evaluation mode.
    func evaluate(_ split: EvaluationSplit) -> EvaluationMetrics?
    /// Extra state to checkpoint (e.g. an LSTM's carried hidden state), as named tensors.
    var checkpointTensors: [String: Tensor] { get }
    /// Restores what `checkpointTensors` returned.
    func restore(checkpointTensors: [String: Tensor]) throws
}

extension TrainingTask {
    public var checkpointTensors: [String: Tensor] { [:] }
    public func restore(checkpointTensors: [String: Tensor]) throws {}
    public func beginEpoch(_ epoch: Int) {}
}

/// Which held-out data to evaluate on.
public enum EvaluationSplit: String, Sendable, CaseIterable, Codable {
    case validation, test
}

/// Loss plus accuracy (classification) or perplexity (language modelling).
public struct EvaluationMetrics: Sendable, Codable, Equatable {
    public var loss: Double
    public var accuracy: Double?
    public var count: Int
    /// exp(loss) — reported for language models.
    public var perplexity: Double { _exp(min(loss, 700)) }
    public init(loss: Double, accuracy: Double?, count: Int) { self.loss = loss; self.accuracy = accuracy; self.count = count }
}

#if canImport(Glibc)
import Glibc
func _exp(_ x: Double) -> Double { Glibc.exp(x) }
#elseif canImport(Darwin)
import Darwin
func _exp(_ x: Double) -> Double { Darwin.exp(x) }
#endif
