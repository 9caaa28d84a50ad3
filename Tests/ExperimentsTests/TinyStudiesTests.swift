import Experiments
import Foundation
import Tensor
import Testing
import TestSupport
import Training

/// Every study of the catalog at `tiny` scale, end to end (training, artifacts, transfer, flatness, report).
/// Groups on CIFAR-10 and PTB need ../shared/data and are skipped with a message when it is absent.
@Suite("Tiny studies", .serialized)
struct TinyStudiesTests {
    static let cache = DataCache()

    /// A CIFAR-10 binary release of random images: 15 training images per class (5 batch files), 10 test.
    static func fakeCIFAR(_ dir: String, seed: UInt64) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var rng = RandomGenerator(seed: seed)
        func file(_ name: String, perClass: Int) throws {
            var bytes: [UInt8] = []
            for i in 0..<(perClass * 10) {
                bytes.append(UInt8(i % 10))
                for _ in 0..<3072 { bytes.append(UInt8(truncatingIfNeeded: rng.next())) }
            }
            try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name))
        }
        for k in 1...5 { try file("data_batch_\(k).bin", perClass: 3) }
        try file("test_batch.bin", perClass: 10)
    }

    @Test("every study runs at tiny scale and writes its report", arguments: StudyCatalog.names)
    func tiny(_ name: String) throws {
        var inputs = StudyInputs()
        if name == "robustness" {
            let root = try TestData.temporaryDirectory("corruptions")
            try Self.fakeCIFAR(root + "/clean", seed: 1)
            try Self.fakeCIFAR(root + "/corrupted/gaussian_noise/severity-\(StudyInputs.defaultSeverity)/cifar-10-batches-bin", seed: 2)
            inputs = StudyInputs(corruptions: root + "/corrupted", cleanCIFAR10: root + "/clean")
        }
        let study = try StudyCatalog.study(name, scale: .tiny, inputs: inputs).resolvingPaths(relativeTo: TestData.repositoryRoot)
        let out = try TestData.temporaryDirectory("tiny-\(name)")
        let runner = StudyRunner(study: study, outputDirectory: out, cache: Self.cache)
        let start = Date()
        let results = try runner.run()
        for p in runner.problems {
            print("tiny \(name): skipped \(p.cell): \(p.message)")
            #expect(TestData.sharedData == nil, "only missing ../shared data may skip a group: \(p.message)")
        }
        let ran = study.groups.filter { g in !runner.problems.contains { $0.cell == g.name } }
        #expect(results.count == ran.reduce(0) { $0 + $1.methods.count } * study.seeds.count)
        #expect(results.allSatisfy { $0.status == .finished }, "\(results.filter { $0.status != .finished }.map { "\($0.group)/\($0.method): \($0.message ?? "")" })")
        var report = StudyReport(study: study, results: results, outputDirectory: out, command: "test")
        report.problems = runner.problems
        try report.write()
        let md = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        for g in ran { #expect(md.contains("(`\(g.name)`)")) }
        if study.flatness != nil {
            #expect(md.contains("## Flatness"))
            #expect(FileManager.default.fileExists(atPath: out + "/flatness.svg"))
            #expect(md.contains("**Ours:** flattest (smallest mean rise of the training loss at α = ±1): "))
        }
        if name == "cost" { #expect(md.contains("ms/step = ") && md.contains("× sgdm-multistep")) }
        print("tiny \(name): \(results.count) cells in \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
    }
}
