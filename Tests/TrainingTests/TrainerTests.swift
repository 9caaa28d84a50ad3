import Datasets
import Foundation
import NN
import Optim
import Schedules
import Tensor
import Testing
import TestSupport
import Training

/// Builds an identical run from scratch every time (same seeds), writing to `dir`.
func makeImageTrainer(dir: String?, epochs: Int, interruptAfter: Int? = nil, lr: Double = 0.05,
                      schedule: ScheduleConfig? = nil) throws -> Trainer {
    var rng = RandomGenerator(seed: 11)
    let model = SmallCNN(classes: 4, inputSize: 8, rng: &rng)
    let all = quadrantImages(count: 96, seed: 5)
    let split = all.splittingValidation(.perClass(4), seed: 3)
    let task = ImageClassificationTask(model: model, train: split.train, validation: split.validation,
                                       test: quadrantImages(count: 40, seed: 6), batchSize: 16, seed: 9,
                                       augmentation: Augmentation(cropSize: 8, padding: 1))
    let sched = try (schedule ?? ScheduleConfig(kind: "multistep", parameters: ["initial": .number(lr), "milestones": [2], "gamma": 0.1])).makeSchedule()
    return try Trainer(task: task, optimizer: SGD(momentum: 0.9, weightDecay: 5e-4), schedule: sched,
                       options: TrainerOptions(epochs: epochs, clipNorm: 5, outputDirectory: dir, progress: .none,
                                               interruptAfterStep: interruptAfter))
}

func parameterBits(_ t: Trainer) -> [[UInt32]] {
    t.task.model.parameters.map { $0.value.scalars.map(\.bitPattern) } + t.task.model.buffers.map { $0.value.scalars.map(\.bitPattern) }
}

/// Log rows without the wall-clock column.
func logRows(_ path: String, dropColumn: String? = "seconds") throws -> [String] {
    let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    guard let drop = dropColumn, let header = lines.first, let i = header.split(separator: ",").firstIndex(of: Substring(drop)) else { return lines }
    return lines.map { line in
        var f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        if f.count > i { f.remove(at: i) }
        return f.joined(separator: ",")
    }
}

@Suite(.serialized) struct TrainerBehaviour {
    @Test func learnsTheToyProblem() throws {
        let t = try makeImageTrainer(dir: nil, epochs: 4)
        let h = try t.run()
        #expect(h.count == 4)
        #expect(h.last!.trainLoss < h.first!.trainLoss)
        #expect((h.last!.test?.accuracy ?? 0) > 0.9)
        // MultiStep: epochs 0–1 at 0.05, then 0.005.
        #expect(t.learningRates.prefix(t.task.batchesPerEpoch * 2).allSatisfy { $0 == 0.05 })
        #expect(t.learningRates.suffix(t.task.batchesPerEpoch * 2).allSatisfy { abs($0 - 0.005) < 1e-9 })
    }

    @Test(arguments: [1, 5, 6, 13]) func resumeIsBitIdentical(interruptAfter: Int) throws {
        let dirA = try TestData.temporaryDirectory("runA"), dirB = try TestData.temporaryDirectory("runB")
        defer { try? FileManager.default.removeItem(atPath: dirA); try? FileManager.default.removeItem(atPath: dirB) }
        let a = try makeImageTrainer(dir: dirA, epochs: 3)
        try a.run()
        // Interrupted run: stops after global step `interruptAfter` (mid-epoch or at an epoch boundary).
        let b1 = try makeImageTrainer(dir: dirB, epochs: 3, interruptAfter: interruptAfter)
        #expect(throws: TrainingError.self) { try b1.run() }
        let b2 = try makeImageTrainer(dir: dirB, epochs: 3)
        try b2.resume(from: dirB + "/checkpoint.safetensors")
        try b2.run()
        #expect(parameterBits(a) == parameterBits(b2))
        #expect(Array(a.learningRates.suffix(b2.learningRates.count)) == b2.learningRates)
        #expect(try logRows(dirA + "/steps.csv") == logRows(dirB + "/steps.csv"))
        let ea = try logRows(dirA + "/epochs.csv"), eb = try logRows(dirB + "/epochs.csv")
        #expect(ea == eb, "\(ea)\n\(eb)")
        #expect(a.history.map(\.trainLoss) == b2.history.map(\.trainLoss))
    }

    @Test func divergenceStopsAndKeepsTheLastGoodCheckpoint() throws {
        let dir = try TestData.temporaryDirectory("diverge")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // An absurd LR blows the loss up within a few steps.
        let t = try makeImageTrainer(dir: dir, epochs: 50, lr: 1e6,
                                     schedule: ScheduleConfig(kind: "fixed", parameters: ["lr": 1e6]))
        do { try t.run(); Issue.record("expected divergence") } catch let e as TrainingError {
            guard case .diverged = e else { Issue.record("unexpected \(e)"); return }
            #expect(e.description.contains("diverged"))
        }
        // Whatever checkpoint exists holds only finite numbers.
        if FileManager.default.fileExists(atPath: dir + "/checkpoint.safetensors") {
            let cp = try Checkpoint.read(dir + "/checkpoint.safetensors")
            #expect(cp.tensors.values.allSatisfy { $0.isFinite })
        }
    }

    @Test func corruptCheckpointFallsBackToThePreviousOne() throws {
        let dir = try TestData.temporaryDirectory("corrupt")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = try makeImageTrainer(dir: dir, epochs: 2)
        try a.run()
        let path = dir + "/checkpoint.safetensors"
        #expect(FileManager.default.fileExists(atPath: path + ".prev"))
        // Flip one byte in the data section: the checksum catches it.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 3] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: TrainingError.self) { try Checkpoint.read(path) }
        let b = try makeImageTrainer(dir: dir, epochs: 2)
        try b.resume(from: path)   // uses checkpoint.safetensors.prev (after epoch 1)
        #expect(b.globalStep == a.task.batchesPerEpoch)
        // Truncated file: also detected.
        try Data(bytes.prefix(100)).write(to: URL(fileURLWithPath: path))
        #expect(throws: TrainingError.self) { try Checkpoint.read(path) }
    }

    @Test func aFreshRunReplacesAnOlderRunsLogs() throws {
        let dir = try TestData.temporaryDirectory("fresh")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try makeImageTrainer(dir: dir, epochs: 1).run()
        let once = try logRows(dir + "/steps.csv")
        try makeImageTrainer(dir: dir, epochs: 1).run()
        #expect(try logRows(dir + "/steps.csv") == once)
        #expect(try logRows(dir + "/epochs.csv").count == 2)   // header + one epoch
    }

    @Test func unwritableOutputDirectoryIsAClearError() throws {
        #expect(throws: TrainingError.self) { _ = try makeImageTrainer(dir: "/proc/mlrsnet-cannot-write", epochs: 1) }
    }
}

@Suite(.serialized) struct LanguageModelTraining {
    static func corpus() -> PennTreebank {
        var vocab = Vocabulary()
        let words = "the cat sat on the mat <eos> a dog ran to the cat <eos>".split(separator: " ").map(String.init)
        var rng = RandomGenerator(seed: 2)
        func text(_ n: Int) -> [Int32] { (0..<n).map { _ in vocab.id(of: words[rng.nextInt(below: words.count)]) ?? 0 } }
        for w in words { _ = vocab.add(w) }
        return PennTreebank(vocabulary: vocab, train: text(600), valid: text(200), test: text(200))
    }

    static func makeTrainer(dir: String?, interruptAfter: Int? = nil) throws -> Trainer {
        var rng = RandomGenerator(seed: 4)
        let c = corpus()
        let lm = LSTMLanguageModel(vocabularySize: c.vocabulary.count, embeddingSize: 8, hiddenSize: 8, layers: 2,
                                   dropout: 0.2, tiedWeights: true, rng: &rng)
        let task = LanguageModelTask(model: lm, corpus: c, batchSize: 4, bptt: 7, seed: 3)
        let s = try ScheduleConfig(kind: "plateau", parameters: ["initial": 2.0, "factor": 0.25, "patience": 0]).makeSchedule()
        return try Trainer(task: task, optimizer: SGD(), schedule: s,
                           options: TrainerOptions(epochs: 3, clipNorm: 0.25, outputDirectory: dir, progress: .none,
                                                   interruptAfterStep: interruptAfter))
    }

    @Test func perplexityFallsAndResumeIsBitIdentical() throws {
        let dirA = try TestData.temporaryDirectory("lmA"), dirB = try TestData.temporaryDirectory("lmB")
        defer { try? FileManager.default.removeItem(atPath: dirA); try? FileManager.default.removeItem(atPath: dirB) }
        let a = try Self.makeTrainer(dir: dirA)
        let h = try a.run()
        #expect(h.last!.validation!.perplexity < h.first!.validation!.perplexity * 1.05)
        #expect(h.first!.validation!.perplexity < 11)   // better than uniform over 10 words after one epoch
        let perEpoch = a.task.batchesPerEpoch
        let b1 = try Self.makeTrainer(dir: dirB, interruptAfter: perEpoch + 3)   // mid-epoch: carried LSTM state
        #expect(throws: TrainingError.self) { try b1.run() }
        let b2 = try Self.makeTrainer(dir: dirB)
        try b2.resume(from: dirB + "/checkpoint.safetensors")
        try b2.run()
        #expect(parameterBits(a) == parameterBits(b2))
        #expect(try logRows(dirA + "/steps.csv") == logRows(dirB + "/steps.csv"))
    }
}
