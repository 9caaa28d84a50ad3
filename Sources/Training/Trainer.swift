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
    /// What to do on a non-finite loss, gradient or learning rate (see `DivergencePolicy`).
    public var divergence: DivergencePolicy
    /// Also write a checkpoint (and, with a back-off policy, keep a good state in memory) every this many
    /// global steps, besides after every epoch (nil: only after epochs).
    public var checkpointEverySteps: Int?

    public init(epochs: Int, clipNorm: Float? = nil, outputDirectory: String? = nil, progress: ProgressReporter.Mode = .auto,
                evaluateTest: Bool = true, itemsPerStep: Int = 1, interruptAfterStep: Int? = nil, runDescription: [String: String] = [:],
                divergence: DivergencePolicy = .stop, checkpointEverySteps: Int? = nil) {
        precondition(epochs >= 0, "TrainerOptions: epochs must be ≥ 0, got \(epochs)")
        precondition(clipNorm.map { $0 > 0 } ?? true, "TrainerOptions: clipNorm must be positive")
        precondition(checkpointEverySteps.map { $0 >= 1 } ?? true, "TrainerOptions: checkpointEverySteps must be ≥ 1")
        if case let .backoff(f, r) = divergence { precondition(f > 0 && f < 1 && r >= 1, "TrainerOptions: bad back-off \(divergence)") }
        self.epochs = epochs; self.clipNorm = clipNorm; self.outputDirectory = outputDirectory; self.progress = progress
        self.evaluateTest = evaluateTest; self.itemsPerStep = itemsPerStep; self.interruptAfterStep = interruptAfterStep
        self.runDescription = runDescription; self.divergence = divergence; self.checkpointEverySteps = checkpointEverySteps
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
/// A non-finite training loss, gradient, learning rate or validation loss is handled by
/// `options.divergence`: stop with `TrainingError.diverged` (no checkpoint of the broken state is written),
/// or reload the last good state and continue at a scaled-down learning rate. Ctrl-C stops with
/// `TrainingError.interrupted` after writing a checkpoint of the current position, so `resume(from:)`
/// continues bit-identically.
public final class Trainer {
    public let task: any TrainingTask
    public let optimizer: any Optimizer
    /// Decides each step's learning rate and applies the update (a schedule, or MLR-SNet's meta-trainer).
    public let updater: any StepUpdater
    public let options: TrainerOptions
    public private(set) var history: [EpochRecord] = []
    public private(set) var globalStep = 0
    /// Every learning rate used (after any back-off scale), in step order, from the step this object
    /// started at (0, or the resumed step); rolled back with a back-off.
    public private(set) var learningRates: [Float] = []
    /// The back-offs taken in this run (since this object was created or resumed).
    public private(set) var divergenceEvents: [DivergenceEvent] = []
    /// The learning-rate scale from back-offs (1 until the first).
    public var learningRateScale: Float { scaled.scale }

    private let parameters: [Parameter]
    /// The optimiser the updater sees: the real one behind the back-off scale and the non-finite-LR guard.
    private let scaled: ScaledOptimizer
    private var epoch = 0, batch = 0
    private var epochLossSum = 0.0, epochLossCount = 0
    private var lastValidationLoss: Float?
    private var lastLearningRate: Float = 0
    private var backoffsUsed = 0
    private var learningRatesBase = 0
    private var resumed = false
    private var snapshot: Checkpoint?
    private var stepLog: RunLog?, epochLog: RunLog?
    private let progress: ProgressReporter

    /// A run with a hand-designed (or frozen learned) schedule.
    public convenience init(task: any TrainingTask, optimizer: any Optimizer, schedule: AnySchedule, options: TrainerOptions) throws {
        try self.init(task: task, optimizer: optimizer, updater: ScheduledUpdate(schedule), options: options)
    }

    public init(task: any TrainingTask, optimizer: any Optimizer, updater: any StepUpdater, options: TrainerOptions) throws {
        self.task = task
        self.optimizer = optimizer
        self.scaled = ScaledOptimizer(optimizer)
        self.updater = updater
        self.options = options
        self.parameters = task.model.parameters
        self.progress = ProgressReporter(mode: options.progress)
        if let dir = options.outputDirectory {
            try OutputDirectory.prepare(dir)
            // Temporary files of a checkpoint write that a kill interrupted are garbage.
            for f in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where f.hasPrefix(".checkpoint.safetensors.tmp-") {
                try? FileManager.default.removeItem(atPath: dir + "/" + f)
            }
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
        try restorePosition(cp)
        let scale = cp.metadata["lr_scale"].map { Float($0) } ?? 1
        guard let scale, scale > 0, scale <= 1 else {
            throw TrainingError.incompatibleCheckpoint("lr_scale '\(cp.metadata["lr_scale"] ?? "")' is not a number in (0, 1]")
        }
        scaled.scale = scale
        backoffsUsed = max(0, cp.metadata["divergence_backoffs"].flatMap { Int($0) } ?? 0)
        learningRates = []
        learningRatesBase = globalStep
        resumed = true
        FileHandle.standardError.write(Data("resumed from \(used) at epoch \(epoch + 1), batch \(batch), step \(globalStep)\n".utf8))
    }

    /// Restores the run's state and position from a checkpoint (on disk or in memory) and drops log rows newer than it.
    private func restorePosition(_ cp: Checkpoint) throws {
        guard cp.batch <= task.batchesPerEpoch else {   // (= at the end of an epoch interrupted before its evaluation)
            throw TrainingError.incompatibleCheckpoint("the checkpoint is at batch \(cp.batch) of an epoch, this run has \(task.batchesPerEpoch) batches per epoch")
        }
        try cp.restore(model: task.model, optimizer: optimizer, updater: updater, task: task)
        epoch = cp.epoch
        batch = cp.batch
        globalStep = cp.globalStep
        epochLossSum = Double(cp.metadata["epoch_loss_sum"] ?? "") ?? 0
        epochLossCount = Int(cp.metadata["epoch_loss_count"] ?? "") ?? 0
        lastValidationLoss = cp.metadata["last_validation_loss"].flatMap { Float($0) }
        lastLearningRate = cp.metadata["last_lr"].flatMap { Float($0) } ?? 0
        history = []
        if let h = cp.metadata["history"] { history = try decodeJSON(h) }
        let step = globalStep, done = epoch
        try stepLog?.truncate(column: "step") { Int($0) < step }
        try epochLog?.truncate(column: "epoch") { Int($0) < done }
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
        takeSnapshot()
        training: while epoch < options.epochs {
            let epochStart = Date()
            if batch == 0 {
                task.beginEpoch(epoch)
                epochLossSum = 0; epochLossCount = 0
            }
            progress.beginEpoch()
            var lr = lastLearningRate
            while batch < perEpoch {
                do { lr = try step(perEpoch: perEpoch) } catch let e as TrainingError where e.isDivergence {
                    try recover(from: e)
                    continue training
                }
                progress.update(epoch: epoch + 1, epochs: options.epochs, done: batch, total: perEpoch,
                                loss: Float(epochLossSum / Double(max(epochLossCount, 1))), lr: lr, itemsPerStep: options.itemsPerStep)
                if Interruption.isRequested || options.interruptAfterStep == globalStep {
                    var written: String?
                    if let p = checkpointPath { try saveCheckpoint(to: p); written = p }
                    throw TrainingError.interrupted(step: globalStep, checkpoint: written)
                }
                if let k = options.checkpointEverySteps, globalStep % k == 0, batch < perEpoch {
                    if let p = checkpointPath { try saveCheckpoint(to: p) }
                    takeSnapshot()
                }
            }
            do { try endEpoch(lr: lr, seconds: Date().timeIntervalSince(epochStart)) }
            catch let e as TrainingError where e.isDivergence {
                try recover(from: e)
                continue training
            }
            takeSnapshot()
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
        } else if !gradientsAreFinite(parameters) {
            throw TrainingError.diverged(step: globalStep, epoch: epoch, value: .nan, what: "a gradient")
        }
        let signal = TrainingSignal(step: globalStep, epoch: epoch, stepsPerEpoch: perEpoch,
                                    trainingLoss: loss, validationLoss: lastValidationLoss)
        scaled.clearRefusal()
        let raw = try updater.update(parameters: parameters, optimizer: scaled, signal: signal)
        if let bad = scaled.refusedLearningRate ?? (raw.isFinite ? nil : raw) {
            throw TrainingError.diverged(step: globalStep, epoch: epoch, value: bad, what: "the learning rate")
        }
        let lr = raw * scaled.scale
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
        if let v = val, !v.loss.isFinite {
            throw TrainingError.diverged(step: globalStep, epoch: epoch, value: Float(v.loss), what: "the validation loss")
        }
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

    // MARK: Divergence

    /// Keeps the current (good) state in memory for a back-off (only under a back-off policy).
    private func takeSnapshot() {
        guard case .backoff = options.divergence else { return }
        do { snapshot = try makeCheckpoint(checksum: false) } catch {
            FileHandle.standardError.write(Data("warning: could not keep the state for a divergence back-off: \(error)\n".utf8))
            snapshot = nil
        }
    }

    /// Applies the divergence policy to `error`: rethrows it (stop, retries used up, nothing to go back to),
    /// or goes back to the last good state with the learning-rate scale multiplied by the back-off factor.
    private func recover(from error: TrainingError) throws {
        guard case let .backoff(factor, retries) = options.divergence, backoffsUsed < retries, let good = snapshot else {
            for p in parameters { p.zeroGrad() }
            throw error
        }
        guard case let .diverged(step, ep, value, what) = error else { throw error }
        try restorePosition(good)
        for p in parameters { p.zeroGrad() }
        learningRates = Array(learningRates.prefix(max(0, globalStep - learningRatesBase)))
        backoffsUsed += 1
        scaled.scale *= factor
        let event = DivergenceEvent(step: step, epoch: ep, what: what, reloadedStep: globalStep, scale: scaled.scale)
        divergenceEvents.append(event)
        FileHandle.standardError.write(Data(("warning: \(what) is \(value) at step \(step) (epoch \(ep + 1)); backing off " +
            "(\(backoffsUsed) of \(retries)): reloaded the state of step \(globalStep), learning rates now ×\(scaled.scale)\n").utf8))
        if let dir = options.outputDirectory {
            // One JSON line per back-off, appended (O_APPEND) to `divergence.jsonl`.
            let line = Array(((try? jsonString(event)) ?? "{}").utf8) + [0x0A]
            let fd = open(dir + "/divergence.jsonl", O_WRONLY | O_CREAT | O_APPEND, 0o644)
            if fd >= 0 { _ = line.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }; close(fd) }
        }
    }

    // MARK: Checkpoints

    /// The run's state at the current position.
    private func makeCheckpoint(checksum: Bool = true) throws -> Checkpoint {
        var extra = options.runDescription
        extra["epoch_loss_sum"] = String(epochLossSum)
        extra["epoch_loss_count"] = String(epochLossCount)
        if let v = lastValidationLoss { extra["last_validation_loss"] = String(v) }
        extra["last_lr"] = String(lastLearningRate)
        extra["history"] = try jsonString(history)
        extra["lr_scale"] = String(scaled.scale)
        extra["divergence_backoffs"] = String(backoffsUsed)
        return try Checkpoint(model: task.model, optimizer: optimizer, updater: updater, task: task,
                              epoch: epoch, batch: batch, globalStep: globalStep, extra: extra, checksum: checksum)
    }

    /// Writes a checkpoint of the current position.
    public func saveCheckpoint(to path: String) throws {
        try makeCheckpoint().write(to: path)
    }
}

/// Checks an output directory before a run writes anything into it.
public enum OutputDirectory {
    /// Creates `path` (with parents) and checks that a file can be created in it; a clear
    /// `TrainingError.unwritable` naming the directory and the reason otherwise.
    public static func prepare(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw TrainingError.unwritable("\(path): exists and is not a directory (--out needs a directory)") }
        } else {
            do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
            catch { throw TrainingError.unwritable("\(path): cannot create the output directory (\(reason(error)))") }
        }
        // access(W_OK) is always true for root; creating a file is the real test (read-only file systems too).
        let probe = path + "/.mlrsnet-write-test-\(getpid())"
        let fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw TrainingError.unwritable("\(path): the output directory is not writable (\(String(cString: strerror(errno))))")
        }
        close(fd); unlink(probe)
    }

    static func reason(_ error: any Error) -> String {
        let ns = error as NSError
        if let u = ns.userInfo[NSUnderlyingErrorKey] as? NSError, u.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(u.code)))
        }
        return ns.localizedDescription
    }
}
