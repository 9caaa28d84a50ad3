import ArgumentParser
import Foundation

/// `mlrsnet demo`: the README's first command — a short real training run on the embedded data.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the small CNN on the embedded Fashion-MNIST sample for a few epochs (about a minute).")

    @Option(help: "Epochs.") var epochs = 5
    @Option(help: "Directory holding the embedded sample.") var data = "Data/fashion-mnist-sample"
    @Option(help: "Output directory for logs and checkpoints (none by default).") var out: String?

    func run() throws {
        guard FileManager.default.fileExists(atPath: data) else {
            throw ValidationError("the demo data is not at \(data): run from the repository root, or pass --data")
        }
        say("Training SmallCNN on the embedded Fashion-MNIST sample (5,000 train / 1,000 test images),")
        say("SGD with momentum 0.9, LR 0.05 for \(epochs) epochs, then ×0.1 for the last; batch 64.")
        var args = ["--dataset", "fashion-mnist", "--data", data, "--model", "smallcnn", "--optimizer", "sgdm",
                    "--lr", "0.05", "--schedule", "multistep", "--milestones", String(max(epochs - 1, 1)),
                    "--epochs", String(epochs), "--batch-size", "64", "--seed", "1", "--validation-per-class", "50"]
        if let out { args += ["--out", out] }
        var train = try Train.parse(args)
        try train.validate()
        try train.run()
    }
}
