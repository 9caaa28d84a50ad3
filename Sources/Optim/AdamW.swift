import NN
import Tensor

/// Adam with decoupled weight decay, exactly `torch.optim.AdamW`: the moments see the raw gradient,
/// and the weights decay directly, w ← w − lr·λ·w (PyTorch's w·(1 − lr·λ)), so
/// d = m̂ / (√v̂ + ε) + λ·w and w ← w − lr·d. See `AdamCore` for the element rule.
/// State per parameter: `exp_avg`, `exp_avg_sq`, `step`.
public final class AdamW: Optimizer {
    private let core: AdamCore
    public var beta1: Float { core.beta1 }
    public var beta2: Float { core.beta2 }
    public var eps: Float { core.eps }
    public var weightDecay: Float { core.weightDecay }

    /// Defaults are PyTorch's (note λ = 0.01, unlike Adam's 0).
    public init(beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8, weightDecay: Float = 0.01) {
        core = AdamCore(kind: "AdamW", beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay, decoupled: true)
    }

    public func step(_ parameters: [Parameter], learningRate lr: Float) {
        core.update(parameters, given: nil, learningRate: lr, op: "AdamW.step")
    }
    public func direction(_ parameters: [Parameter], into d: inout [Tensor]) { core.direction(parameters, into: &d) }
    public func apply(direction d: [Tensor], to parameters: [Parameter], learningRate lr: Float) {
        core.update(parameters, given: d, learningRate: lr, op: "AdamW.apply(direction:)")
    }
    public var state: OptimizerState { core.state }
    public func restore(_ state: OptimizerState, for parameters: [Parameter]) throws {
        try core.restore(state, for: parameters)
    }
}
