import Foundation
import Training

/// What a method kind gets to build its step updater for one cell.
public struct MethodContext {
    public let method: MethodSpec
    /// The cell's run (the group's run with the method's overrides and the cell's seed).
    public let run: RunSpec
    /// The task and optimiser built from `run`.
    public let prepared: PreparedRun
    /// The cell's directory (logs, checkpoint, artifacts).
    public let cellDirectory: String
    /// The artifact meta-trained by another cell of the same study ("group/method"), for this cell's seed
    /// (or the first seed that has one); throws when it has not been produced.
    public let artifactOf: (String) throws -> String
    /// The study's data cache (for kinds that build further runs, e.g. the LR Controller's training episodes).
    public let cache: DataCache

    public init(method: MethodSpec, run: RunSpec, prepared: PreparedRun, cellDirectory: String,
                artifactOf: @escaping (String) throws -> String, cache: DataCache = DataCache()) {
        self.method = method; self.run = run; self.prepared = prepared; self.cellDirectory = cellDirectory
        self.artifactOf = artifactOf; self.cache = cache
    }
}

/// A method made ready for one cell: the trainer's step updater and what to do once training finished
/// (e.g. save the meta-learned artifact).
public struct PreparedMethod {
    public var updater: any StepUpdater
    public var summary: String
    public var finish: ((Trainer) throws -> Void)?

    public init(updater: any StepUpdater, summary: String, finish: ((Trainer) throws -> Void)? = nil) {
        self.updater = updater; self.summary = summary; self.finish = finish
    }
}

/// One kind of learning-rate method: its name, accepted parameters, a check of a spec (without data) and the
/// factory of its updater. Registered in `MethodKinds.all`.
public struct MethodKind: Sendable {
    public let name: String
    public let summary: String
    /// The parameter names the kind accepts (anything else in `MethodSpec.parameters` is an error).
    public let parameters: [String]
    /// Whether the kind produces an MLR-SNet artifact (`mlrsnet.safetensors` in its cell) others may transfer.
    public let producesArtifact: Bool
    /// Kind-specific checks of a spec (beyond the parameter names), before anything runs.
    public let check: @Sendable (MethodSpec, RunSpec) throws -> Void
    /// Builds the updater for one cell.
    public let make: @Sendable (MethodContext) throws -> PreparedMethod

    public init(name: String, summary: String, parameters: [String], producesArtifact: Bool = false,
                check: @escaping @Sendable (MethodSpec, RunSpec) throws -> Void = { _, _ in },
                make: @escaping @Sendable (MethodContext) throws -> PreparedMethod) {
        self.name = name; self.summary = summary; self.parameters = parameters; self.producesArtifact = producesArtifact
        self.check = check; self.make = make
    }

    /// Checks the parameter names and the kind's own rules.
    public func validate(_ method: MethodSpec, run: RunSpec) throws {
        for key in method.parameters.keys.sorted() where !parameters.contains(key) {
            throw ExperimentError("method \(method.name) (\(name)): unknown parameter '\(key)'; accepted: \(parameters.isEmpty ? "none" : parameters.joined(separator: ", "))")
        }
        try check(method, run)
    }
}
