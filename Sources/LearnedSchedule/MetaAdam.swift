import Foundation

/// Adam for the meta-learner's θ, with coupled L2 weight decay — `torch.optim.Adam(lr, betas, eps,
/// weight_decay)` without amsgrad, as the paper and the reference use (lr 1e-3, weight decay 1e-4). Per element,
/// at step t (counted from 1):
///
///     g' = g + λ·w
///     m  = lerp(m, g', 1 − β1)            (= β1·m + (1 − β1)·g', in PyTorch's lerp form)
///     v  = β2·v + (1 − β2)·g'²
///     w  ← w − (lr / (1 − β1ᵗ))·m / (√v / √(1 − β2ᵗ) + ε)
///
/// The hyper-parameters and bias corrections are Doubles (PyTorch's Python floats), rounded to Float where
/// they meet the Float tensors, as PyTorch does. Gradients are not zeroed by `step` (the meta-trainer calls
/// `cell.zeroGradients()`, like `optimizer.zero_grad()`). Meta-trainer use, once per meta-update:
///
///     try cell.backward(dp: Float(γ) * s)    // s = −⟨∇L_val(ŵ), d⟩
///     metaAdam.step(&cell)
///     cell.zeroGradients()
public struct MetaAdam: Sendable, Equatable {
    public let learningRate: Double
    public let beta1: Double
    public let beta2: Double
    public let eps: Double
    public let weightDecay: Double
    /// Steps taken (t of the last step).
    public private(set) var stepCount = 0
    /// m and v (empty before the first step).
    public private(set) var expAvg: [Float] = []
    public private(set) var expAvgSq: [Float] = []

    /// PyTorch's defaults for betas and eps; the paper's lr 1e-3 and weight decay 1e-4.
    public init(lr: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8,
                weightDecay: Double = 1e-4) {
        precondition(lr.isFinite && lr >= 0, "MetaAdam: lr must be finite and ≥ 0, got \(lr)")
        precondition(beta1 >= 0 && beta1 < 1, "MetaAdam: beta1 must be in [0, 1), got \(beta1)")
        precondition(beta2 >= 0 && beta2 < 1, "MetaAdam: beta2 must be in [0, 1), got \(beta2)")
        precondition(eps.isFinite && eps >= 0, "MetaAdam: eps must be finite and ≥ 0, got \(eps)")
        precondition(weightDecay.isFinite && weightDecay >= 0, "MetaAdam: weightDecay must be finite and ≥ 0, got \(weightDecay)")
        learningRate = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
    }

    /// One Adam step on the cell's θ from its accumulated gradients (makes the cell's cached forward stale).
    public mutating func step(_ cell: inout MLRSNetCell) {
        let n = cell.configuration.parameterCount
        cell.withWeightsAndGradients { w, g in update(w, g, n) }
    }

    /// One Adam step on plain arrays (same rule; `weights` and `gradients` of equal length).
    public mutating func step(weights: inout [Float], gradients: [Float]) {
        precondition(weights.count == gradients.count, "MetaAdam.step: \(weights.count) weights but \(gradients.count) gradients")
        let n = weights.count
        weights.withUnsafeMutableBufferPointer { wb in
            gradients.withUnsafeBufferPointer { gb in
                if n > 0 { update(wb.baseAddress!, gb.baseAddress!, n) }
            }
        }
    }

    private mutating func update(_ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ n: Int) {
        if stepCount == 0 {
            expAvg = [Float](repeating: 0, count: n)
            expAvgSq = [Float](repeating: 0, count: n)
        }
        precondition(expAvg.count == n, "MetaAdam.step: state is for \(expAvg.count) parameters, got \(n)")
        stepCount += 1
        let t = Double(stepCount)
        let lambda = Float(weightDecay)
        // PyTorch's lerp(m, g', w), w = 1 − β1: m + w·(g' − m) when w < ½, else g' − (g' − m)·(1 − w).
        let lerpWeight = Float(1 - beta1)
        let lerpFromM = lerpWeight < 0.5
        let lerpC = lerpFromM ? lerpWeight : 1 - lerpWeight
        let beta2f = Float(beta2), oneMinusBeta2 = Float(1 - beta2)
        let stepSize = Float(learningRate / (1 - pow(beta1, t)))
        let bc2Sqrt = Float((1 - pow(beta2, t)).squareRoot())
        let epsf = Float(eps)
        expAvg.withUnsafeMutableBufferPointer { mb in
            expAvgSq.withUnsafeMutableBufferPointer { vb in
                let m = mb.baseAddress!, v = vb.baseAddress!
                for i in 0..<n {
                    let gd = lambda != 0 ? g[i] + lambda * w[i] : g[i]
                    m[i] = lerpFromM ? m[i] + lerpC * (gd - m[i]) : gd - (gd - m[i]) * lerpC
                    v[i] = v[i] * beta2f + oneMinusBeta2 * gd * gd
                    let denom = v[i].squareRoot() / bc2Sqrt + epsf
                    w[i] = w[i] - stepSize * m[i] / denom
                }
            }
        }
    }

    // MARK: State

    /// Everything needed to continue identically after a restart (Codable: JSON-safe when m, v are finite).
    public struct State: Codable, Sendable, Equatable {
        public var learningRate, beta1, beta2, eps, weightDecay: Double
        public var stepCount: Int
        public var expAvg: [Float]
        public var expAvgSq: [Float]
    }

    public var state: State {
        State(learningRate: learningRate, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay,
              stepCount: stepCount, expAvg: expAvg, expAvgSq: expAvgSq)
    }

    /// Rebuilds the optimiser saved in `state`. Throws `MLRSNetCellError.invalidValues` for inconsistent or
    /// out-of-range values.
    public init(state s: State) throws(MLRSNetCellError) {
        guard s.learningRate.isFinite, s.learningRate >= 0, s.beta1 >= 0, s.beta1 < 1, s.beta2 >= 0, s.beta2 < 1,
              s.eps.isFinite, s.eps >= 0, s.weightDecay.isFinite, s.weightDecay >= 0 else {
            throw .invalidValues("MetaAdam state: hyper-parameters out of range")
        }
        guard s.stepCount >= 0, s.expAvg.count == s.expAvgSq.count,
              (s.stepCount == 0) == s.expAvg.isEmpty else {
            throw .invalidValues("MetaAdam state: step \(s.stepCount) with \(s.expAvg.count)/\(s.expAvgSq.count) moments")
        }
        guard s.expAvg.allSatisfy(\.isFinite), s.expAvgSq.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw .invalidValues("MetaAdam state: non-finite or negative moments")
        }
        self.init(lr: s.learningRate, beta1: s.beta1, beta2: s.beta2, eps: s.eps, weightDecay: s.weightDecay)
        stepCount = s.stepCount
        expAvg = s.expAvg
        expAvgSq = s.expAvgSq
    }
}
