/// Inputs some studies need from the command line.
public struct StudyInputs: Sendable, Equatable {
    /// Root of the corruptions for `robustness`: what `mlrsnet corrupt --format cifar-binary --out ROOT` writes,
    /// `ROOT/<corruption>/severity-<s>/cifar-10-batches-bin/` (corrupted `data_batch_1..5.bin`, clean `test_batch.bin`).
    public var corruptions: String
    /// The severity (1–5) whose training sets `robustness` trains on.
    public var severity: Int
    /// The clean CIFAR-10 release for `robustness` (nil: the default path).
    public var cleanCIFAR10: String?

    public static let defaultSeverity = 3

    public init(corruptions: String = "results/corruptions/cifar10", severity: Int = StudyInputs.defaultSeverity, cleanCIFAR10: String? = nil) {
        self.corruptions = corruptions; self.severity = severity; self.cleanCIFAR10 = cleanCIFAR10
    }

    /// The CIFAR-binary release of one corruption at `severity` (as `mlrsnet corrupt` lays it out).
    public func corruptionRelease(_ name: String) -> String { corruptions + "/" + name + "/severity-\(severity)" }
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
        ("lr-controller", Study.lrController),
    ]

    public static var names: [String] { all.map(\.name) }

    /// The study `name` at `scale`; an unknown name is an error listing the known ones.
    public static func study(_ name: String, scale: StudyScale, inputs: StudyInputs = StudyInputs()) throws -> Study {
        guard let entry = all.first(where: { $0.name == name }) else {
            throw ExperimentError("unknown study '\(name)'; studies: \(names.joined(separator: ", "))")
        }
        guard (1...5).contains(inputs.severity) else { throw ExperimentError("severity must be 1-5 (got \(inputs.severity))") }
        return entry.make(scale, inputs)
    }
}
