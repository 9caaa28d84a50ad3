import Foundation
import LRController
import NN
import Tensor
import Testing

/// ∂L_PPO/∂θ through the actor and critic MLPs (and log σ) against central finite differences of the loss.
@Suite struct PPOGradientTests {
    static func samples(_ policy: ControllerPolicy, n: Int, seed: UInt64) -> [PPOSample] {
        var rng = RandomGenerator(seed: seed)
        let f = LRControllerConfiguration.featureCount
        var out: [PPOSample] = []
        for i in 0..<n {
            let obs = (0..<f).map { _ in rng.nextNormal() }
            let a = policy.act(obs, rng: &rng, deterministic: false)
            // Old log-probabilities a little off the current ones: ratios in about [0.87, 1.15], some of them
            // outside the clip range [0.9, 1.1] (ε = 0.1), none close to its edges.
            let shifts: [Double] = [0.0, 0.05, -0.05, 0.14, -0.14, 0.03]
            out.append(PPOSample(observation: obs, action: a.action, oldLogProb: Double(a.logProb) + shifts[i % shifts.count],
                                 advantage: Double(rng.nextNormal()), target: Double(rng.nextNormal())))
        }
        return out
    }

    static func loss(_ policy: ControllerPolicy, _ s: [PPOSample], _ h: PPOHyperparameters) -> PPOLoss {
        let obs = Tensor(shape: [s.count, LRControllerConfiguration.featureCount], values: s.flatMap(\.observation))
        let (o, v) = policy.forward(obs)
        return PPOLoss(actorOutput: o, values: v, logStd: policy.logStd?.value[flat: 0], samples: s,
                       space: policy.configuration.actionSpace, hyper: h)
    }

    @Test(arguments: LRControllerConfiguration.ActionSpace.allCases)
    func lossGradientMatchesFiniteDifferences(space: LRControllerConfiguration.ActionSpace) throws {
        let config = try LRControllerConfiguration(actionSpace: space, hiddenSize: 8)
        let policy = ControllerPolicy(configuration: config, seed: 3)
        // Make the actor's last layer non-trivial (its default is 0.01× small) so the logits vary.
        for p in policy.actor.parameters where p.name.hasPrefix("actor.4") { p.value.scale(by: 100) }
        var h = PPOHyperparameters()
        h.clip = 0.1; h.entropyCoefficient = 0.05; h.valueCoefficient = 0.5
        let s = Self.samples(policy, n: 12, seed: 11)
        for p in policy.parameters { p.zeroGrad() }
        let l = Self.loss(policy, s, h)
        #expect(l.clipFraction > 0 && l.clipFraction < 1)   // both branches are exercised
        policy.backward(dActor: l.dActor, dValues: l.dValues, dLogStd: l.dLogStd)
        var checked = 0, worst = 0.0
        for p in policy.parameters {
            let analytic = p.grad
            for i in stride(from: 0, to: p.value.count, by: max(1, p.value.count / 12)) {
                let x = p.value[flat: i], eps: Float = 1e-2
                p.value[flat: i] = x + eps
                let up = Self.loss(policy, s, h).loss
                p.value[flat: i] = x - eps
                let down = Self.loss(policy, s, h).loss
                p.value[flat: i] = x
                let numeric = (up - down) / Double(2 * eps)
                let err = abs(numeric - Double(analytic[flat: i]))
                worst = max(worst, err)
                #expect(err <= 2e-3 + 2e-2 * abs(numeric), "\(p.name)[\(i)]: numeric \(numeric) vs analytic \(analytic[flat: i])")
                checked += 1
            }
        }
        #expect(checked > 50)
    }
}
