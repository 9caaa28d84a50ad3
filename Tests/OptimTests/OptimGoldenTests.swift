import Foundation
import NN
import Optim
import Tensor
import Testing
import TestSupport

/// Trajectories against PyTorch (`scripts/golden/optim.py`): a [3, 4] weight and a [4] bias, 5 steps
/// of fixed gradients (scales 1, 0.5, 2, 0.01, 1.5) with learning rates 0.1, 0.05, 0.2, 0.01, 0.3,
/// parameters compared after every step.
///
/// Tolerance: |ours − torch| ≤ 1e-6·|torch| + 1e-7 per element. Both sides run the same algorithm on
/// the same float32 numbers (the script rounds every hyperparameter and learning rate to float32),
/// but not the same rounding sequence: torch evaluates `w − (lr/bc1)·m/denom` with the step size in
/// double, `add_(alpha=…)`/`addcdiv_` may be fused multiply-adds in its kernels, and AdamW decays as
/// `w·(1 − lr·λ)`, while we compute a Float direction d and then `w − lr·d` (that is what makes
/// direction + apply equal step). Each step therefore differs by a few ulps (~1e-7 relative), over 5
/// steps a few 1e-7 — hence 1e-6 relative. The absolute 1e-7 (≈ 1 ulp at 1) covers elements that
/// pass near 0, where relative error is meaningless. A wrong rule (bias correction, dampening,
/// Nesterov, decay placement) changes values by ≥ 1e-4.
@Suite struct OptimGoldenTests {
    static func fixture() throws -> GoldenFixture { try GoldenFixture(named: "optim", in: .module) }

    static let cases = ["sgd_plain_wd", "sgd_momentum", "sgd_nesterov", "sgd_dampening",
                        "adam_beta1_0", "adam", "adam_l2", "adamw"]

    static func makeOptimizer(_ name: String, _ config: [String: Double]) -> any Optimizer {
        func h(_ key: String) -> Float {
            guard let v = config["\(name).\(key)"] else { fatalError("fixture config lacks \(name).\(key)") }
            return Float(v)
        }
        if name.hasPrefix("sgd") {
            return SGD(momentum: h("momentum"), dampening: h("dampening"), nesterov: h("nesterov") != 0,
                       weightDecay: h("weight_decay"))
        }
        if name == "adamw" {
            return AdamW(beta1: h("beta1"), beta2: h("beta2"), eps: h("eps"), weightDecay: h("weight_decay"))
        }
        return Adam(beta1: h("beta1"), beta2: h("beta2"), eps: h("eps"), weightDecay: h("weight_decay"))
    }

    /// Row `t` of a stacked `[steps, ...]` tensor, reshaped to `shape`.
    static func row(_ t: Tensor, _ i: Int, _ shape: [Int]) -> Tensor {
        let n = shape.reduce(1, *)
        return Tensor(shape: shape, values: Array(t.scalars[(i * n)..<((i + 1) * n)]))
    }

    @Test(arguments: cases)
    func matchesPyTorch(_ name: String) throws {
        let f = try Self.fixture()
        let w = Parameter(f["w0"], name: "weight"), b = Parameter(f["b0"], name: "bias")
        let opt = Self.makeOptimizer(name, f.config)
        let lrs = f["lrs"].scalars
        var worst: Float = 0
        for t in 0..<lrs.count {
            w.grad = Self.row(f["grad_w"], t, [3, 4])
            b.grad = Self.row(f["grad_b"], t, [4])
            opt.step([w, b], learningRate: lrs[t])
            for (p, key, shape) in [(w, "\(name).w", [3, 4]), (b, "\(name).b", [4])] {
                let expected = Self.row(f[key], t, shape).scalars
                for (i, (a, e)) in zip(p.value.scalars, expected).enumerated() {
                    let err = abs(a - e)
                    worst = max(worst, err / (1e-6 * abs(e) + 1e-7))
                    #expect(err <= 1e-6 * abs(e) + 1e-7,
                            "\(name) step \(t + 1) \(p.name)[\(i)]: ours \(a), torch \(e), |Δ| \(err)")
                }
            }
        }
        print("optim golden \(name): worst error / tolerance = \(worst)")
    }

    @Test(arguments: ["clip", "noclip"])
    func clippingMatchesPyTorch(_ tag: String) throws {
        let f = try Self.fixture()
        let w = Parameter(f["w0"], name: "weight"), b = Parameter(f["b0"], name: "bias")
        w.grad = Self.row(f["grad_w"], 0, [3, 4])
        b.grad = Self.row(f["grad_b"], 0, [4])
        let norm = clipGradientNorm([w, b], maxNorm: Float(f.config["\(tag).max_norm"]!))
        // torch accumulates the norm in float32, we in Double: ≤ a few ulps apart.
        #expect(abs(norm - f["\(tag).norm"].scalar) <= 1e-6 * norm, "norm \(norm) vs torch \(f["\(tag).norm"].scalar)")
        expectClose(w.grad.scalars, f["\(tag).grad_w"].scalars, tol: 1e-6, "\(tag) grad_w")
        expectClose(b.grad.scalars, f["\(tag).grad_b"].scalars, tol: 1e-6, "\(tag) grad_b")
    }
}
