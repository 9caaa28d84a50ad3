import ArgumentParser
import Experiments
import Foundation
import Training

/// `mlrsnet reproduce STUDY --scale tiny|cpu|paper`: runs one of the paper's studies (every method × seed in
/// its own resumable cell) and writes its report, curves and plots.
struct Reproduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reproduce one of the paper's studies at a given scale; writes report.md, CSV curves and SVG plots.",
        discussion: """
        Studies: \(StudyCatalog.names.joined(separator: ", ")). Scales: tiny (seconds, CI), cpu (this machine, \
        well under an hour per method and seed), paper (the paper's settings; accepted, far beyond a CPU).
        Every (group, method, seed) cell lives in OUT/cells/...; rerunning skips finished cells and resumes \
        interrupted ones. --config FILE runs a study written as JSON (print one with --print-config).
        Example: mlrsnet reproduce image --scale cpu --groups fashion-mnist --out results/image/cpu
        """)

    @Argument(help: "Study name (or omit with --config).") var study: String?
    @Option(help: "Scale.") var scale: StudyScale = .tiny
    @Option(help: "A study configuration JSON file (instead of a named study).") var config: String?
    @Option(help: "Output directory (default results/STUDY/SCALE).") var out: String?
    @Option(help: "Run only these groups (comma-separated).") var groups: String?
    @Option(help: "Run only these methods (comma-separated).") var methods: String?
    @Option(help: "Use only the first N seeds.") var seeds: Int?
    @Option(help: "Robustness: root of the corruptions as `mlrsnet corrupt --format cifar-binary --out ROOT` writes them (ROOT/<corruption>/severity-<s>/cifar-10-batches-bin).") var corruptions = "results/corruptions/cifar10"
    @Option(help: "Robustness: the corruption severity (1-5) to train on.") var severity: Int = StudyInputs.defaultSeverity
    @Option(help: "Robustness: the clean CIFAR-10 release (default ../shared/data/...).") var cleanData: String?
    @Flag(help: "Print the study's configuration JSON and exit.") var printConfig = false
    @Flag(help: "Only (re)write the report from finished cells.") var reportOnly = false
    @Option(help: "Progress display.") var progress: ProgressChoice = .auto

    func validate() throws {
        if (study == nil) == (config == nil) { throw ValidationError("give a study name (\(StudyCatalog.names.joined(separator: ", "))) or --config FILE") }
        if let s = seeds, s < 1 { throw ValidationError("--seeds must be at least 1 (got \(s))") }
        if !(1...5).contains(severity) { throw ValidationError("--severity must be 1-5 (got \(severity))") }
    }

    func loadStudy() throws -> Study {
        var s: Study
        if let config {
            guard let d = FileManager.default.contents(atPath: config), let text = String(data: d, encoding: .utf8) else {
                throw CLIError("cannot read --config \(config)")
            }
            do { s = try decodeJSON(text) } catch { throw CLIError("--config \(config): \(error)") }
        } else {
            s = try StudyCatalog.study(study!, scale: scale, inputs: StudyInputs(corruptions: corruptions, severity: severity, cleanCIFAR10: cleanData))
        }
        if let g = groups {
            let wanted = g.split(separator: ",").map(String.init)
            for w in wanted where !s.groups.contains(where: { $0.name == w }) {
                throw CLIError("--groups: study \(s.name) has no group \(w); groups: \(s.groups.map(\.name).joined(separator: ", "))")
            }
            s.groups = s.groups.filter { wanted.contains($0.name) }
        }
        if let m = methods {
            let wanted = m.split(separator: ",").map(String.init)
            for i in s.groups.indices { s.groups[i].methods = s.groups[i].methods.filter { wanted.contains($0.name) } }
            s.groups = s.groups.filter { !$0.methods.isEmpty }
            if s.groups.isEmpty { throw CLIError("--methods: no group has any of \(wanted)") }
        }
        if let n = seeds { s.seeds = Array(s.seeds.prefix(n)) }
        // Claims about groups or methods left out are left out too.
        s.paperClaims = s.paperClaims.compactMap { c in
            guard let gName = c.group else { return c }
            guard let g = s.groups.first(where: { $0.name == gName }) else { return nil }
            if let m = c.method, !g.methods.contains(where: { $0.name == m }) { return nil }
            var c = c
            c.comparedWith = c.comparedWith?.filter { name in g.methods.contains { $0.name == name } }
            return c
        }
        try s.validate()
        return s
    }

    func run() throws {
        Interruption.install()
        let s: Study
        do { s = try loadStudy() } catch { throw CLIError("\(error)") }   // exit 1, not CleanExit's 0
        if printConfig { say(try prettyJSON(s)); return }
        let dir = out ?? "results/\(s.name)/\(s.scale.rawValue)"
        let runner = StudyRunner(study: s.resolvingPaths(relativeTo: FileManager.default.currentDirectoryPath), outputDirectory: dir)
        runner.progress = progress.mode
        runner.log = { say($0) }
        // The command that produces these results (a --report-only rewrite names the run, not itself).
        let command = "mlrsnet " + CommandLine.arguments.dropFirst().filter { $0 != "--report-only" }.joined(separator: " ")
        runner.runDescription = ["command": command]
        say("study \(s.name) (\(s.scale.rawValue)): \(s.groups.count) groups, \(s.groups.reduce(0) { $0 + $1.methods.count }) methods, seeds \(s.seeds) → \(dir)")
        var results: [CellResult]
        if reportOnly {
            results = runner.collectResults()
        } else {
            do { results = try runner.run() } catch let e as TrainingError {
                FileHandle.standardError.write(Data("\(e)\nrerun the same command to continue\n".utf8))
                throw ExitCode(e.isInterruption ? 130 : 1)
            } catch { throw CLIError("\(error)") }
        }
        var report = StudyReport(study: s, results: results, outputDirectory: dir, command: command)
        report.problems = runner.problems
        try report.write()
        say("report: \(dir)/report.md")
    }
}

extension StudyScale: ExpressibleByArgument {}
