import ArgumentParser
import Foundation
import LearnedSchedule
import MetaLearning
import Schedules
import Training

enum ArchitectureChoice: String, ExpressibleByArgument, CaseIterable {
    case referenceMetaTest = "reference-meta-test", referenceMetaTrain = "reference-meta-train", paper, mlp
    var architecture: MLRSNetArchitecture {
        switch self {
        case .referenceMetaTest: return .referenceMetaTest
        case .referenceMetaTrain: return .referenceMetaTrain
        case .paper: return .paper
        case .mlp: return .mlp
        }
    }
}

/// `mlrsnet meta-train`: train a model while meta-learning its LR schedule (MLR-SNet, Algorithm 1), then save
/// the meta-learner as a safetensors artifact for plug-and-play transfer (`train --schedule mlrsnet`).
struct MetaTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meta-train",
        abstract: "Meta-train an MLR-SNet learning-rate schedule while training a model (the paper's Algorithm 1).",
        discussion: """
        Writes the artifact (--artifact, default OUT/mlrsnet.safetensors; also OUT/mlrsnet-epochK.safetensors after \
        every epoch), steps.csv with every step's learned LR, meta.csv with every meta-update, and the usual logs \
        and checkpoints (--resume works). A validation set disjoint from training guides the meta-learner \
        (--validation-per-class; PTB uses its validation text).
        Example: mlrsnet meta-train --dataset fashion-mnist --model smallcnn --optimizer sgdm --epochs 3 \
        --validation-per-class 100 --out runs/meta-fmnist
        """)

    @OptionGroup var options: RunOptions

    @Option(help: "Meta-learner form.") var metaArchitecture: ArchitectureChoice = .referenceMetaTest
    @Option(help: "Meta-learner hidden size (paper 40, reference 50).") var metaHidden = 40
    @Option(help: "γ, the LR scale: a number (paper: 1 images, 40 text), or 'reference' for the reference code's rule from the first loss.")
    var metaGamma: String?
    @Option(help: """
        Initialise the output bias so the first LR is this; 0 = PyTorch's default init (first LR ≈ 0.46·γ, which kills a         BatchNorm-free CNN with momentum 0.9). Default: 0.1 for images, PyTorch's init for text (≈ 18 with γ = 40).
        """)
    var firstLR: Double?
    @Option(help: "Meta-optimiser (Adam) learning rate.") var metaLR: Double = 1e-3
    @Option(help: "Meta-optimiser L2 weight decay.") var metaWeightDecay: Double = 1e-4
    @Option(help: "Meta-update every N steps (default: twice per epoch for images, every 100 batches for text).")
    var metaInterval: Int?
    @Option(help: "Bounds on the learned LR, 'min,max'.") var lrBounds: String?
    @Option(help: "Seed of the meta-learner's initialisation.") var metaSeed: UInt64 = 1
    @Option(help: "Where to write the artifact (default OUT/mlrsnet.safetensors).") var artifact: String?

    var isText: Bool { options.dataset == .ptb }

    func validate() throws {
        guard metaHidden >= 2 else { throw ValidationError("--meta-hidden must be at least 2 (got \(metaHidden))") }
        if let g = metaGamma, g != "reference", !(Double(g).map { $0 > 0 && $0.isFinite } ?? false) {
            throw ValidationError("--meta-gamma must be a positive number or 'reference' (got \(g))")
        }
        if let f = firstLR, !(f >= 0) { throw ValidationError("--first-lr must be ≥ 0 (got \(f))") }
        guard metaLR > 0, metaWeightDecay >= 0 else { throw ValidationError("--meta-lr must be positive and --meta-weight-decay ≥ 0") }
        if let n = metaInterval, n < 1 { throw ValidationError("--meta-interval must be at least 1 (got \(n))") }
        if !isText && options.validationPerClass == 0 {
            throw ValidationError("meta-training needs a validation set disjoint from training: add --validation-per-class N (paper: 100 for CIFAR)")
        }
        if artifact == nil && options.out == nil { throw ValidationError("give --out DIR or --artifact FILE for the meta-learned schedule") }
        _ = try parseBounds(lrBounds)
    }

    func run() throws {
        Interruption.install()
        let setup: RunSetup
        do { setup = try RunSetup.build(options) } catch { throw CLIError("\(error)") }
        for line in setup.summary { say(line) }
        guard let task = setup.task as? any MetaValidationSource, task.validationBatchCount > 0 else {
            throw CLIError("this task has no validation data for the meta-update")
        }
        let vocabulary = (setup.task as? LanguageModelTask)?.languageModel.vocabularySize
        let gammaPolicy: GammaPolicy
        switch metaGamma {
        case "reference": gammaPolicy = isText ? .referencePerplexity(vocabularySize: vocabulary!) : .reference(classes: classCount(setup))
        case let g?: gammaPolicy = .fixed(Double(g)!)
        case nil: gammaPolicy = isText ? .paperText : .paperImages
        }
        let normalisation: InputNormalisation = isText ? .perLogVocabulary(vocabulary!) : .raw
        let config = try MLRSNetConfiguration(architecture: metaArchitecture.architecture, hiddenSize: metaHidden)
        // The first loss fixes γ (reference rule) and, with --first-lr, the output bias.
        let firstLoss = setup.task.firstBatchLoss()
        let gamma = gammaPolicy.gamma(initialLoss: Double(firstLoss))
        let first = firstLR ?? (isText ? 0 : 0.1)
        if first >= gamma { throw CLIError("--first-lr \(first) must be below γ = \(gamma)") }
        let bias: OutputBiasInit = first > 0
            ? .firstLearningRate(first, gamma: gamma, firstInput: normalisation.apply(firstLoss)) : .pytorchDefault
        let cell = try MLRSNetCell(configuration: config, seed: metaSeed, outputBias: bias)
        let schedule = try LearnedLRSchedule(cell: cell, gamma: gammaPolicy, inputNormalisation: normalisation,
                                             bounds: try parseBounds(lrBounds), initialLoss: firstLoss)
        let interval = metaInterval ?? (isText ? 100 : max(1, setup.task.batchesPerEpoch / 2))
        let updater = MLRSNetMetaUpdate(schedule: schedule, task: task, metaInterval: interval,
                                        metaOptimizer: MetaAdam(lr: metaLR, weightDecay: metaWeightDecay))
        say("meta-learner: \(config.summary), \(gammaPolicy.summary(value: gamma)), input \(normalisation.summary), meta-update every \(interval) steps, Adam lr \(metaLR) L2 \(metaWeightDecay)")
        let artifactPath = artifact ?? options.out! + "/mlrsnet.safetensors"
        let taskName = "\(options.dataset.rawValue) \(options.model), \(options.optimizer.rawValue), \(options.epochs) epochs, batch \(options.batchSize)"
        func save(_ path: String, steps: Int) throws {
            try MLRSNetArtifact(cell: updater.cell, gammaPolicy: gammaPolicy, gammaValue: gamma, inputNormalisation: normalisation,
                                task: taskName, steps: steps, seed: options.seed).write(to: path)
        }
        if let out = options.out {
            let perEpoch = setup.task.batchesPerEpoch
            updater.onEpochEnd = { epoch, _ in try save(out + "/mlrsnet-epoch\(epoch + 1).safetensors", steps: (epoch + 1) * perEpoch) }
        }
        let trainer = try options.execute(setup: setup, updater: updater, extraDescription: ["meta": "mlrsnet"])
        try save(artifactPath, steps: trainer.globalStep)
        if let out = options.out {
            var csv = "step,alpha,validation_loss,s\n"
            for r in updater.metaLog { csv += "\(r.step),\(r.alpha),\(r.validationLoss),\(r.s)\n" }
            try csv.write(toFile: out + "/meta.csv", atomically: true, encoding: .utf8)
        }
        say("meta-updates: \(updater.metaUpdates) (skipped: \(updater.skippedMetaUpdates)); artifact written to \(artifactPath)")
    }

    func classCount(_ setup: RunSetup) -> Int {
        (setup.task as? ImageClassificationTask)?.train.classCount ?? 10
    }

}
