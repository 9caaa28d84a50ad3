import Foundation
import LRController
import Tensor
import Testing

/// PPO learns the LR-tuning problem of a quadratic f(w) = ½h·w², whose best step size is known: one
/// gradient step from w multiplies the loss by (1 − lr·h)², zero at lr* = 1/h. The state is the LR's distance
/// from lr* in ×1.05 steps, d (observed as d/8 in feature 0); each action multiplies the LR by 1/1.05, 1 or
/// 1.05; the reward is −10·(1 − lr·h)² = −10·(1 − 1.05^d)². An episode starts at d ∈ [−8, 8] and lasts 16
/// decisions. The optimal policy walks straight to d = 0 and stays; its return is computed exactly.
@Suite struct PPOControlTaskTests {
    static let horizon = 16

    static func reward(_ d: Int) -> Double { let x = 1 - pow(1.05, Double(d)); return -10 * x * x }

    /// Return of `policy` (its mode) from start d0.
    static func greedyReturn(_ policy: ControllerPolicy, from d0: Int) -> Double {
        var rng = RandomGenerator(seed: 0)
        var d = d0, total = 0.0
        for _ in 0..<horizon {
            let a = policy.act(observation(d), rng: &rng, deterministic: true)
            d += Int(a.action) - 1
            total += reward(d)
        }
        return total
    }

    static func optimalReturn(from d0: Int) -> Double {
        var d = d0, total = 0.0
        for _ in 0..<horizon { d -= d.signum(); total += reward(d) }
        return total
    }

    static func observation(_ d: Int) -> [Float] { [Float(d) / 8, 0, 0, 0, 0, 0, 0] }

    @Test func policyImprovesTowardsTheKnownOptimum() throws {
        let config = try LRControllerConfiguration(hiddenSize: 32)
        var h = PPOHyperparameters()
        h.learningRate = 3e-3; h.epochs = 4; h.minibatchSize = 64; h.entropyCoefficient = 0.01; h.gamma = 0.95
        let policy = ControllerPolicy(configuration: config, seed: 5)
        let learner = PPOLearner(policy: policy, hyper: h, seed: 6)
        let starts = Array(-8...8)
        func meanReturn() -> Double { starts.reduce(0) { $0 + Self.greedyReturn(policy, from: $1) } / Double(starts.count) }
        let optimal = starts.reduce(0) { $0 + Self.optimalReturn(from: $1) } / Double(starts.count)
        let before = meanReturn()
        var rng = RandomGenerator(seed: 7)
        for _ in 0..<40 {   // fixed budget: 40 updates × 8 episodes × 16 decisions
            var transitions: [ControllerTransition] = []
            for _ in 0..<8 {
                var d = rng.nextInt(below: 17) - 8
                for t in 0..<Self.horizon {
                    let obs = Self.observation(d)
                    let a = policy.act(obs, rng: &rng, deterministic: false)
                    d += Int(a.action) - 1
                    transitions.append(ControllerTransition(observation: obs, action: a.action, logProb: Double(a.logProb),
                                                            value: a.value, reward: Self.reward(d), done: t == Self.horizon - 1))
                }
            }
            learner.update(PPOLearner.samples(from: transitions, hyper: h))
        }
        let after = meanReturn()
        // The gap to the optimum shrinks to under 15% of what it was.
        #expect(after - before > 0.85 * (optimal - before), "before \(before), after \(after), optimal \(optimal)")
        // And the greedy actions point the right way far from the optimum.
        var r = RandomGenerator(seed: 0)
        #expect(policy.act(Self.observation(6), rng: &r, deterministic: true).action == 0)
        #expect(policy.act(Self.observation(-6), rng: &r, deterministic: true).action == 2)
    }
}
