import Foundation
import Training

/// The data sets a run can train on.
public enum DatasetKind: String, Codable, Sendable, CaseIterable {
    case fashionMNIST = "fashion-mnist", mnist, cifar10, cifar100, ptb

    public var isText: Bool { self == .ptb }
}

/// The base optimisers a run can use.
public enum OptimizerKind: String, Codable, Sendable, CaseIterable {
    case sgd, sgdm, nesterov, adam, adamw
}

/// Everything that defines one training run except the learning-rate method: data (set, path, subset sizes,
/// validation split, augmentation), model, base optimiser and the run's length, batch, seed and clipping.
/// Codable; in JSON every field is optional and takes the default below, so a study file states only what
/// differs. `build()` (in `PreparedRun.swift`) turns it into a task and an optimiser.
public struct RunSpec: Codable, Sendable, Equatable {
    // Data
    public var dataset: DatasetKind = .fashionMNIST
    /// Data directory or archive; nil = the default for the data set (`defaultDataPath`).
    public var data: String?
    /// A CIFAR-binary directory/archive whose TEST split replaces the data's (robustness: train on a corruption,
    /// test on clean) and whose TRAINING split supplies the validation images (clean validation).
    public var cleanData: String?
    public var trainPerClass: Int?
    public var testPerClass: Int?
    /// Validation images held out per class (disjoint from training); 0 = none.
    public var validationPerClass = 0
    public var augment = false
    public var normalize = true
    /// Keep only the first N training tokens of PTB (reduced-scale text runs); nil = all.
    public var trainTokens: Int?
    /// Keep only the first N validation and test tokens of PTB (reduced-scale evaluation); nil = all.
    public var evaluationTokens: Int?

    // Model
    public var model = "smallcnn"
    public var hidden = 200
    public var layers = 2
    public var dropout: Float = 0
    public var tied = false
    public var bptt = 35

    // Optimisation
    public var optimizer: OptimizerKind = .sgdm
    public var momentum: Float = 0.9
    public var beta1: Float = 0.9
    public var weightDecay: Float = 5e-4
    public var clip: Float?

    // Run
    public var epochs = 10
    public var batchSize = 128
    public var seed: UInt64 = 0

    public init() {}

    /// The default data location (relative to the repository root) for `dataset`.
    public static func defaultDataPath(_ dataset: DatasetKind) -> String {
        switch dataset {
        case .fashionMNIST:
            return FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist") ? "/usr/share/datasets/fashion-mnist" : "Data/fashion-mnist-sample"
        case .mnist: return "/usr/share/datasets/mnist"
        case .cifar10: return "../shared/data/cifar-10/cifar-10-jpeg75-binary.tar.gz"
        case .cifar100: return "cifar-100-binary"
        case .ptb: return "../shared/data/ptb"
        }
    }

    public var resolvedDataPath: String { data ?? Self.defaultDataPath(dataset) }

    /// Throws an `ExperimentError` naming the first invalid field.
    public func validate() throws {
        func fail(_ m: String) -> ExperimentError { ExperimentError(m) }
        guard epochs >= 1 else { throw fail("epochs must be at least 1 (got \(epochs))") }
        guard batchSize >= 1 else { throw fail("batchSize must be at least 1 (got \(batchSize))") }
        guard weightDecay >= 0 else { throw fail("weightDecay must be ≥ 0 (got \(weightDecay))") }
        guard (0..<1).contains(momentum) else { throw fail("momentum must be in [0, 1) (got \(momentum))") }
        guard (0..<1).contains(beta1) else { throw fail("beta1 must be in [0, 1) (got \(beta1))") }
        if let clip, !(clip > 0) { throw fail("clip must be positive (got \(clip))") }
        if let k = trainPerClass, k < 1 { throw fail("trainPerClass must be at least 1 (got \(k))") }
        if let k = testPerClass, k < 1 { throw fail("testPerClass must be at least 1 (got \(k))") }
        if let k = trainTokens, k < 2 { throw fail("trainTokens must be at least 2 (got \(k))") }
        if let k = evaluationTokens, k < 2 { throw fail("evaluationTokens must be at least 2 (got \(k))") }
        guard validationPerClass >= 0 else { throw fail("validationPerClass must be ≥ 0 (got \(validationPerClass))") }
        guard bptt >= 1, hidden >= 1, layers >= 1 else { throw fail("bptt, hidden and layers must be at least 1") }
        guard (0..<1).contains(dropout) else { throw fail("dropout must be in [0, 1) (got \(dropout))") }
        let spec: ModelSpec
        do { spec = try ModelSpec(parsing: model) } catch { throw fail("model: \(error)") }
        if dataset.isText && spec != .lstm { throw fail("dataset ptb needs model lstm (got \(model))") }
        if !dataset.isText && spec == .lstm { throw fail("model lstm needs dataset ptb (got \(dataset.rawValue))") }
        if cleanData != nil && dataset.isText { throw fail("cleanData applies to image data sets") }
    }

    // Sparse JSON: every key optional.
    enum CodingKeys: String, CodingKey {
        case dataset, data, cleanData, trainPerClass, testPerClass, validationPerClass, augment, normalize, trainTokens,
             evaluationTokens, model, hidden, layers, dropout, tied, bptt, optimizer, momentum, beta1, weightDecay, clip,
             epochs, batchSize, seed
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = RunSpec()
        func v<T: Decodable>(_ k: CodingKeys, _ fallback: T) throws -> T { try c.decodeIfPresent(T.self, forKey: k) ?? fallback }
        dataset = try v(.dataset, d.dataset)
        data = try c.decodeIfPresent(String.self, forKey: .data)
        cleanData = try c.decodeIfPresent(String.self, forKey: .cleanData)
        trainPerClass = try c.decodeIfPresent(Int.self, forKey: .trainPerClass)
        testPerClass = try c.decodeIfPresent(Int.self, forKey: .testPerClass)
        validationPerClass = try v(.validationPerClass, d.validationPerClass)
        augment = try v(.augment, d.augment)
        normalize = try v(.normalize, d.normalize)
        trainTokens = try c.decodeIfPresent(Int.self, forKey: .trainTokens)
        evaluationTokens = try c.decodeIfPresent(Int.self, forKey: .evaluationTokens)
        model = try v(.model, d.model)
        hidden = try v(.hidden, d.hidden)
        layers = try v(.layers, d.layers)
        dropout = try v(.dropout, d.dropout)
        tied = try v(.tied, d.tied)
        bptt = try v(.bptt, d.bptt)
        optimizer = try v(.optimizer, d.optimizer)
        momentum = try v(.momentum, d.momentum)
        beta1 = try v(.beta1, d.beta1)
        weightDecay = try v(.weightDecay, d.weightDecay)
        clip = try c.decodeIfPresent(Float.self, forKey: .clip)
        epochs = try v(.epochs, d.epochs)
        batchSize = try v(.batchSize, d.batchSize)
        seed = try v(.seed, d.seed)
    }
}
