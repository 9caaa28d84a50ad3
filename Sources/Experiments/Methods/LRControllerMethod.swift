import Foundation
import LRController
import Training

extension MethodKind {
    /// The RL LR Controller (Xu et al. 2019; the paper's appendix G baseline), used frozen as `mlrsnet train
    /// --schedule lr-controller` does: its mode at each decision (or a seeded sample with `sample` = 1), starting
    /// at `lr`, its observation normaliser continuing online on this task.
    ///
    /// The policy comes from exactly one of:
    /// - `artifact`: the path of a trained controller (`mlrsnet lr-controller train`; relative paths are taken from
    ///   the repository root by `mlrsnet reproduce`);
    /// - `episodes`: trained in the cell first, as `mlrsnet lr-controller train` does — PPO over this many episodes,
    ///   each a fresh child of the cell's run (seed + 1 + episode) for `episodeEpochs` epochs (default the run's),
    ///   from `lr` — and saved as `lr-controller.safetensors` in the cell (reused when the cell resumes). Its
    ///   training time is not in the cell's training time. Controller settings: `interval` (K, 10), `factor`
    ///   (f, 1.05), `minLR`/`maxLR` (1e-4, 1), `controllerSeed` (1); PPO with its defaults.
    ///
    /// Also: `lr` (initial LR, required), `sample` (0 or 1; 0). Image groups with validation data only (the
    /// controller probes a fixed validation batch).
    public static let lrController = MethodKind(
        name: "lr-controller", summary: "RL LR Controller (PPO policy; from an artifact file, or trained in the cell), used frozen",
        parameters: ["artifact", "episodes", "episodeEpochs", "interval", "factor", "minLR", "maxLR", "controllerSeed", "lr", "sample"],
        check: { method, run in
            _ = try ControllerParameters(method)
            if run.dataset.isText { throw ExperimentError("method \(method.name) (lr-controller): the controller observes image classification only (group is \(run.dataset.rawValue))") }
            if run.validationPerClass == 0 { throw ExperimentError("method \(method.name) (lr-controller): the controller probes validation images: set validationPerClass > 0") }
        },
        make: { context in try ControllerParameters(context.method).make(context) })
}

struct ControllerParameters {
    enum Source { case file(String), train(episodes: Int, epochs: Int?, configuration: LRControllerConfiguration, seed: UInt64) }
    var source: Source
    var lr: Double
    var sample: Bool
    let name: String

    init(_ m: MethodSpec) throws {
        name = m.name
        func fail(_ s: String) -> ExperimentError { ExperimentError("method \(m.name) (lr-controller): \(s)") }
        let artifact = try m.text("artifact"), episodes = try m.count("episodes")
        let trainingKeys = ["episodeEpochs", "interval", "factor", "minLR", "maxLR", "controllerSeed"].filter { m.parameters[$0] != nil }
        switch (artifact, episodes) {
        case (let a?, nil):
            guard !a.isEmpty else { throw fail("artifact is empty") }
            guard trainingKeys.isEmpty else { throw fail("\(trainingKeys.joined(separator: ", ")) apply to a controller trained in the cell (episodes), not to an artifact") }
            source = .file(a)
        case (nil, let n?):
            let c: LRControllerConfiguration
            do {
                c = try LRControllerConfiguration(interval: try m.count("interval") ?? 10, factor: try m.number("factor") ?? 1.05,
                                                  minimumLR: try m.number("minLR") ?? 1e-4, maximumLR: try m.number("maxLR") ?? 1)
            } catch let e as ExperimentError { throw e } catch { throw fail("\(error)") }
            source = .train(episodes: n, epochs: try m.count("episodeEpochs"), configuration: c, seed: UInt64(try m.count("controllerSeed") ?? 1))
        default:
            throw fail("give exactly one of \"artifact\" (a trained controller's file) and \"episodes\" (train one in the cell)")
        }
        guard let lr = try m.number("lr") else { throw fail("needs the initial learning rate \"lr\"") }
        guard lr.isFinite, lr > 0 else { throw fail("lr must be a positive number (got \(lr))") }
        let s = try m.number("sample") ?? 0
        guard s == 0 || s == 1 else { throw fail("sample must be 0 or 1 (got \(s))") }
        self.lr = lr; sample = s == 1
    }

    func fail(_ s: String) -> ExperimentError { ExperimentError("method \(name) (lr-controller): \(s)") }

    func make(_ context: MethodContext) throws -> PreparedMethod {
        let artifact: LRControllerArtifact, origin: String
        switch source {
        case .file(let path):
            do { artifact = try LRControllerArtifact.read(path) } catch { throw fail("\(error)") }
            origin = path
        case let .train(episodes, epochs, configuration, seed):
            let path = context.cellDirectory + "/lr-controller.safetensors"
            if FileManager.default.fileExists(atPath: path) {
                do { artifact = try LRControllerArtifact.read(path) } catch { throw fail("\(error)") }
            } else {
                artifact = try train(context, episodes: episodes, epochs: epochs ?? context.run.epochs, configuration: configuration, seed: seed)
                try FileManager.default.createDirectory(atPath: context.cellDirectory, withIntermediateDirectories: true)
                try artifact.write(to: path)
            }
            origin = "trained in the cell (\(episodes) PPO episodes of \(epochs ?? context.run.epochs) epochs)"
        }
        guard let task = context.prepared.task as? any ControllerObservable else { throw fail("this task cannot be observed by the controller") }
        let u: LRControllerUpdate
        do {
            u = try LRControllerUpdate(policy: artifact.makePolicy(), task: task, mode: .frozen(sample: sample), initialLearningRate: lr,
                                       seed: context.run.seed, observationNormalizer: artifact.observationNormalizer)
        } catch { throw fail("\(error)") }
        return PreparedMethod(updater: u, summary: "\(context.run.optimizer.rawValue) + frozen LR Controller \(origin) (\(u.summary)), LR₀ = \(lr)")
    }

    /// PPO over `episodes` fresh children of the cell's run (seeds run.seed + 1 + e), as `mlrsnet lr-controller train`.
    private func train(_ context: MethodContext, episodes: Int, epochs: Int, configuration: LRControllerConfiguration, seed: UInt64) throws -> LRControllerArtifact {
        let session: LRControllerTraining
        do { session = try LRControllerTraining(configuration: configuration, ppo: PPOHyperparameters(), seed: seed) } catch { throw fail("\(error)") }
        var csv = "episode,raw_return,decisions,final_lr,diverged\n"
        for e in 0..<episodes {
            var r = context.run
            r.seed = context.run.seed &+ 1 &+ UInt64(e)
            r.epochs = epochs
            let child = try r.build(cache: context.cache)
            guard let task = child.task as? any ControllerObservable else { throw fail("this task cannot be observed by the controller") }
            let report = try session.runEpisode(task: task, optimizer: child.optimizer, epochs: epochs, initialLearningRate: lr, clipNorm: r.clip)
            csv += "\(e + 1),\(report.rawReturn),\(report.decisions),\(report.finalLearningRate),\(report.diverged)\n"
        }
        try FileManager.default.createDirectory(atPath: context.cellDirectory, withIntermediateDirectories: true)
        try csv.write(toFile: context.cellDirectory + "/lr-controller-episodes.csv", atomically: true, encoding: .utf8)
        let run = context.run
        return session.artifact(task: "\(run.dataset.rawValue) \(run.model), \(run.optimizer.rawValue), \(epochs) epochs/episode, batch \(run.batchSize), lr0 \(lr)")
    }
}
