import NN
import Tensor
import Training

/// Hessian-vector products of a task's training loss by a central finite difference of its gradients:
///
///     H(w)·v ≈ (∇L(w + r·v) − ∇L(w − r·v)) / (2r),   r = epsilon / ‖v‖
///
/// (exact for a quadratic loss up to float rounding; O(r²) error otherwise). Both gradients are of the SAME
/// training batch (`task.trainStep(epoch:batch:)` is deterministic by position: same images, augmentation and
/// dropout masks), with every BatchNorm's running statistics frozen, starting from the task state `preStepState`
/// (a language model's carried LSTM state before that batch). Afterwards the parameters' values and gradients and
/// the task's state are exactly what they were. Costs two forward/backward passes. The gradients are not clipped.
public struct FiniteDifferenceHVP {
    /// Step length of the difference, relative to ‖v‖ (r = epsilon/‖v‖).
    public var epsilon: Float

    public init(epsilon: Float = 1e-2) {
        precondition(epsilon > 0 && epsilon.isFinite, "FiniteDifferenceHVP: epsilon must be positive, got \(epsilon)")
        self.epsilon = epsilon
    }

    /// H·v for training batch (`epoch`, `batch`); nil when v = 0 (then H·v = 0) — callers may skip the term.
    public func product(task: any TrainingTask, parameters: [Parameter], vector v: [Tensor], epoch: Int, batch: Int,
                        preStepState: [String: Tensor]) throws -> [Tensor]? {
        try productAndGradientNorm(task: task, parameters: parameters, vector: v, epoch: epoch, batch: batch,
                                   preStepState: preStepState)?.product
    }

    /// `product`, plus ‖(∇L(w + r·v) + ∇L(w − r·v))/2‖ — the norm of the batch's unclipped gradient at w, up to O(r²).
    public func productAndGradientNorm(task: any TrainingTask, parameters: [Parameter], vector v: [Tensor], epoch: Int, batch: Int,
                                       preStepState: [String: Tensor]) throws -> (product: [Tensor], gradientNorm: Double)? {
        precondition(v.count == parameters.count, "FiniteDifferenceHVP: \(v.count) tensors for \(parameters.count) parameters")
        let norm = dot(v, v).squareRoot()
        guard norm > 0, norm.isFinite else { return nil }
        let r = Float(Double(epsilon) / norm)
        let savedValues = parameters.map(\.value), savedGrads = parameters.map(\.grad)
        let savedTaskState = task.checkpointTensors
        defer {
            for (k, p) in parameters.enumerated() { p.value = savedValues[k]; p.grad = savedGrads[k] }
        }
        func gradient(at sign: Float) throws -> [Tensor] {
            for (k, p) in parameters.enumerated() {
                var w = savedValues[k]
                w.addScaled(v[k], sign * r)
                p.value = w
                p.grad = .zeros(p.value.shape)
            }
            try task.restore(checkpointTensors: preStepState)
            _ = task.model.withFrozenRunningStatistics { task.trainStep(epoch: epoch, batch: batch) }
            return parameters.map(\.grad)
        }
        let plus = try gradient(at: 1)
        var hv = try gradient(at: -1)     // ∇L(w − r v)
        var squares = 0.0
        for k in hv.indices {
            var mean = plus[k]
            mean.addScaled(hv[k], 1)
            squares += Double(mean.dot(mean)) / 4
        }
        for k in hv.indices {             // (plus − minus)/(2r)
            hv[k].scale(by: -1)
            hv[k].addScaled(plus[k], 1)
            hv[k].scale(by: 1 / (2 * r))
        }
        try task.restore(checkpointTensors: savedTaskState)
        return (hv, squares.squareRoot())
    }
}
