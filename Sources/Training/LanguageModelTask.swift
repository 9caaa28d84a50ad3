import Datasets
import NN
import Tensor

/// Word-level language modelling (PyTorch word_language_model semantics): the corpus is split into B
/// streams, consecutive BPTT windows are trained in order with the LSTM state carried between them (and
/// reset at the start of every epoch), loss = mean cross-entropy of the next token. Dropout masks are
/// reseeded from (seed, epoch, window), so a resumed run reproduces them.
public final class LanguageModelTask: TrainingTask {
    public let languageModel: LSTMLanguageModel
    public var model: any Layer { languageModel }
    public let trainStreams: TokenStreams
    public let validationStreams: TokenStreams?
    public let testStreams: TokenStreams?
    public let bptt: Int
    public let seed: UInt64
    private let loss = SoftmaxCrossEntropy()

    /// - Parameters:
    ///   - evaluationBatchSize: streams for validation/test (word_language_model uses 10).
    public init(model: LSTMLanguageModel, corpus: PennTreebank, batchSize: Int, bptt: Int, seed: UInt64,
                evaluationBatchSize: Int = 10) {
        precondition(batchSize > 0 && bptt > 0, "LanguageModelTask: batch size \(batchSize) and bptt \(bptt) must be positive")
        precondition(corpus.vocabulary.count == model.vocabularySize,
                     "LanguageModelTask: corpus vocabulary \(corpus.vocabulary.count) ≠ model vocabulary \(model.vocabularySize)")
        languageModel = model
        trainStreams = TokenStreams(batchifying: corpus.train, batchSize: batchSize)
        precondition(trainStreams.length >= 2, "LanguageModelTask: training text too short for \(batchSize) streams")
        validationStreams = corpus.valid.count >= 2 * evaluationBatchSize ? TokenStreams(batchifying: corpus.valid, batchSize: evaluationBatchSize) : nil
        testStreams = corpus.test.count >= 2 * evaluationBatchSize ? TokenStreams(batchifying: corpus.test, batchSize: evaluationBatchSize) : nil
        self.bptt = bptt
        self.seed = seed
    }

    public var batchesPerEpoch: Int { (trainStreams.length - 1 + bptt - 1) / bptt }

    public func beginEpoch(_ epoch: Int) { languageModel.resetState() }

    public func trainStep(epoch: Int, batch: Int) -> Float {
        let w = trainStreams.window(at: batch * bptt, bptt: bptt)
        languageModel.isTraining = true
        var mix = UInt64(truncatingIfNeeded: epoch) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: batch)
        mix = mix &* 0xBF58_476D_1CE4_E5B9 ^ seed
        languageModel.reseedDropout(mix)
        let logits = languageModel.forward(tokens: w.input, steps: w.steps, batch: w.batchSize)
        let (l, dLogits) = loss(logits: logits, labels: w.target.map { Int($0) })
        _ = languageModel.backward(dLogits)
        return l
    }

    public func evaluate(_ split: EvaluationSplit) -> EvaluationMetrics? {
        guard let streams = split == .validation ? validationStreams : testStreams else { return nil }
        let saved = languageModel.rnn.state
        languageModel.isTraining = false
        languageModel.resetState()
        defer { languageModel.isTraining = true; languageModel.rnn.state = saved }
        var total = 0.0, tokens = 0
        for start in streams.windowStarts(bptt: bptt) {
            let w = streams.window(at: start, bptt: bptt)
            let logits = languageModel.forward(tokens: w.input, steps: w.steps, batch: w.batchSize)
            let r = loss.evaluate(logits: logits, labels: w.target.map { Int($0) }, computeGradient: false)
            total += Double(r.loss) * Double(w.target.count)
            tokens += w.target.count
        }
        return EvaluationMetrics(loss: total / Double(max(tokens, 1)), accuracy: nil, count: tokens)
    }

    public var checkpointTensors: [String: Tensor] {
        guard let s = languageModel.rnn.state else { return [:] }
        return ["lstm_state.h": s.h, "lstm_state.c": s.c]
    }

    public func restore(checkpointTensors t: [String: Tensor]) throws {
        if let h = t["lstm_state.h"], let c = t["lstm_state.c"] {
            languageModel.rnn.state = LSTMState(h: h, c: c)
        } else {
            languageModel.resetState()
        }
    }
}
