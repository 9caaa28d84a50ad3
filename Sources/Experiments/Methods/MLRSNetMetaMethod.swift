import Foundation
import LearnedSchedule
import MetaLearning
import Training

extension MethodKind {
    /// MLR-SNet meta-training (the paper's Algorithm 1, `MLRSNetMetaUpdate`) on the run's optimiser (SGD,
    /// SGD-momentum or Adam: "MLR-SNet on Adam" is this kind with `overrides.optimizer = adam`). Saves the
    /// meta-learned artifact as `mlrsnet.safetensors` and every meta-update in `meta.csv` in the cell.
    ///
    /// Parameters (defaults as `mlrsnet meta-train`): `architecture` ("reference-meta-test", "reference-meta-train",
    /// "paper", "mlp"), `hidden` (40), `gamma` (a number, or "reference"; default 1 for images, 40 for text),
    /// `firstLR` (output bias so the first LR is this; default 0.1 for images, PyTorch's init for text; 0 =
    /// PyTorch's init), `metaLR` (1e-3), `metaWeightDecay` (1e-4), `metaInterval` (steps between meta-updates;
    /// default twice per epoch for images, 100 for text), `metaSeed` (1), `minLR`/`maxLR` (bounds; none).
    public static let mlrsnetMeta = MethodKind(
        name: "mlrsnet-meta", summary: "MLR-SNet meta-training (Algorithm 1), artifact saved per cell",
        parameters: ["architecture", "hidden", "gamma", "firstLR", "metaLR", "metaWeightDecay", "metaInterval", "metaSeed", "minLR", "maxLR"],
        producesArtifact: true,
        check: { method, run in
            _ = try MLRSNetMetaOptions(method, run: run)
            if !run.dataset.isText && run.validationPerClass == 0 {
                throw ExperimentError("method \(method.name): meta-training needs a validation set disjoint from training: set validationPerClass > 0")
            }
        },
        make: { context in try MLRSNetMetaOptions(context.method, run: context.run).make(context) })
}

/// The parsed parameters of an `mlrsnet-meta` method.
struct MLRSNetMetaOptions {
    var architecture: MLRSNetArchitecture
    var hidden: Int
    var gamma: String?
    var firstLR: Double?
    var metaLR: Double
    var metaWeightDecay: Double
    var metaInterval: Int?
    var metaSeed: UInt64
    var bounds: LearningRateBounds

    init(_ m: MethodSpec, run: RunSpec) throws {
        let a = try m.text("architecture") ?? MLRSNetArchitecture.referenceMetaTest.rawValue
        guard let arch = MLRSNetArchitecture(rawValue: a) else {
            throw ExperimentError("method \(m.name): architecture '\(a)' is not one of \(MLRSNetArchitecture.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        architecture = arch
        hidden = try m.count("hidden") ?? 40
        guard hidden >= 2 else { throw ExperimentError("method \(m.name): hidden must be at least 2 (got \(hidden))") }
        switch m.parameters["gamma"] {
        case nil: gamma = nil
        case .text("reference"): gamma = "reference"
        case .number(let g) where g > 0 && g.isFinite: gamma = String(g)
        default: throw ExperimentError("method \(m.name): gamma must be a positive number or \"reference\"")
        }
        firstLR = try m.number("firstLR")
        if let f = firstLR, !(f >= 0) { throw ExperimentError("method \(m.name): firstLR must be ≥ 0 (got \(f))") }
        metaLR = try m.number("metaLR") ?? 1e-3
        metaWeightDecay = try m.number("metaWeightDecay") ?? 1e-4
        guard metaLR > 0, metaWeightDecay >= 0 else { throw ExperimentError("method \(m.name): metaLR must be positive and metaWeightDecay ≥ 0") }
        metaInterval = try m.count("metaInterval")
        metaSeed = UInt64(try m.number("metaSeed") ?? 1)
        do { bounds = try LearningRateBounds(minimum: try m.number("minLR") ?? 0, maximum: try m.number("maxLR") ?? .infinity) }
        catch { throw ExperimentError("method \(m.name): LR bounds: \(error)") }
        _ = try MLRSNetConfiguration(architecture: architecture, hiddenSize: hidden)
    }

    func make(_ context: MethodContext) throws -> PreparedMethod {
        let prepared = context.prepared, run = context.run
        guard let task = prepared.task as? any MetaValidationSource, task.validationBatchCount > 0 else {
            throw ExperimentError("method \(context.method.name): the task has no validation data for the meta-update")
        }
        let isText = run.dataset.isText
        let vocabulary = (prepared.task as? LanguageModelTask)?.languageModel.vocabularySize ?? 2
        let classes = (prepared.task as? ImageClassificationTask)?.train.classCount ?? 10
        let gammaPolicy: GammaPolicy
        switch gamma {
        case "reference": gammaPolicy = isText ? .referencePerplexity(vocabularySize: vocabulary) : .reference(classes: classes)
        case let g?: gammaPolicy = .fixed(Double(g)!)
        case nil: gammaPolicy = isText ? .paperText : .paperImages
        }
        let normalisation: InputNormalisation = isText ? .perLogVocabulary(vocabulary) : .raw
        let config = try MLRSNetConfiguration(architecture: architecture, hiddenSize: hidden)
        let firstLoss = prepared.task.firstBatchLoss()
        let gammaValue = gammaPolicy.gamma(initialLoss: Double(firstLoss))
        let first = firstLR ?? (isText ? 0 : 0.1)
        guard first < gammaValue else { throw ExperimentError("method \(context.method.name): firstLR \(first) must be below γ = \(gammaValue)") }
        let bias: OutputBiasInit = first > 0
            ? .firstLearningRate(first, gamma: gammaValue, firstInput: normalisation.apply(firstLoss)) : .pytorchDefault
        let cell = try MLRSNetCell(configuration: config, seed: metaSeed, outputBias: bias)
        let schedule = try LearnedLRSchedule(cell: cell, gamma: gammaPolicy, inputNormalisation: normalisation,
                                             bounds: bounds, initialLoss: firstLoss)
        let interval = metaInterval ?? (isText ? 100 : max(1, prepared.task.batchesPerEpoch / 2))
        let updater = MLRSNetMetaUpdate(schedule: schedule, task: task, metaInterval: interval,
                                        metaOptimizer: MetaAdam(lr: metaLR, weightDecay: metaWeightDecay))
        let taskName = "\(run.dataset.rawValue) \(run.model), \(run.optimizer.rawValue), \(run.epochs) epochs, batch \(run.batchSize)"
        let directory = context.cellDirectory, seed = run.seed
        let summary = "\(run.optimizer.rawValue) + MLR-SNet meta-training (\(config.summary), \(gammaPolicy.summary(value: gammaValue)), meta-update every \(interval) steps, Adam lr \(metaLR))"
        return PreparedMethod(updater: updater, summary: summary, finish: { trainer in
            try MLRSNetArtifact(cell: updater.cell, gammaPolicy: gammaPolicy, gammaValue: gammaValue, inputNormalisation: normalisation,
                                task: taskName, steps: trainer.globalStep, seed: seed).write(to: directory + "/mlrsnet.safetensors")
            var csv = "step,alpha,validation_loss,s\n"
            for r in updater.metaLog { csv += "\(r.step),\(r.alpha),\(r.validationLoss),\(r.s)\n" }
            try csv.write(toFile: directory + "/meta.csv", atomically: true, encoding: .utf8)
        })
    }
}

