/// Inputs some studies need from the command line.
public struct StudyInputs: Sendable, Equatable {
    /// Root of the corruption directories (`ROOT/gaussian_noise`, ...) for `robustness`.
    public var corruptions: String
    /// The clean CIFAR-10 release for `robustness` (nil: the default path).
    public var cleanCIFAR10: String?

    public init(corruptions: String = "results/corruptions/cifar10", cleanCIFAR10: String? = nil) {
        self.corruptions = corruptions; self.cleanCIFAR10 = cleanCIFAR10
    }
}

/// Every study by name (`mlrsnet reproduce NAME`), in a sensible running order. Adding a study is one line.
public enum StudyCatalog {
    public static let all: [(name: String, make: @Sendable (StudyScale, StudyInputs) -> Study)] = [
        ("image", Study.image),
        ("text", Study.text),
        ("transfer-epochs", Study.transferEpochs),
        ("transfer-datasets", Study.transferDatasets),
        ("transfer-architectures", Study.transferArchitectures),
        ("robustness", Study.robustness),
        ("ablations", Study.ablations),
        ("cost", Study.cost),
        ("flatness", Study.flatness),
    ]

    public static var names: [String] { all.map(\.name) }

    /// The study `name` at `scale`; an unknown name is an error listing the known ones.
    public static func study(_ name: String, scale: StudyScale, inputs: StudyInputs = StudyInputs()) throws -> Study {
        guard let entry = all.first(where: { $0.name == name }) else {
            throw ExperimentError("unknown study '\(name)'; studies: \(names.joined(separator: ", "))")
        }
        return entry.make(scale, inputs)
    }
}
