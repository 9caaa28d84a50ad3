import ArgumentParser
import Foundation
import Schedules
import Training

/// `mlrsnet train`: one training run with a hand-designed schedule, with logs, checkpoints and resume.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model with a hand-designed learning-rate schedule.",
        discussion: """
        Writes steps.csv/.jsonl (every step's LR and loss), epochs.csv/.jsonl (train/validation/test metrics, wall \
        time) and checkpoint.safetensors (every epoch and on Ctrl-C) to --out; --resume continues a run from there \
        bit-identically.
        Example: mlrsnet train --dataset fashion-mnist --model smallcnn --optimizer sgdm --lr 0.1 \
        --schedule multistep --milestones 5,8 --epochs 10 --out runs/fmnist
        """)

    // Data
    @Option(help: "Data set.") var dataset: DatasetChoice = .fashionMNIST
    @Option(help: "Data directory or archive (default: the embedded Fashion-MNIST sample for fashion-mnist, ../shared/data/... for others).")
    var data: String?
    @Option(help: "Use K random training images per class (reduced-scale runs).") var trainPerClass: Int?
    @Option(help: "Use the first K test images per class.") var testPerClass: Int?
    @Option(help: "Hold out N training images per class as a validation set (disjoint from training; 0 = none).")
    var validationPerClass = 0
    @Flag(inversion: .prefixedNo, help: "Random crop (padding 4) and, for CIFAR, horizontal flip.") var augment = false
    @Flag(inversion: .prefixedNo, help: "Per-channel normalisation.") var normalize = true

    // Model
    @Option(help: "smallcnn, resnet20 (any 6n+2), resnet18, wrn-DEPTH-WIDTH, or lstm (with --dataset ptb).")
    var model = "smallcnn"
    @Option(help: "LSTM hidden = embedding size.") var hidden = 200
    @Option(help: "LSTM layers.") var layers = 2
    @Option(help: "LSTM dropout.") var dropout: Float = 0
    @Flag(inversion: .prefixedNo, help: "Tie the LSTM decoder to the embedding.") var tied = false
    @Option(help: "BPTT window (language models).") var bptt = 35

    // Optimisation
    @Option(help: "Optimiser.") var optimizer: OptimizerChoice = .sgdm
    @Option(help: "Initial learning rate.") var lr: Double = 0.1
    @Option(help: "Momentum (sgdm, nesterov).") var momentum: Float = 0.9
    @Option(help: "Adam β1 (the paper uses 0 for text).") var beta1: Float = 0.9
    @Option(help: "Weight decay.") var weightDecay: Float = 5e-4
    @Option(help: "Clip the global gradient norm (off when absent).") var clip: Float?
    @Option(help: "Schedule.") var schedule: ScheduleChoice = .fixed
    @Option(help: "Decay factor (exp: per epoch; multistep: at each milestone; plateau: factor).") var gamma: Double?
    @Option(help: "Milestone epochs for multistep, e.g. 100,150 (default: ½ and ¾ of the epochs).") var milestones: String?
    @Option(help: "SGDR first period (epochs).") var t0: Int = 10
    @Option(help: "SGDR period multiplier.") var tMult: Int = 2
    @Option(help: "Plateau patience (epochs).") var patience: Int = 0
    @Option(help: "Minimum LR (cosine, sgdr, plateau).") var minLR: Double = 0

    // Run
    @Option(help: "Epochs.") var epochs = 10
    @Option(help: "Mini-batch size.") var batchSize = 128
    @Option(help: "Seed for initialisation, shuffling, augmentation and dropout.") var seed: UInt64 = 0
    @Option(help: "Output directory for logs and checkpoints.") var out: String?
    @Flag(help: "Continue the run in --out from its checkpoint.") var resume = false
    @Option(help: "Progress display.") var progress: ProgressChoice = .auto

    var resolvedDataPath: String {
        if let data { return data }
        switch dataset {
        case .fashionMNIST:
            return FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist") ? "/usr/share/datasets/fashion-mnist" : "Data/fashion-mnist-sample"
        case .mnist: return "/usr/share/datasets/mnist"
        case .cifar10: return "../shared/data/cifar-10/cifar-10-jpeg75-binary.tar.gz"
        case .cifar100: return "cifar-100-binary"
        case .ptb: return "../shared/data/ptb"
        }
    }

    var scheduleConfig: ScheduleConfig {
        switch schedule {
        case .fixed: return ScheduleConfig(kind: "fixed", parameters: ["lr": .number(lr)])
        case .exp: return ScheduleConfig(kind: "exponential", parameters: ["initial": .number(lr), "gamma": .number(gamma ?? 0.95)])
        case .multistep:
            let ms = milestones.map { $0.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) } }
                ?? [Double(epochs / 2), Double(epochs * 3 / 4)]
            return ScheduleConfig(kind: "multistep", parameters: ["initial": .number(lr), "milestones": .numbers(ms), "gamma": .number(gamma ?? 0.1)])
        case .cosine: return ScheduleConfig(kind: "cosine", parameters: ["initial": .number(lr), "length": .number(Double(epochs)), "minimum": .number(minLR)])
        case .sgdr: return ScheduleConfig(kind: "sgdr", parameters: ["initial": .number(lr), "t0": .number(Double(t0)), "tMult": .number(Double(tMult)), "minimum": .number(minLR)])
        case .plateau: return ScheduleConfig(kind: "plateau", parameters: ["initial": .number(lr), "factor": .number(gamma ?? 0.25), "patience": .number(Double(patience)), "minimum": .number(minLR)])
        }
    }

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1 (got \(epochs))") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1 (got \(batchSize))") }
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be a positive number (got \(lr))") }
        guard weightDecay >= 0 else { throw ValidationError("--weight-decay must be ≥ 0 (got \(weightDecay))") }
        guard (0..<1).contains(momentum) else { throw ValidationError("--momentum must be in [0, 1) (got \(momentum))") }
        guard (0..<1).contains(beta1) else { throw ValidationError("--beta1 must be in [0, 1) (got \(beta1))") }
        if let clip, !(clip > 0) { throw ValidationError("--clip must be positive (got \(clip))") }
        if let k = trainPerClass, k < 1 { throw ValidationError("--train-per-class must be at least 1 (got \(k))") }
        if let k = testPerClass, k < 1 { throw ValidationError("--test-per-class must be at least 1 (got \(k))") }
        guard validationPerClass >= 0 else { throw ValidationError("--validation-per-class must be ≥ 0 (got \(validationPerClass))") }
        guard bptt >= 1, hidden >= 1, layers >= 1 else { throw ValidationError("--bptt, --hidden and --layers must be at least 1") }
        guard (0..<1).contains(dropout) else { throw ValidationError("--dropout must be in [0, 1) (got \(dropout))") }
        do { _ = try ModelSpec(parsing: model) } catch { throw ValidationError("--model: \(error)") }
        if schedule == .plateau && validationPerClass == 0 && dataset != .ptb {
            throw ValidationError("--schedule plateau watches the validation loss: add --validation-per-class N")
        }
        if let milestones, milestones.split(separator: ",").contains(where: { Double($0.trimmingCharacters(in: .whitespaces)) == nil }) {
            throw ValidationError("--milestones must be comma-separated epoch numbers, e.g. 100,150 (got \(milestones))")
        }
        do { _ = try scheduleConfig.makeSchedule() } catch { throw ValidationError("--schedule: \(error)") }
        if resume && out == nil { throw ValidationError("--resume needs --out (the run directory to continue)") }
        if tied && dataset == .ptb && model != "lstm" { throw ValidationError("--tied applies to --model lstm") }
    }

    func run() throws {
        Interruption.install()
        let setup: RunSetup
        do { setup = try RunSetup.build(self) } catch { throw CleanExit.message("error: \(error)") }
        for line in setup.summary { say(line) }
        let options = TrainerOptions(epochs: epochs, clipNorm: clip, outputDirectory: out, progress: progress.mode,
                                     itemsPerStep: setup.itemsPerStep,
                                     runDescription: ["command": CommandLine.arguments.joined(separator: " ")])
        let trainer = try Trainer(task: setup.task, optimizer: setup.optimizer, schedule: setup.schedule, options: options)
        if resume, let p = trainer.checkpointPath {
            if FileManager.default.fileExists(atPath: p) || FileManager.default.fileExists(atPath: p + ".prev") {
                try trainer.resume(from: p)
            } else {
                say("no checkpoint in \(out!) yet: starting from the beginning")
            }
        }
        do {
            try trainer.run()
        } catch let e as TrainingError {
            FileHandle.standardError.write(Data("\(e)\n".utf8))
            throw ExitCode(e.isInterruption ? 130 : 1)
        }
        printSummary(trainer.history)
    }

    func printSummary(_ history: [EpochRecord]) {
        let text = dataset == .ptb
        say(text ? "epoch  train loss  val ppl   test ppl   LR        seconds" : "epoch  train loss  val acc   test acc   LR        seconds")
        for r in history {
            func m(_ e: EvaluationMetrics?) -> String {
                guard let e else { return "    -    " }
                return text ? String(format: "%9.2f", e.perplexity) : String(format: "%8.2f%%", 100 * (e.accuracy ?? 0))
            }
            say(String(format: "%5d  %10.4f  %@  %@  %-8.4g  %7.1f", r.epoch + 1, r.trainLoss, m(r.validation), m(r.test), r.learningRate, r.seconds))
        }
    }
}

extension ProgressChoice {
    var mode: ProgressReporter.Mode { ProgressReporter.Mode(rawValue: rawValue) ?? .auto }
}

extension TrainingError {
    var isInterruption: Bool { if case .interrupted = self { return true } else { return false } }
}
