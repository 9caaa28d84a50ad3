import Foundation
import SafeTensors

/// A meta-learned MLR-SNet, as a file: safetensors with one F32 tensor per parameter (the state-dict names of
/// `MLRSNetConfiguration.parameterSpecs`, PyTorch shapes), optionally the recurrent state (`state.h`, `state.c`,
/// [H] each) for an exact resume, and `__metadata__`:
///
/// | key | value |
/// |---|---|
/// | `format` / `format_version` | `mlrsnet-swift/artifact` / `1` |
/// | `architecture` | `reference-meta-test`, `reference-meta-train`, `paper`, `mlp` |
/// | `hidden_size`, `pre_width` | H, P |
/// | `gamma_policy` | `fixed`, `reference` or `reference-perplexity`; `gamma_count` = C or V for the last two |
/// | `gamma` | γ's value during meta-training (optional) |
/// | `input_normalisation` | `raw` or `per-log-vocabulary` (+ `vocabulary_size`) |
/// | `task`, `steps`, `seed` | what it was meta-trained on, how many steps, with which seed |
/// | `has_state`, `state_steps` | `1` when `state.h`/`state.c` are present; the steps they correspond to |
/// | `content_sha256` | SHA-256 (hex) over the tensors, see `contentSHA256` |
///
/// Loading checks everything and reports what is wrong as an `MLRSNetArtifactError` (never a crash): format and
/// version (a newer version is refused with a clear message), architecture, sizes, missing/extra/misshaped
/// tensors, the content hash, non-finite values. A file with only the reference state-dict keys and no metadata
/// (a reference PyTorch checkpoint converted by `scripts/convert_reference_checkpoint.py`) loads with
/// `LoadOptions.referenceCheckpoint(...)`: the layout is given there, H and P are read from the shapes.
public struct MLRSNetArtifact: Sendable, Equatable {
    public static let format = "mlrsnet-swift/artifact"
    public static let formatVersion = 1
    /// The largest γ a file may carry: the paper uses 1 (images) and 40 (text); anything near Float's range
    /// would make α = γ·p overflow to infinity.
    public static let maximumGamma = 1e6

    /// The saved (h, c) and the step count they belong to.
    public struct RecurrentState: Sendable, Equatable {
        public var hidden: [Float]
        public var cell: [Float]
        public var stepsAdvanced: Int
        public init(hidden: [Float], cell: [Float], stepsAdvanced: Int) {
            self.hidden = hidden; self.cell = cell; self.stepsAdvanced = stepsAdvanced
        }
    }

    public let configuration: MLRSNetConfiguration
    /// θ, flat, in `configuration.parameterSpecs` order.
    public let weights: [Float]
    /// The γ rule used in meta-training (the default γ rule of a schedule built from this artifact).
    public var gammaPolicy: GammaPolicy
    /// γ's value during meta-training, when known (for a fixed policy: its value).
    public var gammaValue: Double?
    public var inputNormalisation: InputNormalisation
    /// Free text: the meta-training task ("CIFAR-10 ResNet-20 SGD, 20k images, ...").
    public var task: String
    /// Meta-training steps behind these weights.
    public var steps: Int
    /// Seed of the initialisation / run, when known.
    public var seed: UInt64?
    /// The recurrent state, when saved for an exact resume (never for `mlp`).
    public let recurrentState: RecurrentState?

    /// Wraps validated values. Throws `invalidValues` for a wrong count, non-finite values, or a state of the
    /// wrong size (or any state for `mlp`).
    public init(configuration: MLRSNetConfiguration, weights: [Float], gammaPolicy: GammaPolicy = .paperImages,
                gammaValue: Double? = nil, inputNormalisation: InputNormalisation = .raw, task: String = "",
                steps: Int = 0, seed: UInt64? = nil, recurrentState: RecurrentState? = nil) throws(MLRSNetCellError) {
        // The cell's checks: count and finiteness.
        _ = try MLRSNetCell(configuration: configuration, weights: weights)
        if let s = recurrentState {
            guard configuration.architecture.isRecurrent else { throw .invalidValues("an mlp meta-learner has no recurrent state") }
            var probe = try MLRSNetCell(configuration: configuration, weights: weights)
            try probe.setState(hidden: s.hidden, cell: s.cell, stepsAdvanced: s.stepsAdvanced)
        }
        guard steps >= 0 else { throw .invalidValues("steps \(steps) < 0") }
        self.configuration = configuration
        self.weights = weights
        self.gammaPolicy = gammaPolicy
        if case .fixed(let g) = gammaPolicy { self.gammaValue = g } else { self.gammaValue = gammaValue }
        self.inputNormalisation = inputNormalisation
        self.task = task
        self.steps = steps
        self.seed = seed
        self.recurrentState = recurrentState
    }

    /// The artifact of `cell`'s current θ (and, with `includeState`, its (h, c) for an exact resume).
    public init(cell: MLRSNetCell, gammaPolicy: GammaPolicy = .paperImages, gammaValue: Double? = nil,
                inputNormalisation: InputNormalisation = .raw, task: String = "", steps: Int = 0,
                seed: UInt64? = nil, includeState: Bool = false) {
        configuration = cell.configuration
        weights = cell.weights
        self.gammaPolicy = gammaPolicy
        if case .fixed(let g) = gammaPolicy { self.gammaValue = g } else { self.gammaValue = gammaValue }
        self.inputNormalisation = inputNormalisation
        self.task = task
        self.steps = max(0, steps)
        self.seed = seed
        recurrentState = includeState && cell.configuration.architecture.isRecurrent
            ? RecurrentState(hidden: cell.hiddenState, cell: cell.cellState, stepsAdvanced: cell.stepsAdvanced) : nil
    }

    /// A cell with these weights: zero state (the start of a transfer run), or the saved state with `restoringState`.
    public func makeCell(restoringState: Bool = false) -> MLRSNetCell {
        do {
            var cell = try MLRSNetCell(configuration: configuration, weights: weights)
            if restoringState, let s = recurrentState {
                try cell.setState(hidden: s.hidden, cell: s.cell, stepsAdvanced: s.stepsAdvanced)
            }
            return cell
        } catch {
            preconditionFailure("MLRSNetArtifact.makeCell: validated artifact rejected: \(error)")  // checked in init
        }
    }

    /// The named parameter.
    public func parameter(named name: String) -> ShapedArray? {
        guard let s = configuration.spec(named: name) else { return nil }
        return ShapedArray(shape: s.shape, values: Array(weights[s.offset..<(s.offset + s.count)]))
    }

    // MARK: Writing

    /// Every tensor the file holds.
    public var tensors: [String: ShapedArray] {
        var out: [String: ShapedArray] = [:]
        for s in configuration.parameterSpecs { out[s.name] = parameter(named: s.name) }
        if let st = recurrentState {
            out["state.h"] = ShapedArray(shape: [configuration.hiddenSize], values: st.hidden)
            out["state.c"] = ShapedArray(shape: [configuration.hiddenSize], values: st.cell)
        }
        return out
    }

    /// The `__metadata__` written (see the type's table).
    public var metadata: [String: String] {
        let t = tensors
        var m: [String: String] = [
            "format": Self.format, "format_version": "\(Self.formatVersion)",
            "architecture": configuration.architecture.rawValue,
            "hidden_size": "\(configuration.hiddenSize)", "pre_width": "\(configuration.preWidth)",
            "task": task, "steps": "\(steps)",
            "has_state": recurrentState == nil ? "0" : "1",
            "content_sha256": Self.contentSHA256(t),
        ]
        switch gammaPolicy {
        case .fixed(let g): m["gamma_policy"] = "fixed"; m["gamma"] = "\(g)"
        case .reference(let c): m["gamma_policy"] = "reference"; m["gamma_count"] = "\(c)"
        case .referencePerplexity(let v): m["gamma_policy"] = "reference-perplexity"; m["gamma_count"] = "\(v)"
        }
        if gammaPolicy.isComputed, let g = gammaValue { m["gamma"] = "\(g)" }
        switch inputNormalisation {
        case .raw: m["input_normalisation"] = "raw"
        case .perLogVocabulary(let v): m["input_normalisation"] = "per-log-vocabulary"; m["vocabulary_size"] = "\(v)"
        }
        if let seed { m["seed"] = "\(seed)" }
        if let s = recurrentState { m["state_steps"] = "\(s.stepsAdvanced)" }
        return m
    }

    /// The file's bytes.
    public func encode() throws -> [UInt8] { try SafeTensors.encode(tensors, metadata: metadata) }

    /// Writes the file atomically (temporary file, fsync, rename).
    public func write(to path: String) throws { try AtomicFile.write(try encode(), to: path) }

    /// SHA-256 (hex) over the tensors, independent of the file's layout: for each tensor in the byte order of
    /// its UTF-8 name: the name's bytes, a 0 byte, the rank and each dimension as little-endian UInt64, then
    /// the values as little-endian F32. (Python: `h.update(name.encode() + b"\0" + struct.pack("<Q", rank) +
    /// struct.pack(f"<{rank}Q", *shape) + t.astype("<f4").tobytes())`.)
    public static func contentSHA256(_ tensors: [String: ShapedArray]) -> String {
        var h = SHA256()
        for name in tensors.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            let t = tensors[name]!
            h.update(Array(name.utf8) + [0])
            h.update(littleEndian: UInt64(t.shape.count))
            for d in t.shape { h.update(littleEndian: UInt64(d)) }
            h.update(littleEndianFloats: t.values)
        }
        return SHA256.hexString(h.finalize())
    }

    // MARK: Reading

    /// How to treat a file without `mlrsnet-swift` metadata.
    public enum LoadOptions: Sendable, Equatable {
        /// Require an artifact (the `format` metadata).
        case artifact
        /// Also accept a metadata-free file holding exactly the state-dict keys of `architecture` (a converted
        /// reference checkpoint); H and P are inferred from `layer3.weight` [1, H] and the first pre-layer weight
        /// [P, ·]; the other fields come from here. A file that does carry artifact metadata loads as an artifact.
        case referenceCheckpoint(architecture: MLRSNetArchitecture = .referenceMetaTest,
                                 gammaPolicy: GammaPolicy = .paperImages,
                                 inputNormalisation: InputNormalisation = .raw,
                                 task: String = "converted reference checkpoint")
    }

    /// Reads and checks a file.
    public static func read(_ path: String, options: LoadOptions = .artifact) throws(MLRSNetArtifactError) -> MLRSNetArtifact {
        guard let data = FileManager.default.contents(atPath: path) else { throw .file(.unreadable(path)) }
        return try decode([UInt8](data), options: options)
    }

    /// Decodes and checks a file's bytes.
    public static func decode(_ bytes: [UInt8], options: LoadOptions = .artifact) throws(MLRSNetArtifactError) -> MLRSNetArtifact {
        let tensors: [String: ShapedArray], metadata: [String: String]
        do { (tensors, metadata) = try SafeTensors.decode(bytes) } catch { throw .file(error) }

        guard let format = metadata["format"] else {
            guard case let .referenceCheckpoint(architecture, gamma, normalisation, task) = options else {
                throw .notAnArtifact("the file has no 'format' metadata (a converted reference checkpoint? load it with LoadOptions.referenceCheckpoint)")
            }
            return try loadReference(tensors, metadata, architecture, gamma, normalisation, task)
        }
        guard format == Self.format else { throw .notAnArtifact("format is '\(format)', expected '\(Self.format)'") }
        let versionText = try required(metadata, "format_version")
        guard let version = Int(versionText), version >= 1 else {
            throw .invalidMetadata(key: "format_version", value: versionText, reason: "must be a positive integer")
        }
        guard version <= Self.formatVersion else { throw .unsupportedFormatVersion(found: version, supported: Self.formatVersion) }

        let archText = try required(metadata, "architecture")
        guard let architecture = MLRSNetArchitecture(rawValue: archText) else { throw .unknownArchitecture(archText) }
        let hidden = try integer(metadata, "hidden_size")
        let pre = try integer(metadata, "pre_width")
        let configuration: MLRSNetConfiguration
        do { configuration = try MLRSNetConfiguration(architecture: architecture, hiddenSize: hidden, preWidth: pre) }
        catch { throw .invalidMetadata(key: "hidden_size", value: "\(hidden) / pre_width \(pre)", reason: error.description) }

        let hasState = try flag(metadata, "has_state")
        let weights = try checkTensors(tensors, configuration, stateExpected: hasState)

        let recorded = try required(metadata, "content_sha256")
        let computed = contentSHA256(tensors)
        guard recorded == computed else { throw .contentHashMismatch(recorded: recorded, computed: computed) }
        try checkFinite(tensors)

        let gamma = try gammaPolicy(metadata)
        var gammaValue: Double? = nil
        if let text = metadata["gamma"] {
            guard let g = Double(text), g.isFinite, g > 0 else { throw .invalidMetadata(key: "gamma", value: text, reason: "must be a finite number > 0") }
            guard g <= maximumGamma else { throw .invalidMetadata(key: "gamma", value: text, reason: "must be at most \(maximumGamma)") }
            gammaValue = g
        }
        let normalisation: InputNormalisation
        switch try required(metadata, "input_normalisation") {
        case "raw": normalisation = .raw
        case "per-log-vocabulary": normalisation = .perLogVocabulary(try integer(metadata, "vocabulary_size", minimum: 2))
        case let other: throw .invalidMetadata(key: "input_normalisation", value: other, reason: "expected 'raw' or 'per-log-vocabulary'")
        }
        var seed: UInt64? = nil
        if let text = metadata["seed"] {
            guard let s = UInt64(text) else { throw .invalidMetadata(key: "seed", value: text, reason: "must be an unsigned 64-bit integer") }
            seed = s
        }
        let steps = metadata["steps"] == nil ? 0 : try integer(metadata, "steps", minimum: 0)
        var state: RecurrentState? = nil
        if hasState {
            state = RecurrentState(hidden: tensors["state.h"]!.values, cell: tensors["state.c"]!.values,
                                   stepsAdvanced: try integer(metadata, "state_steps", minimum: 0))
        }
        do {
            return try MLRSNetArtifact(configuration: configuration, weights: weights, gammaPolicy: gamma,
                                       gammaValue: gammaValue, inputNormalisation: normalisation,
                                       task: metadata["task"] ?? "", steps: steps, seed: seed, recurrentState: state)
        } catch {
            throw .invalidMetadata(key: "-", value: "-", reason: error.description)   // already checked above
        }
    }

    /// A metadata-free reference checkpoint: infer H and P, check the keys, shapes and values.
    private static func loadReference(_ tensors: [String: ShapedArray], _ metadata: [String: String],
                                      _ architecture: MLRSNetArchitecture, _ gamma: GammaPolicy,
                                      _ normalisation: InputNormalisation, _ task: String) throws(MLRSNetArtifactError) -> MLRSNetArtifact {
        guard let out = tensors["layer3.weight"] else { throw .missingTensor("layer3.weight") }
        guard out.shape.count == 2, out.shape[0] == 1 else {
            throw .cannotInferShape("layer3.weight has shape \(out.shape), expected [1, H]")
        }
        let hidden = out.shape[1]
        // The first pre-layer weight ([P, 1] or [P, H+1]) gives P.
        let firstName: String
        switch architecture {
        case .referenceMetaTest, .referenceMetaTrain: firstName = "layer1.fc_i2h.0.weight"
        case .paper: firstName = "pre.weight"
        case .mlp: firstName = "mlp.0.weight"
        }
        guard let first = tensors[firstName] else { throw .missingTensor(firstName) }
        guard first.shape.count == 2 else { throw .cannotInferShape("\(firstName) has shape \(first.shape), expected [P, in]") }
        let configuration: MLRSNetConfiguration
        do { configuration = try MLRSNetConfiguration(architecture: architecture, hiddenSize: hidden, preWidth: first.shape[0]) }
        catch { throw .cannotInferShape(error.description) }
        let weights = try checkTensors(tensors, configuration, stateExpected: false)
        if let recorded = metadata["content_sha256"] {
            let computed = contentSHA256(tensors)
            guard recorded == computed else { throw .contentHashMismatch(recorded: recorded, computed: computed) }
        }
        try checkFinite(tensors)
        do {
            return try MLRSNetArtifact(configuration: configuration, weights: weights, gammaPolicy: gamma,
                                       inputNormalisation: normalisation, task: task)
        } catch {
            throw .invalidMetadata(key: "-", value: "-", reason: error.description)
        }
    }

    /// Checks names (missing, then unexpected) and shapes; returns θ flat.
    private static func checkTensors(_ tensors: [String: ShapedArray], _ cfg: MLRSNetConfiguration,
                                     stateExpected: Bool) throws(MLRSNetArtifactError) -> [Float] {
        var expected = cfg.parameterSpecs.map { ($0.name, $0.shape) }
        if stateExpected {
            guard cfg.architecture.isRecurrent else {
                throw .invalidMetadata(key: "has_state", value: "1", reason: "an mlp meta-learner has no recurrent state")
            }
            expected += [("state.h", [cfg.hiddenSize]), ("state.c", [cfg.hiddenSize])]
        }
        for (name, _) in expected where tensors[name] == nil { throw .missingTensor(name) }
        let known = Set(expected.map(\.0))
        if let extra = tensors.keys.sorted().first(where: { !known.contains($0) }) { throw .unexpectedTensor(extra) }
        for (name, shape) in expected where tensors[name]!.shape != shape {
            throw .tensorShape(name: name, expected: shape, found: tensors[name]!.shape)
        }
        var weights = [Float]()
        weights.reserveCapacity(cfg.parameterCount)
        for s in cfg.parameterSpecs { weights += tensors[s.name]!.values }
        return weights
    }

    private static func checkFinite(_ tensors: [String: ShapedArray]) throws(MLRSNetArtifactError) {
        for name in tensors.keys.sorted() {
            if let i = tensors[name]!.values.firstIndex(where: { !$0.isFinite }) { throw .nonFiniteValue(tensor: name, index: i) }
        }
    }

    private static func gammaPolicy(_ m: [String: String]) throws(MLRSNetArtifactError) -> GammaPolicy {
        switch try required(m, "gamma_policy") {
        case "fixed":
            let text = try required(m, "gamma")
            guard let g = Double(text), g.isFinite, g > 0 else { throw .invalidMetadata(key: "gamma", value: text, reason: "must be a finite number > 0") }
            guard g <= maximumGamma else { throw .invalidMetadata(key: "gamma", value: text, reason: "must be at most \(maximumGamma)") }
            return .fixed(g)
        case "reference": return .reference(classes: try integer(m, "gamma_count", minimum: 2))
        case "reference-perplexity": return .referencePerplexity(vocabularySize: try integer(m, "gamma_count", minimum: 2))
        case let other: throw .invalidMetadata(key: "gamma_policy", value: other, reason: "expected 'fixed', 'reference' or 'reference-perplexity'")
        }
    }

    private static func required(_ m: [String: String], _ key: String) throws(MLRSNetArtifactError) -> String {
        guard let v = m[key] else { throw .missingMetadata(key) }
        return v
    }

    private static func integer(_ m: [String: String], _ key: String, minimum: Int = 1) throws(MLRSNetArtifactError) -> Int {
        let text = try required(m, key)
        guard let v = Int(text), v >= minimum else { throw .invalidMetadata(key: key, value: text, reason: "must be an integer ≥ \(minimum)") }
        return v
    }

    private static func flag(_ m: [String: String], _ key: String) throws(MLRSNetArtifactError) -> Bool {
        switch m[key] {
        case nil, "0": return false
        case "1": return true
        case let other?: throw .invalidMetadata(key: key, value: other, reason: "must be 0 or 1")
        }
    }
}

/// Why an MLR-SNet artifact could not be loaded.
public enum MLRSNetArtifactError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file is unreadable or not valid safetensors.
    case file(SafeTensorsError)
    /// The file is not an `mlrsnet-swift/artifact` (no or another `format`).
    case notAnArtifact(String)
    /// Written by a newer version of this library.
    case unsupportedFormatVersion(found: Int, supported: Int)
    case missingMetadata(String)
    case invalidMetadata(key: String, value: String, reason: String)
    case unknownArchitecture(String)
    case missingTensor(String)
    case unexpectedTensor(String)
    case tensorShape(name: String, expected: [Int], found: [Int])
    /// The tensors do not match the recorded `content_sha256` (corruption or tampering).
    case contentHashMismatch(recorded: String, computed: String)
    case nonFiniteValue(tensor: String, index: Int)
    /// A metadata-free checkpoint whose shapes do not determine H and P.
    case cannotInferShape(String)

    public var description: String {
        switch self {
        case .file(let e): return "MLR-SNet artifact: \(e)"
        case .notAnArtifact(let d): return "not an MLR-SNet artifact: \(d)"
        case let .unsupportedFormatVersion(found, supported):
            return "MLR-SNet artifact format version \(found) was written by a newer mlrsnet-swift; this one reads versions up to \(supported)"
        case .missingMetadata(let k): return "MLR-SNet artifact: metadata '\(k)' is missing"
        case let .invalidMetadata(k, v, r): return "MLR-SNet artifact: metadata \(k) = '\(v)' is invalid: \(r)"
        case .unknownArchitecture(let a):
            return "MLR-SNet artifact: unknown architecture '\(a)' (known: \(MLRSNetArchitecture.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .missingTensor(let n): return "MLR-SNet artifact: tensor '\(n)' is missing"
        case .unexpectedTensor(let n): return "MLR-SNet artifact: unexpected tensor '\(n)'"
        case let .tensorShape(n, e, f): return "MLR-SNet artifact: tensor '\(n)' has shape \(f), expected \(e)"
        case let .contentHashMismatch(r, c): return "MLR-SNet artifact: content SHA-256 \(c) does not match the recorded \(r) (corrupt file?)"
        case let .nonFiniteValue(t, i): return "MLR-SNet artifact: tensor '\(t)' has a non-finite value at index \(i)"
        case .cannotInferShape(let d): return "MLR-SNet reference checkpoint: cannot infer the sizes: \(d)"
        }
    }
}
