import Datasets
import Foundation
import NN
import Optim
import Tensor
import Training

/// A run ready to train: the task (data + model), the base optimiser, items per step (for progress rates)
/// and human-readable lines describing what was built.
public struct PreparedRun {
    public var task: any TrainingTask
    public var optimizer: any Optimizer
    public var itemsPerStep: Int
    public var summary: [String]
}

extension RunSpec {
    /// Builds the data, model, task and optimiser this spec describes. All randomness (initialisation,
    /// subsets, splits, shuffling, augmentation, dropout) follows `seed`. Throws on invalid specs and
    /// unreadable or inconsistent data.
    public func build(cache: DataCache = DataCache()) throws -> PreparedRun {
        try validate()
        var rng = RandomGenerator(seed: seed)
        let modelSpec = try ModelSpec(parsing: model)
        let task: any TrainingTask
        var summary: [String] = []
        var itemsPerStep = batchSize
        let path = resolvedDataPath
        if dataset.isText {
            var corpus = try cache.corpus(at: path)
            if trainTokens != nil || evaluationTokens != nil {
                corpus = PennTreebank(vocabulary: corpus.vocabulary, train: Array(corpus.train.prefix(trainTokens ?? corpus.train.count)),
                                      valid: Array(corpus.valid.prefix(evaluationTokens ?? corpus.valid.count)),
                                      test: Array(corpus.test.prefix(evaluationTokens ?? corpus.test.count)))
            }
            guard corpus.train.count / batchSize >= 2 else {
                throw ExperimentError("\(corpus.train.count) training tokens are too few for \(batchSize) streams")
            }
            let lm = LSTMLanguageModel(vocabularySize: corpus.vocabulary.count, embeddingSize: hidden, hiddenSize: hidden,
                                       layers: layers, dropout: dropout, tiedWeights: tied, rng: &rng)
            task = LanguageModelTask(model: lm, corpus: corpus, batchSize: batchSize, bptt: bptt, seed: seed)
            itemsPerStep = batchSize * bptt
            summary.append("PTB from \(path): \(corpus.train.count) / \(corpus.valid.count) / \(corpus.test.count) tokens, vocabulary \(corpus.vocabulary.count)")
            summary.append("model: LSTM LM \(layers)×\(hidden), dropout \(dropout), tied \(tied), \(lm.parameterCount) parameters")
        } else {
            var (train, test) = try cache.images(dataset, at: path)
            var validation: LabeledImages?
            /// Subsets and splits need enough images of every class: a clear error instead of a crash.
            func need(_ k: Int, of data: LabeledImages, _ what: String) throws {
                if let c = data.classCounts.enumerated().first(where: { $0.element < k }) {
                    throw ExperimentError("\(what) needs \(k) images of every class, but class \(c.offset) has \(c.element) (\(path))")
                }
            }
            if let clean = cleanData {
                // Train on `data` (e.g. a corruption), validate and test on the clean release.
                let cleanSets = try cache.images(dataset, at: clean)
                // The corrupted training set is the clean one image by image, or its first N images
                // (`mlrsnet corrupt --limit N`); positions must match, which the labels check.
                var cleanTrain = cleanSets.train
                guard train.count <= cleanTrain.count, cleanTrain.classCount == train.classCount,
                      Array(cleanTrain.labels.prefix(train.count)) == train.labels else {
                    throw ExperimentError("cleanData \(clean) (\(cleanTrain.count) training images) is not the release data \(path) (\(train.count) training images) was made from: the corrupted images must be the clean training images, or their first N, in order, with the same labels")
                }
                if cleanTrain.count > train.count { cleanTrain = cleanTrain.gathering(Array(0..<train.count)) }
                test = cleanSets.test
                if validationPerClass > 0 {
                    try need(validationPerClass, of: cleanTrain, "validationPerClass")
                    let split = Splits.stratified(labels: cleanTrain.labels, classCount: train.classCount,
                                                  validation: .perClass(validationPerClass), seed: seed &+ 1)
                    validation = cleanTrain.gathering(split.validation)
                    train = train.gathering(split.train)
                }
            }
            if let k = trainPerClass { try need(k, of: train, "trainPerClass"); train = train.subset(perClass: k, selection: .random(seed: seed)) }
            if let k = testPerClass { try need(k, of: test, "testPerClass"); test = test.subset(perClass: k, selection: .first) }
            if validationPerClass > 0 && cleanData == nil {
                try need(validationPerClass + 1, of: train, "validationPerClass (plus one training image)")
                let split = train.splittingValidation(.perClass(validationPerClass), seed: seed &+ 1)
                train = split.train
                validation = split.validation
            }
            let c = train.images.shape[1], side = train.images.shape[2]
            let net = modelSpec.makeImageModel(channels: c, size: side, classes: train.classCount, rng: &rng)
            let isCIFAR = dataset == .cifar10 || dataset == .cifar100
            let norm: ChannelNormalization? = normalize
                ? (dataset == .cifar10 ? .cifar10 : dataset == .cifar100 ? .cifar100 : .fitted(to: train.images)) : nil
            let aug = Augmentation(cropSize: augment ? side : nil, padding: augment ? 4 : 0,
                                   flipProbability: augment && isCIFAR ? 0.5 : 0, normalization: norm)
            task = ImageClassificationTask(model: net, train: train, validation: validation, test: test,
                                           batchSize: batchSize, seed: seed, augmentation: aug)
            summary.append("\(dataset.rawValue) from \(path)\(cleanData.map { " (clean validation/test from \($0))" } ?? ""): \(train.count) train / \(validation?.count ?? 0) validation / \(test.count) test images, \(train.classCount) classes")
            summary.append("model: \(modelSpec) (\(net.parameterCount) parameters); augmentation: \(augment ? "crop+flip" : "none"), normalisation: \(normalize)")
        }
        summary.append("optimizer: \(optimizer.rawValue) (weight decay \(weightDecay))")
        return PreparedRun(task: task, optimizer: makeOptimizer(), itemsPerStep: itemsPerStep, summary: summary)
    }

    /// The base optimiser (its learning rate comes from the schedule or meta-learner at every step).
    public func makeOptimizer() -> any Optimizer {
        switch optimizer {
        case .sgd: return SGD(weightDecay: weightDecay)
        case .sgdm: return SGD(momentum: momentum, weightDecay: weightDecay)
        case .nesterov: return SGD(momentum: momentum, nesterov: true, weightDecay: weightDecay)
        case .adam: return Adam(beta1: beta1, weightDecay: weightDecay)
        case .adamw: return AdamW(beta1: beta1, weightDecay: weightDecay)
        }
    }
}
