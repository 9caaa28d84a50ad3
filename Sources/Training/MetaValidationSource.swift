import NN
import Tensor

/// A task that can compute the validation-loss gradient MLR-SNet's meta-update needs: forward/backward of
/// one validation batch at the current (virtual) weights, in training mode (BatchNorm uses batch statistics)
/// but without touching any running statistics or carried training state.
public protocol MetaValidationSource: TrainingTask {
    /// Number of distinct validation batches (cycled through by `index`).
    var validationBatchCount: Int { get }
    /// Forward and backward of validation batch `index % validationBatchCount`, gradients ADDED into the
    /// parameters. Returns the batch's mean validation loss.
    func validationStep(index: Int) -> Float
}

extension Layer {
    /// Runs `body` with every BatchNorm's running-statistics update switched off (restored afterwards).
    public func withFrozenRunningStatistics<R>(_ body: () throws -> R) rethrows -> R {
        let norms = allLayers.compactMap { $0 as? BatchNorm }
        let saved = norms.map(\.updatesRunningStatistics)
        for n in norms { n.updatesRunningStatistics = false }
        defer { for (n, s) in zip(norms, saved) { n.updatesRunningStatistics = s } }
        return try body()
    }
}

extension ImageClassificationTask: MetaValidationSource {
    public var validationBatchCount: Int {
        guard let v = validation, v.count > 0 else { return 0 }
        return (v.count + schedule.batchSize - 1) / schedule.batchSize
    }

    /// Validation batches in a fixed order (the validation set's own order, normalised, no augmentation).
    public func validationStep(index: Int) -> Float {
        guard let v = validation, v.count > 0 else { preconditionFailure("validationStep: this task has no validation set") }
        let b = index % validationBatchCount
        let idx = Array((b * schedule.batchSize)..<min((b + 1) * schedule.batchSize, v.count))
        var x = v.gathering(idx).images
        if let n = augmentation.normalization { n.apply(to: &x) }
        model.isTraining = true
        return model.withFrozenRunningStatistics {
            let logits = model.forward(x)
            let (l, d) = SoftmaxCrossEntropy()(logits: logits, labels: idx.map { Int(v.labels[$0]) })
            _ = model.backward(d)
            return l
        }
    }
}

extension LanguageModelTask: MetaValidationSource {
    public var validationBatchCount: Int {
        guard let s = validationStreams else { return 0 }
        return (s.length - 1 + bptt - 1) / bptt
    }

    /// Validation windows in order, each from a zero LSTM state (the training run's carried state is saved
    /// and restored around it); dropout masks as in training, reseeded from the window index.
    public func validationStep(index: Int) -> Float {
        guard let s = validationStreams else { preconditionFailure("validationStep: this task has no validation text") }
        let w = s.window(at: (index % validationBatchCount) * bptt, bptt: bptt)
        let saved = languageModel.rnn.state
        defer { languageModel.rnn.state = saved }
        languageModel.resetState()
        languageModel.isTraining = true
        languageModel.reseedDropout(seed ^ 0x5EED_0000_0000 ^ UInt64(index))
        let logits = languageModel.forward(tokens: w.input, steps: w.steps, batch: w.batchSize)
        let (l, d) = SoftmaxCrossEntropy()(logits: logits, labels: w.target.map { Int($0) })
        _ = languageModel.backward(d)
        return l
    }
}
