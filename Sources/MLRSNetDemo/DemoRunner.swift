import Datasets
import Foundation
import LearnedSchedule
import MetaLearning
import NN
import Optim
import Schedules
import Tensor
import Training

/// `mlrsnet demo`: on the embedded Fashion-MNIST sample, trains the same SmallCNN (same initial weights, same
/// batch order, SGD with momentum) with each `DemoMethod` — MLR-SNet meta-trained online (Algorithm 1), the
/// shipped CIFAR-10 MLR-SNet transferred plug-and-play, and three hand-designed schedules — then writes
/// report.md, SVG plots (LR, test accuracy, training loss), CSV curves and the meta-trained artifact.
public struct DemoRunner {
    public let configuration: DemoConfiguration
    /// Receives every line of progress and the result table (the CLI prints them).
    public var log: (String) -> Void

    public init(configuration: DemoConfiguration, log: @escaping (String) -> Void = { print($0) }) {
        self.configuration = configuration
        self.log = log
    }

    /// The data every method uses: training images (validation held out), the validation set, the test set.
    struct DemoData {
        var train: LabeledImages, validation: LabeledImages, test: LabeledImages
        var normalization: ChannelNormalization
    }

    func loadData() throws -> DemoData {
        let c = configuration
        guard FileManager.default.fileExists(atPath: c.dataDirectory) else {
            throw DemoError.missingData("the Fashion-MNIST data is not at \(c.dataDirectory): run from the repository root, or pass --data")
        }
        var train: LabeledImages, test: LabeledImages
        do {
            train = try IDX.loadSplit(directory: c.dataDirectory, split: "train")
            test = try IDX.loadSplit(directory: c.dataDirectory, split: "t10k")
        } catch {
            throw DemoError.missingData("cannot read Fashion-MNIST from \(c.dataDirectory): \(error)")
        }
        if let k = c.trainPerClass { train = train.subset(perClass: k, selection: .random(seed: c.seed)) }
        if let k = c.testPerClass { test = test.subset(perClass: k, selection: .first) }
        let split = train.splittingValidation(.perClass(c.validationPerClass), seed: c.seed &+ 1)
        return DemoData(train: split.train, validation: split.validation, test: test,
                        normalization: .fitted(to: split.train.images))
    }

    /// A fresh task with the seed's initial SmallCNN (identical for every method).
    func makeTask(_ data: DemoData) -> ImageClassificationTask {
        var rng = RandomGenerator(seed: configuration.seed)
        let shape = data.train.images.shape
        let model = ModelSpec.smallCNN.makeImageModel(channels: shape[1], size: shape[2], classes: data.train.classCount, rng: &rng)
        return ImageClassificationTask(model: model, train: data.train, validation: data.validation, test: data.test,
                                       batchSize: configuration.batchSize, seed: configuration.seed,
                                       augmentation: Augmentation(normalization: data.normalization))
    }

    /// Runs every method in `methods` and writes the report; returns what was measured.
    @discardableResult
    public func run(methods: [DemoMethod] = DemoMethod.allCases) throws -> DemoSummary {
        try configuration.validate()
        let c = configuration
        let start = Date(), cpuStart = processCPUSeconds()
        let data = try loadData()
        let out = c.outputDirectory
        do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) }
        catch { throw DemoError.invalid("cannot create the output directory \(out): \(error.localizedDescription)") }
        let probe = makeTask(data)
        let perEpoch = probe.batchesPerEpoch
        log("MLR-SNet demo — Fashion-MNIST sample from \(c.dataDirectory): \(data.train.count) training / "
            + "\(data.validation.count) validation (meta-update only) / \(data.test.count) test images")
        log("SmallCNN (\(probe.model.parameterCount) parameters), SGD momentum \(c.momentum), weight decay \(c.weightDecay), "
            + "batch \(c.batchSize), \(c.epochs) epochs × \(perEpoch) steps, seed \(c.seed); every method starts from the same weights")
        var runs: [DemoRunResult] = []
        var artifactFile: String?
        for (i, method) in methods.enumerated() {
            let elapsed = Date().timeIntervalSince(start)
            let eta = runs.isEmpty ? "" : String(format: ", about %.0f s left", elapsed / Double(i) * Double(methods.count - i))
            log("[\(i + 1)/\(methods.count)] \(method.title): \(describe(method))\(eta)")
            let (result, artifact) = try run(method, data: data)
            runs.append(result)
            if let artifact {
                let path = out + "/mlrsnet.safetensors"
                do { try artifact.write(to: path); artifactFile = "mlrsnet.safetensors" }
                catch { log("warning: could not write \(path): \(error)") }
            }
            log("      test accuracy \(pct(result.finalTestAccuracy)) (best \(pct(result.bestTestAccuracy))), "
                + "train loss \(result.finalTrainLoss.map { fmt($0, 4) } ?? "-"), \(fmt(result.seconds, 1)) s (\(fmt(result.cpuSeconds, 1)) s CPU)")
        }
        var summary = DemoSummary(configuration: c, runs: runs, trainCount: data.train.count, validationCount: data.validation.count,
                                  testCount: data.test.count, parameterCount: probe.model.parameterCount, stepsPerEpoch: perEpoch,
                                  wallSeconds: Date().timeIntervalSince(start), cpuSeconds: processCPUSeconds() - cpuStart, files: [])
        summary.files = try DemoReport(summary: summary, artifactFile: artifactFile).write(to: out)
        log("")
        log(summary.table)
        log("")
        log("Wrote \(summary.files.map { out + "/" + $0 }.joined(separator: ", ")) (\(fmt(summary.wallSeconds, 0)) s wall, "
            + "\(fmt(summary.cpuSeconds, 0)) s CPU)")
        return summary
    }

    func describe(_ m: DemoMethod) -> String {
        let c = configuration
        switch m {
        case .mlrsnetMeta: return "LR from an MLR-SNet meta-trained in this run (first LR \(c.learningRate), meta-update every \(c.metaInterval) steps)"
        case .mlrsnetTransfer: return "LR from the shipped CIFAR-10 / ResNet-20 MLR-SNet, θ frozen"
        case .fixed: return "LR \(c.learningRate)"
        case .multistep: return "LR \(c.learningRate), × 0.1 after epoch \(milestones.map(String.init).joined(separator: " and "))"
        case .cosine: return "LR \(c.learningRate) → 0, cosine over every step"
        }
    }

    /// Multistep milestones at ½ and ¾ of the epochs (distinct, ≥ 1).
    var milestones: [Int] {
        let e = configuration.epochs
        return Array(Set([max(1, e / 2), max(1, e * 3 / 4)])).sorted()
    }

    /// One method's training run; also returns the meta-learned artifact for `mlrsnetMeta`.
    func run(_ method: DemoMethod, data: DemoData) throws -> (DemoRunResult, MLRSNetArtifact?) {
        let c = configuration
        let task = makeTask(data)
        let optimizer = SGD(momentum: c.momentum, weightDecay: c.weightDecay)
        let perEpoch = task.batchesPerEpoch
        var meta: MLRSNetMetaUpdate?
        var gammaValue = 1.0
        let base: any StepUpdater
        do {
            switch method {
            case .fixed:
                base = ScheduledUpdate(AnySchedule(try FixedSchedule(lr: c.learningRate)))
            case .multistep:
                base = ScheduledUpdate(AnySchedule(try MultiStepSchedule(initial: c.learningRate, milestones: milestones, gamma: 0.1)))
            case .cosine:
                base = ScheduledUpdate(AnySchedule(try CosineSchedule(initial: c.learningRate, length: c.epochs * perEpoch, unit: .step)))
            case .mlrsnetTransfer:
                base = ScheduledUpdate(AnySchedule(try LearnedLRSchedule.pretrainedCIFAR10()))
            case .mlrsnetMeta:
                // As `mlrsnet meta-train` for images: reference meta-test layout, H = 40, γ = 1, raw loss input, output
                // bias set so the first LR is the hand-designed schedules' initial LR; meta-Adam lr 1e-3, L2 1e-4.
                let gamma = GammaPolicy.paperImages
                gammaValue = gamma.gamma(initialLoss: 0)
                let firstLoss = task.firstBatchLoss()
                let config = try MLRSNetConfiguration(architecture: .referenceMetaTest, hiddenSize: 40)
                let cell = try MLRSNetCell(configuration: config, seed: c.seed,
                                           outputBias: .firstLearningRate(c.learningRate, gamma: gammaValue, firstInput: firstLoss))
                let schedule = try LearnedLRSchedule(cell: cell, gamma: gamma, inputNormalisation: .raw, initialLoss: firstLoss)
                let updater = MLRSNetMetaUpdate(schedule: schedule, task: task, metaInterval: c.metaInterval,
                                                metaOptimizer: MetaAdam(lr: 1e-3, weightDecay: 1e-4))
                meta = updater
                base = updater
            }
        } catch {
            throw DemoError.failed(method: method.title, reason: "\(error)")
        }
        let recorder = RecordingUpdater(base)
        let trainer: Trainer
        do {
            trainer = try Trainer(task: task, optimizer: optimizer, updater: recorder,
                                  options: TrainerOptions(epochs: c.epochs, progress: c.progress, itemsPerStep: c.batchSize))
        } catch { throw DemoError.failed(method: method.title, reason: "\(error)") }
        let t0 = Date(), cpu0 = processCPUSeconds()
        let history: [EpochRecord]
        do { history = try trainer.run() } catch { throw DemoError.failed(method: method.title, reason: "\(error)") }
        let result = DemoRunResult(method: method, history: history, learningRates: recorder.learningRates, losses: recorder.losses,
                                   seconds: Date().timeIntervalSince(t0), cpuSeconds: processCPUSeconds() - cpu0, metaUpdates: meta?.metaUpdates)
        let artifact = meta.map {
            MLRSNetArtifact(cell: $0.cell, gammaPolicy: .paperImages, gammaValue: gammaValue, inputNormalisation: .raw,
                            task: "fashion-mnist sample smallcnn, sgdm, \(c.epochs) epochs, batch \(c.batchSize) (mlrsnet demo)",
                            steps: trainer.globalStep, seed: c.seed)
        }
        return (result, artifact)
    }

}

/// User + system CPU time of this process, in seconds.
func processCPUSeconds() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return s(usage.ru_utime) + s(usage.ru_stime)
}
