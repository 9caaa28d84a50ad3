import Foundation
import LearnedSchedule
import Schedules
import Training

extension MethodKind {
    /// Plug-and-play transfer of a meta-learned MLR-SNet (θ frozen, zero state) to the run's optimiser.
    /// Exactly one source: `from` ("group/method": the artifact an `mlrsnet-meta` cell of the same study
    /// produced, same seed), `artifact` (a file path), or `pretrained` ("cifar10": the artifact shipped with
    /// the package). Optional: `gamma` (a number replacing the artifact's γ), `input` ("raw" or
    /// "per-log-vocabulary": what the cell sees of the loss; default the artifact's, except "per-log-vocabulary"
    /// for an image artifact moved to text), `minLR`/`maxLR` (bounds).
    public static let mlrsnetTransfer = MethodKind(
        name: "mlrsnet-transfer", summary: "MLR-SNet transfer (frozen artifact: another cell's, a file, or the shipped one)",
        parameters: ["from", "artifact", "pretrained", "gamma", "input", "minLR", "maxLR"],
        check: { method, _ in _ = try TransferOptions(method) },
        make: { context in try TransferOptions(context.method).make(context) })
}

struct TransferOptions {
    enum Source { case cell(String), file(String), pretrainedCIFAR10 }
    var source: Source
    var gamma: Double?
    var input: String?
    var bounds: LearningRateBounds

    init(_ m: MethodSpec) throws {
        let from = try m.text("from"), file = try m.text("artifact"), pre = try m.text("pretrained")
        let given = [from, file, pre].compactMap { $0 }
        guard given.count == 1 else {
            throw ExperimentError("method \(m.name) (mlrsnet-transfer): give exactly one of from, artifact, pretrained (got \(given.count))")
        }
        if let from {
            guard from.split(separator: "/").count == 2 else { throw ExperimentError("method \(m.name): from must be \"group/method\" (got \(from))") }
            source = .cell(from)
        } else if let file { source = .file(file) } else {
            guard pre == "cifar10" else { throw ExperimentError("method \(m.name): pretrained must be \"cifar10\" (got \(pre!))") }
            source = .pretrainedCIFAR10
        }
        gamma = try m.number("gamma")
        if let g = gamma, !(g > 0 && g.isFinite) { throw ExperimentError("method \(m.name): gamma must be positive (got \(g))") }
        input = try m.text("input")
        if let i = input, i != "raw", i != "per-log-vocabulary" {
            throw ExperimentError("method \(m.name): input must be \"raw\" or \"per-log-vocabulary\" (got \(i))")
        }
        do { bounds = try LearningRateBounds(minimum: try m.number("minLR") ?? 0, maximum: try m.number("maxLR") ?? .infinity) }
        catch { throw ExperimentError("method \(m.name): LR bounds: \(error)") }
    }

    func make(_ context: MethodContext) throws -> PreparedMethod {
        let artifact: MLRSNetArtifact
        let origin: String
        switch source {
        case .cell(let ref):
            let path = try context.artifactOf(ref)
            artifact = try MLRSNetArtifact.read(path); origin = "\(ref) (\(path))"
        case .file(let path): artifact = try MLRSNetArtifact.read(path); origin = path
        case .pretrainedCIFAR10: artifact = try MLRSNetArtifact.pretrainedCIFAR10(); origin = "shipped CIFAR-10 artifact"
        }
        var normalisation = artifact.inputNormalisation
        let vocabulary = (context.prepared.task as? LanguageModelTask)?.languageModel.vocabularySize
        switch input {
        case "raw": normalisation = .raw
        case "per-log-vocabulary":
            guard let v = vocabulary else { throw ExperimentError("method \(context.method.name): per-log-vocabulary input needs a text task") }
            normalisation = .perLogVocabulary(v)
        default:
            if let v = vocabulary, normalisation == .raw { normalisation = .perLogVocabulary(v) }
        }
        let schedule = try LearnedLRSchedule(artifact: artifact, gamma: gamma.map { .fixed($0) }, inputNormalisation: normalisation,
                                             bounds: bounds)
        return PreparedMethod(updater: ScheduledUpdate(AnySchedule(schedule)),
                              summary: "\(context.run.optimizer.rawValue) + MLR-SNet transferred from \(origin) (\(schedule.summary))")
    }
}
