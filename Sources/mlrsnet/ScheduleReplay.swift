import ArgumentParser
import Foundation
import LearnedSchedule
import Schedules
import Training

/// `mlrsnet schedule`: a deterministic replay of a learned schedule over given losses, from a zero state.
struct ScheduleReplay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Print the learning rate an MLR-SNet artifact gives for each loss in a file (one per line), from a zero state.")

    @Option(help: "The MLR-SNet artifact (safetensors).") var scheduler: String
    @Option(help: "Text file with one training loss per line ('-' for standard input).") var losses: String
    @Option(help: "Override γ (a number); default: the artifact's rule.") var gamma: Double?

    func run() throws {
        let artifact = try MLRSNetArtifact.read(scheduler)
        var schedule = try LearnedLRSchedule(artifact: artifact, gamma: gamma.map { .fixed($0) })
        let values = try readLosses(losses)
        for (i, l) in values.enumerated() {
            let lr = schedule.learningRate(for: TrainingSignal(step: i, epoch: 0, stepsPerEpoch: max(values.count, 1),
                                                                trainingLoss: l, validationLoss: nil))
            say("\(lr)")
        }
    }
}

/// Reads one number per line (blank lines and `#` comments skipped); a clear error names a bad line.
func readLosses(_ path: String) throws -> [Float] {
    let text: String
    if path == "-" {
        text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
    } else {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("\(path): cannot be read") }
        guard let t = String(data: data, encoding: .utf8) else { throw CLIError("\(path): not UTF-8 text") }
        text = t
    }
    var out: [Float] = []
    for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        let line = raw.trimmingCharacters(in: .whitespaces)
        if line.isEmpty || line.hasPrefix("#") { continue }
        guard let v = Float(line) else { throw CLIError("\(path):\(n + 1): '\(line)' is not a number") }
        out.append(v)
    }
    return out
}

/// `mlrsnet inspect`: an artifact's metadata, and SVG plots of its learned loss → LR response.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show an MLR-SNet artifact's metadata and plot its learned loss→LR response (SVG).")

    @Argument(help: "The artifact (safetensors).") var file: String
    @Option(help: "Write the steady-state response plot here (default: FILE without extension + -response.svg).")
    var svg: String?
    @Option(name: .customLong("run"), help: "A recorded run to replay: a steps.csv (step,epoch,batch,lr,loss,...) or a file of losses; plots the LR along it.")
    var recordedRun: String?
    @Option(help: "Largest loss of the steady-state sweep.") var maxLoss: Double = 3
    @Option(help: "Steps of constant input before reading the steady-state LR.") var settle = 300

    func run() throws {
        let artifact = try MLRSNetArtifact.read(file)
        say("\(file)")
        for (k, v) in artifact.metadata.sorted(by: { $0.key < $1.key }) { say("  \(k): \(v)") }
        say("  parameters: \(artifact.weights.count)")
        let base = file.hasSuffix(".safetensors") ? String(file.dropLast(12)) : file
        // Steady state: a constant loss L fed for `settle` steps from a zero state.
        var sweep: [(x: Double, y: Double)] = []
        for i in 0...60 {
            let l = Float(maxLoss * Double(i) / 60)
            var s = try LearnedLRSchedule(artifact: artifact)
            var lr: Float = 0
            for t in 0..<settle { lr = s.learningRate(for: TrainingSignal(step: t, epoch: 0, stepsPerEpoch: settle, trainingLoss: l, validationLoss: nil)) }
            sweep.append((Double(l), Double(lr)))
        }
        var plot = SVGPlot(title: "MLR-SNet steady-state response", xLabel: "training loss (constant input)", yLabel: "learning rate")
        plot.series = [.init(name: "LR after \(settle) steps", points: sweep)]
        let responsePath = svg ?? base + "-response.svg"
        try plot.write(to: responsePath)
        say("steady-state response: \(responsePath)")
        if let run = recordedRun {
            let (losses, recorded) = try readRun(run)
            var s = try LearnedLRSchedule(artifact: artifact)
            var replay: [(x: Double, y: Double)] = []
            for (i, l) in losses.enumerated() {
                replay.append((Double(i), Double(s.learningRate(for: TrainingSignal(step: i, epoch: 0, stepsPerEpoch: losses.count, trainingLoss: l, validationLoss: nil)))))
            }
            var p = SVGPlot(title: "MLR-SNet LR along \(URL(fileURLWithPath: run).lastPathComponent)", xLabel: "step", yLabel: "learning rate")
            p.series = [.init(name: "artifact (frozen) replay", points: replay)]
            if !recorded.isEmpty { p.series.append(.init(name: "recorded LR", points: recorded.enumerated().map { (Double($0.offset), Double($0.element)) })) }
            let runPath = base + "-run.svg"
            try p.write(to: runPath)
            say("LR along the run: \(runPath)")
        }
    }

    /// Losses (and recorded LRs, if a steps.csv) of a run.
    func readRun(_ path: String) throws -> ([Float], [Float]) {
        guard path.hasSuffix(".csv") else { return (try readLosses(path), []) }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw CLIError("\(path): cannot be read") }
        var lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        guard let header = lines.first, let li = header.firstIndex(of: "loss") else { throw CLIError("\(path): no 'loss' column") }
        let ri = header.firstIndex(of: "lr")
        lines.removeFirst()
        return (lines.compactMap { $0.count > li ? Float($0[li]) : nil }, ri.map { i in lines.compactMap { $0.count > i ? Float($0[i]) : nil } } ?? [])
    }
}
