import Tensor

/// One training sample of PPO: what was observed and done, with the behaviour policy's log-probability and
/// the GAE advantage and return computed from the trajectory.
public struct PPOSample: Codable, Sendable, Equatable {
    public var observation: [Float]
    public var action: Float
    public var oldLogProb: Double
    public var advantage: Double
    public var target: Double   // the return R_t
    public init(observation: [Float], action: Float, oldLogProb: Double, advantage: Double, target: Double) {
        self.observation = observation; self.action = action; self.oldLogProb = oldLogProb
        self.advantage = advantage; self.target = target
    }
}

/// PPO's loss on a minibatch of n samples and its gradient with respect to the network outputs:
///
///   L = (1/n)Σ −min(ρ_i·A_i, clip(ρ_i, 1−ε, 1+ε)·A_i)  +  c_v·(1/n)Σ (V_i − R_i)²  −  c_e·(1/n)Σ H_i,
///
/// ρ_i = exp(log π(a_i|s_i) − log π_old(a_i|s_i)). The surrogate's gradient flows through ρ only where the
/// unclipped term is the minimum (A ≥ 0 and ρ ≤ 1+ε, or A < 0 and ρ ≥ 1−ε); elsewhere it is 0.
/// Discrete: ∂log π(a)/∂z_j = [j = a] − p_j, ∂H/∂z_j = −p_j(log p_j + H). Continuous (mean μ, log σ):
/// ∂log π/∂μ = (u−μ)/σ², ∂log π/∂log σ = (u−μ)²/σ² − 1, ∂H/∂log σ = 1.
public struct PPOLoss: Sendable {
    public var loss: Double
    public var policyLoss: Double
    public var valueLoss: Double      // (1/n)Σ(V − R)², before c_v
    public var entropy: Double        // (1/n)Σ H
    /// Fraction of samples whose ratio lies outside [1−ε, 1+ε].
    public var clipFraction: Double
    /// Mean ρ (1 at the first pass over fresh samples).
    public var meanRatio: Double
    /// ∂L/∂(actor outputs) [n, A], ∂L/∂(values) [n, 1], ∂L/∂log σ.
    public var dActor: Tensor
    public var dValues: Tensor
    public var dLogStd: Float

    public init(actorOutput: Tensor, values: Tensor, logStd: Float?, samples: [PPOSample],
                space: LRControllerConfiguration.ActionSpace, hyper: PPOHyperparameters) {
        let n = samples.count
        precondition(n > 0 && actorOutput.shape.first == n && values.count == n, "PPOLoss: outputs do not match \(n) samples")
        let a = actorOutput.shape[1]
        let eps = hyper.clip, cv = hyper.valueCoefficient, ce = hyper.entropyCoefficient
        let out = actorOutput.scalars, v = values.scalars
        var dA = [Float](repeating: 0, count: n * a), dV = [Float](repeating: 0, count: n)
        var dls = 0.0
        var pl = 0.0, vl = 0.0, ent = 0.0, clipped = 0, ratioSum = 0.0
        let ls = logStd.map(Double.init)
        for (i, s) in samples.enumerated() {
            let o = (0..<a).map { Double(out[i * a + $0]) }
            let lp = PolicyMath.logProb(actorOutput: o, logStd: ls, action: s.action, space: space)
            let h = PolicyMath.entropy(actorOutput: o, logStd: ls, space: space)
            let ratio = _exp(lp - s.oldLogProb)
            let adv = s.advantage
            let clippedRatio = min(max(ratio, 1 - eps), 1 + eps)
            pl += -min(ratio * adv, clippedRatio * adv)
            if ratio < 1 - eps || ratio > 1 + eps { clipped += 1 }
            ratioSum += ratio
            let active = adv >= 0 ? ratio <= 1 + eps : ratio >= 1 - eps
            let g = active ? -adv * ratio / Double(n) : 0   // ∂L/∂log π(a_i|s_i)
            ent += h
            let diff = Double(v[i]) - s.target
            vl += diff * diff
            dV[i] = Float(2 * cv * diff / Double(n))
            switch space {
            case .discrete:
                let p = PolicyMath.softmax(o)
                for j in 0..<a {
                    let onehot = j == Int(s.action) ? 1.0 : 0.0
                    let dH = -p[j] * (_log(p[j]) + h)
                    dA[i * a + j] = Float(g * (onehot - p[j]) - ce / Double(n) * dH)
                }
            case .continuous:
                let sigma2 = _exp(2 * ls!)
                let d = Double(s.action) - o[0]
                dA[i * a] = Float(g * d / sigma2)
                dls += g * (d * d / sigma2 - 1)
            }
        }
        if space == .continuous { dls -= ce }   // −c_e · (1/n)Σ ∂H/∂log σ
        policyLoss = pl / Double(n)
        valueLoss = vl / Double(n)
        entropy = ent / Double(n)
        loss = policyLoss + cv * valueLoss - ce * entropy
        clipFraction = Double(clipped) / Double(n)
        meanRatio = ratioSum / Double(n)
        dActor = Tensor(shape: [n, a], values: dA)
        dValues = Tensor(shape: [n, 1], values: dV)
        dLogStd = Float(dls)
    }
}
