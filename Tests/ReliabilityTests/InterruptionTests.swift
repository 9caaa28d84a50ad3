import Foundation
import Tensor
import Testing
import TestSupport
import Training

/// Small runs on the embedded Fashion-MNIST sample: 60 training images (8 per class less 2 held out for
/// validation) in batches of 8 = 8 steps per epoch.
enum SmallRuns {
    static var sample: String { TestData.demoFashionMNIST }
    static func data(_ extra: [String] = []) -> [String] {
        ["--dataset", "fashion-mnist", "--data", sample, "--train-per-class", "8", "--validation-per-class", "2",
         "--test-per-class", "3", "--batch-size", "8", "--progress", "none"] + extra
    }
    static let stepsPerEpoch = 8
    /// `train`: SmallCNN, SGD momentum, cosine schedule, augmentation (random crops depend on position).
    static func train(out: String, epochs: Int = 4, seed: Int = 3, extra: [String] = []) -> [String] {
        ["train"] + data() + ["--epochs", "\(epochs)", "--lr", "0.05", "--schedule", "cosine", "--augment", "--seed", "\(seed)",
                              "--out", out] + extra
    }
    /// `meta-train`: MLR-SNet meta-update every 2 steps.
    static func metaTrain(out: String, epochs: Int = 3, seed: Int = 3, extra: [String] = []) -> [String] {
        ["meta-train"] + data() + ["--epochs", "\(epochs)", "--meta-interval", "2", "--seed", "\(seed)", "--out", out] + extra
    }
}

/// Compares two run directories: step and epoch logs (but wall-clock seconds), and every tensor of the final
/// checkpoint, bit for bit; plus the named extra files byte for byte.
func expectSameRun(_ a: String, _ b: String, steps: Int, files: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws {
    let sa = csvRows(a + "/steps.csv"), sb = csvRows(b + "/steps.csv")
    #expect(sa.count == steps + 1, "reference has \(sa.count - 1) step rows, expected \(steps)", sourceLocation: sourceLocation)
    #expect(sa == sb, "steps.csv differs (first difference at row \(zip(sa, sb).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(sa.count, sb.count)))", sourceLocation: sourceLocation)
    #expect(csvColumn(b + "/steps.csv", "step") == (0..<steps).map(String.init), "step column has gaps or duplicates", sourceLocation: sourceLocation)
    #expect(csvColumn(a + "/steps.csv", "lr") == csvColumn(b + "/steps.csv", "lr"), "LR sequences differ", sourceLocation: sourceLocation)
    #expect(csvRows(a + "/epochs.csv") == csvRows(b + "/epochs.csv"), "epochs.csv differs", sourceLocation: sourceLocation)
    let jsonA = try String(contentsOfFile: a + "/steps.jsonl", encoding: .utf8)
    #expect(jsonA == (try String(contentsOfFile: b + "/steps.jsonl", encoding: .utf8)), "steps.jsonl differs", sourceLocation: sourceLocation)
    let ca = try checkpointBits(a + "/checkpoint.safetensors"), cb = try checkpointBits(b + "/checkpoint.safetensors")
    #expect(!ca.isEmpty && ca.keys.contains { $0.hasPrefix("model/") }, sourceLocation: sourceLocation)
    #expect(ca == cb, "final checkpoints differ in \(ca.keys.filter { ca[$0] != cb[$0] }.sorted().prefix(5))", sourceLocation: sourceLocation)
    for f in files {
        let da = FileManager.default.contents(atPath: a + "/" + f), db = FileManager.default.contents(atPath: b + "/" + f)
        #expect(da != nil && da == db, "\(f) differs or is missing", sourceLocation: sourceLocation)
    }
}

@Suite(.serialized) struct InterruptionTests {
    /// SIGKILL at seeded random step counts (several times), resuming each time; then SIGINT (clean checkpoint,
    /// exit 130) and resume; the finished run equals an uninterrupted one bit for bit.
    @Test func trainSurvivesKillsAndCtrlC() throws {
        guard CLI.require() != nil else { return }
        let ref = try scratch("train-ref"), cut = try scratch("train-cut")
        defer { try? FileManager.default.removeItem(atPath: ref); try? FileManager.default.removeItem(atPath: cut) }
        let total = 4 * SmallRuns.stepsPerEpoch
        try CLI.run(SmallRuns.train(out: ref), logDirectory: ref, tag: "ref")

        var rng = RandomGenerator(seed: 2026)
        // Three SIGKILLs at increasing random step counts; mid-epoch checkpoints every 3 steps in these runs.
        var targets = (0..<3).map { _ in 1 + rng.nextInt(below: total - 6) }.sorted()
        targets = targets.enumerated().map { $1 + $0 }   // strictly increasing
        var kills = 0, killedAt: [Int] = []
        for (k, target) in targets.enumerated() {
            let run = try CLI.Run(SmallRuns.train(out: cut, extra: ["--resume", "--checkpoint-every", "3"]), logDirectory: cut, tag: "kill\(k)", watch: [cut + "/steps.csv"])
            run.waitForRows(cut + "/steps.csv", atLeast: target)
            run.signal(SIGKILL)
            let (status, signalled) = run.wait()
            if signalled { #expect(status == SIGKILL); kills += 1 }
            killedAt.append(CLI.dataRows(cut + "/steps.csv"))
        }
        #expect(kills >= 2, "only \(kills) of 3 runs were still running when killed")
        // Ctrl-C: a clean checkpoint and exit status 130.
        let sigint = try CLI.Run(SmallRuns.train(out: cut, extra: ["--resume"]), logDirectory: cut, tag: "sigint", watch: [cut + "/steps.csv"])
        sigint.waitForRows(cut + "/steps.csv", atLeast: total - 7)
        sigint.signal(SIGINT)
        let (status, signalled) = sigint.wait()
        print("interruption (train): SIGKILL targets \(targets), rows logged at the kills \(killedAt), \(kills) killed while running; SIGINT → exit \(status)")
        #expect(!signalled && status == 130, "Ctrl-C: exit \(status) (signalled: \(signalled)), expected 130: \(sigint.stderr)")
        #expect(sigint.stderr.contains("interrupted at step"), "\(sigint.stderr)")
        let atCtrlC = try Checkpoint.read(cut + "/checkpoint.safetensors")
        #expect(atCtrlC.globalStep == CLI.dataRows(cut + "/steps.csv"), "the Ctrl-C checkpoint is not at the last logged step")
        try CLI.run(SmallRuns.train(out: cut, extra: ["--resume"]), logDirectory: cut, tag: "final")
        try expectSameRun(ref, cut, steps: total)
    }

    /// A corrupt (bit-flipped) and then a truncated checkpoint are detected by checksum on resume, reported, moved
    /// aside, and the previous good checkpoint is used; the finished run still equals the uninterrupted one.
    @Test func corruptCheckpointFallsBackToThePreviousOne() throws {
        guard CLI.require() != nil else { return }
        let ref = try scratch("corrupt-ref")
        defer { try? FileManager.default.removeItem(atPath: ref) }
        let total = 3 * SmallRuns.stepsPerEpoch
        try CLI.run(SmallRuns.train(out: ref, epochs: 3), logDirectory: ref, tag: "ref")
        for damage in ["flip", "truncate"] {
            let cut = try scratch("corrupt-\(damage)")
            defer { try? FileManager.default.removeItem(atPath: cut) }
            // Killed after step 13: checkpoints at steps 5, 8 (epoch end), 10 exist as checkpoint + .prev.
            let run = try CLI.Run(SmallRuns.train(out: cut, epochs: 3, extra: ["--checkpoint-every", "5"]), logDirectory: cut, tag: "kill", watch: [cut + "/steps.csv"])
            run.waitForRows(cut + "/steps.csv", atLeast: 13)
            run.signal(SIGKILL)
            run.wait()
            let path = cut + "/checkpoint.safetensors"
            #expect(FileManager.default.fileExists(atPath: path + ".prev"))
            var bytes = [UInt8](FileManager.default.contents(atPath: path)!)
            if damage == "flip" { bytes[bytes.count - 37] ^= 0x10 } else { bytes.removeLast(bytes.count / 3) }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            #expect(throws: TrainingError.self) { try Checkpoint.read(path) }
            let r = try CLI.run(SmallRuns.train(out: cut, epochs: 3, extra: ["--resume"]), logDirectory: cut, tag: "resume")
            #expect(r.stderr.contains("not a usable checkpoint") && r.stderr.contains("using the previous checkpoint"), "no fallback reported: \(r.stderr)")
            if damage == "flip" { #expect(r.stderr.contains("checksum mismatch"), "\(r.stderr)") }
            #expect(FileManager.default.fileExists(atPath: path + ".corrupt"))
            try expectSameRun(ref, cut, steps: total)
        }
    }

    /// Meta-training (MLR-SNet's θ, state, meta-optimiser and meta-log in the checkpoint) killed twice at random
    /// points and interrupted once, then resumed: logs, meta.csv, the artifact and the checkpoint are identical.
    @Test func metaTrainSurvivesKillsAndCtrlC() throws {
        guard CLI.require() != nil else { return }
        let ref = try scratch("meta-ref"), cut = try scratch("meta-cut")
        defer { try? FileManager.default.removeItem(atPath: ref); try? FileManager.default.removeItem(atPath: cut) }
        let total = 3 * SmallRuns.stepsPerEpoch
        try CLI.run(SmallRuns.metaTrain(out: ref), logDirectory: ref, tag: "ref")
        var rng = RandomGenerator(seed: 7)
        let targets = [1 + rng.nextInt(below: 8), 10 + rng.nextInt(below: 8)]
        var killed = 0, killedAt: [Int] = []
        for (k, target) in targets.enumerated() {
            let run = try CLI.Run(SmallRuns.metaTrain(out: cut, extra: ["--resume", "--checkpoint-every", "3"]), logDirectory: cut, tag: "kill\(k)", watch: [cut + "/steps.csv"])
            run.waitForRows(cut + "/steps.csv", atLeast: target)
            run.signal(SIGKILL)
            if run.wait().signalled { killed += 1 }
            killedAt.append(CLI.dataRows(cut + "/steps.csv"))
        }
        #expect(killed >= 1, "no meta-training run was still running when killed")
        let sigint = try CLI.Run(SmallRuns.metaTrain(out: cut, extra: ["--resume"]), logDirectory: cut, tag: "sigint", watch: [cut + "/steps.csv"])
        sigint.waitForRows(cut + "/steps.csv", atLeast: total - 6)
        sigint.signal(SIGINT)
        let (status, signalled) = sigint.wait()
        #expect(!signalled && status == 130, "Ctrl-C: exit \(status), expected 130: \(sigint.stderr)")
        print("interruption (meta-train): SIGKILL targets \(targets), rows at the kills \(killedAt), \(killed) killed while running; SIGINT → exit \(status)")
        try CLI.run(SmallRuns.metaTrain(out: cut, extra: ["--resume"]), logDirectory: cut, tag: "final")
        try expectSameRun(ref, cut, steps: total, files: ["meta.csv", "mlrsnet.safetensors", "mlrsnet-epoch1.safetensors", "mlrsnet-epoch3.safetensors"])
        #expect(csvRows(ref + "/meta.csv").count == total / 2 + 1)
    }
}
