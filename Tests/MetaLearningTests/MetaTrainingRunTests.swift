import Datasets
import Foundation
import LearnedSchedule
import MetaLearning
import NN
import Optim
import Schedules
import Tensor
import Testing
import TestSupport
import Training

/// Whole meta-training runs through the trainer: θ moves, the LR sequence is the learned one, and an interrupted
/// run resumed from its checkpoint ends bit-identically (weights, θ, every LR).
@Suite(.serialized) struct MetaTrainingRuns {
    static func makeTrainer(dir: String?, interruptAfter: Int? = nil) throws -> (Trainer, MLRSNetMetaUpdate) {
        var rng = RandomGenerator(seed: 31)
        let model = SmallCNN(classes: 4, inputSize: 8, rng: &rng)
        let split = quadrantImages(count: 96, seed: 5).splittingValidation(.perClass(4), seed: 3)
        let task = ImageClassificationTask(model: model, train: split.train, validation: split.validation,
                                           test: quadrantImages(count: 40, seed: 6), batchSize: 16, seed: 9)
        let config = try MLRSNetConfiguration(architecture: .referenceMetaTest, hiddenSize: 10)
        let cell = try MLRSNetCell(configuration: config, seed: 2, outputBias: .firstLearningRate(0.05, gamma: 1, firstInput: 1.4))
        let schedule = try LearnedLRSchedule(cell: cell, gamma: .fixed(1), bounds: LearningRateBounds(minimum: 0, maximum: 0.5))
        let meta = MLRSNetMetaUpdate(schedule: schedule, task: task, metaInterval: 2, metaOptimizer: MetaAdam(lr: 1e-2, weightDecay: 1e-4))
        let trainer = try Trainer(task: task, optimizer: SGD(momentum: 0.9, weightDecay: 5e-4), updater: meta,
                                  options: TrainerOptions(epochs: 3, outputDirectory: dir, progress: .none, interruptAfterStep: interruptAfter))
        return (trainer, meta)
    }

    @Test func thetaLearnsAndLRsComeFromTheMetaLearner() throws {
        let (t, meta) = try Self.makeTrainer(dir: nil)
        let theta0 = meta.cell.weights
        try t.run()
        #expect(meta.metaUpdates == t.globalStep / 2)
        #expect(meta.cell.weights != theta0)
        #expect(meta.cell.stepsAdvanced == t.globalStep)
        #expect(abs(t.learningRates[0] - 0.05) < 1e-4)     // the output bias set the first LR
        #expect(t.learningRates.allSatisfy { $0 > 0 && $0 <= 0.5 })
        #expect(Set(t.learningRates).count > 5)
    }

    @Test(arguments: [3, 5, 9]) func resumeIsBitIdentical(interruptAfter: Int) throws {
        let dirA = try TestData.temporaryDirectory("metaA"), dirB = try TestData.temporaryDirectory("metaB")
        defer { try? FileManager.default.removeItem(atPath: dirA); try? FileManager.default.removeItem(atPath: dirB) }
        let (a, metaA) = try Self.makeTrainer(dir: dirA)
        try a.run()
        let (b1, _) = try Self.makeTrainer(dir: dirB, interruptAfter: interruptAfter)
        #expect(throws: TrainingError.self) { try b1.run() }
        let (b2, metaB) = try Self.makeTrainer(dir: dirB)
        try b2.resume(from: dirB + "/checkpoint.safetensors")
        try b2.run()
        #expect(metaA.cell.weights == metaB.cell.weights)
        #expect(metaA.cell.hiddenState == metaB.cell.hiddenState)
        #expect(a.task.model.parameters.map(\.value) == b2.task.model.parameters.map(\.value))
        #expect(Array(a.learningRates.suffix(b2.learningRates.count)) == b2.learningRates)
        #expect(metaA.metaUpdates == metaB.metaUpdates)
    }
}
