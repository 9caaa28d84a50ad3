import Datasets
import Foundation
import NN
import Optim
import Schedules
import Tensor
import Training

/// Builds the pieces of a run (data, model, task, optimiser, schedule) from `Train`'s options.
struct RunSetup {
    var task: any TrainingTask
    var optimizer: any Optimizer
    var itemsPerStep: Int
    var summary: [String]

    static func build(_ o: RunOptions) throws -> RunSetup {
        var rng = RandomGenerator(seed: o.seed)
        let model = try ModelSpec(parsing: o.model)
        let task: any TrainingTask
        var summary: [String] = []
        var itemsPerStep = o.batchSize
        let path = o.resolvedDataPath
        switch o.dataset {
        case .ptb:
            guard model == .lstm else { throw CLIError("--dataset ptb needs --model lstm (got \(o.model))") }
            var corpus = try PennTreebank.load(directory: path)
            if let n = o.trainTokens { corpus.train = Array(corpus.train.prefix(n)) }
            if let n = o.evalTokens { corpus.valid = Array(corpus.valid.prefix(n)); corpus.test = Array(corpus.test.prefix(n)) }
            let lm = LSTMLanguageModel(vocabularySize: corpus.vocabulary.count, embeddingSize: o.hidden, hiddenSize: o.hidden,
                                       layers: o.layers, dropout: o.dropout, tiedWeights: o.tied, rng: &rng)
            task = LanguageModelTask(model: lm, corpus: corpus, batchSize: o.batchSize, bptt: o.bptt, seed: o.seed)
            itemsPerStep = o.batchSize * o.bptt
            summary.append("PTB from \(path): \(corpus.train.count) / \(corpus.valid.count) / \(corpus.test.count) tokens, vocabulary \(corpus.vocabulary.count)")
            summary.append("model: LSTM LM \(o.layers)×\(o.hidden), dropout \(o.dropout), tied \(o.tied), \(lm.parameterCount) parameters")
        default:
            guard model != .lstm else { throw CLIError("--model lstm needs --dataset ptb") }
            var (train, test) = try loadImages(o.dataset, path)
            if let k = o.trainPerClass { train = train.subset(perClass: k, selection: .random(seed: o.seed)) }
            if let k = o.testPerClass { test = test.subset(perClass: k, selection: .first) }
            var validation: LabeledImages?
            if o.validationPerClass > 0 {
                let split = train.splittingValidation(.perClass(o.validationPerClass), seed: o.seed &+ 1)
                train = split.train
                validation = split.validation
            }
            let c = train.images.shape[1], side = train.images.shape[2]
            let net = model.makeImageModel(channels: c, size: side, classes: train.classCount, rng: &rng)
            let isCIFAR = o.dataset == .cifar10 || o.dataset == .cifar100
            let norm: ChannelNormalization? = o.normalize ? (o.dataset == .cifar10 ? .cifar10 : o.dataset == .cifar100 ? .cifar100 : .fitted(to: train.images)) : nil
            let aug = Augmentation(cropSize: o.augment ? side : nil, padding: o.augment ? 4 : 0,
                                   flipProbability: o.augment && isCIFAR ? 0.5 : 0, normalization: norm)
            task = ImageClassificationTask(model: net, train: train, validation: validation, test: test,
                                           batchSize: o.batchSize, seed: o.seed, augmentation: aug)
            summary.append("\(o.dataset.rawValue) from \(path): \(train.count) train / \(validation?.count ?? 0) validation / \(test.count) test images, \(train.classCount) classes")
            summary.append("model: \(model) (\(net.parameterCount) parameters); augmentation: \(o.augment ? "crop+flip" : "none"), normalisation: \(o.normalize)")
        }
        let optimizer: any Optimizer
        switch o.optimizer {
        case .sgd: optimizer = SGD(weightDecay: o.weightDecay)
        case .sgdm: optimizer = SGD(momentum: o.momentum, weightDecay: o.weightDecay)
        case .nesterov: optimizer = SGD(momentum: o.momentum, nesterov: true, weightDecay: o.weightDecay)
        case .adam: optimizer = Adam(beta1: o.beta1, weightDecay: o.weightDecay)
        case .adamw: optimizer = AdamW(beta1: o.beta1, weightDecay: o.weightDecay)
        }
        summary.append("optimizer: \(o.optimizer.rawValue) (weight decay \(o.weightDecay))")
        return RunSetup(task: task, optimizer: optimizer, itemsPerStep: itemsPerStep, summary: summary)
    }

    static func loadImages(_ d: DatasetChoice, _ path: String) throws -> (LabeledImages, LabeledImages) {
        switch d {
        case .fashionMNIST, .mnist:
            return (try IDX.loadSplit(directory: path, split: "train"), try IDX.loadSplit(directory: path, split: "t10k"))
        case .cifar10:
            let s = try CIFAR.loadCIFAR10(from: path); return (s.train, s.test)
        case .cifar100:
            let s = try CIFAR.loadCIFAR100(from: path); return (s.train, s.test)
        case .ptb:
            preconditionFailure("not an image data set")
        }
    }
}

struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
