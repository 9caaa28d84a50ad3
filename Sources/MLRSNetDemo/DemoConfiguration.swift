import Training

/// What `mlrsnet demo` runs: data, base model and optimiser, the compared schedules' shared hyper-parameters,
/// and where the report goes. `standard` is the README's ~3-minute run, `quick` the ~20-second version CI runs.
public struct DemoConfiguration: Sendable {
    /// Directory with the Fashion-MNIST IDX files (the embedded 5,000 + 1,000 sample by default).
    public var dataDirectory: String
    /// Where report.md, the plots, the CSV curves and the meta-trained artifact are written.
    public var outputDirectory: String
    public var epochs: Int
    /// Training images per class taken from the data (nil: all of them).
    public var trainPerClass: Int?
    /// Training images per class held out as the validation set MLR-SNet's meta-update uses (disjoint from
    /// training; every method trains on the same remaining images).
    public var validationPerClass: Int
    /// Test images per class (nil: all of them).
    public var testPerClass: Int?
    public var batchSize: Int
    /// The hand-designed schedules' initial LR, and MLR-SNet's first LR (its output bias is set so).
    public var learningRate: Double
    public var momentum: Float
    public var weightDecay: Float
    /// Meta-update every this many steps (Algorithm 1's T_val).
    public var metaInterval: Int
    public var seed: UInt64
    public var progress: ProgressReporter.Mode

    public init(dataDirectory: String = "Data/fashion-mnist-sample", outputDirectory: String = "demo-output", epochs: Int = 15,
                trainPerClass: Int? = nil, validationPerClass: Int = 50, testPerClass: Int? = nil, batchSize: Int = 64,
                learningRate: Double = 0.05, momentum: Float = 0.9, weightDecay: Float = 5e-4, metaInterval: Int = 5,
                seed: UInt64 = 1, progress: ProgressReporter.Mode = .auto) {
        self.dataDirectory = dataDirectory; self.outputDirectory = outputDirectory; self.epochs = epochs
        self.trainPerClass = trainPerClass; self.validationPerClass = validationPerClass; self.testPerClass = testPerClass
        self.batchSize = batchSize; self.learningRate = learningRate; self.momentum = momentum; self.weightDecay = weightDecay
        self.metaInterval = metaInterval; self.seed = seed; self.progress = progress
    }

    /// The ~20-second version: 100 training images per class (of which 20 held out for validation), 300 test
    /// images, 2 epochs.
    public static func quick(dataDirectory: String = "Data/fashion-mnist-sample", outputDirectory: String = "demo-output",
                             progress: ProgressReporter.Mode = .auto) -> DemoConfiguration {
        DemoConfiguration(dataDirectory: dataDirectory, outputDirectory: outputDirectory, epochs: 2, trainPerClass: 100,
                          validationPerClass: 20, testPerClass: 30, batchSize: 32, metaInterval: 3, progress: progress)
    }

    /// Throws a message naming the bad value.
    public func validate() throws(DemoError) {
        guard epochs >= 1 else { throw .invalid("epochs must be at least 1 (got \(epochs))") }
        guard batchSize >= 1 else { throw .invalid("batch size must be at least 1 (got \(batchSize))") }
        guard validationPerClass >= 1 else { throw .invalid("validation images per class must be at least 1 (got \(validationPerClass))") }
        if let k = trainPerClass, k <= validationPerClass {
            throw .invalid("training images per class (\(k)) must exceed the validation images per class (\(validationPerClass))")
        }
        if let k = testPerClass, k < 1 { throw .invalid("test images per class must be at least 1 (got \(k))") }
        guard learningRate > 0, learningRate < 1 else { throw .invalid("learning rate must be in (0, 1) (got \(learningRate))") }
        guard metaInterval >= 1 else { throw .invalid("meta interval must be at least 1 (got \(metaInterval))") }
    }
}

/// A demo that cannot run, with the reason.
public enum DemoError: Error, CustomStringConvertible {
    case invalid(String)
    case missingData(String)
    case failed(method: String, reason: String)

    public var description: String {
        switch self {
        case .invalid(let m): return "demo: \(m)"
        case .missingData(let m): return "demo: \(m)"
        case .failed(let method, let reason): return "demo: the \(method) run failed: \(reason)"
        }
    }
}
