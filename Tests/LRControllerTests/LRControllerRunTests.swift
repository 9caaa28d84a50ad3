import Datasets
import Foundation
import LRController
import NN
import Optim
import Tensor
import Testing
import TestSupport
import Training

/// The controller inside real (tiny) training runs: decisions every K steps with LR changes by 1/f, 1 or f,
/// episodes that train the policy, and a frozen controller whose interrupted-and-resumed run is bit-identical.
@Suite(.serialized) struct LRControllerRunTests {
    static func task(seed: UInt64 = 31) -> ImageClassificationTask {
        var rng = RandomGenerator(seed: seed)
        let model = SmallCNN(classes: 4, inputSize: 8, rng: &rng)
        let split = quadrantImages(count: 96, seed: 5).splittingValidation(.perClass(4), seed: 3)
        return ImageClassificationTask(model: model, train: split.train, validation: split.validation,
                                       test: quadrantImages(count: 40, seed: 6), batchSize: 16, seed: 9)
    }

    static func frozenTrainer(policy: ControllerPolicy, dir: String?, interruptAfter: Int? = nil) throws -> (Trainer, LRControllerUpdate) {
        let t = task()
        let u = try LRControllerUpdate(policy: policy, task: t, mode: .frozen(sample: true), initialLearningRate: 0.05, seed: 12)
        let trainer = try Trainer(task: t, optimizer: SGD(momentum: 0.9, weightDecay: 5e-4), updater: u,
                                  options: TrainerOptions(epochs: 3, outputDirectory: dir, progress: .none, interruptAfterStep: interruptAfter))
        return (trainer, u)
    }

    @Test func decisionsEveryKStepsAndEpisodesTrainThePolicy() throws {
        let config = try LRControllerConfiguration(interval: 3, minimumLR: 0.01, maximumLR: 0.2, probeSize: 8)
        var h = PPOHyperparameters()
        h.minibatchSize = 8
        let session = try LRControllerTraining(configuration: config, ppo: h, seed: 2)
        let before = session.policy.parameters.map(\.value)
        let r = try session.runEpisode(task: Self.task(), optimizer: SGD(momentum: 0.9), epochs: 2, initialLearningRate: 0.05)
        let steps = r.learningRates.count
        #expect(steps == 2 * Self.task().batchesPerEpoch)
        #expect(r.decisions == (steps + 2) / 3)   // at steps 0, 3, 6, 9
        #expect(session.policy.parameters.map(\.value) != before)
        var lr = 0.05
        for (i, v) in r.learningRates.enumerated() {
            if i % 3 == 0 {
                let ratio = Double(v) / lr
                #expect([1 / 1.05, 1, 1.05].contains { abs(ratio - $0) < 1e-5 }, "step \(i): ratio \(ratio)")
                lr = Double(v)
            } else {
                #expect(Double(v) == Double(Float(lr)), "LR changes between decisions at step \(i)")
            }
        }
        #expect(session.observationNormalizer.count == Double(r.decisions))
        _ = try session.runEpisode(task: Self.task(seed: 32), optimizer: SGD(momentum: 0.9), epochs: 1, initialLearningRate: 0.05)
        #expect(session.episodes == 2)
    }

    @Test(arguments: [4, 7]) func frozenControllerResumeIsBitIdentical(interruptAfter: Int) throws {
        let config = try LRControllerConfiguration(interval: 2, minimumLR: 0.01, maximumLR: 0.2, probeSize: 8)
        let policy = ControllerPolicy(configuration: config, seed: 4)
        let dirA = try TestData.temporaryDirectory("lrctlA"), dirB = try TestData.temporaryDirectory("lrctlB")
        defer { try? FileManager.default.removeItem(atPath: dirA); try? FileManager.default.removeItem(atPath: dirB) }
        let (a, ua) = try Self.frozenTrainer(policy: policy, dir: dirA)
        try a.run()
        #expect(Set(a.learningRates).count > 2)   // the controller moved the LR
        let (b1, _) = try Self.frozenTrainer(policy: policy, dir: dirB, interruptAfter: interruptAfter)
        #expect(throws: TrainingError.self) { try b1.run() }
        let (b2, ub) = try Self.frozenTrainer(policy: policy, dir: dirB)
        try b2.resume(from: dirB + "/checkpoint.safetensors")
        try b2.run()
        #expect(a.task.model.parameters.map(\.value) == b2.task.model.parameters.map(\.value))
        #expect(Array(a.learningRates.suffix(b2.learningRates.count)) == b2.learningRates)
        #expect(ua.decisions == ub.decisions)
        #expect(ua.observationNormalizer == ub.observationNormalizer && ua.rng == ub.rng)
    }
}
