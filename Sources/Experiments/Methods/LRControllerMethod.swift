import Foundation
import LRController
import Training

extension MethodKind {
    /// A trained LR Controller (PPO policy, `mlrsnet lr-controller train`) used frozen, as `mlrsnet train
    /// --schedule lr-controller --scheduler FILE` does: its mode at each decision (or a seeded sample with
    /// `sample` = 1), starting at `lr`, its observation normaliser continuing online on this task.
    ///
    /// Parameters: `artifact` (path of an lr-controller safetensors artifact, required; relative paths are taken
    /// from the repository root by `mlrsnet reproduce`), `lr` (initial LR, required), `sample` (0 or 1; 0).
    /// Image groups with validation data only (the controller probes a fixed validation batch). Training a
    /// controller inside a study is not supported: train it with `mlrsnet lr-controller train` and name the file.
    public static let lrController = MethodKind(
        name: "lr-controller", summary: "frozen RL LR Controller (PPO policy from an artifact file)",
        parameters: ["artifact", "lr", "sample"],
        check: { method, run in
            _ = try ControllerParameters(method)
            if run.dataset.isText { throw ExperimentError("method \(method.name) (lr-controller): the controller observes image classification only (group is \(run.dataset.rawValue))") }
            if run.validationPerClass == 0 { throw ExperimentError("method \(method.name) (lr-controller): the controller probes validation images: set validationPerClass > 0") }
        },
        make: { context in
            let p = try ControllerParameters(context.method)
            let artifact: LRControllerArtifact
            do { artifact = try LRControllerArtifact.read(p.artifact) }
            catch { throw ExperimentError("method \(context.method.name) (lr-controller): \(error)") }
            guard let task = context.prepared.task as? any ControllerObservable else {
                throw ExperimentError("method \(context.method.name) (lr-controller): this task cannot be observed by the controller")
            }
            let u: LRControllerUpdate
            do {
                u = try LRControllerUpdate(policy: artifact.makePolicy(), task: task, mode: .frozen(sample: p.sample), initialLearningRate: p.lr,
                                           seed: context.run.seed, observationNormalizer: artifact.observationNormalizer)
            } catch { throw ExperimentError("method \(context.method.name) (lr-controller): \(error)") }
            return PreparedMethod(updater: u, summary: "\(context.run.optimizer.rawValue) + frozen LR Controller from \(p.artifact) (\(u.summary)), LR₀ = \(p.lr)")
        })
}

struct ControllerParameters {
    var artifact: String
    var lr: Double
    var sample: Bool

    init(_ m: MethodSpec) throws {
        func fail(_ s: String) -> ExperimentError { ExperimentError("method \(m.name) (lr-controller): \(s)") }
        guard let a = try m.text("artifact"), !a.isEmpty else { throw fail("needs \"artifact\": the path of a trained controller (mlrsnet lr-controller train)") }
        guard let lr = try m.number("lr") else { throw fail("needs the initial learning rate \"lr\"") }
        guard lr.isFinite, lr > 0 else { throw fail("lr must be a positive number (got \(lr))") }
        let s = try m.number("sample") ?? 0
        guard s == 0 || s == 1 else { throw fail("sample must be 0 or 1 (got \(s))") }
        artifact = a; self.lr = lr; sample = s == 1
    }
}
