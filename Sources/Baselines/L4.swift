import NN
import Optim
import Schedules
import Tensor
import Training

/// L4 (Rolinek & Martius, NeurIPS 2018, "L4: Practical loss-based stepsize adaptation for deep learning"): a
/// per-step step size from a linearisation of the loss, applied to the base optimiser's direction v (SGD or
/// momentum → L4-SGD / L4Mom; Adam's m̂/(√v̂+ε) → L4Adam).
///
/// The step w ← w − η·v is chosen so that the linearised loss L − η⟨ĝ, v⟩ falls a fraction α of the way to an
/// estimate of the minimum loss:
///
///     η = α·(L − γ·L_min) / (⟨ĝ, v⟩ + ε)
///
/// - ĝ: the gradient estimate. With `gradientDecay` = 0 it is this step's gradient g' (task gradient + coupled
///   L2), which gives the plain variant η = α(L − γL_min)/‖g‖² for v = g. By default (as the authors' code) it
///   is a bias-corrected running average, ĝ = m/(1 − δ^k), m ← δ·m + (1 − δ)·g', δ = 0.9.
/// - L_min: initialised to `initFactor`·L_0 (0.75) at the first step; each step it becomes min(L_min, L) before
///   use (γ = `minLossFactor` = 0.9 scales it in the formula) and afterwards grows by the factor (1 + 1/τ)
///   (τ = `forgetTime` = 1000 steps), so an outlier minimum is forgotten.
/// - α: the fraction (paper: 0.15 images; {0.1, 0.05, 0.01, 0.005} text); ε = 1e-12.
///
/// The step is scale-free in v, so PyTorch's momentum buffer (μb + g) and an averaged one give the same update.
/// The learning rate returned (and logged) is η.
public final class L4Update: StepUpdater {
    public let fraction: Float
    public let minLossFactor: Double
    public let initFactor: Double
    public let forgetTime: Double
    public let epsilon: Double
    public let gradientDecay: Float
    public let bounds: AdaptiveLRBounds
    /// The current minimum-loss estimate (nil before the first step).
    public private(set) var minimumLoss: Double?
    /// Steps taken (k in the bias correction).
    public private(set) var steps = 0
    /// The step size of the last step.
    public private(set) var lastStepSize: Float = 0

    private var average: [Tensor] = []
    private var direction: [Tensor] = []

    public init(fraction: Float = 0.15, minLossFactor: Double = 0.9, initFactor: Double = 0.75, forgetTime: Double = 1000,
                epsilon: Double = 1e-12, gradientDecay: Float = 0.9, bounds: AdaptiveLRBounds = .unbounded) throws {
        guard fraction.isFinite, fraction > 0 else { throw AdaptiveError.invalid("L4: fraction α must be positive, got \(fraction)") }
        guard (0...1).contains(minLossFactor) else { throw AdaptiveError.invalid("L4: γ (min-loss factor) must be in [0, 1], got \(minLossFactor)") }
        guard (0...1).contains(initFactor) else { throw AdaptiveError.invalid("L4: initial min-loss factor must be in [0, 1], got \(initFactor)") }
        guard forgetTime > 0 else { throw AdaptiveError.invalid("L4: forget time τ must be positive, got \(forgetTime)") }
        guard epsilon >= 0 else { throw AdaptiveError.invalid("L4: ε must be ≥ 0, got \(epsilon)") }
        guard (0..<1).contains(gradientDecay) else { throw AdaptiveError.invalid("L4: gradient decay must be in [0, 1), got \(gradientDecay)") }
        self.fraction = fraction; self.minLossFactor = minLossFactor; self.initFactor = initFactor
        self.forgetTime = forgetTime; self.epsilon = epsilon; self.gradientDecay = gradientDecay; self.bounds = bounds
    }

    public func update(parameters: [Parameter], optimizer: any Optimizer, signal: TrainingSignal) throws -> Float {
        guard let loss = signal.trainingLoss else { throw AdaptiveError.invalid("L4 needs the step's training loss") }
        let L = Double(loss)
        guard L >= 0 else { throw AdaptiveError.invalid("L4 needs a non-negative loss (its step aims at a fraction of the gap to L_min ≥ 0), got \(L)") }
        steps += 1
        let λ = coupledWeightDecay(of: optimizer)
        optimizer.direction(parameters, into: &direction)
        // ⟨ĝ, v⟩
        var inner: Double
        if gradientDecay == 0 {
            inner = objectiveGradientDot(parameters, direction, weightDecay: λ)
        } else {
            if average.count != parameters.count { average = parameters.map { .zeros($0.value.shape) } }
            let δ = gradientDecay
            for (k, p) in parameters.enumerated() {
                average[k].scale(by: δ)
                average[k].addScaled(p.grad, 1 - δ)
                if λ != 0 { average[k].addScaled(p.value, (1 - δ) * λ) }
            }
            let correction = 1 - pow(Double(δ), Double(steps))
            inner = dot(average, direction) / correction
        }
        let lmin = min(minimumLoss ?? initFactor * L, L)
        let eta = Double(fraction) * (L - minLossFactor * lmin) / (inner + epsilon)
        guard eta.isFinite else {
            throw TrainingError.diverged(step: signal.step, epoch: signal.epoch, value: Float(eta), what: "the L4 step size")
        }
        let lr = bounds.clamp(Float(eta))
        optimizer.apply(direction: direction, to: parameters, learningRate: lr)
        minimumLoss = (1 + 1 / forgetTime) * lmin
        lastStepSize = lr
        return lr
    }

    public func epochEnded(_ epoch: Int, validationLoss: Float?) {}

    public var summary: String {
        "L4 (α = \(fraction), γ = \(minLossFactor), L_min init \(initFactor)·L₀, forget time \(forgetTime), gradient average \(gradientDecay), ε = \(epsilon))"
    }

    public var checkpointTensors: [String: Tensor] { namedTensors(average, prefix: "l4_gradient_average") }

    public var checkpointMetadata: [String: String] {
        var m = ["l4_steps": String(steps), "l4_average_count": String(average.count), "l4_last": encodeBits(lastStepSize)]
        if let l = minimumLoss { m["l4_min_loss"] = encodeBits(l) }
        return m
    }

    public func restore(tensors: [String: Tensor], metadata: [String: String]) throws {
        steps = Int(metadata["l4_steps"] ?? "") ?? 0
        minimumLoss = metadata["l4_min_loss"] == nil ? nil : try decodeDoubleBits(metadata["l4_min_loss"], "L4 minimum loss")
        average = try tensorList(tensors, prefix: "l4_gradient_average", count: Int(metadata["l4_average_count"] ?? "") ?? 0)
        lastStepSize = (try? decodeBits(metadata["l4_last"], "L4 step")) ?? 0
        direction = []
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
