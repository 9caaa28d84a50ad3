/// Which form of the meta-learner A(L; θ) a cell computes. Recorded in every artifact (`architecture` metadata),
/// because the same weights give different learning rates under different gate layouts.
///
/// With x the (normalised) input loss, (h, c) the carried state, H the hidden size, P the pre-layer width,
/// σ the logistic sigmoid, and every `Linear` a PyTorch `nn.Linear` (weight [out, in], plus bias):
///
/// - `referenceMetaTest` — the form of the reference code's meta-test script and of its shipped checkpoints:
///   `z = i2h(x) + h2h(h)` with `i2h = Linear(1→P) → ReLU → Linear(P→4H)`, `h2h = Linear(H→P) → ReLU →
///   Linear(P→4H)`; z's four H-chunks in order (i, f, g, o);
///   `c' = σ(f)⊙c + σ(i)⊙tanh(g)`, `h' = σ(o)⊙tanh(c')`, `p = σ(layer3·h' + b)`. The reference uses P = ⌊H/2⌋.
/// - `referenceMetaTrain` — the reference's meta-training code: the same weights, but chunk order
///   (i, f, o, g) and forget gate `σ(z_f − 1)`.
/// - `paper` — Eq. (7) of the paper: one pre-layer on the concatenation `[h; x]`,
///   `a = ReLU(W1·[h; x] + b1)` (W1: [P, H+1], columns 0..<H multiply h, column H multiplies x),
///   `z = W2·a + b2` (W2: [4H, P]) with chunks (i, f, o, g) and no forget shift, then the same LSTM update and
///   output. Default P = H (the paper does not give W1's width; H keeps the pre-layer as wide as the state).
/// - `mlp` — the paper's §5.2 ablation (a meta-learner without memory): the input pre-layer and the output
///   layer are kept, the recurrence is removed. `a = ReLU(W1·x + b1)` (W1: [P, 1]),
///   `h = tanh(W2·a + b2)` (W2: [H, P]), `p = σ(layer3·h + b)`. Nothing is carried between steps (no h, c),
///   so A depends on the current loss only. Default P = H.
public enum MLRSNetArchitecture: String, Sendable, Equatable, Hashable, CaseIterable, Codable {
    case referenceMetaTest = "reference-meta-test"
    case referenceMetaTrain = "reference-meta-train"
    case paper
    case mlp

    /// Whether the cell carries (h, c) from step to step.
    public var isRecurrent: Bool { self != .mlp }

    /// The canonical gates (i, f, g, o)'s chunk indices in z, and the shift added to the forget pre-activation.
    var gateChunks: (i: Int, f: Int, g: Int, o: Int, forgetShift: Float) {
        switch self {
        case .referenceMetaTest: return (0, 1, 2, 3, 0)
        case .referenceMetaTrain: return (0, 1, 3, 2, -1)
        case .paper, .mlp: return (0, 1, 3, 2, 0)
        }
    }
}

/// One named parameter tensor of the meta-learner: its state-dict name, PyTorch shape, where its values live
/// in the cell's flat weight vector, and the fan-in that sets its default initialisation (±1/√fanIn).
public struct MLRSNetParameterSpec: Sendable, Equatable, Hashable {
    public let name: String
    public let shape: [Int]
    public let offset: Int
    public let fanIn: Int
    public var count: Int { shape.reduce(1, *) }
}

/// Why a cell could not be configured, built or stepped.
public enum MLRSNetCellError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Hidden size or pre-layer width out of range.
    case invalidConfiguration(String)
    /// `commitState()` without a `forward` since the last advance (the state advances once per step).
    case noForwardSinceLastAdvance
    /// `commitState()` or `backward` after the weights changed: run `forward` again with the new weights.
    case weightsChangedSinceForward
    /// `backward` without a current forward cache.
    case noForwardCache
    /// The "first LR = x" output-bias rule needs 0 < x/γ < 1 and a finite first input.
    case invalidOutputBiasTarget(String)
    /// A value of the wrong size or a non-finite value was given for weights or state.
    case invalidValues(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let d): return "MLR-SNet configuration: \(d)"
        case .noForwardSinceLastAdvance:
            return "MLRSNetCell.commitState: no forward since the last advance (the state advances exactly once per step)"
        case .weightsChangedSinceForward:
            return "MLRSNetCell: the weights changed since the last forward; call forward(loss:) again first"
        case .noForwardCache: return "MLRSNetCell.backward: no forward cache for the current step; call forward(loss:) first"
        case .invalidOutputBiasTarget(let d): return "MLR-SNet output-bias initialisation: \(d)"
        case .invalidValues(let d): return "MLRSNetCell: \(d)"
        }
    }
}

/// The shape of a meta-learner: architecture, hidden size H and pre-layer width P. Determines the parameter
/// names, shapes and their order in the flat weight vector (`parameterSpecs`).
public struct MLRSNetConfiguration: Sendable, Equatable, Hashable {
    public let architecture: MLRSNetArchitecture
    /// H: the LSTM state size (paper 40, reference code 50); for `mlp`, the hidden layer's width.
    public let hiddenSize: Int
    /// P: the ReLU pre-layer's width.
    public let preWidth: Int
    /// Every parameter, in the order of the flat weight vector (the reference state-dict order).
    public let parameterSpecs: [MLRSNetParameterSpec]
    /// Total number of scalars in θ.
    public let parameterCount: Int

    /// Largest hidden size accepted (far above any meta-learner in the paper; it bounds what a file may ask for).
    public static let maximumSize = 4096

    /// - Parameters:
    ///   - preWidth: nil picks the default: ⌊H/2⌋ for the reference layouts (as the reference code), H otherwise.
    /// Throws `invalidConfiguration` unless 1 ≤ H, P ≤ `maximumSize`.
    public init(architecture: MLRSNetArchitecture, hiddenSize: Int, preWidth: Int? = nil) throws(MLRSNetCellError) {
        let p = preWidth ?? Self.defaultPreWidth(architecture, hiddenSize: hiddenSize)
        guard hiddenSize >= 1 && hiddenSize <= Self.maximumSize else {
            throw .invalidConfiguration("hidden size must be in 1...\(Self.maximumSize), got \(hiddenSize)")
        }
        guard p >= 1 && p <= Self.maximumSize else {
            throw .invalidConfiguration("pre-layer width must be in 1...\(Self.maximumSize), got \(p) (hidden size \(hiddenSize))")
        }
        self.architecture = architecture
        self.hiddenSize = hiddenSize
        self.preWidth = p
        let h = hiddenSize, g = 4 * hiddenSize
        // (name, shape, fanIn) in state-dict order.
        let layers: [(String, [Int], Int)]
        switch architecture {
        case .referenceMetaTest, .referenceMetaTrain:
            layers = [("layer1.fc_i2h.0.weight", [p, 1], 1), ("layer1.fc_i2h.0.bias", [p], 1),
                      ("layer1.fc_i2h.2.weight", [g, p], p), ("layer1.fc_i2h.2.bias", [g], p),
                      ("layer1.fc_h2h.0.weight", [p, h], h), ("layer1.fc_h2h.0.bias", [p], h),
                      ("layer1.fc_h2h.2.weight", [g, p], p), ("layer1.fc_h2h.2.bias", [g], p)]
        case .paper:
            layers = [("pre.weight", [p, h + 1], h + 1), ("pre.bias", [p], h + 1),
                      ("gates.weight", [g, p], p), ("gates.bias", [g], p)]
        case .mlp:
            layers = [("mlp.0.weight", [p, 1], 1), ("mlp.0.bias", [p], 1),
                      ("mlp.2.weight", [h, p], p), ("mlp.2.bias", [h], p)]
        }
        var specs: [MLRSNetParameterSpec] = []
        var offset = 0
        for (name, shape, fanIn) in layers + [("layer3.weight", [1, h], h), ("layer3.bias", [1], h)] {
            let spec = MLRSNetParameterSpec(name: name, shape: shape, offset: offset, fanIn: fanIn)
            specs.append(spec)
            offset += spec.count
        }
        parameterSpecs = specs
        parameterCount = offset
    }

    /// ⌊H/2⌋ (at least 1) for the reference layouts, H for `paper` and `mlp`.
    public static func defaultPreWidth(_ architecture: MLRSNetArchitecture, hiddenSize: Int) -> Int {
        switch architecture {
        case .referenceMetaTest, .referenceMetaTrain: return max(1, hiddenSize / 2)
        case .paper, .mlp: return hiddenSize
        }
    }

    /// The spec named `name`, if this configuration has it.
    public func spec(named name: String) -> MLRSNetParameterSpec? { parameterSpecs.first { $0.name == name } }

    /// Offset of the named parameter (a programming error if absent).
    func offset(_ name: String) -> Int {
        guard let s = spec(named: name) else { preconditionFailure("MLRSNetConfiguration: no parameter '\(name)' in \(architecture.rawValue)") }
        return s.offset
    }

    /// "reference-meta-test H=50 P=25".
    public var summary: String { "\(architecture.rawValue) H=\(hiddenSize) P=\(preWidth)" }
}
