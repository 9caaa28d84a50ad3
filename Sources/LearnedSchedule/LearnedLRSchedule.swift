import Foundation
import Schedules

/// The MLR-SNet learning-rate schedule: α_t = clamp(γ·A(x_t; θ, h, c)) with x_t the step's training loss after
/// input normalisation (raw, or L/ln V for language models). Plug-and-play: loss in, LR out — any training
/// loop (this engine, MLX Swift, ...) calls `learningRate(for:)` once per step with `trainingLoss` set.
///
/// - θ is frozen here: the schedule never changes it. (During meta-training the meta-trainer updates θ through
///   `cell`, see `preview(for:)`.)
/// - (h, c) start at zero and advance exactly once per `learningRate(for:)` call (never reset: across epochs too).
/// - γ: `gammaPolicy`; a fixed γ is known at once, a reference rule is resolved from `initialLoss` if given,
///   else from the first finite training loss (raw, before normalisation), and then kept.
/// - A missing or non-finite loss never reaches the cell (`NonFiniteLossPolicy`): by default the last finite
///   loss is fed instead; with `holdPreviousLearningRate` the previous LR is returned and (h, c) stay. Before
///   any finite loss was seen, either policy returns `bounds.minimum` (0 by default) without running the cell.
///   (A finite but absurd loss, |x| ≳ 1e37, that overflows the cell to a NaN p is held the same way: the previous
///   LR, state not advanced.)
/// - `bounds` optionally clamp α to [minimum, maximum].
/// - `state`/`restore` carry (h, c), the step counts, γ, the last loss/LR, the stage and all options, plus a
///   48-bit fingerprint of θ: restoring into a schedule with other weights is refused. Restore θ first (an
///   artifact, for a meta-trained cell), then the schedule state; the LR sequence then continues identically.
///   (`AnySchedule(state:)` cannot rebuild this schedule — θ is not in the state: build it from its artifact(s)
///   and call `restore`.)
/// - A call costs one cell forward (≈ 3 µs at H = 50 in release) and allocates nothing.
///
/// **Staged transfer** (the reference's meta-test rule, `init(stages:total:unit:...)`): n artifacts (the
/// reference ships 3, saved after epochs 1, 100 and 200 of meta-training) split a run of T units (epochs or
/// steps) into n parts: stage k is used while ⌊k·T/n⌋ ≤ t < ⌊(k+1)·T/n⌋ — for n = 3: the first until T/3, the
/// second until 2T/3, the third after. (The reference switches at epochs `T//3` and `T//3*2`, which is one epoch
/// earlier when T mod 3 = 2.) At each switch the new stage's θ is loaded, (h, c) carry over (as in the
/// reference, whose `load_state_dict` leaves the LSTM state alone), and a reference γ rule is recomputed from
/// the current (last finite) training loss — the reference recomputes it from the full training-set loss at
/// that epoch; a fixed γ stays fixed.
public struct LearnedLRSchedule: LearningRateSchedule, Sendable {
    public static let kind = "mlrsnet"

    /// The meta-learner. Mutable for the meta-trainer (backward, `MetaAdam.step(&schedule.cell)`); a transfer
    /// run never touches it.
    public var cell: MLRSNetCell
    public private(set) var gammaPolicy: GammaPolicy
    public private(set) var inputNormalisation: InputNormalisation
    public private(set) var bounds: LearningRateBounds
    public private(set) var nonFiniteLossPolicy: NonFiniteLossPolicy
    /// The γ in force (nil until a reference rule has seen a loss).
    public private(set) var gamma: Double?
    public private(set) var lastFiniteLoss: Float?
    public private(set) var lastLearningRate: Float?
    /// `learningRate(for:)` calls so far.
    public private(set) var stepsTaken = 0
    /// Index of the stage in use (0 without stages).
    public private(set) var stage = 0
    /// θ of each stage (empty: the single θ is the cell's own).
    public private(set) var stages: [[Float]]
    /// T and its unit for the stage boundaries (0 without stages).
    public private(set) var stageTotal = 0
    public private(set) var stageUnit: ScheduleUnit = .epoch

    /// A schedule driven by `cell` (its θ, and for meta-training the θ being learned). With `resetState` the
    /// cell's state is zeroed (the start of a run). Throws `invalidValue` for invalid options.
    public init(cell: MLRSNetCell, gamma: GammaPolicy = .paperImages, inputNormalisation: InputNormalisation = .raw,
                bounds: LearningRateBounds = .unbounded, nonFiniteLossPolicy: NonFiniteLossPolicy = .reuseLastFiniteLoss,
                initialLoss: Float? = nil, resetState: Bool = true) throws(ScheduleError) {
        try gamma.validate()
        try inputNormalisation.validate()
        self.cell = cell
        if resetState { self.cell.resetState() }
        gammaPolicy = gamma
        self.inputNormalisation = inputNormalisation
        self.bounds = bounds
        self.nonFiniteLossPolicy = nonFiniteLossPolicy
        stages = []
        if case .fixed(let g) = gamma {
            self.gamma = g
        } else if let l0 = initialLoss {
            guard l0.isFinite else {
                throw .invalidValue(kind: Self.kind, key: "initialLoss", value: "\(l0)", reason: "must be finite")
            }
            self.gamma = gamma.gamma(initialLoss: Double(l0))
        }
    }

    /// Plug-and-play transfer of a meta-learned artifact: θ frozen, zero state (or, with `restoringState`, the
    /// state saved in the artifact). γ rule and input normalisation default to the artifact's.
    public init(artifact: MLRSNetArtifact, gamma: GammaPolicy? = nil, inputNormalisation: InputNormalisation? = nil,
                bounds: LearningRateBounds = .unbounded, nonFiniteLossPolicy: NonFiniteLossPolicy = .reuseLastFiniteLoss,
                initialLoss: Float? = nil, restoringState: Bool = false) throws(ScheduleError) {
        try self.init(cell: artifact.makeCell(restoringState: restoringState), gamma: gamma ?? artifact.gammaPolicy,
                      inputNormalisation: inputNormalisation ?? artifact.inputNormalisation, bounds: bounds,
                      nonFiniteLossPolicy: nonFiniteLossPolicy, initialLoss: initialLoss, resetState: !restoringState)
    }

    /// Staged transfer (see the type's documentation): `artifacts` in order, over a run of `total` units of
    /// `unit`. All artifacts must share one configuration. γ rule and normalisation default to the first's.
    public init(stages artifacts: [MLRSNetArtifact], total: Int, unit: ScheduleUnit = .epoch, gamma: GammaPolicy? = nil,
                inputNormalisation: InputNormalisation? = nil, bounds: LearningRateBounds = .unbounded,
                nonFiniteLossPolicy: NonFiniteLossPolicy = .reuseLastFiniteLoss, initialLoss: Float? = nil) throws(ScheduleError) {
        guard let first = artifacts.first else { throw .structure(kind: Self.kind, detail: "staged transfer needs at least one artifact") }
        if let i = artifacts.firstIndex(where: { $0.configuration != first.configuration }) {
            throw .structure(kind: Self.kind, detail: "stage \(i) is \(artifacts[i].configuration.summary), stage 0 is \(first.configuration.summary)")
        }
        guard total >= 1 else { throw .invalidValue(kind: Self.kind, key: "total", value: "\(total)", reason: "must be ≥ 1") }
        try self.init(cell: first.makeCell(), gamma: gamma ?? first.gammaPolicy,
                      inputNormalisation: inputNormalisation ?? first.inputNormalisation, bounds: bounds,
                      nonFiniteLossPolicy: nonFiniteLossPolicy, initialLoss: initialLoss, stages: artifacts.map(\.weights))
        stageTotal = total
        stageUnit = unit
    }

    private init(cell: MLRSNetCell, gamma: GammaPolicy, inputNormalisation: InputNormalisation, bounds: LearningRateBounds,
                 nonFiniteLossPolicy: NonFiniteLossPolicy, initialLoss: Float?, stages: [[Float]]) throws(ScheduleError) {
        try self.init(cell: cell, gamma: gamma, inputNormalisation: inputNormalisation, bounds: bounds,
                      nonFiniteLossPolicy: nonFiniteLossPolicy, initialLoss: initialLoss)
        self.stages = stages
    }

    /// Where stage k + 1 starts (in `stageUnit`s): ⌊(k+1)·T/n⌋ for n stages; empty without stages.
    public var stageBoundaries: [Int] {
        stages.count < 2 ? [] : (1..<stages.count).map { $0 * stageTotal / stages.count }
    }

    // MARK: The schedule

    public mutating func learningRate(for signal: TrainingSignal) -> Float {
        stepsTaken += 1
        guard let x = prepare(signal) else {
            let held = lastLearningRate ?? Float(bounds.minimum)
            lastLearningRate = held
            return held
        }
        let p = cell.forward(loss: x)
        guard p.isFinite else {
            // Only an absurd loss (|x| ≳ 1e37, overflowing the pre-layers) gets here: hold, do not advance.
            let held = lastLearningRate ?? Float(bounds.minimum)
            lastLearningRate = held
            return held
        }
        do { try cell.commitState() } catch { preconditionFailure("LearnedLRSchedule: \(error)") }  // forward just ran
        let lr = Float(bounds.clamp(gamma! * Double(p)).0)
        lastLearningRate = lr
        return lr
    }

    /// What the learned LR of this step would be with the current θ, without advancing (h, c) — the
    /// meta-trainer's virtual step. The cell keeps the forward cache, so `cell.backward(dp:)` can follow with
    /// `dp = preview.learningRatePerOutput · s`; after `MetaAdam.step(&schedule.cell)`, `learningRate(for:)` with
    /// the same signal computes α_t with the new θ and advances the state once. Nil when the cell does not run
    /// this step (no finite loss yet, or `holdPreviousLearningRate` on a non-finite loss).
    public mutating func preview(for signal: TrainingSignal) -> Preview? {
        guard let x = prepare(signal) else { return nil }
        let p = cell.forward(loss: x)
        guard p.isFinite else { return nil }
        let g = gamma!
        let (lr, clamped) = bounds.clamp(g * Double(p))
        return Preview(learningRate: Float(lr), output: p, gamma: g, clamped: clamped)
    }

    /// A learned LR before it is committed (see `preview(for:)`).
    public struct Preview: Sendable, Equatable {
        public let learningRate: Float
        /// p = A(x; θ) ∈ (0, 1).
        public let output: Float
        public let gamma: Double
        /// Whether `bounds` changed γ·p.
        public let clamped: Bool
        /// ∂α/∂p: γ, or 0 when the bounds clamp α (then θ does not affect this step's LR).
        public var learningRatePerOutput: Double { clamped ? 0 : gamma }
    }

    /// Stage switch, loss filtering and γ resolution for `signal`; the cell's input, or nil when the cell must
    /// not run. Idempotent within a step (`preview` then `learningRate` see the same values).
    private mutating func prepare(_ signal: TrainingSignal) -> Float? {
        let finite: Float? = signal.trainingLoss.flatMap { $0.isFinite ? $0 : nil }
        if let f = finite { lastFiniteLoss = f }
        if stages.count > 1 {
            let t = stageUnit == .step ? signal.step : signal.epoch
            var target = 0                                  // number of boundaries ⌊k·T/n⌋ ≤ t (no allocation)
            for k in 1..<stages.count where t >= k * stageTotal / stages.count { target += 1 }
            if target != stage {
                stage = target
                do { try cell.setWeights(stages[target]) } catch { preconditionFailure("LearnedLRSchedule: \(error)") }
                if gammaPolicy.isComputed, let l = lastFiniteLoss { gamma = gammaPolicy.gamma(initialLoss: Double(l)) }
            }
        }
        let raw: Float
        if let f = finite {
            raw = f
        } else if nonFiniteLossPolicy == .reuseLastFiniteLoss, let l = lastFiniteLoss {
            raw = l
        } else {
            return nil
        }
        if gamma == nil { gamma = gammaPolicy.gamma(initialLoss: Double(raw)) }
        return inputNormalisation.apply(raw)
    }

    // MARK: Save / restore

    /// First 48 bits of SHA-256 over θ (every stage's, in order), as an exact Double.
    public var weightsFingerprint: Double {
        var h = SHA256()
        if stages.isEmpty { h.update(littleEndianFloats: cell.weights) } else { for s in stages { h.update(littleEndianFloats: s) } }
        let d = h.finalize()
        var v: UInt64 = 0
        for i in 0..<6 { v = v << 8 | UInt64(d[i]) }
        return Double(v)
    }

    /// Kind "mlrsnet". Values: `gammaPolicy` (0 fixed, 1 reference, 2 reference-perplexity), `gammaFixed`,
    /// `gammaCount`, `hasGamma`, `gamma`, `normalisation` (0 raw, 1 per-log-vocabulary), `vocabulary`, `minLR`,
    /// `hasMaxLR`, `maxLR`, `holdOnNonFinite` (0/1), `stepsTaken`, `stepsAdvanced`, `hasLastLoss`, `lastLoss`,
    /// `hasLastLR`, `lastLR`, `stage`, `stageCount`, `stageTotal`, `stageUnit` (0 step, 1 epoch), `hiddenSize`,
    /// `fingerprint`, and `h.0`…`h.{H−1}`, `c.0`…`c.{H−1}` (recurrent cells). All finite: JSON-safe.
    public var state: ScheduleState {
        var v: [String: Double] = [:]
        switch gammaPolicy {
        case .fixed(let g): v["gammaPolicy"] = 0; v["gammaFixed"] = g
        case .reference(let c): v["gammaPolicy"] = 1; v["gammaCount"] = Double(c)
        case .referencePerplexity(let n): v["gammaPolicy"] = 2; v["gammaCount"] = Double(n)
        }
        v["hasGamma"] = gamma == nil ? 0 : 1
        v["gamma"] = gamma ?? 0
        switch inputNormalisation {
        case .raw: v["normalisation"] = 0
        case .perLogVocabulary(let n): v["normalisation"] = 1; v["vocabulary"] = Double(n)
        }
        v["minLR"] = bounds.minimum
        v["hasMaxLR"] = bounds.maximum.isFinite ? 1 : 0
        v["maxLR"] = bounds.maximum.isFinite ? bounds.maximum : 0
        v["holdOnNonFinite"] = nonFiniteLossPolicy == .holdPreviousLearningRate ? 1 : 0
        v["stepsTaken"] = Double(stepsTaken)
        v["stepsAdvanced"] = Double(cell.stepsAdvanced)
        v["hasLastLoss"] = lastFiniteLoss == nil ? 0 : 1
        v["lastLoss"] = Double(lastFiniteLoss ?? 0)
        v["hasLastLR"] = lastLearningRate == nil ? 0 : 1
        v["lastLR"] = Double(lastLearningRate ?? 0)
        v["stage"] = Double(stage)
        v["stageCount"] = Double(max(1, stages.count))
        v["stageTotal"] = Double(stageTotal)
        v["stageUnit"] = stageUnit == .epoch ? 1 : 0
        v["hiddenSize"] = Double(cell.configuration.hiddenSize)
        v["fingerprint"] = weightsFingerprint
        for (j, x) in cell.hiddenState.enumerated() { v["h.\(j)"] = Double(x) }
        for (j, x) in cell.cellState.enumerated() { v["c.\(j)"] = Double(x) }
        return ScheduleState(kind: Self.kind, values: v)
    }

    /// Restores options and progress saved by `state` into a schedule with the same θ (same fingerprint) and
    /// configuration. Throws, leaving `self` unchanged, for another kind, a missing or invalid value, or a
    /// state saved with other weights.
    public mutating func restore(_ s: ScheduleState) throws(ScheduleError) {
        let k = Self.kind
        guard s.kind == k else { throw .wrongKind(expected: k, found: s.kind) }
        func number(_ key: String) throws(ScheduleError) -> Double {
            guard let x = s.values[key] else { throw .missingKey(kind: k, key: key) }
            guard x.isFinite else { throw .invalidValue(kind: k, key: key, value: "\(x)", reason: "must be finite") }
            return x
        }
        func integer(_ key: String, _ minimum: Int = 0) throws(ScheduleError) -> Int {
            let x = try number(key)
            guard x == x.rounded(.towardZero), abs(x) <= 9_007_199_254_740_992, Int(x) >= minimum else {
                throw .invalidValue(kind: k, key: key, value: "\(x)", reason: "must be an integer ≥ \(minimum)")
            }
            return Int(x)
        }
        func flag(_ key: String) throws(ScheduleError) -> Bool {
            let x = try number(key)
            guard x == 0 || x == 1 else { throw .invalidValue(kind: k, key: key, value: "\(x)", reason: "must be 0 or 1") }
            return x == 1
        }

        var r = self
        switch try integer("gammaPolicy") {
        case 0: r.gammaPolicy = .fixed(try number("gammaFixed"))
        case 1: r.gammaPolicy = .reference(classes: try integer("gammaCount"))
        case 2: r.gammaPolicy = .referencePerplexity(vocabularySize: try integer("gammaCount"))
        case let c: throw .invalidValue(kind: k, key: "gammaPolicy", value: "\(c)", reason: "must be 0, 1 or 2")
        }
        try r.gammaPolicy.validate()
        if try flag("hasGamma") {
            let g = try number("gamma")
            guard g > 0 else { throw .invalidValue(kind: k, key: "gamma", value: "\(g)", reason: "must be > 0") }
            r.gamma = g
        } else {
            r.gamma = nil
        }
        switch try integer("normalisation") {
        case 0: r.inputNormalisation = .raw
        case 1: r.inputNormalisation = .perLogVocabulary(try integer("vocabulary"))
        case let c: throw .invalidValue(kind: k, key: "normalisation", value: "\(c)", reason: "must be 0 or 1")
        }
        try r.inputNormalisation.validate()
        r.bounds = try LearningRateBounds(minimum: number("minLR"), maximum: flag("hasMaxLR") ? number("maxLR") : .infinity)
        r.nonFiniteLossPolicy = try flag("holdOnNonFinite") ? .holdPreviousLearningRate : .reuseLastFiniteLoss
        r.stepsTaken = try integer("stepsTaken")
        let advanced = try integer("stepsAdvanced")
        r.lastFiniteLoss = try flag("hasLastLoss") ? Float(number("lastLoss")) : nil
        r.lastLearningRate = try flag("hasLastLR") ? Float(number("lastLR")) : nil

        let hidden = try integer("hiddenSize", 1)
        guard hidden == cell.configuration.hiddenSize else {
            throw .structure(kind: k, detail: "state is for hidden size \(hidden), this schedule's cell has \(cell.configuration.hiddenSize)")
        }
        let count = try integer("stageCount", 1)
        guard count == max(1, stages.count) else {
            throw .structure(kind: k, detail: "state has \(count) stage(s), this schedule has \(max(1, stages.count))")
        }
        let fingerprint = try number("fingerprint")
        guard fingerprint == weightsFingerprint else {
            throw .invalidValue(kind: k, key: "fingerprint", value: "\(fingerprint)",
                                reason: "the state was saved with other meta-learner weights (this schedule's θ has \(weightsFingerprint))")
        }
        r.stage = try integer("stage")
        guard r.stage < count else { throw .invalidValue(kind: k, key: "stage", value: "\(r.stage)", reason: "must be < \(count)") }
        r.stageTotal = try integer("stageTotal")
        r.stageUnit = try flag("stageUnit") ? .epoch : .step
        if stages.count > 1 {
            guard r.stageTotal >= 1 else { throw .invalidValue(kind: k, key: "stageTotal", value: "\(r.stageTotal)", reason: "must be ≥ 1") }
            do { try r.cell.setWeights(stages[r.stage]) } catch { preconditionFailure("LearnedLRSchedule.restore: \(error)") }
        }
        let n = cell.configuration.architecture.isRecurrent ? hidden : 0
        var h = [Float](), c = [Float]()
        for j in 0..<n {
            h.append(Float(try number("h.\(j)")))
            c.append(Float(try number("c.\(j)")))
        }
        do { try r.cell.setState(hidden: h, cell: c, stepsAdvanced: advanced) } catch {
            throw .invalidValue(kind: k, key: "h/c", value: "-", reason: error.description)
        }
        self = r
    }

    public var summary: String {
        var s = "mlrsnet(\(cell.configuration.summary), \(gammaPolicy.summary), \(inputNormalisation.summary)"
        if bounds != .unbounded { s += ", LR in [\(bounds.minimum), \(bounds.maximum)]" }
        if stages.count > 1 { s += ", \(stages.count) stages over \(stageTotal) \(stageUnit.rawValue)s" }
        return s + ")"
    }
}
