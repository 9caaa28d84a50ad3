import Foundation
import SafeTensors

/// How the output layer's bias b (in `p = σ(layer3·h + b)`) is initialised.
public enum OutputBiasInit: Sendable, Equatable {
    /// PyTorch's default: uniform ±1/√H, like every other parameter.
    case pytorchDefault
    /// A given value (the reference checkpoints suggest training started near 1.0, i.e. p ≈ 0.73).
    case value(Float)
    /// Chosen so that the first learning rate is `learningRate`: with the first (normalised) input `firstInput`
    /// and zero state, h₁ does not depend on b, so `b = logit(learningRate/γ) − layer3·h₁` gives
    /// `γ·σ(layer3·h₁ + b) = learningRate` (up to Float rounding). Needs 0 < learningRate/γ < 1.
    case firstLearningRate(Double, gamma: Double, firstInput: Float)
}

/// The MLR-SNet meta-learner A(x; θ) — one cell application per training step — with an explicit backward.
/// Engine-free: weights are a flat `[Float]` θ (named slices: `configuration.parameterSpecs`), computed in Float.
/// See `MLRSNetArchitecture` for the four forms (two reference gate layouts, the paper's Eq. (7), the MLP ablation).
///
/// The contract (one training step):
///
///     let p = cell.forward(loss: x)      // p = A(x; θ, h, c); caches what backward needs; state NOT advanced
///     // optional, meta-training: cell.backward(dp: γ·s) adds ∂p/∂θ·dp into `gradients`, then
///     // MetaAdam.step(&cell) changes θ, which makes the cache stale, so forward(loss:) must run again
///     try cell.commitState()             // (h, c) ← (h', c') of the last forward; exactly once per step
///
/// `forward` may run any number of times per step (it never touches (h, c)); `commitState` advances the state
/// from the latest forward and then refuses to run again until the next `forward` (`noForwardSinceLastAdvance`),
/// and refuses a forward computed with weights that changed since (`weightsChangedSinceForward`). So the state
/// cannot advance twice per step by accident. `step(loss:)` does forward + commit in one call.
///
/// The state (h, c) is a constant for gradients: ∂p/∂θ goes through this one cell application only (no
/// back-propagation through time), as in the paper and the reference. It starts at zero.
///
/// Cost: a forward is ≈ 2·(4H·P + H·P) multiply-adds (H = 50, P = 25: ~12k), a backward about twice that;
/// all buffers (weights, gradients, state, cache) live in one allocation made at construction, so calls
/// allocate nothing. The value is copy-on-write: a copy shares storage until either copy mutates.
public struct MLRSNetCell: Sendable {
    public let configuration: MLRSNetConfiguration
    private var storage: Storage
    private let layout: Layout
    private var status: ForwardStatus = .none
    /// Number of times the state has advanced (`commitState` calls) since construction or `resetState`.
    public private(set) var stepsAdvanced = 0
    /// p of the last `forward` (nil before the first; kept after `commitState`).
    public private(set) var lastOutput: Float?

    private enum ForwardStatus: Sendable { case none, current, stale }

    // MARK: Construction

    /// A freshly initialised cell: every parameter uniform ±1/√fanIn (PyTorch's `nn.Linear` default) from a
    /// `SeededGenerator(seed:)`, drawn in `parameterSpecs` order; then the output bias per `outputBias`.
    /// Throws `invalidOutputBiasTarget` for an impossible "first LR" target.
    public init(configuration: MLRSNetConfiguration, seed: UInt64,
                outputBias: OutputBiasInit = .pytorchDefault) throws(MLRSNetCellError) {
        self.configuration = configuration
        layout = Layout(configuration)
        storage = Storage(count: layout.total)
        var rng = SeededGenerator(seed: seed)
        let w = storage.base + layout.w
        for spec in configuration.parameterSpecs {
            let bound = 1 / Float(spec.fanIn).squareRoot()
            for i in 0..<spec.count { w[spec.offset + i] = rng.nextUniform(bound: bound) }
        }
        let outB = layout.outB
        switch outputBias {
        case .pytorchDefault:
            break
        case .value(let b):
            guard b.isFinite else { throw .invalidOutputBiasTarget("bias \(b) is not finite") }
            w[outB] = b
        case .firstLearningRate(let lr, let gamma, let x0):
            let target = lr / gamma
            guard lr.isFinite, gamma.isFinite, gamma > 0, target > 0, target < 1 else {
                throw .invalidOutputBiasTarget("first LR \(lr) with γ = \(gamma) needs 0 < LR/γ < 1")
            }
            guard x0.isFinite else { throw .invalidOutputBiasTarget("first input \(x0) is not finite") }
            w[outB] = 0
            forward(loss: x0)                       // from the zero state; h₁ does not depend on b
            var q0 = 0.0                            // layer3·h₁ without the bias
            for j in 0..<configuration.hiddenSize {
                q0 += Double(storage.base[layout.w + layout.outW + j]) * Double(storage.base[layout.hNew + j])
            }
            w[outB] = Float(log(target / (1 - target)) - q0)
            status = .none
            lastOutput = nil
        }
    }

    /// A cell with the given flat weights (in `parameterSpecs` order) and zero state. Throws `invalidValues`
    /// unless there are exactly `parameterCount` finite values.
    public init(configuration: MLRSNetConfiguration, weights: [Float]) throws(MLRSNetCellError) {
        self.configuration = configuration
        layout = Layout(configuration)
        storage = Storage(count: layout.total)
        try setWeights(weights)
        status = .none
    }

    // MARK: The step

    /// p = A(x; θ, h, c) for the input `x` (the loss after input normalisation). Caches what `backward` and
    /// `commitState` need; does not change (h, c). x must be finite (the schedule guarantees it).
    @discardableResult
    public mutating func forward(loss x: Float) -> Float {
        precondition(x.isFinite, "MLRSNetCell.forward: input loss \(x) is not finite (filter it before the cell)")
        makeUnique()
        let b = storage.base, L = layout
        let H = configuration.hiddenSize, P = configuration.preWidth, G = 4 * H
        let w = UnsafePointer(b + L.w)
        let h = UnsafePointer(b + L.h)
        let a1 = b + L.a1, a2 = b + L.a2, z = b + L.z, hNew = b + L.hNew
        b[L.x] = x
        switch configuration.architecture {
        case .referenceMetaTest, .referenceMetaTrain:
            // a1 = ReLU(Wi0·x + bi0) [P]; a2 = ReLU(Wh0·h + bh0) [P]; z = (Wi2·a1 + bi2) + (Wh2·a2 + bh2) [4H]
            let wi0 = w + L.a0w, bi0 = w + L.a0b, wi2 = w + L.a2w, bi2 = w + L.a2b
            let wh0 = w + L.r0w, bh0 = w + L.r0b, wh2 = w + L.r2w, bh2 = w + L.r2b
            for k in 0..<P { a1[k] = relu(wi0[k] * x + bi0[k]) }
            for k in 0..<P { a2[k] = relu(dot(wh0 + k * H, h, H) + bh0[k]) }
            for r in 0..<G {
                z[r] = (dot(wi2 + r * P, a1, P) + bi2[r]) + (dot(wh2 + r * P, a2, P) + bh2[r])
            }
            lstmUpdate()
        case .paper:
            // a1 = ReLU(W1·[h; x] + b1) [P]; z = W2·a1 + b2 [4H]
            let w1 = w + L.a0w, b1 = w + L.a0b, w2 = w + L.a2w, b2 = w + L.a2b
            for k in 0..<P {
                let row = w1 + k * (H + 1)
                a1[k] = relu(dot(row, h, H) + row[H] * x + b1[k])
            }
            for r in 0..<G { z[r] = dot(w2 + r * P, a1, P) + b2[r] }
            lstmUpdate()
        case .mlp:
            // a1 = ReLU(W1·x + b1) [P]; h' = tanh(W2·a1 + b2) [H]
            let w1 = w + L.a0w, b1 = w + L.a0b, w2 = w + L.a2w, b2 = w + L.a2b
            for k in 0..<P { a1[k] = relu(w1[k] * x + b1[k]) }
            for j in 0..<H { hNew[j] = tanh(dot(w2 + j * P, a1, P) + b2[j]) }
        }
        // p = σ(layer3·h' + b3)
        let p = sigmoid(dot(w + L.outW, UnsafePointer(hNew), H) + w[L.outB])
        b[L.p] = p
        status = .current
        lastOutput = p
        return p
    }

    /// z [4H] → gate activations (canonical order σi, σf, tanh g, σo), c' = σf⊙c + σi⊙tanh g, h' = σo⊙tanh c'.
    private func lstmUpdate() {
        let b = storage.base, L = layout, H = configuration.hiddenSize
        let (ci, cf, cg, co, shift) = configuration.architecture.gateChunks
        let z = b + L.z, acts = b + L.acts, c = b + L.c
        let cNew = b + L.cNew, tanhC = b + L.tanhC, hNew = b + L.hNew
        for j in 0..<H {
            let si = sigmoid(z[ci * H + j]), sf = sigmoid(z[cf * H + j] + shift)
            let tg = tanh(z[cg * H + j]), so = sigmoid(z[co * H + j])
            acts[j] = si; acts[H + j] = sf; acts[2 * H + j] = tg; acts[3 * H + j] = so
            let cn = sf * c[j] + si * tg
            let tc = tanh(cn)
            cNew[j] = cn; tanhC[j] = tc; hNew[j] = so * tc
        }
    }

    /// Adds ∂p/∂θ · dp into `gradients` (for the last `forward`; (h, c) held constant). The meta-trainer passes
    /// dp = γ·s with s = −⟨∇L_val(ŵ), d⟩. Throws `noForwardCache` / `weightsChangedSinceForward` when there is no
    /// forward for the current step and weights. May be called more than once (each call adds).
    public mutating func backward(dp: Float) throws(MLRSNetCellError) {
        switch status {
        case .none: throw .noForwardCache
        case .stale: throw .weightsChangedSinceForward
        case .current: break
        }
        makeUnique()
        let b = storage.base, L = layout
        let H = configuration.hiddenSize, P = configuration.preWidth, G = 4 * H
        let w = UnsafePointer(b + L.w), g = b + L.g
        let x = b[L.x], p = b[L.p]
        let a1 = b + L.a1, a2 = b + L.a2, dz = b + L.z, da1 = b + L.da1, da2 = b + L.da2
        let hNew = b + L.hNew, h = b + L.h, c = b + L.c
        // p = σ(q): dq = dp·p(1 − p); q = layer3·h' + b3
        let dq = dp * p * (1 - p)
        g[L.outB] += dq
        let gOutW = g + L.outW, outW = w + L.outW
        for j in 0..<H { gOutW[j] += dq * hNew[j] }
        if configuration.architecture.isRecurrent {
            // Back through h' = σo⊙tanh c', c' = σf⊙c + σi⊙tanh g into dz [4H] (the layout's chunk order).
            let (ci, cf, cg, co, _) = configuration.architecture.gateChunks
            let acts = b + L.acts, tanhC = b + L.tanhC
            for j in 0..<H {
                let dh = dq * outW[j]
                let si = acts[j], sf = acts[H + j], tg = acts[2 * H + j], so = acts[3 * H + j], tc = tanhC[j]
                let dc = dh * so * (1 - tc * tc)
                dz[ci * H + j] = dc * tg * si * (1 - si)
                dz[cf * H + j] = dc * c[j] * sf * (1 - sf)
                dz[cg * H + j] = dc * si * (1 - tg * tg)
                dz[co * H + j] = dh * tc * so * (1 - so)
            }
        } else {
            // mlp: h' = tanh(u): du = dh·(1 − h'²), into dz[0..<H]
            for j in 0..<H { dz[j] = dq * outW[j] * (1 - hNew[j] * hNew[j]) }
        }
        let rows = configuration.architecture.isRecurrent ? G : H
        // Second linear of the input branch (rows × P): gW += dz ⊗ a1, gb += dz, da1 = Wᵀdz masked by ReLU.
        linearBackward(w: w + L.a2w, gw: g + L.a2w, gb: g + L.a2b, dy: dz, x: a1, dx: da1, rows: rows, cols: P)
        switch configuration.architecture {
        case .referenceMetaTest, .referenceMetaTrain:
            linearBackward(w: w + L.r2w, gw: g + L.r2w, gb: g + L.r2b, dy: dz, x: a2, dx: da2, rows: G, cols: P)
            let gwi0 = g + L.a0w, gbi0 = g + L.a0b, gwh0 = g + L.r0w, gbh0 = g + L.r0b
            for k in 0..<P {
                gwi0[k] += da1[k] * x
                gbi0[k] += da1[k]
            }
            for k in 0..<P {
                let d = da2[k], row = gwh0 + k * H
                for j in 0..<H { row[j] += d * h[j] }
                gbh0[k] += d
            }
        case .paper:
            let gw1 = g + L.a0w, gb1 = g + L.a0b
            for k in 0..<P {
                let d = da1[k], row = gw1 + k * (H + 1)
                for j in 0..<H { row[j] += d * h[j] }
                row[H] += d * x
                gb1[k] += d
            }
        case .mlp:
            let gw1 = g + L.a0w, gb1 = g + L.a0b
            for k in 0..<P {
                gw1[k] += da1[k] * x
                gb1[k] += da1[k]
            }
        }
    }

    /// For y = W·a + b (W: [rows, cols]) followed by nothing, and a = ReLU(·): gW += dy ⊗ a, gb += dy,
    /// dx = (Wᵀ·dy) ⊙ [a > 0].
    private func linearBackward(w: UnsafePointer<Float>, gw: UnsafeMutablePointer<Float>,
                                gb: UnsafeMutablePointer<Float>, dy: UnsafeMutablePointer<Float>,
                                x: UnsafeMutablePointer<Float>, dx: UnsafeMutablePointer<Float>,
                                rows: Int, cols: Int) {
        for k in 0..<cols { dx[k] = 0 }
        for r in 0..<rows {
            let d = dy[r], wr = w + r * cols, gr = gw + r * cols
            gb[r] += d
            for k in 0..<cols {
                gr[k] += d * x[k]
                dx[k] += wr[k] * d
            }
        }
        for k in 0..<cols where !(x[k] > 0) { dx[k] = 0 }
    }

    /// Advances (h, c) to the (h', c') of the last `forward` — exactly once per step (see the type's contract).
    /// For `mlp` there is no state; the call still marks the step as taken.
    public mutating func commitState() throws(MLRSNetCellError) {
        switch status {
        case .none: throw .noForwardSinceLastAdvance
        case .stale: throw .weightsChangedSinceForward
        case .current: break
        }
        makeUnique()
        if configuration.architecture.isRecurrent {
            let b = storage.base, L = layout
            (b + L.h).update(from: b + L.hNew, count: configuration.hiddenSize)
            (b + L.c).update(from: b + L.cNew, count: configuration.hiddenSize)
        }
        stepsAdvanced += 1
        status = .none
    }

    /// forward + commitState: the learning-rate factor p for this step, with the state advanced once.
    @discardableResult
    public mutating func step(loss x: Float) -> Float {
        let p = forward(loss: x)
        do { try commitState() } catch { preconditionFailure("MLRSNetCell.step: \(error)") }  // cannot happen
        return p
    }

    /// Whether a `forward` for the current step and weights is cached (so `backward`/`commitState` may run).
    public var hasCurrentForward: Bool { status == .current }

    // MARK: Parameters and gradients

    /// θ, flat, in `configuration.parameterSpecs` order.
    public var weights: [Float] { Array(UnsafeBufferPointer(start: storage.base + layout.w, count: configuration.parameterCount)) }

    /// ∂/∂θ accumulated by `backward` since the last `zeroGradients`, laid out like `weights`.
    public var gradients: [Float] { Array(UnsafeBufferPointer(start: storage.base + layout.g, count: configuration.parameterCount)) }

    /// Replaces θ (exactly `parameterCount` finite values). A cached forward becomes stale.
    public mutating func setWeights(_ values: [Float]) throws(MLRSNetCellError) {
        guard values.count == configuration.parameterCount else {
            throw .invalidValues("expected \(configuration.parameterCount) weights for \(configuration.summary), got \(values.count)")
        }
        if let i = values.firstIndex(where: { !$0.isFinite }) { throw .invalidValues("weight \(i) is \(values[i])") }
        makeUnique()
        values.withUnsafeBufferPointer { (storage.base + layout.w).update(from: $0.baseAddress!, count: $0.count) }
        markWeightsChanged()
    }

    /// Sets every gradient to zero.
    public mutating func zeroGradients() {
        makeUnique()
        (storage.base + layout.g).update(repeating: 0, count: configuration.parameterCount)
    }

    /// The named parameter (state-dict name), shaped like PyTorch's; nil for an unknown name.
    public func parameter(named name: String) -> ShapedArray? { slice(named: name, at: layout.w) }

    /// The named parameter's gradient; nil for an unknown name.
    public func gradient(named name: String) -> ShapedArray? { slice(named: name, at: layout.g) }

    /// Every parameter by name (what an artifact stores).
    public var namedParameters: [String: ShapedArray] {
        var out: [String: ShapedArray] = [:]
        for s in configuration.parameterSpecs { out[s.name] = parameter(named: s.name) }
        return out
    }

    private func slice(named name: String, at base: Int) -> ShapedArray? {
        guard let s = configuration.spec(named: name) else { return nil }
        return ShapedArray(shape: s.shape, values: Array(UnsafeBufferPointer(start: storage.base + base + s.offset, count: s.count)))
    }

    /// For the meta-optimiser: mutable θ and read-only gradients, both `parameterCount` long. Marks a cached
    /// forward stale (θ may change).
    mutating func withWeightsAndGradients<R>(_ body: (UnsafeMutablePointer<Float>, UnsafePointer<Float>) -> R) -> R {
        makeUnique()
        markWeightsChanged()
        return body(storage.base + layout.w, UnsafePointer(storage.base + layout.g))
    }

    private mutating func markWeightsChanged() {
        if status == .current { status = .stale }
    }

    // MARK: State

    /// h (H values; empty for `mlp`).
    public var hiddenState: [Float] {
        configuration.architecture.isRecurrent
            ? Array(UnsafeBufferPointer(start: storage.base + layout.h, count: configuration.hiddenSize)) : []
    }

    /// c (H values; empty for `mlp`).
    public var cellState: [Float] {
        configuration.architecture.isRecurrent
            ? Array(UnsafeBufferPointer(start: storage.base + layout.c, count: configuration.hiddenSize)) : []
    }

    /// h' and c' of the last forward (what `commitState` installs). For `mlp`: h' is the hidden layer of the last
    /// forward (nothing is installed) and c' is empty.
    public var pendingHiddenState: [Float] { Array(UnsafeBufferPointer(start: storage.base + layout.hNew, count: configuration.hiddenSize)) }
    public var pendingCellState: [Float] {
        configuration.architecture.isRecurrent
            ? Array(UnsafeBufferPointer(start: storage.base + layout.cNew, count: configuration.hiddenSize)) : []
    }

    /// Zero state, `stepsAdvanced` = 0, no cached forward (the start of a run).
    public mutating func resetState() {
        makeUnique()
        (storage.base + layout.h).update(repeating: 0, count: configuration.hiddenSize)
        (storage.base + layout.c).update(repeating: 0, count: configuration.hiddenSize)
        stepsAdvanced = 0
        status = .none
    }

    /// Installs a saved state (H finite values each for recurrent cells; empty arrays for `mlp`). Clears the
    /// cached forward.
    public mutating func setState(hidden h: [Float], cell c: [Float], stepsAdvanced steps: Int) throws(MLRSNetCellError) {
        let n = configuration.architecture.isRecurrent ? configuration.hiddenSize : 0
        guard h.count == n, c.count == n else {
            throw .invalidValues("state needs \(n) values each for h and c (\(configuration.summary)), got \(h.count) and \(c.count)")
        }
        guard h.allSatisfy(\.isFinite), c.allSatisfy(\.isFinite) else { throw .invalidValues("state has non-finite values") }
        guard steps >= 0 else { throw .invalidValues("stepsAdvanced \(steps) < 0") }
        makeUnique()
        if n > 0 {
            h.withUnsafeBufferPointer { (storage.base + layout.h).update(from: $0.baseAddress!, count: n) }
            c.withUnsafeBufferPointer { (storage.base + layout.c).update(from: $0.baseAddress!, count: n) }
        }
        stepsAdvanced = steps
        status = .none
    }

    // MARK: Storage

    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    /// One zero-initialised allocation holding θ, gradients, state, forward cache and backward scratch.
    private final class Storage: @unchecked Sendable {
        let count: Int
        let base: UnsafeMutablePointer<Float>
        init(count: Int) {
            self.count = count
            base = .allocate(capacity: count)
            base.initialize(repeating: 0, count: count)
        }
        func copy() -> Storage {
            let s = Storage(count: count)
            s.base.update(from: base, count: count)
            return s
        }
        deinit { base.deallocate() }
    }

    /// Offsets into the storage. Parameter offsets (a0w...outB) are relative to `w` (and to `g`: the gradient
    /// has the same layout). "a" = the input branch (reference `fc_i2h`, paper `pre`/`gates`, mlp `mlp.0`/`mlp.2`),
    /// "r" = the recurrent branch (reference `fc_h2h`; unused otherwise).
    private struct Layout: Sendable {
        var a0w = 0, a0b = 0, a2w = 0, a2b = 0, r0w = 0, r0b = 0, r2w = 0, r2b = 0, outW = 0, outB = 0
        let w: Int, g: Int, h: Int, c: Int, x: Int, p: Int
        let a1: Int, a2: Int, z: Int, acts: Int, cNew: Int, tanhC: Int, hNew: Int, da1: Int, da2: Int
        let total: Int

        init(_ cfg: MLRSNetConfiguration) {
            switch cfg.architecture {
            case .referenceMetaTest, .referenceMetaTrain:
                a0w = cfg.offset("layer1.fc_i2h.0.weight"); a0b = cfg.offset("layer1.fc_i2h.0.bias")
                a2w = cfg.offset("layer1.fc_i2h.2.weight"); a2b = cfg.offset("layer1.fc_i2h.2.bias")
                r0w = cfg.offset("layer1.fc_h2h.0.weight"); r0b = cfg.offset("layer1.fc_h2h.0.bias")
                r2w = cfg.offset("layer1.fc_h2h.2.weight"); r2b = cfg.offset("layer1.fc_h2h.2.bias")
            case .paper:
                a0w = cfg.offset("pre.weight"); a0b = cfg.offset("pre.bias")
                a2w = cfg.offset("gates.weight"); a2b = cfg.offset("gates.bias")
            case .mlp:
                a0w = cfg.offset("mlp.0.weight"); a0b = cfg.offset("mlp.0.bias")
                a2w = cfg.offset("mlp.2.weight"); a2b = cfg.offset("mlp.2.bias")
            }
            outW = cfg.offset("layer3.weight"); outB = cfg.offset("layer3.bias")
            let n = cfg.parameterCount, H = cfg.hiddenSize, P = cfg.preWidth
            var o = 0
            func take(_ k: Int) -> Int { defer { o += k }; return o }
            w = take(n); g = take(n); h = take(H); c = take(H); x = take(1); p = take(1)
            a1 = take(P); a2 = take(P); z = take(4 * H); acts = take(4 * H)
            cNew = take(H); tanhC = take(H); hNew = take(H); da1 = take(P); da2 = take(P)
            total = o
        }
    }
}

// MARK: Scalar helpers

@inline(__always) func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }
@inline(__always) func relu(_ x: Float) -> Float { x > 0 ? x : 0 }

/// Σ a[i]·b[i] with eight partial sums (breaks the add latency chain; the order is fixed, so results are
/// deterministic).
@inline(__always) func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
    var s4: Float = 0, s5: Float = 0, s6: Float = 0, s7: Float = 0
    var i = 0
    while i + 8 <= n {
        s0 += a[i] * b[i]; s1 += a[i + 1] * b[i + 1]; s2 += a[i + 2] * b[i + 2]; s3 += a[i + 3] * b[i + 3]
        s4 += a[i + 4] * b[i + 4]; s5 += a[i + 5] * b[i + 5]; s6 += a[i + 6] * b[i + 6]; s7 += a[i + 7] * b[i + 7]
        i += 8
    }
    while i < n { s0 += a[i] * b[i]; i += 1 }
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}
