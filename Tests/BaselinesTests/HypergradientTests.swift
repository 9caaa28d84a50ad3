import Baselines
import NN
import Optim
import Schedules
import Tensor
import Testing

/// Hypergradient descent on f(w) = ½·a·w² (gradient a·w), LRs checked against values worked out by hand from
/// Baydin et al.'s rule α_t = α_{t−1} + β⟨g_t, d_{t−1}⟩.
@Suite struct HypergradientDescentTests {
    func task(a: Double = 1, w0: Float = 1) -> QuadraticTask { QuadraticTask(diagonal: [a], linear: [[0]], w0: [w0]) }

    /// SGD-HD, α₀ = 0.1, β = 0.01, w₀ = 1, a = 1:
    /// g₀ = 1, α = 0.1, w₁ = 0.9; g₁ = 0.9, α₁ = 0.1 + 0.01·0.9·1 = 0.109, w₂ = 0.9·0.891 = 0.8019;
    /// g₂ = 0.8019, α₂ = 0.109 + 0.01·0.8019·0.9 = 0.1162171.
    @Test func sgdHDTrajectory() throws {
        let t = task()
        let hd = try HypergradientUpdate(initialLR: 0.1, hyperLR: 0.01)
        let lrs = try runSteps(t, hd, SGD(), steps: 3)
        #expect(abs(lrs[0] - 0.1) < 1e-7)
        #expect(abs(lrs[1] - 0.109) < 1e-6)
        #expect(abs(lrs[2] - 0.1162171) < 1e-6)
        #expect(abs(t.weights.w.value.scalars[0] - 0.8019 * (1 - 0.1162171)) < 1e-6)
    }

    /// The coupled L2 term is part of the hypergradient: a = 0.5 with weight decay 0.5 is the same objective
    /// as a = 1 without, so the same LRs.
    @Test func weightDecayEntersTheHypergradient() throws {
        let hd = try HypergradientUpdate(initialLR: 0.1, hyperLR: 0.01)
        let lrs = try runSteps(task(a: 0.5), hd, SGD(weightDecay: 0.5), steps: 3)
        #expect(abs(lrs[1] - 0.109) < 1e-6)
        #expect(abs(lrs[2] - 0.1162171) < 1e-6)
    }

    /// SGDN-HD (μ = 0.9, Nesterov): d₀ = g₀ + μ·b₀ = 1 + 0.9 = 1.9, w₁ = 1 − 0.19 = 0.81;
    /// α₁ = 0.1 + 0.01·0.81·1.9 = 0.11539. Then b₁ = 0.9·1 + 0.81 = 1.71, d₁ = 0.81 + 0.9·1.71 = 2.349,
    /// w₂ = 0.81 − 0.11539·2.349, α₂ = α₁ + 0.01·w₂·2.349.
    @Test func sgdnHDTrajectory() throws {
        let hd = try HypergradientUpdate(initialLR: 0.1, hyperLR: 0.01)
        let lrs = try runSteps(task(), hd, SGD(momentum: 0.9, nesterov: true), steps: 3)
        #expect(abs(lrs[1] - 0.11539) < 1e-6)
        let w2 = 0.81 - 0.11539 * 2.349
        #expect(abs(Double(lrs[2]) - (0.11539 + 0.01 * w2 * 2.349)) < 1e-6)
    }

    /// Adam-HD: Adam's first direction is m̂/(√v̂+ε) = g/(|g|+ε) ≈ 1, so w₁ = 1 − 0.1 = 0.9 and
    /// α₁ = 0.1 + 0.01·0.9·1 = 0.109 (up to ε = 1e-8).
    @Test func adamHDTrajectory() throws {
        let hd = try HypergradientUpdate(initialLR: 0.1, hyperLR: 0.01)
        let lrs = try runSteps(task(), hd, Adam(), steps: 2)
        #expect(abs(lrs[1] - 0.109) < 1e-6)
    }

    /// Sign: with a small LR successive gradients agree and α grows every step; with α₀ = 1.5 on a = 1 every step
    /// overshoots (w flips sign), successive gradients oppose and α shrinks every step.
    @Test func lrGrowsWhenGradientsAgreeAndShrinksWhenTheyOppose() throws {
        let grow = try runSteps(task(), try HypergradientUpdate(initialLR: 0.1, hyperLR: 0.01), SGD(), steps: 6)
        #expect(zip(grow, grow.dropFirst()).allSatisfy { $0.1 > $0.0 })
        let shrink = try runSteps(task(), try HypergradientUpdate(initialLR: 1.5, hyperLR: 0.01), SGD(), steps: 6)
        #expect(zip(shrink, shrink.dropFirst()).allSatisfy { $0.1 < $0.0 })
        #expect(abs(shrink[1] - (1.5 + 0.01 * -0.5)) < 1e-6)   // w₁ = −0.5, d₀ = 1
    }

    /// The documented failure: a large β drives α negative on an overshooting start; bounds keep it in range.
    @Test func boundsClampTheKnownFailure() throws {
        let free = try runSteps(task(), try HypergradientUpdate(initialLR: 1.5, hyperLR: 10), SGD(), steps: 4)
        #expect(free.contains { $0 < 0 })
        let bounded = try runSteps(task(), try HypergradientUpdate(initialLR: 1.5, hyperLR: 10, bounds: AdaptiveLRBounds(minimum: 0.01, maximum: 1.6)), SGD(), steps: 4)
        #expect(bounded.allSatisfy { $0 >= 0.01 && $0 <= 1.6 })
        #expect(bounded.contains(0.01))
        #expect(throws: AdaptiveError.self) { try HypergradientUpdate(initialLR: 0.1, hyperLR: -1) }
    }
}
