import Datasets
import Foundation
import NN
import Optim
import Schedules
import Tensor
import Testing
import TestSupport
import Training

/// A WideResNet with dropout draws its masks from generators that advance with every forward pass; the
/// checkpoint saves their states (`dropout_rng`), so an interrupted run resumes bit-identically.
@Suite struct DropoutResumeTests {
    func trainer(dir: String, interruptAfter: Int? = nil) throws -> Trainer {
        var rng = RandomGenerator(seed: 4)
        let model = WideResNet(depth: 10, widenFactor: 1, dropRate: 0.3, classes: 4, inputChannels: 1, rng: &rng)
        let task = ImageClassificationTask(model: model, train: quadrantImages(count: 48, seed: 1), validation: nil,
                                           test: quadrantImages(count: 8, seed: 2), batchSize: 16, seed: 5)
        let s = try ScheduleConfig(kind: "fixed", parameters: ["lr": 0.05]).makeSchedule()
        return try Trainer(task: task, optimizer: SGD(momentum: 0.9), schedule: s,
                           options: TrainerOptions(epochs: 2, outputDirectory: dir, progress: .none, interruptAfterStep: interruptAfter))
    }

    @Test func wideResNetWithDropoutResumesBitIdentically() throws {
        let a = try scratch("wrn-a"), b = try scratch("wrn-b")
        defer { try? FileManager.default.removeItem(atPath: a); try? FileManager.default.removeItem(atPath: b) }
        let full = try trainer(dir: a)
        try full.run()
        #expect(throws: TrainingError.self) { try trainer(dir: b, interruptAfter: 4).run() }
        let cp = try Checkpoint.read(b + "/checkpoint.safetensors")
        #expect(cp.metadata["dropout_rng"] != nil)
        let resumed = try trainer(dir: b)
        try resumed.resume(from: b + "/checkpoint.safetensors")
        try resumed.run()
        #expect(full.task.model.parameters.map(\.value) == resumed.task.model.parameters.map(\.value))
        #expect(Array(full.learningRates.suffix(2)) == resumed.learningRates)
        #expect(csvRows(a + "/steps.csv") == csvRows(b + "/steps.csv"))
    }
}
