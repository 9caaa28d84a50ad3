import Foundation
import Testing
import TestSupport
import Training

/// The same command with MLRSNET_THREADS=1 and =2, and twice with 2, gives bit-identical logs and checkpoints;
/// another seed gives a different run. For training, meta-training and a transfer run with the shipped artifact.
@Suite(.serialized) struct DeterminismTests {
    func check(_ name: String, steps: Int, files: [String] = [], _ command: (String, Int) -> [String]) throws {
        guard CLI.require() != nil else { return }
        var dirs: [String] = []
        defer { for d in dirs { try? FileManager.default.removeItem(atPath: d) } }
        func run(threads: Int, seed: Int, tag: String) throws -> String {
            let d = try scratch("\(name)-\(tag)")
            dirs.append(d)
            try CLI.run(command(d, seed), environment: ["MLRSNET_THREADS": "\(threads)"], logDirectory: d, tag: tag)
            return d
        }
        let one = try run(threads: 1, seed: 3, tag: "t1")
        let two = try run(threads: 2, seed: 3, tag: "t2")
        let again = try run(threads: 2, seed: 3, tag: "t2again")
        let other = try run(threads: 1, seed: 4, tag: "seed4")
        try expectSameRun(one, two, steps: steps, files: files)
        try expectSameRun(one, again, steps: steps, files: files)
        #expect(csvRows(one + "/steps.csv") != csvRows(other + "/steps.csv"), "another seed gave the same run")
        #expect(try checkpointBits(one + "/checkpoint.safetensors") != checkpointBits(other + "/checkpoint.safetensors"))
    }

    @Test func training() throws {
        try check("train", steps: 2 * SmallRuns.stepsPerEpoch) { SmallRuns.train(out: $0, epochs: 2, seed: $1) }
    }

    @Test func metaTraining() throws {
        try check("meta", steps: 2 * SmallRuns.stepsPerEpoch, files: ["meta.csv", "mlrsnet.safetensors"]) {
            SmallRuns.metaTrain(out: $0, epochs: 2, seed: $1)
        }
    }

    /// Transfer: the shipped CIFAR-10 meta-learner drives a Fashion-MNIST run (`train --schedule mlrsnet`).
    @Test func transfer() throws {
        try check("transfer", steps: 2 * SmallRuns.stepsPerEpoch) { out, seed in
            ["train"] + SmallRuns.data() + ["--epochs", "2", "--schedule", "mlrsnet", "--scheduler",
                                             "Sources/LearnedSchedule/Pretrained/cifar10-resnet20-cpu.safetensors",
                                             "--seed", "\(seed)", "--out", out]
        }
    }
}
