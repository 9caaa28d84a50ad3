import Foundation
import LearnedSchedule
import SafeTensors
import Tensor
import Training

/// A trained LR Controller, as a file: safetensors with the policy's tensors (`actor.*`, `critic.*`,
/// `log_std` for the continuous policy) and the observation normaliser (`obs_norm.mean`, `obs_norm.m2`, [7]),
/// and `__metadata__`:
///
/// | key | value |
/// |---|---|
/// | `format` / `format_version` | `mlrsnet-swift/lr-controller` / `1` |
/// | `configuration` | `LRControllerConfiguration` as JSON |
/// | `ppo` | `PPOHyperparameters` as JSON (how it was trained) |
/// | `obs_norm_count` | the normaliser's count |
/// | `task`, `episodes`, `seed` | what it was trained on |
/// | `content_sha256` | SHA-256 over the tensors (`MLRSNetArtifact.contentSHA256`'s layout-independent rule) |
///
/// Loading checks format, version (newer versions are refused), configuration, tensor names and shapes,
/// the content hash and finiteness, and throws `LRControllerArtifactError` naming what is wrong.
public struct LRControllerArtifact {
    public static let format = "mlrsnet-swift/lr-controller"
    public static let formatVersion = 1

    public let configuration: LRControllerConfiguration
    public let ppo: PPOHyperparameters
    public let tensors: [String: ShapedArray]
    public let observationNormalizer: RunningNormalizer
    public var task: String
    public var episodes: Int
    public var seed: UInt64

    /// The artifact of `policy` as it is now, with the observation statistics it was trained with.
    public init(policy: ControllerPolicy, ppo: PPOHyperparameters, observationNormalizer: RunningNormalizer,
                task: String, episodes: Int, seed: UInt64) {
        configuration = policy.configuration
        self.ppo = ppo
        var t: [String: ShapedArray] = [:]
        for p in policy.parameters { t[p.name] = ShapedArray(shape: p.value.shape, values: p.value.scalars) }
        t["obs_norm.mean"] = ShapedArray(shape: [observationNormalizer.dimension], values: observationNormalizer.mean.map(Float.init))
        t["obs_norm.m2"] = ShapedArray(shape: [observationNormalizer.dimension], values: observationNormalizer.m2.map(Float.init))
        tensors = t
        // The stored statistics are the F32 ones (what a reader gets back).
        self.observationNormalizer = (try? RunningNormalizer(count: observationNormalizer.count,
                                                             mean: t["obs_norm.mean"]!.values.map(Double.init),
                                                             m2: t["obs_norm.m2"]!.values.map(Double.init))) ?? observationNormalizer
        self.task = task; self.episodes = episodes; self.seed = seed
    }

    private init(configuration: LRControllerConfiguration, ppo: PPOHyperparameters, tensors: [String: ShapedArray],
                 normalizer: RunningNormalizer, task: String, episodes: Int, seed: UInt64) {
        self.configuration = configuration; self.ppo = ppo; self.tensors = tensors
        observationNormalizer = normalizer; self.task = task; self.episodes = episodes; self.seed = seed
    }

    /// A policy with these weights (frozen use: pass it to `LRControllerUpdate` with `.frozen`).
    public func makePolicy() -> ControllerPolicy {
        let policy = ControllerPolicy(configuration: configuration, seed: 0)
        for p in policy.parameters { p.value = Tensor(shape: tensors[p.name]!.shape, values: tensors[p.name]!.values) }
        return policy
    }

    public var metadata: [String: String] {
        get throws {
            ["format": Self.format, "format_version": "\(Self.formatVersion)",
             "configuration": try jsonString(configuration), "ppo": try jsonString(ppo),
             "obs_norm_count": "\(observationNormalizer.count)", "task": task, "episodes": "\(episodes)", "seed": "\(seed)",
             "content_sha256": MLRSNetArtifact.contentSHA256(tensors)]
        }
    }

    public func encode() throws -> [UInt8] { try SafeTensors.encode(tensors, metadata: try metadata) }
    /// Writes atomically.
    public func write(to path: String) throws { try AtomicFile.write(try encode(), to: path) }

    public static func read(_ path: String) throws(LRControllerArtifactError) -> LRControllerArtifact {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path) }
        return try decode([UInt8](data))
    }

    public static func decode(_ bytes: [UInt8]) throws(LRControllerArtifactError) -> LRControllerArtifact {
        let tensors: [String: ShapedArray], m: [String: String]
        do { (tensors, m) = try SafeTensors.decode(bytes) } catch { throw .file(error) }
        guard let format = m["format"] else { throw .notAnArtifact("no 'format' metadata") }
        guard format == Self.format else { throw .notAnArtifact("format is '\(format)', expected '\(Self.format)'") }
        guard let vt = m["format_version"], let version = Int(vt), version >= 1 else {
            throw .invalidMetadata(key: "format_version", reason: "missing or not a positive integer")
        }
        guard version <= Self.formatVersion else { throw .unsupportedFormatVersion(found: version, supported: Self.formatVersion) }
        let configuration: LRControllerConfiguration, ppo: PPOHyperparameters
        do { configuration = try decodeJSON(m["configuration"] ?? "") } catch { throw .invalidMetadata(key: "configuration", reason: "\(error)") }
        do { ppo = try decodeJSON(m["ppo"] ?? "") } catch { throw .invalidMetadata(key: "ppo", reason: "\(error)") }
        do {   // re-validate the decoded configuration through its checking initialiser
            _ = try LRControllerConfiguration(actionSpace: configuration.actionSpace, interval: configuration.interval, factor: configuration.factor,
                                              minimumLR: configuration.minimumLR, maximumLR: configuration.maximumLR,
                                              hiddenSize: configuration.hiddenSize, probeSize: configuration.probeSize,
                                              initialStd: configuration.initialStd, penaltyLoss: configuration.penaltyLoss)
        } catch { throw .invalidMetadata(key: "configuration", reason: error.description) }
        // Expected tensors: those of a policy of this configuration, plus the normaliser.
        let probe = ControllerPolicy(configuration: configuration, seed: 0)
        let f = LRControllerConfiguration.featureCount
        var expected = probe.parameters.map { ($0.name, $0.value.shape) }
        expected += [("obs_norm.mean", [f]), ("obs_norm.m2", [f])]
        for (name, _) in expected where tensors[name] == nil { throw .missingTensor(name) }
        let known = Set(expected.map(\.0))
        if let extra = tensors.keys.sorted().first(where: { !known.contains($0) }) { throw .unexpectedTensor(extra) }
        for (name, shape) in expected where tensors[name]!.shape != shape {
            throw .tensorShape(name: name, expected: shape, found: tensors[name]!.shape)
        }
        guard let recorded = m["content_sha256"] else { throw .invalidMetadata(key: "content_sha256", reason: "missing") }
        let computed = MLRSNetArtifact.contentSHA256(tensors)
        guard recorded == computed else { throw .contentHashMismatch(recorded: recorded, computed: computed) }
        for name in tensors.keys.sorted() {
            if let i = tensors[name]!.values.firstIndex(where: { !$0.isFinite }) { throw .nonFiniteValue(tensor: name, index: i) }
        }
        guard let count = m["obs_norm_count"].flatMap(Double.init), count >= 0 else { throw .invalidMetadata(key: "obs_norm_count", reason: "missing or negative") }
        let norm: RunningNormalizer
        do {
            norm = try RunningNormalizer(count: count, mean: tensors["obs_norm.mean"]!.values.map(Double.init),
                                         m2: tensors["obs_norm.m2"]!.values.map(Double.init))
        } catch { throw .invalidMetadata(key: "obs_norm", reason: error.description) }
        let episodes = Int(m["episodes"] ?? "0") ?? 0
        let seed = UInt64(m["seed"] ?? "0") ?? 0
        return LRControllerArtifact(configuration: configuration, ppo: ppo, tensors: tensors, normalizer: norm,
                                    task: m["task"] ?? "", episodes: episodes, seed: seed)
    }
}

/// Why an LR Controller artifact could not be loaded.
public enum LRControllerArtifactError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(String)
    case file(SafeTensorsError)
    case notAnArtifact(String)
    case unsupportedFormatVersion(found: Int, supported: Int)
    case invalidMetadata(key: String, reason: String)
    case missingTensor(String)
    case unexpectedTensor(String)
    case tensorShape(name: String, expected: [Int], found: [Int])
    case contentHashMismatch(recorded: String, computed: String)
    case nonFiniteValue(tensor: String, index: Int)

    public var description: String {
        switch self {
        case .unreadable(let p): return "LR Controller artifact: cannot read \(p)"
        case .file(let e): return "LR Controller artifact: \(e)"
        case .notAnArtifact(let d): return "not an LR Controller artifact: \(d)"
        case let .unsupportedFormatVersion(f, s): return "LR Controller artifact format version \(f) was written by a newer mlrsnet-swift; this one reads up to \(s)"
        case let .invalidMetadata(k, r): return "LR Controller artifact: metadata '\(k)' is invalid: \(r)"
        case .missingTensor(let n): return "LR Controller artifact: tensor '\(n)' is missing"
        case .unexpectedTensor(let n): return "LR Controller artifact: unexpected tensor '\(n)'"
        case let .tensorShape(n, e, f): return "LR Controller artifact: tensor '\(n)' has shape \(f), expected \(e)"
        case let .contentHashMismatch(r, c): return "LR Controller artifact: content SHA-256 \(c) does not match the recorded \(r) (corrupt file?)"
        case let .nonFiniteValue(t, i): return "LR Controller artifact: tensor '\(t)' has a non-finite value at index \(i)"
        }
    }
}
