import NN
import Optim
import Schedules
import Tensor
import Training

/// Hypergradient descent (Baydin et al., ICLR 2018, "Online learning rate adaptation with hypergradient descent")
/// on top of any base optimiser: SGD → SGD-HD, SGD with Nesterov momentum → SGDN-HD, Adam → Adam-HD.
///
/// Every update is w_t = w_{t−1} − α_t·d_{t−1}(…) with the base optimiser's direction d (SGD: g' = g + λw;
/// momentum/Nesterov: PyTorch's buffer rule; Adam: m̂/(√v̂+ε)). Since ∂w_{t−1}/∂α = −d_{t−2} (one-step
/// horizon), ∂L(w_{t−1})/∂α = −⟨∇L(w_{t−1}), d_{t−2}⟩ and one descent step on α gives, per step t:
///
///     α_t = α_{t−1} + β·⟨g'_t, d_{t−1}⟩        (no change on the first step, where d_{t−1} does not exist)
///     w_{t+1} = w_t − α_t·d_t
///
/// with g'_t the objective's gradient (the task gradient plus the optimiser's coupled L2 term λw) and β the
/// hyper-learning rate. The LR grows while successive directions agree and shrinks when they oppose.
///
/// Failure mode: α is unconstrained; with a large β it can turn negative (the step then ascends the loss) or blow
/// up until the loss is not finite. `bounds` clamps α after every adaptation; the default is unbounded, as in
/// the paper. A non-finite hypergradient leaves α unchanged.
public final class HypergradientUpdate: StepUpdater {
    /// The hyper-learning rate β.
    public let hyperLR: Float
    public let bounds: AdaptiveLRBounds
    /// The current learning rate α (the one the last step used).
    public private(set) var learningRate: Float
    /// Hypergradient steps taken (steps after the first).
    public private(set) var adaptations = 0

    private var previous: [Tensor] = []
    private var current: [Tensor] = []

    /// - Parameters:
    ///   - initialLR: α_0, used by the first step.
    ///   - hyperLR: β ≥ 0.
    public init(initialLR: Float, hyperLR: Float, bounds: AdaptiveLRBounds = .unbounded) throws {
        guard initialLR.isFinite else { throw AdaptiveError.invalid("HD: initial LR must be finite, got \(initialLR)") }
        guard hyperLR.isFinite, hyperLR >= 0 else { throw AdaptiveError.invalid("HD: hyper-LR must be finite and ≥ 0, got \(hyperLR)") }
        self.learningRate = bounds.clamp(initialLR)
        self.hyperLR = hyperLR
        self.bounds = bounds
    }

    public func update(parameters: [Parameter], optimizer: any Optimizer, signal: TrainingSignal) throws -> Float {
        optimizer.direction(parameters, into: &current)
        if previous.count == parameters.count {
            let h = objectiveGradientDot(parameters, previous, weightDecay: coupledWeightDecay(of: optimizer))
            let next = Float(Double(learningRate) + Double(hyperLR) * h)
            if next.isFinite { learningRate = bounds.clamp(next) }
            adaptations += 1
        }
        optimizer.apply(direction: current, to: parameters, learningRate: learningRate)
        swap(&previous, &current)   // keep d_t; the old buffer is overwritten next step
        return learningRate
    }

    public func epochEnded(_ epoch: Int, validationLoss: Float?) {}

    public var summary: String { "hypergradient descent (α₀ adapted online, hyper-LR β = \(hyperLR), bounds \(bounds.text))" }

    public var checkpointTensors: [String: Tensor] { namedTensors(previous, prefix: "hd_previous_direction") }

    public var checkpointMetadata: [String: String] {
        ["hd_lr": encodeBits(learningRate), "hd_previous_count": String(previous.count), "hd_adaptations": String(adaptations)]
    }

    public func restore(tensors: [String: Tensor], metadata: [String: String]) throws {
        learningRate = try decodeBits(metadata["hd_lr"], "HD learning rate")
        let n = Int(metadata["hd_previous_count"] ?? "") ?? 0
        previous = try tensorList(tensors, prefix: "hd_previous_direction", count: n)
        current = []
        adaptations = Int(metadata["hd_adaptations"] ?? "") ?? 0
    }
}
