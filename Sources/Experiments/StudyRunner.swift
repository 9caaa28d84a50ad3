import Foundation
import SafeTensors
import NN
import Training

/// Runs a study: every (group, method, seed) cell in its own directory `OUT/cells/GROUP/METHOD/seed-S`, in
/// order (groups, then methods, then seeds), with progress on screen.
///
/// Resumable: a cell with `result.json` is done and skipped (its result is read back); a cell with a
/// checkpoint but no result continues from the checkpoint (bit-identically, as `Trainer.resume`). Groups whose
/// data are absent are skipped with a message and run on a later call. A diverged cell is recorded as such
/// (status `diverged`, no artifact); a cell that fails for another reason (e.g. the artifact it transfers was
/// never produced) is reported and the study goes on. Ctrl-C (or `interruptAfterStep`) stops the study with
/// `TrainingError.interrupted`, after the current cell wrote its checkpoint.
public final class StudyRunner {
    public let study: Study
    public let outputDirectory: String
    public var progress: ProgressReporter.Mode = .none
    /// Where status lines go (the CLI prints them; tests collect them).
    public var log: (String) -> Void = { _ in }
    /// Interrupt every cell after this global step (tests of resume).
    public var interruptAfterStep: Int?
    /// Metadata stored in every checkpoint (e.g. the command line).
    public var runDescription: [String: String] = [:]

    /// Cells that could not run this time: (group/method/seed or group, why).
    public private(set) var problems: [(cell: String, message: String)] = []
    private let cache: DataCache

    /// `cache` may be shared between runners (e.g. all studies of one test run) so data load once.
    public init(study: Study, outputDirectory: String, cache: DataCache = DataCache()) {
        self.study = study
        self.outputDirectory = outputDirectory
        self.cache = cache
    }

    public func cellDirectory(group: String, method: String, seed: UInt64) -> String {
        "\(outputDirectory)/cells/\(group)/\(method)/seed-\(seed)"
    }

    /// Runs every cell not yet done and returns the results of all done cells (this call's and earlier ones').
    @discardableResult
    public func run() throws -> [CellResult] {
        try study.validate()
        try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        try checkSameStudy()
        problems = []
        var results: [CellResult] = []
        let total = study.groups.reduce(0) { $0 + $1.methods.count } * study.seeds.count
        var index = 0
        for group in study.groups {
            if let missing = missingData(group) {
                index += group.methods.count * study.seeds.count
                log("skipping group \(group.name): data not found at \(missing) (it runs when the data are there)")
                problems.append((group.name, "data not found at \(missing)"))
                continue
            }
            for method in group.methods {
                for seed in study.seeds {
                    index += 1
                    let label = "[\(index)/\(total)] \(group.name) / \(method.name) / seed \(seed)"
                    do {
                        if let r = try runCell(group: group, method: method, seed: seed, label: label) { results.append(r) }
                    } catch let e as TrainingError where e.isInterruption {
                        throw e
                    } catch {
                        log("\(label): FAILED: \(error)")
                        problems.append(("\(group.name)/\(method.name)/seed-\(seed)", "\(error)"))
                    }
                }
            }
        }
        return results
    }

    /// The results already on disk (for reports without running).
    public func collectResults() -> [CellResult] {
        var out: [CellResult] = []
        for g in study.groups { for m in g.methods { for s in study.seeds {
            if let r = readResult(cellDirectory(group: g.name, method: m.name, seed: s)) { out.append(r) }
        } } }
        return out
    }

    // MARK: One cell

    private func runCell(group: StudyGroup, method: MethodSpec, seed: UInt64, label: String) throws -> CellResult? {
        let dir = cellDirectory(group: group.name, method: method.name, seed: seed)
        let existing = readResult(dir)
        let wantsFlatness = study.flatness != nil && !FileManager.default.fileExists(atPath: dir + "/flatness.json")
        if let existing, !(wantsFlatness && existing.status == .finished) {
            log("\(label): done earlier (skipped)\(outcome(existing))")
            return existing
        }
        let run = study.run(group, method, seed: seed)
        let prepared = try run.build(cache: cache)
        let kind = try MethodKinds.named(method.kind)
        let context = MethodContext(method: method, run: run, prepared: prepared, cellDirectory: dir,
                                    artifactOf: { [unowned self] ref in try self.artifact(ref, seed: seed) }, cache: cache)
        let made = try kind.make(context)
        var description = runDescription
        description["study"] = study.name
        description["cell"] = "\(group.name)/\(method.name)/seed-\(seed)"
        let options = TrainerOptions(epochs: run.epochs, clipNorm: run.clip, outputDirectory: dir, progress: progress,
                                     itemsPerStep: prepared.itemsPerStep, interruptAfterStep: interruptAfterStep,
                                     runDescription: description)
        let trainer = try Trainer(task: prepared.task, optimizer: prepared.optimizer, updater: made.updater, options: options)
        let checkpoint = trainer.checkpointPath!
        let fm = FileManager.default
        if fm.fileExists(atPath: checkpoint) || fm.fileExists(atPath: checkpoint + ".prev") {
            try trainer.resume(from: checkpoint)
            if existing == nil { log("\(label): resuming at step \(trainer.globalStep)") }
        } else {
            log("\(label): \(made.summary), \(run.epochs) epochs")
        }
        var status = CellResult.Status.finished
        var message: String?
        do {
            try trainer.run()
        } catch let e as TrainingError {
            guard case .diverged = e else { throw e }
            status = .diverged
            message = "\(e)"
        }
        var result: CellResult
        if let existing {
            result = existing
        } else {
            if status == .finished { try made.finish?(trainer) }
            result = CellResult(group: group.name, method: method.name, seed: seed, status: status,
                                description: prepared.summary + [made.summary], history: trainer.history,
                                steps: trainer.globalStep, trainSeconds: trainer.history.reduce(0) { $0 + $1.seconds },
                                isText: run.dataset.isText, message: message)
            try AtomicFile.write(Array(try jsonString(result).utf8), to: dir + "/result.json")
        }
        if let f = study.flatness, status == .finished, let task = prepared.task as? ImageClassificationTask {
            let subset = task.train.gathering(Array(0..<min(f.images, task.train.count)))
            let profile = FlatnessAnalysis.profile(parameters: task.model.parameters, directions: f.directions, alphas: f.alphas,
                                                   seed: f.seed) { task.evaluate(on: subset).loss }
            try AtomicFile.write(Array(try jsonString(profile).utf8), to: dir + "/flatness.json")
        }
        log("\(label): \(status.rawValue)\(outcome(result))")
        return result
    }

    private func outcome(_ r: CellResult) -> String {
        let unit = r.isText ? "test ppl" : "test acc"
        guard let f = r.finalMetric else { return r.message.map { " — \($0)" } ?? "" }
        let fmt = r.isText ? "%.2f" : "%.2f%%"
        return " — final \(unit) \(String(format: fmt, f)), best \(String(format: fmt, r.bestMetric ?? f)), \(String(format: "%.1f", r.trainSeconds)) s"
    }

    /// The artifact produced by the cell "group/method" for `seed`, or else for the first seed that has one.
    func artifact(_ ref: String, seed: UInt64) throws -> String {
        let parts = ref.split(separator: "/").map(String.init)
        guard parts.count == 2 else { throw ExperimentError("artifact reference must be group/method (got \(ref))") }
        for s in [seed] + study.seeds {
            let p = cellDirectory(group: parts[0], method: parts[1], seed: s) + "/mlrsnet.safetensors"
            if FileManager.default.fileExists(atPath: p) { return p }
        }
        throw ExperimentError("no meta-trained artifact from \(ref) yet (its cells have not finished, or diverged)")
    }

    private func readResult(_ dir: String) -> CellResult? {
        guard let d = FileManager.default.contents(atPath: dir + "/result.json"), let s = String(data: d, encoding: .utf8) else { return nil }
        return try? decodeJSON(s)
    }

    private func missingData(_ g: StudyGroup) -> String? {
        for p in [g.run.resolvedDataPath, g.run.cleanData].compactMap({ $0 }) where !FileManager.default.fileExists(atPath: p) {
            return p
        }
        return nil
    }

    /// Refuses to mix configurations in one output directory: a group or method already recorded there
    /// (same name) must be unchanged, so finished cells are never reused for another setting. Other groups,
    /// methods and seeds may be added (`--groups`, `--seeds` runs a part); `study.json` records the union.
    private func checkSameStudy() throws {
        let path = outputDirectory + "/study.json"
        var merged = study
        if let d = FileManager.default.contents(atPath: path), let old = String(data: d, encoding: .utf8),
           let previous: Study = try? decodeJSON(old) {
            func refuse(_ what: String) -> ExperimentError {
                ExperimentError("\(outputDirectory) holds results of study \(previous.name) (\(previous.scale.rawValue)) with a different \(what); use another output directory or remove it")
            }
            guard previous.name == study.name, previous.scale == study.scale else { throw refuse("name or scale") }
            for g in study.groups {
                guard let pg = previous.groups.first(where: { $0.name == g.name }) else { continue }
                guard pg.run == g.run else { throw refuse("run for group \(g.name)") }
                for m in g.methods {
                    if let pm = pg.methods.first(where: { $0.name == m.name }), pm != m { throw refuse("method \(g.name)/\(m.name)") }
                }
            }
            merged = previous
            for g in study.groups {
                if let i = merged.groups.firstIndex(where: { $0.name == g.name }) {
                    for m in g.methods where !merged.groups[i].methods.contains(where: { $0.name == m.name }) { merged.groups[i].methods.append(m) }
                } else {
                    merged.groups.append(g)
                }
            }
            merged.seeds = previous.seeds + study.seeds.filter { !previous.seeds.contains($0) }
        }
        try AtomicFile.write(Array(try prettyJSON(merged).utf8), to: path)
    }
}

extension TrainingError {
    /// Whether this is a Ctrl-C (or test) interruption rather than a failure.
    var isInterruption: Bool { if case .interrupted = self { return true } else { return false } }
}
