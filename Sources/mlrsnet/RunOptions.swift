import ArgumentParser
import Foundation
import Experiments
import Training

/// Options shared by `train` and `meta-train`: data, model, base optimiser and the run itself.
struct RunOptions: ParsableArguments {
    // Data
    @Option(help: "Data set.") var dataset: DatasetChoice = .fashionMNIST
    @Option(help: "Data directory or archive (default for fashion-mnist: /usr/share/datasets/fashion-mnist when installed, else the embedded sample Data/fashion-mnist-sample; cifar10 and ptb: ../shared/data/...).")
    var data: String?
    @Option(help: "Use K random training images per class (reduced-scale runs).") var trainPerClass: Int?
    @Option(help: "Use the first K test images per class.") var testPerClass: Int?
    @Option(help: "Hold out N training images per class as a validation set (disjoint from training; 0 = none).")
    var validationPerClass = 0
    @Option(help: "Use only the first N tokens of the PTB training text (reduced-scale runs).") var trainTokens: Int?
    @Option(help: "Use only the first N tokens of the PTB validation and test texts (reduced-scale runs).") var evalTokens: Int?
    @Flag(inversion: .prefixedNo, help: "Random crop (padding 4) and, for CIFAR, horizontal flip.") var augment = false
    @Flag(inversion: .prefixedNo, help: "Per-channel normalisation.") var normalize = true

    // Model
    @Option(help: "smallcnn, resnet20 (any 6n+2), resnet18, wrn-DEPTH-WIDTH, mobilenetv2, shufflenetv2[-WIDTH], densenet-DEPTH-GROWTH, or lstm (with --dataset ptb).")
    var model = "smallcnn"
    @Option(help: "LSTM hidden = embedding size.") var hidden = 200
    @Option(help: "LSTM layers.") var layers = 2
    @Option(help: "LSTM dropout.") var dropout: Float = 0
    @Flag(inversion: .prefixedNo, help: "Tie the LSTM decoder to the embedding.") var tied = false
    @Option(help: "BPTT window (language models).") var bptt = 35

    // Optimisation
    @Option(help: "Optimiser.") var optimizer: OptimizerChoice = .sgdm
    @Option(help: "Momentum (sgdm, nesterov).") var momentum: Float = 0.9
    @Option(help: "Adam β1 (the paper uses 0 for text).") var beta1: Float = 0.9
    @Option(help: "Weight decay.") var weightDecay: Float = 5e-4
    @Option(help: "Clip the global gradient norm (off when absent).") var clip: Float?

    // Run
    @Option(help: "Epochs.") var epochs = 10
    @Option(help: "Mini-batch size.") var batchSize = 128
    @Option(help: "Seed for initialisation, shuffling, augmentation and dropout.") var seed: UInt64 = 0
    @Option(help: "Output directory for logs and checkpoints.") var out: String?
    @Flag(help: "Continue the run in --out from its checkpoint.") var resume = false
    @Option(help: "Progress display.") var progress: ProgressChoice = .auto
    @OptionGroup(title: "Reliability") var reliability: ReliabilityOptions

    /// --data, or the library's default location for the data set.
    var resolvedDataPath: String { data ?? RunSpec.defaultDataPath(DatasetKind(rawValue: dataset.rawValue)!) }

    func validate() throws {
        // The run's own checks live in the library (`RunSpec.validate`); its messages name spec fields, shown here as options.
        if let n = evalTokens, n < 20 { throw ValidationError("--eval-tokens must be at least 20 (got \(n))") }
        do { try runSpec.validate() } catch let e as ExperimentError { throw ValidationError(Self.optionWording(e.description)) }
        if resume && out == nil { throw ValidationError("--resume needs --out (the run directory to continue)") }
        if tied && dataset == .ptb && model != "lstm" { throw ValidationError("--tied applies to --model lstm") }
    }
}

extension RunOptions {
    /// "trainPerClass must be …" → "--train-per-class must be …": a spec field at the start of a message, as its option.
    static func optionWording(_ message: String) -> String {
        let head = message.prefix { $0.isLetter }
        guard let first = head.first, first.isLowercase else { return message }
        var option = head == "evaluationTokens" ? "eval-tokens" : ""
        if option.isEmpty { for c in head { option += c.isUppercase ? "-" + c.lowercased() : String(c) } }
        return "--" + option + message.dropFirst(head.count)
    }
}
