import Baselines
import Foundation
import NN
import Optim
import Schedules
import Tensor
import Testing

/// L4 against Rolinek & Martius's rule η = α(L − γ·L_min)/(⟨ĝ, v⟩ + ε), with L_min = 0.75·L₀ at the start,
/// min(L_min, L) before use and ×(1 + 1/τ) after.
@Suite struct L4Tests {
    /// Plain variant (SGD, raw gradient): η = α(L − γL_min)/‖g‖². On L = ½(w₁² + 2w₂²) from w = (1, 1):
    /// L₀ = 1.5, g = (1, 2), ‖g‖² = 5, L_min = 0.75·1.5 = 1.125, η₀ = 0.15·(1.5 − 0.9·1.125)/5 = 0.014625.
    @Test func plainStepIsFractionOfLossGapOverGradientNormSquared() throws {
        let t = QuadraticTask(diagonal: [1, 2], linear: [[0, 0]], w0: [1, 1])
        let l4 = try L4Update(fraction: 0.15, gradientDecay: 0)
        let lrs = try runSteps(t, l4, SGD(), steps: 1)
        #expect(abs(lrs[0] - 0.014625) < 1e-7)
        #expect(abs(l4.minimumLoss! - 1.125 * 1.001) < 1e-9)
        #expect(t.weights.w.value.scalars == [Float(1 - 0.014625), Float(1 - 2 * 0.014625)])
    }

    /// Several steps, reference written from the rule in Double: a falling loss pulls L_min down (min), and
    /// between drops L_min grows by 0.1 % per step.
    @Test func plainTrajectoryAndMinimumLoss() throws {
        let a = [1.0, 2.0], b = [0.5, -1.0]
        let t = QuadraticTask(diagonal: a, linear: [b], w0: [1, 1])
        t.offset = 0.375                      // ½Σb²/a: the minimum loss is 0
        let l4 = try L4Update(fraction: 0.5, gradientDecay: 0)
        let lrs = try runSteps(t, l4, SGD(), steps: 8)
        var w = [1.0, 1.0], lmin: Double? = nil
        var sawDrop = false
        for k in 0..<8 {
            var L = 0.375
            for i in 0..<2 { L += 0.5 * a[i] * w[i] * w[i] - b[i] * w[i] }
            let g = (0..<2).map { a[$0] * w[$0] - b[$0] }
            let m = min(lmin ?? 0.75 * L, L)
            if let old = lmin, L < old { sawDrop = true }
            let g2: Double = g[0] * g[0] + g[1] * g[1]
            let eta: Double = 0.5 * (L - 0.9 * m) / (g2 + 1e-12)
            #expect(abs(Double(lrs[k]) - eta) < 1e-5 * max(1, eta), "step \(k)")
            w = (0..<2).map { w[$0] - Float(eta).double * g[$0] }
            lmin = m * 1.001
        }
        #expect(sawDrop)   // the min() branch was exercised
        #expect(abs(l4.minimumLoss! - lmin!) < 1e-4 * abs(lmin!))
    }

    /// L4 with the momentum direction and the averaged gradient estimate (δ = 0.9): η·⟨ĝ, v⟩ = α(L − γL_min), the
    /// linearised loss falls by the fraction α of the gap. 1-D, a = 1, w₀ = 1, μ = 0.9: step 0: ĝ = g₀ = 1, v = 1,
    /// η₀ = α(1/2 − 0.9·0.375) = 0.15·0.1625; step 1: g₁ = w₁, ĝ = (0.09·1 + 0.1·w₁)/0.19, v = 0.9 + w₁.
    @Test func momentumVariantUsesAveragedGradientAndBaseDirection() throws {
        let t = QuadraticTask(diagonal: [1], linear: [[0]], w0: [1])
        let l4 = try L4Update(fraction: 0.15)
        let lrs = try runSteps(t, l4, SGD(momentum: 0.9), steps: 2)
        let eta0 = 0.15 * (0.5 - 0.9 * 0.375)
        #expect(abs(Double(lrs[0]) - eta0) < 1e-7)
        let w1 = 1 - Float(eta0).double
        let L1 = 0.5 * w1 * w1
        let lmin = min(0.375 * 1.001, L1)
        let ghat = (0.09 * 1 + 0.1 * w1) / 0.19, v = 0.9 + w1
        let eta1 = 0.15 * (L1 - 0.9 * lmin) / (ghat * v)
        #expect(abs(Double(lrs[1]) - eta1) < 1e-6 * eta1)
    }

    /// L4Adam: v = m̂/(√v̂+ε). First step in 1-D: v ≈ 1, ĝ = g₀ = 2 (w₀ = 2, a = 1), L₀ = 2:
    /// η₀ = 0.15·(2 − 0.9·1.5)/2 = 0.04875.
    @Test func adamVariant() throws {
        let t = QuadraticTask(diagonal: [1], linear: [[0]], w0: [2])
        let lrs = try runSteps(t, try L4Update(fraction: 0.15), Adam(), steps: 1)
        #expect(abs(lrs[0] - 0.04875) < 1e-6)
    }
}

extension Float { var double: Double { Double(self) } }
