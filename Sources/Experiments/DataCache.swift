import Datasets
import Foundation

/// Loaded data sets, kept while a study runs so its many cells read each file once. Keyed by kind and path.
public final class DataCache: @unchecked Sendable {
    private var images: [String: (train: LabeledImages, test: LabeledImages)] = [:]
    private var corpora: [String: PennTreebank] = [:]
    private let lock = NSLock()

    public init() {}

    /// The training and test splits of an image data set at `path`.
    public func images(_ dataset: DatasetKind, at path: String) throws -> (train: LabeledImages, test: LabeledImages) {
        let key = "\(dataset.rawValue):\(path)"
        lock.lock(); defer { lock.unlock() }
        if let hit = images[key] { return hit }
        let loaded: (LabeledImages, LabeledImages)
        switch dataset {
        case .fashionMNIST, .mnist:
            loaded = (try IDX.loadSplit(directory: path, split: "train"), try IDX.loadSplit(directory: path, split: "t10k"))
        case .cifar10:
            let s = try CIFAR.loadCIFAR10(from: path); loaded = (s.train, s.test)
        case .cifar100:
            let s = try CIFAR.loadCIFAR100(from: path); loaded = (s.train, s.test)
        case .ptb:
            throw ExperimentError("ptb is not an image data set")
        }
        images[key] = loaded
        return loaded
    }

    /// The Penn Treebank corpus in `directory`.
    public func corpus(at directory: String) throws -> PennTreebank {
        lock.lock(); defer { lock.unlock() }
        if let hit = corpora[directory] { return hit }
        let c = try PennTreebank.load(directory: directory)
        corpora[directory] = c
        return c
    }
}
