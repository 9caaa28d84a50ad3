import Corruptions
import Datasets
import Experiments
import Foundation
import Tensor
import Testing
import TestSupport
import Training

/// `mlrsnet corrupt --format cifar-binary` (the Corruptions library through the real executable) writes a small
/// corrupted release; the robustness study at tiny scale finds it by `--corruptions ROOT` and the severity, trains
/// on the corrupted images, validates on clean ones and tests on the clean test set.
@Suite("Robustness end to end", .serialized)
struct RobustnessEndToEndTests {
    /// The `mlrsnet` executable beside the test bundle or in .build/{release,debug} (swift test builds it).
    static let executable: String? = {
        var candidates: [String] = []
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
            for _ in 0..<4 { candidates.append(dir.appendingPathComponent("mlrsnet").path); dir.deleteLastPathComponent() }
        }
        candidates += ["release", "debug"].map { TestData.repositoryRoot + "/.build/\($0)/mlrsnet" }
        return candidates.first { p in
            var d: ObjCBool = false
            return FileManager.default.fileExists(atPath: p, isDirectory: &d) && !d.boolValue && FileManager.default.isExecutableFile(atPath: p)
        }
    }()

    /// Each image of `t` ([N, ...]) as an array of its values.
    static func rows(_ t: Tensor) -> [[Float]] {
        let n = t.shape[0], size = t.scalars.count / max(n, 1), s = t.scalars
        return (0..<n).map { Array(s[($0 * size)..<(($0 + 1) * size)]) }
    }

    @Test("corrupt → robustness study: the layout agrees, training data are the corrupted images, validation and test clean")
    func corruptThenStudy() throws {
        guard let exe = Self.executable else {
            Issue.record("the mlrsnet executable was not found beside the test bundle or in .build/{release,debug}: build it with `swift build`")
            return
        }
        let root = try TestData.temporaryDirectory("robustness-e2e")
        let clean = root + "/clean"
        try TinyStudiesTests.fakeCIFAR(clean, seed: 11)   // 150 training images (labels 0…9 repeating), 100 test
        let process = Process()
        process.executableURL = URL(fileURLWithPath: exe)
        process.arguments = ["corrupt", "--data", clean, "--corruption", "gaussian_noise", "--severity", "2", "--seed", "5",
                             "--limit", "100", "--out", root + "/c"]
        var env = ProcessInfo.processInfo.environment
        env["MLRSNET_THREADS"] = "1"
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)

        // What `mlrsnet corrupt` wrote: the first 100 training images corrupted by the library, the clean test set.
        let release = root + "/c/gaussian_noise/severity-2"
        for f in (1...5).map({ "data_batch_\($0).bin" }) + ["test_batch.bin"] {
            #expect(FileManager.default.fileExists(atPath: release + "/cifar-10-batches-bin/" + f), "\(f)")
        }
        let source = try CIFARBytes.loadCIFAR10(from: clean, split: .train).prefix(100)
        let written = try CIFARBytes.loadCIFAR10(from: release, split: .train)
        #expect(written.labels == source.labels)
        #expect(written.pixels == CorruptionEngine.corrupt(source.pixels, count: 100, height: 32, width: 32, corruption: .gaussianNoise, severity: 2, seed: 5))
        #expect(written.pixels != source.pixels)
        #expect(try CIFARBytes.loadCIFAR10(from: release, split: .test).pixels == CIFARBytes.loadCIFAR10(from: clean, split: .test).pixels)

        // The study finds the release by root + severity.
        let inputs = StudyInputs(corruptions: root + "/c", severity: 2, cleanCIFAR10: clean)
        let study = try StudyCatalog.study("robustness", scale: .tiny, inputs: inputs)
        #expect(study.groups.map(\.run.data) == [release])
        let cache = DataCache()
        let runner = StudyRunner(study: study, outputDirectory: root + "/out", cache: cache)
        let results = try runner.run()
        #expect(runner.problems.isEmpty, "\(runner.problems)")
        #expect(results.count == study.groups[0].methods.count && results.allSatisfy { $0.status == .finished },
                "\(results.map { "\($0.method): \($0.message ?? "")" })")

        // The group's data: training images from the corrupted release, validation from the clean one, clean test.
        var r = study.groups[0].run
        r.trainPerClass = nil; r.testPerClass = nil
        guard let task = try r.build(cache: cache).task as? ImageClassificationTask, let validation = task.validation, let test = task.test else {
            Issue.record("not an image task with validation and test sets"); return
        }
        let corrupted = Set(Self.rows(try cache.images(.cifar10, at: release).train.images))
        let cleanSets = try cache.images(.cifar10, at: clean)
        let cleanTrain = Set(Self.rows(cleanSets.train.images))
        #expect(task.train.count == 90 && validation.count == 10 && test.count == 100)
        #expect(Self.rows(task.train.images).allSatisfy { corrupted.contains($0) && !cleanTrain.contains($0) })
        #expect(Self.rows(validation.images).allSatisfy { cleanTrain.contains($0) && !corrupted.contains($0) })
        #expect(Self.rows(test.images) == Self.rows(cleanSets.test.images))
        #expect(throws: ExperimentError.self) { try StudyCatalog.study("robustness", scale: .tiny, inputs: StudyInputs(severity: 6)) }
    }
}
