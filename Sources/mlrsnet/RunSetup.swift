import Experiments
import Foundation
import Optim
import Training

/// Builds the pieces of a run (data, model, task, optimiser) from `Train`'s options: a thin adapter over the
/// library's `RunSpec.build()` (Experiments), which studies use too.
struct RunSetup {
    var task: any TrainingTask
    var optimizer: any Optimizer
    var itemsPerStep: Int
    var summary: [String]

    static func build(_ o: RunOptions) throws -> RunSetup {
        let p = try o.runSpec.build()
        return RunSetup(task: p.task, optimizer: p.optimizer, itemsPerStep: p.itemsPerStep, summary: p.summary)
    }
}

extension RunOptions {
    /// The library's run specification for these options.
    var runSpec: RunSpec {
        var r = RunSpec()
        r.dataset = DatasetKind(rawValue: dataset.rawValue)!
        r.data = resolvedDataPath
        r.trainPerClass = trainPerClass; r.testPerClass = testPerClass; r.validationPerClass = validationPerClass
        r.augment = augment; r.normalize = normalize
        r.model = model; r.hidden = hidden; r.layers = layers; r.dropout = dropout; r.tied = tied; r.bptt = bptt
        r.optimizer = OptimizerKind(rawValue: optimizer.rawValue)!
        r.momentum = momentum; r.beta1 = beta1; r.weightDecay = weightDecay; r.clip = clip
        r.epochs = epochs; r.batchSize = batchSize; r.seed = seed
        r.trainTokens = trainTokens; r.evaluationTokens = evalTokens
        return r
    }
}

struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
