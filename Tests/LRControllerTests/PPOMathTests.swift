import Foundation
import LRController
import Tensor
import Testing

/// GAE, PPO's loss, ratio clipping and the loss's gradient w.r.t. the policy outputs, against values computed
/// by hand on tiny trajectories (the arithmetic is written out in the comments).
@Suite struct PPOMathTests {
    func close(_ a: Double, _ b: Double, _ tol: Double = 1e-6) -> Bool { abs(a - b) <= tol }

    @Test func gaeHandComputed() {
        // γ = 0.9, λ = 0.8, last transition terminal (bootstrap 9 ignored):
        // δ2 = 2 − 0.4 = 1.6,  A2 = 1.6
        // δ1 = 0 + 0.9·0.4 − 0.2 = 0.16,  A1 = 0.16 + 0.72·1.6 = 1.312
        // δ0 = 1 + 0.9·0.2 − 0.5 = 0.68,  A0 = 0.68 + 0.72·1.312 = 1.62464
        let (a, r) = GAE.compute(rewards: [1, 0, 2], values: [0.5, 0.2, 0.4], dones: [false, false, true],
                                 lastValue: 9, gamma: 0.9, lambda: 0.8)
        #expect(close(a[0], 1.62464) && close(a[1], 1.312) && close(a[2], 1.6))
        #expect(close(r[0], 2.12464) && close(r[1], 1.512) && close(r[2], 2.0))
        // Not terminal: the bootstrap counts. δ = 1 + 0.9·2 − 0.5 = 2.3.
        let (b, _) = GAE.compute(rewards: [1], values: [0.5], dones: [false], lastValue: 2, gamma: 0.9, lambda: 0.8)
        #expect(close(b[0], 2.3))
        // A terminal in the middle cuts the recursion: A1 = 1 − 0 = 1 (no bootstrap), A0 = 0 − 1 + 0.72·... is cut too
        // because done0: δ0 = 0 + 0 − 1 = −1.
        let (c, _) = GAE.compute(rewards: [0, 1], values: [1, 0], dones: [true, true], lastValue: 0, gamma: 0.9, lambda: 0.8)
        #expect(close(c[0], -1) && close(c[1], 1))
    }

    /// Two discrete samples:
    /// s1: logits (0, 0, 0), action 2, ρ = 1.5 (old log π = ln ⅓ − ln 1.5), A = +2 → clipped: −min(3, 2.4) = −2.4, no gradient.
    /// s2: logits (ln 2, 0, 0) → p = (½, ¼, ¼), action 0, ρ = 0.9, A = −1 → −min(−0.9, −0.9) = 0.9, gradient active.
    /// Policy loss (−2.4 + 0.9)/2 = −0.75. Values (1, −1), targets (2, 0): value loss (1 + 1)/2 = 1.
    /// Entropies ln 3 = 1.0986123, −(½ln½ + ½ln¼) = 1.0397208; mean 1.0691666.
    /// L = −0.75 + 0.5·1 − 0.01·1.0691666 = −0.2606917.
    /// ∂L/∂z for s2: g = −A·ρ/n = 0.45; g(δ − p) − (c_e/n)·(−p_j(ln p_j + H)):
    ///   j=0: 0.45·½ + 0.005·(½·(−0.6931472 + 1.0397208)) = 0.225 + 0.000866434 = 0.225866434
    ///   j=1: 0.45·(−¼) + 0.005·(¼·(−1.3862944 + 1.0397208)) = −0.1125 − 0.000433217 = −0.112933217
    /// ∂L/∂V = 2·c_v·(V − R)/n = (−0.5, −0.5). s1's logit gradient is 0 (clipped, and ∂H = 0 at the uniform).
    @Test func discreteLossAndGradientHandComputed() {
        var h = PPOHyperparameters()
        h.clip = 0.2; h.valueCoefficient = 0.5; h.entropyCoefficient = 0.01
        let ln2 = Float(0.6931471805599453)
        let samples = [
            PPOSample(observation: [], action: 2, oldLogProb: log(1.0 / 3) - log(1.5), advantage: 2, target: 2),
            PPOSample(observation: [], action: 0, oldLogProb: log(0.5) - log(0.9), advantage: -1, target: 0),
        ]
        let l = PPOLoss(actorOutput: Tensor(shape: [2, 3], values: [0, 0, 0, ln2, 0, 0]), values: Tensor(shape: [2, 1], values: [1, -1]),
                        logStd: nil, samples: samples, space: .discrete, hyper: h)
        #expect(close(l.policyLoss, -0.75, 1e-6))
        #expect(close(l.valueLoss, 1, 1e-7))
        #expect(close(l.entropy, 1.0691666, 1e-6))
        #expect(close(l.loss, -0.2606917, 1e-6))
        #expect(l.clipFraction == 0.5)
        let d = l.dActor.scalars.map(Double.init)
        #expect(d[0...2].allSatisfy { abs($0) < 1e-7 })
        #expect(close(d[3], 0.225866434, 1e-6) && close(d[4], -0.112933217, 1e-6) && close(d[5], -0.112933217, 1e-6))
        #expect(l.dValues.scalars == [-0.5, -0.5])
    }

    /// One Gaussian sample: μ = 0.5, log σ = 0, u = 1, ρ = 1, A = 1:
    /// log π = −½·0.25 − ½ln 2π = −1.0439385; policy loss −1; H = ½ln(2πe) = 1.4189385;
    /// ∂L/∂μ = −A·(u−μ)/σ² = −0.5; ∂L/∂log σ = −A·((u−μ)²/σ² − 1) − c_e = 0.75 − 0.01 = 0.74.
    @Test func continuousLossAndGradientHandComputed() {
        var h = PPOHyperparameters()
        h.valueCoefficient = 0.5; h.entropyCoefficient = 0.01
        let s = PPOSample(observation: [], action: 1, oldLogProb: -1.0439385332046727, advantage: 1, target: 0)
        let l = PPOLoss(actorOutput: Tensor(shape: [1, 1], values: [0.5]), values: Tensor(shape: [1, 1], values: [0]),
                        logStd: 0, samples: [s], space: .continuous, hyper: h)
        #expect(close(l.policyLoss, -1, 1e-6))
        #expect(close(l.entropy, 1.4189385, 1e-6))
        #expect(close(Double(l.dActor[flat: 0]), -0.5, 1e-6))
        #expect(close(Double(l.dLogStd), 0.74, 1e-6))
    }

    /// The surrogate's gradient is cut exactly where the clipped term is the minimum.
    @Test(arguments: [(2.0, 1.5, false), (2.0, 0.5, true), (-1.0, 0.5, false), (-1.0, 1.5, true), (1.0, 1.1, true), (-1.0, 0.9, true)])
    func ratioClipping(advantage: Double, ratio: Double, gradientFlows: Bool) {
        var h = PPOHyperparameters()
        h.entropyCoefficient = 0; h.clip = 0.2
        // Uniform logits over 3 actions: log π(a) = ln ⅓; the old log-probability sets ρ.
        let s = PPOSample(observation: [], action: 1, oldLogProb: log(1.0 / 3) - log(ratio), advantage: advantage, target: 0)
        let l = PPOLoss(actorOutput: Tensor(shape: [1, 3], values: [0, 0, 0]), values: Tensor(shape: [1, 1], values: [0]),
                        logStd: nil, samples: [s], space: .discrete, hyper: h)
        let clipped = min(max(ratio, 0.8), 1.2)
        #expect(close(l.policyLoss, -min(ratio * advantage, clipped * advantage), 1e-6))
        // ∂L/∂z_a = −A·ρ·(1 − ⅓) when it flows.
        let expected = gradientFlows ? -advantage * ratio * (2.0 / 3) : 0
        #expect(close(Double(l.dActor[flat: 1]), expected, 1e-6), "A \(advantage), ρ \(ratio)")
    }

    @Test func runningNormalizerHandComputed() throws {
        var n = RunningNormalizer(dimension: 2)
        n.update([1, 10]); n.update([3, 10])
        #expect(n.mean == [2, 10] && n.variance == [1, 0])
        let z = n.normalize([4, 10])
        #expect(close(z[0], 2 / (1 + 1e-8).squareRoot(), 1e-12) && z[1] == 0)
        #expect(n.normalize([100, 10])[0] == 5)   // clipped to ±5
        let restored = try RunningNormalizer(count: n.count, mean: n.mean, m2: n.m2)
        #expect(restored == n)
    }

    @Test func featuresHandComputed() {
        // Probabilities (½, ½; 1, 0): entries mean ½, variance (0 + 0 + ¼ + ¼)/4 = 0.125.
        // Change from (½, ½; ½, ½): (0, 0, ½, −½), variance 0.125. Weights 1..4: mean 2.5, variance 1.25. ln e = 1.
        let f = ControllerFeatures.compute(trainLoss: 0.7, probeLoss: 0.9,
                                           probabilities: Tensor(shape: [2, 2], values: [0.5, 0.5, 1, 0]),
                                           previous: Tensor(shape: [2, 2], values: [0.5, 0.5, 0.5, 0.5]),
                                           outputWeight: Tensor(shape: [2, 2], values: [1, 2, 3, 4]), learningRate: 2.718281828459045)
        #expect(f.count == 7)
        #expect(f[0] == 0.7 && close(f[1], 0.9, 1e-7) && close(f[2], 0.125) && close(f[3], 0.125))
        #expect(close(f[4], 2.5) && close(f[5], 1.25) && close(f[6], 1, 1e-12))
        let first = ControllerFeatures.compute(trainLoss: 0, probeLoss: 0, probabilities: Tensor(shape: [1, 2], values: [0.3, 0.7]),
                                               previous: nil, outputWeight: Tensor(shape: [1, 1], values: [0]), learningRate: 1)
        #expect(first[3] == 0)
    }

    @Test func actionsMultiplyAndClip() throws {
        let c = try LRControllerConfiguration(minimumLR: 0.01, maximumLR: 0.2)
        #expect(c.nextLearningRate(0.1, action: 0) == 0.1 / 1.05)
        #expect(c.nextLearningRate(0.1, action: 1) == 0.1)
        #expect(close(c.nextLearningRate(0.1, action: 2), 0.105, 1e-15))
        #expect(c.nextLearningRate(0.199, action: 2) == 0.2)
        #expect(c.nextLearningRate(0.01, action: 0) == 0.01)
        let k = try LRControllerConfiguration(actionSpace: .continuous)
        #expect(close(k.multiplier(action: 0.5), 1.0246950766, 1e-9))
        #expect(k.multiplier(action: 7) == 1.05 && close(k.multiplier(action: -3), 1 / 1.05, 1e-15))
        #expect(throws: LRControllerError.self) { try LRControllerConfiguration(factor: 1) }
        #expect(throws: LRControllerError.self) { try LRControllerConfiguration(minimumLR: 0.5, maximumLR: 0.1) }
    }
}
