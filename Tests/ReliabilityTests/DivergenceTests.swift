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

/// A task that poisons chosen training steps (counted by call, so a retried step after a back-off is clean
/// unless `always` says otherwise): a NaN loss, or +Inf / a huge value in one gradient element; and chosen
/// meta-validation batches (a NaN loss, or a huge gradient so s overflows).
final class PoisonedTask: MetaValidationSource {
    let base: ImageClassificationTask
    var nanLossAtCall: Set<Int> = []
    var infGradientAtCall: Set<Int> = []
    /// Poison every call at these (epoch, batch) positions with a NaN loss.
    var alwaysNaNAt: Set<[Int]> = []
    var nanValidationAtCall: Set<Int> = []
    var hugeValidationGradientAtCall: Set<Int> = []
    private(set) var calls = 0, validationCalls = 0

    init(_ base: ImageClassificationTask) { self.base = base }

    var model: any Layer { base.model }
    var batchesPerEpoch: Int { base.batchesPerEpoch }
    func beginEpoch(_ epoch: Int) { base.beginEpoch(epoch) }
    func evaluate(_ split: EvaluationSplit) -> EvaluationMetrics? { base.evaluate(split) }

    func trainStep(epoch: Int, batch: Int) -> Float {
        defer { calls += 1 }
        let loss = base.trainStep(epoch: epoch, batch: batch)
        if nanLossAtCall.contains(calls) || alwaysNaNAt.contains([epoch, batch]) { return .nan }
        if infGradientAtCall.contains(calls) {   // the middle element of the largest gradient (the 16-wide path of the check)
            let big = model.parameters.max { $0.grad.count < $1.grad.count }!
            big.grad.withUnsafeMutableBufferPointer { $0[$0.count / 2 + 3] = .infinity }
        }
        return loss
    }

    var validationBatchCount: Int { base.validationBatchCount }
    func validationStep(index: Int) -> Float {
        defer { validationCalls += 1 }
        let loss = base.validationStep(index: index)
        if nanValidationAtCall.contains(validationCalls) { return .nan }
        if hugeValidationGradientAtCall.contains(validationCalls) { for p in model.parameters { fill(p, 3e38) } }
        return loss
    }

    private func fill(_ p: Parameter, _ v: Float) { p.grad.withUnsafeMutableBufferPointer { for i in 0..<$0.count { $0[i] = v } } }
}

/// 80 training images in batches of 16 = 5 steps per epoch; a multistep schedule 0.05 → 0.005 at epoch 2.
func poisonedRun(dir: String?, epochs: Int = 3, policy: DivergencePolicy, clip: Float? = nil,
                 configure: (PoisonedTask) -> Void) throws -> (Trainer, PoisonedTask) {
    var rng = RandomGenerator(seed: 11)
    let model = SmallCNN(classes: 4, inputSize: 8, rng: &rng)
    let split = quadrantImages(count: 96, seed: 5).splittingValidation(.perClass(4), seed: 3)
    let base = ImageClassificationTask(model: model, train: split.train, validation: split.validation,
                                       test: quadrantImages(count: 40, seed: 6), batchSize: 16, seed: 9)
    let task = PoisonedTask(base)
    configure(task)
    let schedule = try ScheduleConfig(kind: "multistep", parameters: ["initial": 0.05, "milestones": [2], "gamma": 0.1]).makeSchedule()
    let t = try Trainer(task: task, optimizer: SGD(momentum: 0.9, weightDecay: 5e-4), schedule: schedule,
                        options: TrainerOptions(epochs: epochs, clipNorm: clip, outputDirectory: dir, progress: .none, divergence: policy))
    return (t, task)
}

func allFinite(_ model: any Layer) -> Bool {
    model.parameters.allSatisfy { $0.value.scalars.allSatisfy(\.isFinite) } && model.buffers.allSatisfy { $0.value.scalars.allSatisfy(\.isFinite) }
}

@Suite struct DivergenceTests {
    @Test func policyParsing() throws {
        #expect(try DivergencePolicy(parsing: "stop") == .stop)
        #expect(try DivergencePolicy(parsing: "backoff") == .backoff(factor: 0.5, retries: 3))
        #expect(try DivergencePolicy(parsing: "backoff:0.25:5") == .backoff(factor: 0.25, retries: 5))
        for bad in ["", "halt", "backoff:2", "backoff:0", "backoff:0.5:0", "backoff:x", "stop:1", "backoff:0.5:3:1"] {
            #expect(throws: TrainingError.self, "\(bad)") { try DivergencePolicy(parsing: bad) }
        }
    }

    /// Stop policy: NaN loss, +Inf gradient (with and without clipping) each stop the run at the poisoned step
    /// with `diverged`, naming what; the checkpoint on disk is the last good one (end of epoch 1) and finite.
    @Test(arguments: ["loss", "gradient", "gradient-clipped"]) func stopPolicyStopsAtThePoisonedStep(kind: String) throws {
        let dir = try scratch("stop")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (t, _) = try poisonedRun(dir: dir, policy: .stop, clip: kind == "gradient-clipped" ? 5 : nil) { task in
            if kind == "loss" { task.nanLossAtCall = [7] } else { task.infGradientAtCall = [7] }
        }
        do {
            try t.run()
            Issue.record("a poisoned \(kind) did not stop the run")
        } catch let TrainingError.diverged(step, epoch, _, what) {
            #expect(step == 7 && epoch == 1)
            #expect(what == (kind == "loss" ? "the training loss" : kind == "gradient" ? "a gradient" : "the gradient norm"))
        }
        let cp = try Checkpoint.read(dir + "/checkpoint.safetensors")
        #expect(cp.globalStep == 5)
        #expect(cp.tensors.values.allSatisfy { $0.scalars.allSatisfy(\.isFinite) })
        #expect(CLI.dataRows(dir + "/steps.csv") == 7)   // steps 0–6 logged, the poisoned one not
    }

    /// Back-off: a NaN loss at step 7 and an +Inf gradient at step 12 each reload the last good state (steps 5 and
    /// 10, the epoch ends) and halve the LR from then on; the run completes with finite weights, each step logged
    /// once, and the LRs exactly scale × the schedule's.
    @Test func backoffReloadsAndScalesTheLearningRate() throws {
        let dir = try scratch("backoff")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (t, task) = try poisonedRun(dir: dir, policy: .backoff(factor: 0.5, retries: 3)) { task in
            task.nanLossAtCall = [7]; task.infGradientAtCall = [15]   // call 15 = step 12 (steps 5–7 were run twice)
        }
        try t.run()
        #expect(t.divergenceEvents.map(\.step) == [7, 12])
        #expect(t.divergenceEvents.map(\.reloadedStep) == [5, 10])
        #expect(t.divergenceEvents.map(\.what) == ["the training loss", "a gradient"])
        #expect(t.learningRateScale == 0.25)
        #expect(task.calls == 15 + 2 + 4)   // 15 steps, 2 poisoned calls, steps 5, 6, 10, 11 redone
        #expect(t.learningRates.count == 15)
        let expected: [Float] = (0..<15).map { s in
            let base: Float = s < 10 ? 0.05 : 0.005
            return base * (s < 5 ? 1 : s < 10 ? 0.5 : 0.25)
        }
        #expect(t.learningRates == expected)
        #expect(allFinite(t.task.model))
        #expect(csvColumn(dir + "/steps.csv", "step") == (0..<15).map(String.init))
        #expect(csvColumn(dir + "/epochs.csv", "epoch") == ["0", "1", "2"])
        #expect(CLI.dataRows(dir + "/divergence.jsonl") == 1)   // 2 lines (no header): dataRows counts lines − 1
        let cp = try Checkpoint.read(dir + "/checkpoint.safetensors")
        #expect(cp.metadata["lr_scale"] == "0.25" && cp.metadata["divergence_backoffs"] == "2")
    }

    /// The retries run out: a position that always yields NaN is retried `retries` times, then the run stops.
    @Test func backoffGivesUpAfterItsRetries() throws {
        let (t, _) = try poisonedRun(dir: nil, policy: .backoff(factor: 0.5, retries: 2)) { $0.alwaysNaNAt = [[1, 2]] }
        #expect(throws: TrainingError.self) { try t.run() }
        #expect(t.divergenceEvents.count == 2)
        #expect(t.learningRateScale == 0.25)
        #expect(allFinite(t.task.model))
    }

    /// An updater asking for a non-finite LR never reaches the weights: the step is refused and the run stops.
    @Test func nonFiniteLearningRateIsRefused() throws {
        final class BadLR: StepUpdater {
            func update(parameters: [Parameter], optimizer: any Optimizer, signal: TrainingSignal) throws -> Float {
                let lr: Float = signal.step == 3 ? .infinity : 0.01
                optimizer.step(parameters, learningRate: lr)
                return lr
            }
            func epochEnded(_ epoch: Int, validationLoss: Float?) {}
            var summary: String { "bad" }
            var checkpointTensors: [String: Tensor] { [:] }
            var checkpointMetadata: [String: String] { [:] }
            func restore(tensors: [String: Tensor], metadata: [String: String]) throws {}
        }
        let (t0, _) = try poisonedRun(dir: nil, policy: .stop) { _ in }
        let t = try Trainer(task: t0.task, optimizer: SGD(), updater: BadLR(), options: TrainerOptions(epochs: 1, progress: .none))
        do { try t.run(); Issue.record("an infinite LR did not stop the run") } catch let TrainingError.diverged(step, _, _, what) {
            #expect(step == 3 && what == "the learning rate")
        }
        #expect(allFinite(t.task.model))
        #expect(t.learningRates.count == 3)
    }

    static func metaRun(policy: DivergencePolicy = .stop, configure: (PoisonedTask) -> Void) throws -> (Trainer, MLRSNetMetaUpdate, PoisonedTask) {
        var rng = RandomGenerator(seed: 31)
        let model = SmallCNN(classes: 4, inputSize: 8, rng: &rng)
        let split = quadrantImages(count: 96, seed: 5).splittingValidation(.perClass(4), seed: 3)
        let task = PoisonedTask(ImageClassificationTask(model: model, train: split.train, validation: split.validation,
                                                        test: quadrantImages(count: 40, seed: 6), batchSize: 16, seed: 9))
        configure(task)
        let config = try MLRSNetConfiguration(architecture: .referenceMetaTest, hiddenSize: 10)
        let cell = try MLRSNetCell(configuration: config, seed: 2, outputBias: .firstLearningRate(0.05, gamma: 1, firstInput: 1.4))
        let schedule = try LearnedLRSchedule(cell: cell, gamma: .fixed(1), bounds: LearningRateBounds(minimum: 0.001, maximum: 0.2))
        let meta = MLRSNetMetaUpdate(schedule: schedule, task: task, metaInterval: 1, metaOptimizer: MetaAdam(lr: 1e-2, weightDecay: 1e-4))
        let t = try Trainer(task: task, optimizer: SGD(momentum: 0.9, weightDecay: 5e-4), updater: meta,
                            options: TrainerOptions(epochs: 2, progress: .none, divergence: policy))
        return (t, meta, task)
    }

    /// Meta-training: a NaN virtual-step validation loss (meta-updates 2 and 5) and a validation gradient so large
    /// that s overflows (meta-update 7) are skipped and counted, θ is untouched by them, and every LR the
    /// meta-learner emits is finite and inside the bounds [0.001, 0.2].
    @Test func metaTrainingSkipsNonFiniteMetaUpdates() throws {
        let (clean, cleanMeta, _) = try Self.metaRun { _ in }
        try clean.run()
        let (t, meta, _) = try Self.metaRun { task in
            task.nanValidationAtCall = [2, 5]; task.hugeValidationGradientAtCall = [7]
        }
        try t.run()
        #expect(meta.skippedMetaUpdates == 3)
        #expect(meta.metaUpdates == cleanMeta.metaUpdates - 3)
        #expect(meta.cell.weights.allSatisfy { $0.isFinite })
        #expect(t.learningRates.count == 10 && t.learningRates.allSatisfy { $0.isFinite && $0 >= 0.001 && $0 <= 0.2 })
        #expect(meta.metaLog.allSatisfy { $0.validationLoss.isFinite && $0.s.isFinite })
        #expect(!meta.metaLog.map(\.step).contains(2) && !meta.metaLog.map(\.step).contains(7))
        // Up to the first skip the two runs agree exactly; the first skipped update leaves θ as it was.
        #expect(Array(t.learningRates.prefix(2)) == Array(clean.learningRates.prefix(2)))
        #expect(t.learningRates[2] != clean.learningRates[2])
    }

    /// Meta-training with a NaN training loss under back-off: the run reloads (weights, θ, meta-optimiser) and
    /// completes; MLR-SNet never saw the NaN (its LRs stay finite and bounded).
    @Test func metaTrainingBacksOffOnANaNTrainingLoss() throws {
        let (t, meta, _) = try Self.metaRun(policy: .backoff(factor: 0.5, retries: 2)) { $0.nanLossAtCall = [7] }
        try t.run()
        #expect(t.divergenceEvents.count == 1 && t.divergenceEvents[0].reloadedStep == 5)
        #expect(t.learningRates.count == 10 && t.learningRates.prefix(5).allSatisfy { $0.isFinite && $0 >= 0.001 && $0 <= 0.2 })
        #expect(t.learningRates.suffix(5).allSatisfy { $0.isFinite && $0 >= 0.0005 && $0 <= 0.1 })
        #expect(meta.cell.weights.allSatisfy { $0.isFinite } && allFinite(t.task.model))
        #expect(meta.cell.stepsAdvanced == 10)
    }
}

/// The CLI flag end to end: an absurd LR (1e6) diverges within the first epoch; `stop` exits 1 with the
/// reason, `backoff:0.001:3` reloads three times (logged to divergence.jsonl) and completes.
@Suite(.serialized) struct DivergenceCLITests {
    @Test func onDivergenceFlag() throws {
        guard CLI.require() != nil else { return }
        let dir = try scratch("cli-divergence")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let stop = try CLI.run(SmallRuns.train(out: dir + "/stop", epochs: 2, extra: ["--lr", "1e6", "--schedule", "fixed"]),
                               logDirectory: dir, tag: "stop", expect: 1)
        #expect(stop.stderr.contains("training diverged") && stop.stderr.contains("--on-divergence backoff"), "\(stop.stderr)")
        let back = try CLI.run(SmallRuns.train(out: dir + "/backoff", epochs: 2,
                                               extra: ["--lr", "1e6", "--schedule", "fixed", "--on-divergence", "backoff:0.001:3"]),
                               logDirectory: dir, tag: "backoff")
        #expect(back.stderr.contains("backing off (1 of 3)"), "\(back.stderr)")
        let events = try String(contentsOfFile: dir + "/backoff/divergence.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(events.count >= 1 && events.count <= 3)
        #expect(csvColumn(dir + "/backoff/steps.csv", "step") == (0..<(2 * SmallRuns.stepsPerEpoch)).map(String.init))
        let cp = try Checkpoint.read(dir + "/backoff/checkpoint.safetensors")
        #expect(cp.metadata["divergence_backoffs"] == String(events.count))
        try CLI.run(SmallRuns.train(out: dir + "/bad", epochs: 1, extra: ["--on-divergence", "sometimes"]), logDirectory: dir, tag: "bad", expect: 64)
    }
}
