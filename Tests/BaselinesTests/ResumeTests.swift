import Baselines
import Datasets
import Foundation
import NN
import Optim
import Schedules
import Tensor
import Testing
import TestSupport
import Training

/// Every adaptive updater checkpoints its state: a run interrupted mid-epoch and resumed from its checkpoint ends
/// bit-identically to an uninterrupted one (weights, every LR after the resume point).
@Suite(.serialized) struct AdaptiveResumeTests {
    enum Method: String, CaseIterable { case sgdnHD, adamHD, l4Mom, l4Adam, rthoMomentum }

    static func imageTrainer(_ m: Method, dir: String?, interruptAfter: Int? = nil) throws -> Trainer {
        var rng = RandomGenerator(seed: 21)
        let model = SmallCNN(classes: 4, inputSize: 8, rng: &rng)
        let split = quadrantImages(count: 96, seed: 5).splittingValidation(.perClass(4), seed: 3)
        let task = ImageClassificationTask(model: model, train: split.train, validation: split.validation,
                                           test: quadrantImages(count: 40, seed: 6), batchSize: 16, seed: 9,
                                           augmentation: Augmentation(cropSize: 8, padding: 1))
        let updater: any StepUpdater, optimizer: any Optimizer
        switch m {
        case .sgdnHD: updater = try HypergradientUpdate(initialLR: 0.05, hyperLR: 1e-3); optimizer = SGD(momentum: 0.9, nesterov: true, weightDecay: 5e-4)
        case .adamHD: updater = try HypergradientUpdate(initialLR: 1e-3, hyperLR: 1e-6); optimizer = Adam(weightDecay: 5e-4)
        case .l4Mom: updater = try L4Update(fraction: 0.15); optimizer = SGD(momentum: 0.9, weightDecay: 5e-4)
        case .l4Adam: updater = try L4Update(fraction: 0.15); optimizer = Adam(weightDecay: 5e-4)
        case .rthoMomentum: updater = try RTHOUpdate(task: task, initialLR: 0.05, hyperLR: 1e-3); optimizer = SGD(momentum: 0.9, weightDecay: 5e-4)
        }
        return try Trainer(task: task, optimizer: optimizer, updater: updater,
                           options: TrainerOptions(epochs: 2, clipNorm: 5, outputDirectory: dir, progress: .none, interruptAfterStep: interruptAfter))
    }

    static func check(_ make: (String?, Int?) throws -> Trainer, interruptAfter: Int) throws {
        let dirA = try TestData.temporaryDirectory("adaptA"), dirB = try TestData.temporaryDirectory("adaptB")
        defer { try? FileManager.default.removeItem(atPath: dirA); try? FileManager.default.removeItem(atPath: dirB) }
        let a = try make(dirA, nil)
        try a.run()
        let b1 = try make(dirB, interruptAfter)
        #expect(throws: TrainingError.self) { try b1.run() }
        let b2 = try make(dirB, nil)
        try b2.resume(from: dirB + "/checkpoint.safetensors")
        try b2.run()
        #expect(a.task.model.parameters.map { $0.value.scalars.map(\.bitPattern) } == b2.task.model.parameters.map { $0.value.scalars.map(\.bitPattern) })
        #expect(b2.learningRates.count == a.learningRates.count - interruptAfter)
        #expect(Array(a.learningRates.suffix(b2.learningRates.count)) == b2.learningRates)
        #expect(Set(a.learningRates).count > 3)   // the LR really adapts
    }

    @Test(arguments: Method.allCases) func imageRunResumesBitIdentically(_ m: Method) throws {
        try Self.check({ try Self.imageTrainer(m, dir: $0, interruptAfter: $1) }, interruptAfter: 7)
    }

    /// RTHO on a language model: its finite-difference HVP re-runs the step's batch from the carried LSTM state
    /// before that batch, which it must checkpoint too.
    static func languageTrainer(dir: String?, interruptAfter: Int?) throws -> Trainer {
        var g = RandomGenerator(seed: 4)
        var vocab = Vocabulary()
        for i in 0..<12 { _ = vocab.add("w\(i)") }
        func text(_ n: Int) -> [Int32] { (0..<n).map { i in Int32((i * 7 + Int(g.next() % 3)) % 12) } }
        let corpus = PennTreebank(vocabulary: vocab, train: text(240), valid: text(80), test: text(80))
        var rng = RandomGenerator(seed: 8)
        let lm = LSTMLanguageModel(vocabularySize: 12, embeddingSize: 6, hiddenSize: 6, layers: 2, dropout: 0.2, tiedWeights: false, rng: &rng)
        let task = LanguageModelTask(model: lm, corpus: corpus, batchSize: 4, bptt: 6, seed: 3)
        let rtho = try RTHOUpdate(task: task, initialLR: 0.5, hyperLR: 0.05, clipNorm: 0.25)
        return try Trainer(task: task, optimizer: SGD(weightDecay: 5e-6), updater: rtho,
                           options: TrainerOptions(epochs: 2, clipNorm: 0.25, outputDirectory: dir, progress: .none, interruptAfterStep: interruptAfter))
    }

    @Test func languageModelRTHOResumesBitIdentically() throws {
        try Self.check({ try Self.languageTrainer(dir: $0, interruptAfter: $1) }, interruptAfter: 13)
    }
}
