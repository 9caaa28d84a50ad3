/// What the controller observes and how it acts (Xu et al. 2019, "Learning an adaptive learning rate schedule";
/// the MLR-SNet paper's appendix G baseline). Stored as JSON in the artifact's metadata.
public struct LRControllerConfiguration: Codable, Sendable, Equatable {
    /// Discrete: multiply the LR by 1/f, 1 or f (actions 0, 1, 2). Continuous: a Gaussian policy over
    /// u ∈ ℝ, CLIPPED to [−1, 1], and the LR multiplied by f^u ∈ [1/f, f] (the log-probability is that of the
    /// unclipped sample, as in the usual clipped-Gaussian PPO).
    public enum ActionSpace: String, Codable, Sendable, CaseIterable { case discrete, continuous }

    public var actionSpace: ActionSpace
    /// Decide every K training steps (the first decision is taken at step 0).
    public var interval: Int
    /// The multiplicative step f (1.05 in Xu et al.).
    public var factor: Double
    /// The LR is clipped to [minimumLR, maximumLR] after every action.
    public var minimumLR: Double
    public var maximumLR: Double
    /// Width of the two hidden tanh layers of the actor and of the critic.
    public var hiddenSize: Int
    /// Validation images in the fixed probe batch (validation loss and prediction statistics).
    public var probeSize: Int
    /// Initial standard deviation of the continuous policy (σ = exp(log_std), learned).
    public var initialStd: Double
    /// A non-finite probe loss (a diverged child) is replaced by this loss in the features and the reward.
    public var penaltyLoss: Double

    /// Number of observed features: train loss, validation loss, variance of predictions, variance of
    /// prediction changes, mean and variance of the output layer's weights, log LR.
    public static let featureCount = 7
    public static let featureNames = ["train_loss", "val_loss", "pred_var", "pred_change_var", "out_w_mean", "out_w_var", "log_lr"]

    public init(actionSpace: ActionSpace = .discrete, interval: Int = 10, factor: Double = 1.05,
                minimumLR: Double = 1e-4, maximumLR: Double = 1, hiddenSize: Int = 32, probeSize: Int = 128,
                initialStd: Double = 0.5, penaltyLoss: Double = 10) throws(LRControllerError) {
        guard interval >= 1 else { throw .invalidConfiguration("interval K must be ≥ 1, got \(interval)") }
        guard factor > 1, factor.isFinite else { throw .invalidConfiguration("factor must be > 1, got \(factor)") }
        guard minimumLR > 0, maximumLR >= minimumLR, maximumLR.isFinite else {
            throw .invalidConfiguration("LR range must satisfy 0 < min ≤ max, got [\(minimumLR), \(maximumLR)]")
        }
        guard hiddenSize >= 1 else { throw .invalidConfiguration("hiddenSize must be ≥ 1, got \(hiddenSize)") }
        guard probeSize >= 1 else { throw .invalidConfiguration("probeSize must be ≥ 1, got \(probeSize)") }
        guard initialStd > 0, initialStd.isFinite else { throw .invalidConfiguration("initialStd must be > 0, got \(initialStd)") }
        guard penaltyLoss.isFinite else { throw .invalidConfiguration("penaltyLoss must be finite") }
        self.actionSpace = actionSpace; self.interval = interval; self.factor = factor
        self.minimumLR = minimumLR; self.maximumLR = maximumLR; self.hiddenSize = hiddenSize
        self.probeSize = probeSize; self.initialStd = initialStd; self.penaltyLoss = penaltyLoss
    }

    /// Outputs of the actor: 3 logits (discrete) or the Gaussian mean (continuous).
    public var actorOutputs: Int { actionSpace == .discrete ? 3 : 1 }

    /// The LR multiplier of an action: f^(a−1) for discrete a ∈ {0, 1, 2}; f^clip(u, −1, 1) for continuous u.
    public func multiplier(action: Float) -> Double {
        switch actionSpace {
        case .discrete: return _pow(factor, Double(Int(action) - 1))
        case .continuous: return _pow(factor, Double(min(max(action, -1), 1)))
        }
    }

    /// lr · multiplier, clipped to the range.
    public func nextLearningRate(_ lr: Double, action: Float) -> Double {
        min(max(lr * multiplier(action: action), minimumLR), maximumLR)
    }
}

/// PPO's hyper-parameters (Schulman et al. 2017), defaults as in common PPO implementations.
public struct PPOHyperparameters: Codable, Sendable, Equatable {
    /// ε of the clipped surrogate: the ratio is clipped to [1−ε, 1+ε].
    public var clip: Double = 0.2
    /// Discount γ and GAE λ.
    public var gamma: Double = 0.99
    public var lambda: Double = 0.95
    /// Weights of the value loss (c_v·(V−R)²) and of the entropy bonus (−c_e·H).
    public var valueCoefficient: Double = 0.5
    public var entropyCoefficient: Double = 0.01
    /// Adam learning rate for actor and critic, passes over the collected samples, minibatch size.
    public var learningRate: Double = 3e-4
    public var epochs: Int = 4
    public var minibatchSize: Int = 64
    /// Standardise the advantages of each update (mean 0, std 1).
    public var normalizeAdvantages: Bool = true
    /// Clip the global gradient norm of each minibatch step (nil: off).
    public var maxGradientNorm: Double? = 0.5

    public init() {}

    public func validated() throws(LRControllerError) -> PPOHyperparameters {
        guard clip > 0, clip < 1 else { throw .invalidConfiguration("PPO clip ε must be in (0, 1), got \(clip)") }
        guard (0...1).contains(gamma), (0...1).contains(lambda) else { throw .invalidConfiguration("γ and λ must be in [0, 1], got \(gamma), \(lambda)") }
        guard valueCoefficient >= 0, entropyCoefficient >= 0 else { throw .invalidConfiguration("value and entropy coefficients must be ≥ 0") }
        guard learningRate > 0, learningRate.isFinite else { throw .invalidConfiguration("PPO learning rate must be > 0, got \(learningRate)") }
        guard epochs >= 1, minibatchSize >= 1 else { throw .invalidConfiguration("PPO epochs and minibatch size must be ≥ 1") }
        if let g = maxGradientNorm, !(g > 0) { throw .invalidConfiguration("PPO max gradient norm must be > 0, got \(g)") }
        return self
    }
}

/// Bad configuration or input of the LR Controller.
public enum LRControllerError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidConfiguration(String)
    case incompatible(String)
    public var description: String {
        switch self {
        case .invalidConfiguration(let d): return "LR Controller: invalid configuration: \(d)"
        case .incompatible(let d): return "LR Controller: \(d)"
        }
    }
}

#if canImport(Glibc)
import Glibc
func _pow(_ a: Double, _ b: Double) -> Double { Glibc.pow(a, b) }
func _log(_ a: Double) -> Double { Glibc.log(a) }
func _exp(_ a: Double) -> Double { Glibc.exp(a) }
#elseif canImport(Darwin)
import Darwin
func _pow(_ a: Double, _ b: Double) -> Double { Darwin.pow(a, b) }
func _log(_ a: Double) -> Double { Darwin.log(a) }
func _exp(_ a: Double) -> Double { Darwin.exp(a) }
#endif
