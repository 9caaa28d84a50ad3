import Foundation
import NN
import Optim
import Schedules
import Tensor

/// Options of a training run.
public struct TrainerOptions: Sendable {
    public var epochs: Int
    /// Clip the global gradient norm to this value before each update (nil: no clipping).
    public var clipNorm: Float?
    /// Where logs (`steps.csv/.jsonl`, `epochs.csv/.jsonl`) and `checkpoint.safetensors` go (nil: nowhere).
    public var outputDirectory: String?
    public var progress: ProgressReporter.Mode
    /// Evaluate on the test split after every epoch (besides validation).
    public var evaluateTest: Bool
    /// Items (images or tokens) per step, for the progress rate.
    public var itemsPerStep: Int
    /// Behave as if Ctrl-C were pressed right after this global step (tests of resume).
    public var interruptAfterStep: Int?
    /// Extra metadata stored in checkpoints (e.g. the command line).
    public var runDescription: [String: String]

    public init(epochs: Int, clipNorm: Float? = nil, outputDirectory: String? = nil, progress: ProgressReporter.Mode = .auto,
                evaluateTest: Bool = true, itemsPerStep: Int = 1, interruptAfterStep: Int? = nil, runDescription: [String: String] = [:]) {
        precondition(epochs >= 0, "TrainerOptions: epochs must be ≥ 0, got \(epochs)")
        precondition(clipNorm.map { $0 > 0 } ?? true, "TrainerOptions: clipNorm must be positive")
        self.epochs = epochs; self.clipNorm = clipNorm; self.outputDirectory = outputDirectory; self.progress = progress
        self.evaluateTest = evaluateTest; self.itemsPerStep = itemsPerStep; self.interruptAfterStep = interruptAfterStep
        self.runDescription = runDescription
    }
}

/// One epoch's summary.
public struct EpochRecord: Sendable, Codable, Equatable {
    public var epoch: Int
    public var step: Int
    public var learningRate: Float
    public var trainLoss: Double
    public var validation: EvaluationMetrics?
    public var test: EvaluationMetrics?
    public var seconds: Double
}

/// The training loop: for every step, forward/backward through the task, optional gradient clipping, the
/// updater's learning rate for that step (a schedule sees the step's loss) and the optimiser's update at that rate;
/// after every epoch, evaluation, the updater's epoch hook, logs and a checkpoint.
///
/// Stops with `TrainingError.diverged` on a non-finite loss or gradient norm (no checkpoint of the broken
/// state is written), and with `TrainingError.interrupted` after Ctrl-C (a checkpoint of the current position
/// is written, so `resume(from:)` continues bit-identically).
public final class Trainer {
    public let task: any TrainingTask
    public let optimizer: any Optimizer
    /// Decides each step's learning rate and applies the update (a schedule, or MLR-SNet's meta-trainer).
    public let updater: any StepUpdater
    public let options: TrainerOptions
    public private(set) var history: [EpochRecord] = []
    public private(set) var globalStep = 0
    /// Every learning rate used, in step order (since this object was created or resumed).
    public private(set) var learningRates: [Float] = []

    private let parameters: [Parameter]
    private var epoch = 0, batch = 0
    private var epochLossSum = 0.0, epochLossCount = 0
    private var lastValidationLoss: Float?
    private var lastLearningRate: Float = 0
    private var resumed = false
    private var stepLog: RunLog?, epochLog: RunLog?
    private let progress: ProgressReporter

    /// A run with a hand-designed (or frozen learned) schedule.
    public convenience init(task: any TrainingTask, optimizer: any Optimizer, schedule: AnySchedule, options: TrainerOptions) throws {
        try self.init(task: task, optimizer: optimizer, updater: ScheduledUpdate(schedule), options: options)
    }

    public init(task: any TrainingTask, optimizer: any Optimizer, updater: any StepUpdater, options: TrainerOptions) throws {
        self.task = task
        self.optimizer = optimizer
        self.updater = updater
        self.options = options
        self.parameters = task.model.parameters
        self.progress = ProgressReporter(mode: options.progress)
        if let dir = options.outputDirectory {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
            catch { throw TrainingError.unwritable("\(dir): \(error.localizedDescription)") }
            guard access(dir, W_OK) == 0 else { throw TrainingError.unwritable("\(dir) (not writable)") }
            stepLog = try RunLog(directory: dir, name: "steps", columns: ["step", "epoch", "batch", "lr", "loss", "grad_norm"])
            epochLog = try RunLog(directory: dir, name: "epochs", columns: [
                "epoch", "step", "lr", "train_loss", "val_loss", "val_accuracy", "val_perplexity",
                "test_loss", "test_accuracy", "test_perplexity", "seconds"])
        }
    }

    /// The checkpoint path (`outputDirectory/checkpoint.safetensors`), if there is an output directory.
    public var checkpointPath: String? { options.outputDirectory.map { $0 + "/checkpoint.safetensors" } }

    /// Loads the latest good checkpoint and continues from its position; logs newer than it are dropped.
    public func resume(from path: String) throws {
        let (cp, used) = try Checkpoint.readLatestGood(path) { msg in
            FileHandle.standardError.write(Data("warning: \(msg)\n".utf8))
        }
        try cp.restore(model: task.model, optimizer: optimizer, updater: updater, task: task)
        epoch = cp.epoch
        batch = cp.batch
        globalStep = cp.globalStep
        epochLossSum = Double(cp.metadata["epoch_loss_sum"] ?? "") ?? 0
        epochLossCount = Int(cp.metadata["epoch_loss_count"] ?? "") ?? 0
        lastValidationLoss = cp.metadata["last_validation_loss"].flatMap { Float($0) }
        lastLearningRate = cp.metadata["last_lr"].flatMap { Float($0) } ?? 0
        if let h = cp.metadata["history"], let records: [EpochRecord] = try? decodeJSON(h) { history = records }
        let step = globalStep, done = epoch
        try stepLog?.truncate(column: "step") { Int($0) < step }
        try epochLog?.truncate(column: "epoch") { Int($0) < done }
        resumed = true
        FileHandle.standardError.write(Data("resumed from \(used) at epoch \(epoch + 1), batch \(batch), step \(globalStep)\n".utf8))
    }

    /// Runs until `options.epochs` epochs are complete.
    @discardableResult
    public func run() throws -> [EpochRecord] {
        let perEpoch = task.batchesPerEpoch
        if !resumed && globalStep == 0 {
            // A fresh run into a directory that holds an older run's logs starts them anew.
            try stepLog?.truncate(column: "step") { _ in false }
            try epochLog?.truncate(column: "epoch") { _ in false }
        }
        while epoch < options.epochs {
            let epochStart = Date()
            if batch == 0 {
                task.beginEpoch(epoch)
                epochLossSum = 0; epochLossCount = 0
            }
            progress.beginEpoch()
            var lr = lastLearningRate
            while batch < perEpoch {
                lr = try step(perEpoch: perEpoch)
                progress.update(epoch: epoch + 1, epochs: options.epochs, done: batch, total: perEpoch,
                                loss: Float(epochLossSum / Double(max(epochLossCount, 1))), lr: lr, itemsPerStep: options.itemsPerStep)
                if Interruption.isRequested || options.interruptAfterStep == globalStep {
                    var written: String?
                    if let p = checkpointPath { try saveCheckpoint(to: p); written = p }
                    throw TrainingError.interrupted(step: globalStep, checkpoint: written)
                }
            }
            try endEpoch(lr: lr, seconds: Date().timeIntervalSince(epochStart))
        }
        return history
    }

    /// One optimisation step at the current position; returns the learning rate used.
    private func step(perEpoch: Int) throws -> Float {
        for p in parameters { p.zeroGrad() }
        let loss = task.trainStep(epoch: epoch, batch: batch)
        guard loss.isFinite else { throw TrainingError.diverged(step: globalStep, epoch: epoch, value: loss, what: "the training loss") }
        var norm: Float?
        if let c = options.clipNorm {
            let n = clipGradientNorm(parameters, maxNorm: c)
            guard n.isFinite else { throw TrainingError.diverged(step: globalStep, epoch: epoch, value: n, what: "the gradient norm") }
            norm = n
        }
        let signal = TrainingSignal(step: globalStep, epoch: epoch, stepsPerEpoch: perEpoch,
                                    trainingLoss: loss, validationLoss: lastValidationLoss)
        let lr = try updater.update(parameters: parameters, optimizer: optimizer, signal: signal)
        learningRates.append(lr)
        lastLearningRate = lr
        try stepLog?.append([.int(globalStep), .int(epoch), .int(batch), .float(Double(lr)), .float(Double(loss)), norm.map { .float(Double($0)) }])
        epochLossSum += Double(loss)
        epochLossCount += 1
        globalStep += 1
        batch += 1
        return lr
    }

    private func endEpoch(lr: Float, seconds: Double) throws {
        let val = task.evaluate(.validation)
        let test = options.evaluateTest ? task.evaluate(.test) : nil
        lastValidationLoss = val.map { Float($0.loss) }
        updater.epochEnded(epoch, validationLoss: lastValidationLoss)
        let record = EpochRecord(epoch: epoch, step: globalStep, learningRate: lr,
                                 trainLoss: epochLossSum / Double(max(epochLossCount, 1)),
                                 validation: val, test: test, seconds: seconds)
        history.append(record)
        func f(_ v: Double?) -> LogValue? { v.map { .float($0) } }
        try epochLog?.append([.int(epoch), .int(globalStep), .float(Double(lr)), .float(record.trainLoss),
                              f(val?.loss), f(val?.accuracy), f(val.map { $0.accuracy == nil ? $0.perplexity : nil } ?? nil),
                              f(test?.loss), f(test?.accuracy), f(test.map { $0.accuracy == nil ? $0.perplexity : nil } ?? nil),
                              .float(seconds)])
        epoch += 1
        batch = 0
        epochLossSum = 0; epochLossCount = 0
        if let p = checkpointPath { try saveCheckpoint(to: p) }
    }

    /// Writes a checkpoint of the current position.
    public func saveCheckpoint(to path: String) throws {
        var extra = options.runDescription
        extra["epoch_loss_sum"] = String(epochLossSum)
        extra["epoch_loss_count"] = String(epochLossCount)
        if let v = lastValidationLoss { extra["last_validation_loss"] = String(v) }
        extra["last_lr"] = String(lastLearningRate)
        extra["history"] = try jsonString(history)
        let cp = try Checkpoint(model: task.model, optimizer: optimizer, updater: updater, task: task,
                                epoch: epoch, batch: batch, globalStep: globalStep, extra: extra)
        try cp.write(to: path)
    }
}
