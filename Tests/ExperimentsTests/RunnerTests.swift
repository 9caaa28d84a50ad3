import Experiments
import Foundation
import LearnedSchedule
import Schedules
import Testing
import TestSupport
import Training

@Suite("Study runner", .serialized)
struct RunnerTests {
    /// Fashion-MNIST sample, 200 training images, 2 epochs of 4 steps; a schedule, a meta-training and a
    /// transfer of its artifact, two seeds.
    func study() -> Study {
        var r = RunSpec()
        r.data = TestData.demoFashionMNIST; r.trainPerClass = 25; r.testPerClass = 5; r.validationPerClass = 5
        r.epochs = 2; r.batchSize = 50
        return Study(name: "runner", title: "Runner", scale: .tiny, seeds: [0, 1], groups: [
            StudyGroup(name: "g", title: "G", run: r, methods: [
                .schedule("multistep", ScheduleConfig(kind: "multistep", parameters: ["initial": 0.05, "milestones": [1], "gamma": 0.1])),
                MethodSpec(name: "meta", kind: "mlrsnet-meta", parameters: ["metaInterval": 1, "hidden": 8]),
                MethodSpec(name: "transfer", kind: "mlrsnet-transfer", parameters: ["from": "g/meta"]),
            ])])
    }

    func strip(_ r: CellResult) -> CellResult {
        var r = r
        r.trainSeconds = 0
        r.description = []   // names the run directory (the transferred artifact's path)
        r.history = r.history.map { var h = $0; h.seconds = 0; return h }
        return r
    }

    @Test("an interrupted study resumes every cell to the uninterrupted results; finished cells are skipped")
    func resumeAndSkip() throws {
        let s = study()
        let cache = DataCache()
        let dirA = try TestData.temporaryDirectory("runner-a"), dirB = try TestData.temporaryDirectory("runner-b")
        let a = try StudyRunner(study: s, outputDirectory: dirA, cache: cache).run()
        #expect(a.count == 6 && a.allSatisfy { $0.status == .finished && $0.steps == 8 })

        // Every cell is interrupted once at step 5 (mid second epoch) and resumed by the next call.
        var interruptions = 0, b: [CellResult] = [], logB: [String] = []
        while true {
            let runner = StudyRunner(study: s, outputDirectory: dirB, cache: cache)
            runner.interruptAfterStep = 5
            runner.log = { logB.append($0) }
            do { b = try runner.run(); break } catch let e as TrainingError {
                guard case .interrupted = e else { throw e }
                interruptions += 1
                try #require(interruptions <= 6, "a cell was interrupted twice: it did not resume")
            }
        }
        #expect(interruptions == 6)
        // Each cell continued from its checkpoint rather than starting over.
        #expect(logB.filter { $0.hasSuffix("resuming at step 5") }.count == 6)
        #expect(b.map(strip) == a.map(strip))
        for seed in [0, 1] {
            let p = "/cells/g/meta/seed-\(seed)/mlrsnet.safetensors"
            #expect(try MLRSNetArtifact.read(dirA + p).weights == MLRSNetArtifact.read(dirB + p).weights)
        }

        // A third call skips everything and changes no result file.
        let resultFile = dirA + "/cells/g/transfer/seed-1/result.json"
        let before = try FileManager.default.attributesOfItem(atPath: resultFile)[.modificationDate] as! Date
        var lines: [String] = []
        let again = StudyRunner(study: s, outputDirectory: dirA, cache: cache)
        again.log = { lines.append($0) }
        let c = try again.run()
        #expect(c == a)
        #expect(lines.count == 6 && lines.allSatisfy { $0.contains("done earlier (skipped)") })
        #expect(try FileManager.default.attributesOfItem(atPath: resultFile)[.modificationDate] as! Date == before)

        // A changed configuration of a group already in the directory is refused (another seed would be fine).
        var other = s
        other.groups[0].run.epochs = 3
        #expect(throws: ExperimentError.self) { try StudyRunner(study: other, outputDirectory: dirA, cache: cache).run() }
    }
}
