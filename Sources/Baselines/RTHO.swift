import NN
import Optim
import Schedules
import Tensor
import Training

/// Real-time hyperparameter optimisation (RTHO; Franceschi et al., ICML 2017, "Forward and reverse gradient-based
/// hyperparameter optimization", forward mode, hyperparameter updated during training) for the learning rate.
///
/// Forward mode carries the tangent Z_t = ∂w_t/∂α of the weights with respect to the LR. For the update
/// w_{t+1} = w_t − α_t·d_t(w_t) it obeys
///
///     Z_{t+1} = (I − α_t·H_t)·Z_t − d_t,     Z_0 = 0
///
/// with H_t = ∂d_t/∂w the Hessian of the objective (training loss + coupled L2, λ·Z is added) on the step's batch.
/// For plain SGD (d = g') this is exact; for momentum and Adam we use the base optimiser's direction d_t and
/// neglect the dependence of its internal state (momentum buffer, moments) on α — the common adaptation of RTHO to
/// other optimisers. H_t·Z_t is a central finite difference of two training gradients on the SAME batch
/// (`FiniteDifferenceHVP`: BatchNorm running statistics frozen, the language model's carried state put back to its
/// value before the batch, weights restored exactly afterwards).
///
/// Gradient clipping (`clipNorm`, the trainer's clip): the step is then w − α·c·d with c = m/‖g‖ < 1, and the
/// tangent uses c·H·Z (c from the unclipped gradient norm at w, the FD gradients' mean), neglecting ∂c/∂w. Without
/// this the tangent of a clipped run (e.g. PTB, LR 20, clip 0.25) grows as if the LR were 1/c times larger.
///
/// Every `hyperInterval` steps, before the step: hypergradient h = ⟨∇L_val(w_t), Z_t⟩ from one validation batch
/// (`MetaValidationSource.validationStep`, batches cycled), α ← α − β·h (β = hyper-LR), clamped to `bounds`.
/// Cost per step: two extra forward/backward passes (HVP) plus one validation pass per hyper-step.
public final class RTHOUpdate: StepUpdater {
    public let task: any MetaValidationSource
    public let hyperLR: Float
    public let hyperInterval: Int
    public let bounds: AdaptiveLRBounds
    public let hvp: FiniteDifferenceHVP
    /// The gradient clipping the trainer applies (nil: none).
    public let clipNorm: Float?
    public private(set) var learningRate: Float
    /// Hyper-steps taken (also the index of the next validation batch).
    public private(set) var hyperSteps = 0
    /// The tangent Z = ∂w/∂α (empty before the first step: Z_0 = 0).
    public private(set) var tangent: [Tensor] = []
    /// The last hypergradient ⟨∇L_val, Z⟩.
    public private(set) var lastHypergradient: Double = 0

    private var direction: [Tensor] = []
    /// The task's state (e.g. LSTM state) as it was before the next step's batch.
    private var nextPreStepState: [String: Tensor] = [:]

    public init(task: any MetaValidationSource, initialLR: Float, hyperLR: Float, hyperInterval: Int = 1,
                bounds: AdaptiveLRBounds = .unbounded, hvp: FiniteDifferenceHVP = FiniteDifferenceHVP(), clipNorm: Float? = nil) throws {
        guard initialLR.isFinite else { throw AdaptiveError.invalid("RTHO: initial LR must be finite, got \(initialLR)") }
        guard hyperLR.isFinite, hyperLR >= 0 else { throw AdaptiveError.invalid("RTHO: hyper-LR must be finite and ≥ 0, got \(hyperLR)") }
        guard hyperInterval >= 1 else { throw AdaptiveError.invalid("RTHO: hyper-interval must be ≥ 1, got \(hyperInterval)") }
        guard task.validationBatchCount > 0 else { throw AdaptiveError.invalid("RTHO needs validation data (e.g. --validation-per-class N)") }
        self.task = task; self.learningRate = bounds.clamp(initialLR); self.hyperLR = hyperLR
        self.hyperInterval = hyperInterval; self.bounds = bounds; self.hvp = hvp
        if let c = clipNorm, !(c > 0) { throw AdaptiveError.invalid("RTHO: clip norm must be positive, got \(c)") }
        self.clipNorm = clipNorm
    }

    public func update(parameters: [Parameter], optimizer: any Optimizer, signal: TrainingSignal) throws -> Float {
        let batch = signal.step - signal.epoch * signal.stepsPerEpoch
        let preStepState = batch == 0 ? [:] : nextPreStepState   // beginEpoch reset the carried state
        if !tangent.isEmpty && signal.step % hyperInterval == 0 { hyperStep(parameters) }
        optimizer.direction(parameters, into: &direction)
        let λ = coupledWeightDecay(of: optimizer)
        if !tangent.isEmpty, let (hz, gradNorm) = try hvp.productAndGradientNorm(task: task, parameters: parameters, vector: tangent,
                                                       epoch: signal.epoch, batch: batch, preStepState: preStepState) {
            // The trainer's clip factor (as clipGradientNorm computes it); 1 without clipping.
            let c = clipNorm.map { Float(min(1, Double($0) / (gradNorm + 1e-6))) } ?? 1
            for k in tangent.indices {
                var y = hz[k]                                  // (c·H + λI)·Z
                if c != 1 { y.scale(by: c) }
                if λ != 0 { y.addScaled(tangent[k], λ) }
                tangent[k].addScaled(y, -learningRate)
            }
        }
        if tangent.isEmpty { tangent = parameters.map { .zeros($0.value.shape) } }
        for k in tangent.indices { tangent[k].addScaled(direction[k], -1) }
        optimizer.apply(direction: direction, to: parameters, learningRate: learningRate)
        nextPreStepState = task.checkpointTensors
        return learningRate
    }

    /// α ← α − β·⟨∇L_val(w), Z⟩; the parameters' gradients are kept.
    private func hyperStep(_ parameters: [Parameter]) {
        let savedGrads = parameters.map(\.grad)
        for p in parameters { p.grad = .zeros(p.value.shape) }
        let valLoss = task.validationStep(index: hyperSteps)
        let h = dot(parameters.map(\.grad), tangent)
        for (k, p) in parameters.enumerated() { p.grad = savedGrads[k] }
        hyperSteps += 1
        lastHypergradient = h
        guard valLoss.isFinite, h.isFinite else { return }
        let next = Float(Double(learningRate) - Double(hyperLR) * h)
        if next.isFinite { learningRate = bounds.clamp(next) }
    }

    public func epochEnded(_ epoch: Int, validationLoss: Float?) {}

    public var summary: String {
        "RTHO (forward-mode LR hypergradient, hyper-LR β = \(hyperLR), every \(hyperInterval) step(s), finite-difference HVP ε = \(hvp.epsilon), bounds \(bounds.text)\(clipNorm.map { ", clip-aware tangent (clip \($0))" } ?? ""))"
    }

    public var checkpointTensors: [String: Tensor] {
        var t = namedTensors(tangent, prefix: "rtho_tangent")
        for (k, v) in nextPreStepState { t["rtho_task." + k] = v }
        return t
    }

    public var checkpointMetadata: [String: String] {
        ["rtho_lr": encodeBits(learningRate), "rtho_hyper_steps": String(hyperSteps), "rtho_tangent_count": String(tangent.count),
         "rtho_last_hypergradient": encodeBits(lastHypergradient)]
    }

    public func restore(tensors: [String: Tensor], metadata: [String: String]) throws {
        learningRate = try decodeBits(metadata["rtho_lr"], "RTHO learning rate")
        hyperSteps = Int(metadata["rtho_hyper_steps"] ?? "") ?? 0
        tangent = try tensorList(tensors, prefix: "rtho_tangent", count: Int(metadata["rtho_tangent_count"] ?? "") ?? 0)
        lastHypergradient = (try? decodeDoubleBits(metadata["rtho_last_hypergradient"], "")) ?? 0
        nextPreStepState = [:]
        for (k, v) in tensors where k.hasPrefix("rtho_task.") { nextPreStepState[String(k.dropFirst(10))] = v }
        direction = []
    }
}
