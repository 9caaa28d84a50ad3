import NN
import Tensor

/// Adam with coupled L2 weight decay (λ·w is added to the gradient before the moments), exactly
/// `torch.optim.Adam` without amsgrad: m = β1·m + (1−β1)·g', v = β2·v + (1−β2)·g'², bias-corrected with
/// the per-parameter step count, d = m̂ / (√v̂ + ε), w ← w − lr·d. See `AdamCore` for the element rule.
/// State per parameter: `exp_avg`, `exp_avg_sq`, `step`.
public final class Adam: Optimizer {
    private let core: AdamCore
    public var beta1: Float { core.beta1 }
    public var beta2: Float { core.beta2 }
    public var eps: Float { core.eps }
    public var weightDecay: Float { core.weightDecay }

    public init(beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8, weightDecay: Float = 0) {
        core = AdamCore(kind: "Adam", beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay, decoupled: false)
    }

    public func step(_ parameters: [Parameter], learningRate lr: Float) {
        core.update(parameters, given: nil, learningRate: lr, op: "Adam.step")
    }
    public func direction(_ parameters: [Parameter], into d: inout [Tensor]) { core.direction(parameters, into: &d) }
    public func apply(direction d: [Tensor], to parameters: [Parameter], learningRate lr: Float) {
        core.update(parameters, given: d, learningRate: lr, op: "Adam.apply(direction:)")
    }
    public var state: OptimizerState { core.state }
    public func restore(_ state: OptimizerState, for parameters: [Parameter]) throws {
        try core.restore(state, for: parameters)
    }
}
