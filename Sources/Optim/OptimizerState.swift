import NN
import Tensor

/// A snapshot of an optimiser's state for checkpointing: named tensors (per-parameter buffers, keyed
/// `"<parameter name>.<buffer>"`) and named numbers (step counters, `"<parameter name>.step"`).
///
/// It is a value: later steps of the optimiser never change a snapshot (tensors are copy-on-write).
/// `Codable` writes each tensor as `{"shape": [...], "values": [...]}`; Float → JSON → Float is exact.
public struct OptimizerState: Equatable, Sendable {
    /// Which optimiser wrote it (`"SGD"`, `"Adam"`, `"AdamW"`); restore checks it.
    public var kind: String
    public var tensors: [String: Tensor]
    public var scalars: [String: Double]

    public init(kind: String, tensors: [String: Tensor] = [:], scalars: [String: Double] = [:]) {
        self.kind = kind
        self.tensors = tensors
        self.scalars = scalars
    }
}

extension OptimizerState: Codable {
    private enum CodingKeys: String, CodingKey { case kind, tensors, scalars }

    private struct StoredTensor: Codable {
        var shape: [Int]
        var values: [Float]
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(String.self, forKey: .kind)
        scalars = try c.decode([String: Double].self, forKey: .scalars)
        let stored = try c.decode([String: StoredTensor].self, forKey: .tensors)
        var tensors: [String: Tensor] = [:]
        for (name, t) in stored {
            let n = t.shape.reduce(1, *)
            guard t.shape.allSatisfy({ $0 >= 0 }), n == t.values.count else {
                throw DecodingError.dataCorruptedError(
                    forKey: .tensors, in: c,
                    debugDescription: "OptimizerState: tensor '\(name)' has shape \(t.shape) but \(t.values.count) values")
            }
            tensors[name] = Tensor(shape: t.shape, values: t.values)
        }
        self.tensors = tensors
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(scalars, forKey: .scalars)
        try c.encode(tensors.mapValues { StoredTensor(shape: $0.shape, values: $0.scalars) }, forKey: .tensors)
    }
}

/// Why a state could not be restored into a set of parameters.
public enum OptimizerStateError: Error, Equatable, CustomStringConvertible {
    /// The state was written by another kind of optimiser.
    case kindMismatch(expected: String, found: String)
    /// Entries that belong to no parameter being restored (other names, or buffers this optimiser's
    /// configuration does not use).
    case unknownEntries([String])
    /// A buffer's shape differs from its parameter's shape.
    case shapeMismatch(key: String, expected: [Int], found: [Int])
    /// Some, but not all, of a parameter's entries are present.
    case incompleteEntries(parameter: String, missing: [String])
    /// A scalar that must be a non-negative whole number is not.
    case invalidScalar(key: String, value: Double)
    /// Two parameters share a name, so entries cannot be attached by name.
    case duplicateParameterName(String)

    public var description: String {
        switch self {
        case let .kindMismatch(expected, found):
            return "optimizer state: written by \(found), cannot restore into \(expected)"
        case let .unknownEntries(keys):
            return "optimizer state: entries match no parameter being restored: \(keys.sorted())"
        case let .shapeMismatch(key, expected, found):
            return "optimizer state: '\(key)' has shape \(found), its parameter has shape \(expected)"
        case let .incompleteEntries(parameter, missing):
            return "optimizer state: parameter '\(parameter)' is missing \(missing.sorted())"
        case let .invalidScalar(key, value):
            return "optimizer state: '\(key)' = \(value) is not a non-negative whole number"
        case let .duplicateParameterName(name):
            return "optimizer state: two parameters are named '\(name)'"
        }
    }
}

/// Reads a state entry by entry for `restore`, remembering which keys were used so that leftover
/// (unknown) entries can be reported.
struct StateReader {
    private let state: OptimizerState
    private var unused: Set<String>

    /// Checks the kind and that parameter names are unique.
    init(_ state: OptimizerState, kind: String, parameters: [Parameter]) throws {
        guard state.kind == kind else { throw OptimizerStateError.kindMismatch(expected: kind, found: state.kind) }
        var seen = Set<String>()
        for p in parameters where !seen.insert(p.name).inserted {
            throw OptimizerStateError.duplicateParameterName(p.name)
        }
        self.state = state
        self.unused = Set(state.tensors.keys).union(state.scalars.keys)
    }

    /// `"<parameter>.<buffer>"`, the key of one entry.
    static func key(_ p: Parameter, _ buffer: String) -> String { "\(p.name).\(buffer)" }

    /// The buffer `buffer` of `p`, shape-checked against `p`; nil when absent.
    mutating func tensor(_ p: Parameter, _ buffer: String) throws -> Tensor? {
        let key = Self.key(p, buffer)
        guard let t = state.tensors[key] else { return nil }
        unused.remove(key)
        guard t.shape == p.value.shape else {
            throw OptimizerStateError.shapeMismatch(key: key, expected: p.value.shape, found: t.shape)
        }
        return t
    }

    /// The step counter `buffer` of `p` as a count; nil when absent.
    mutating func count(_ p: Parameter, _ buffer: String) throws -> Int? {
        let key = Self.key(p, buffer)
        guard let v = state.scalars[key] else { return nil }
        unused.remove(key)
        guard v >= 0, v < 1e15, v.rounded() == v else { throw OptimizerStateError.invalidScalar(key: key, value: v) }
        return Int(v)
    }

    /// Throws when some entries were not claimed by any parameter.
    func finish() throws {
        if !unused.isEmpty { throw OptimizerStateError.unknownEntries(unused.sorted()) }
    }
}

/// Builds a state from per-parameter entries; traps on duplicate parameter names (entries would
/// collide, and names are PyTorch state-dict paths that must be unique).
struct StateWriter {
    private(set) var state: OptimizerState

    init(kind: String) { state = OptimizerState(kind: kind) }

    mutating func set(_ p: Parameter, _ buffer: String, _ t: Tensor) {
        let key = StateReader.key(p, buffer)
        precondition(state.tensors[key] == nil, "Optimizer.state: two parameters are named '\(p.name)'")
        state.tensors[key] = t
    }

    mutating func set(_ p: Parameter, _ buffer: String, _ v: Int) {
        let key = StateReader.key(p, buffer)
        precondition(state.scalars[key] == nil, "Optimizer.state: two parameters are named '\(p.name)'")
        state.scalars[key] = Double(v)
    }
}
