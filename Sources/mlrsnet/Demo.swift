import ArgumentParser
import Foundation
import MLRSNetDemo

/// `mlrsnet demo`: the README's first command — MLR-SNet against hand-designed schedules on the embedded data,
/// with a result table, plots and a report (the logic lives in the `MLRSNetDemo` library).
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Meta-train MLR-SNet on the embedded Fashion-MNIST sample and compare it with hand-designed schedules (about 3 minutes).",
        discussion: """
        Trains the same SmallCNN (same initial weights and batch order, SGD with momentum) five times: with an MLR-SNet \
        meta-trained during the run (Algorithm 1), with the shipped CIFAR-10 MLR-SNet transferred plug-and-play, and with \
        Fixed, MultiStep and Cosine schedules. Prints a result table and writes report.md, lr.svg, test-accuracy.svg, \
        train-loss.svg, results.csv, epochs.csv, steps.csv and the meta-trained mlrsnet.safetensors to --out.
        """)

    @Option(help: "Epochs per method (default 15; --quick: 2).") var epochs: Int?
    @Option(help: "Output directory for the report, plots and curves.") var out = "demo-output"
    @Flag(help: "A ~20-second version on 1,000 training and 300 test images (what CI runs).") var quick = false
    @Option(help: "Directory holding the Fashion-MNIST IDX files (the embedded sample by default).") var data = "Data/fashion-mnist-sample"
    @Option(help: "Seed for the initial weights, batch order and the meta-learner.") var seed: UInt64 = 1
    @Option(help: "Progress display.") var progress: ProgressChoice = .auto

    func validate() throws {
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1 (got \(epochs))") }
    }

    func run() throws {
        var config = quick ? DemoConfiguration.quick(dataDirectory: data, outputDirectory: out, progress: progress.mode)
            : DemoConfiguration(dataDirectory: data, outputDirectory: out, progress: progress.mode)
        if let epochs { config.epochs = epochs }
        config.seed = seed
        do {
            try DemoRunner(configuration: config, log: { say($0) }).run()
        } catch let e as DemoError {
            FileHandle.standardError.write(Data("error: \(e)\n".utf8))
            throw ExitCode.failure
        }
    }
}
