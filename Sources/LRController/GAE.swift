/// Generalised advantage estimation (Schulman et al. 2016) over one trajectory (or several concatenated,
/// separated by `dones`):
///
///   δ_t = r_t + γ·V_{t+1}·(1 − done_t) − V_t,   A_t = δ_t + γλ·(1 − done_t)·A_{t+1},   R_t = A_t + V_t,
///
/// with V_T = `lastValue` (the bootstrap after the last transition; ignored when that transition is done).
/// The returns R_t are the critic's regression targets.
public enum GAE {
    public static func compute(rewards: [Double], values: [Double], dones: [Bool], lastValue: Double,
                               gamma: Double, lambda: Double) -> (advantages: [Double], returns: [Double]) {
        precondition(rewards.count == values.count && values.count == dones.count,
                     "GAE: \(rewards.count) rewards, \(values.count) values, \(dones.count) dones")
        let n = rewards.count
        var adv = Array(repeating: 0.0, count: n)
        var next = 0.0
        for t in stride(from: n - 1, through: 0, by: -1) {
            let nonTerminal = dones[t] ? 0.0 : 1.0
            let nextValue = t == n - 1 ? lastValue : values[t + 1]
            let delta = rewards[t] + gamma * nextValue * nonTerminal - values[t]
            next = delta + gamma * lambda * nonTerminal * next
            adv[t] = next
        }
        return (adv, zip(adv, values).map { $0 + $1 })
    }
}
