import Foundation
import NN
import Optim
import Schedules
import Tensor
import Training

/// The LR Controller acting during training, as the trainer's step updater. Every K steps (at steps 0, K, 2K,
/// ...) it probes the task (validation loss and predictions on a fixed small batch, evaluation mode), builds
/// the 7 features, normalises them online, rewards the previous action with −(probe validation loss)
/// (normalised online), and lets the policy choose an action that multiplies the LR by 1/f, 1 or f (or
/// f^u, u ∈ [−1, 1]); the LR is clipped to the configured range. Between decisions the LR is constant.
///
/// `.training`: actions are sampled and every decision is recorded as a `ControllerTransition` (call
/// `finishEpisode()` after the run to reward the last action). `.frozen`: the policy's mode (arg-max / mean)
/// or a seeded sample, nothing recorded; the normalisers keep adapting online to the new task. Everything
/// that decides the next LR (LR, normalisers, previous predictions, window, generator, policy weights,
/// recorded transitions) is checkpointed, so a resumed run is bit-identical.
public final class LRControllerUpdate: StepUpdater {
    public enum Mode: Sendable, Equatable {
        case training
        /// Frozen policy; `sample`: draw actions from it (seeded) instead of taking its mode.
        case frozen(sample: Bool)
    }

    public let policy: ControllerPolicy
    public let task: any ControllerObservable
    public let mode: Mode
    public var configuration: LRControllerConfiguration { policy.configuration }
    public private(set) var learningRate: Double
    public private(set) var observationNormalizer: RunningNormalizer
    public private(set) var rewardNormalizer: RunningNormalizer
    public private(set) var rng: RandomGenerator
    public private(set) var transitions: [ControllerTransition] = []
    /// One row per decision: step, probe validation loss, action, LR chosen.
    public private(set) var decisions: [Decision] = []

    public struct Decision: Codable, Sendable, Equatable {
        public var step: Int, validationLoss: Double, action: Float, learningRate: Double
    }

    private struct Pending: Codable, Equatable { var observation: [Float]; var action: Float; var logProb: Double; var value: Float }
    private var pending: Pending?
    private var previousProbabilities: Tensor?
    private var windowLossSum = 0.0
    private var windowCount = 0

    /// - Parameters: `observationNormalizer`/`rewardNormalizer`: statistics to continue from (a training
    ///   session's, or a frozen artifact's); fresh ones when nil.
    public init(policy: ControllerPolicy, task: any ControllerObservable, mode: Mode, initialLearningRate: Double, seed: UInt64,
                observationNormalizer: RunningNormalizer? = nil, rewardNormalizer: RunningNormalizer? = nil) throws(LRControllerError) {
        guard task.hasControllerProbe else { throw .incompatible("the task has no validation data for the controller's probe (add --validation-per-class N)") }
        guard ControllerFeatures.outputWeight(of: task.model) != nil else { throw .incompatible("the model has no rank-2 output weight to observe") }
        guard initialLearningRate > 0, initialLearningRate.isFinite else { throw .invalidConfiguration("initial LR must be > 0, got \(initialLearningRate)") }
        self.policy = policy
        self.task = task
        self.mode = mode
        let c = policy.configuration
        learningRate = min(max(initialLearningRate, c.minimumLR), c.maximumLR)
        self.observationNormalizer = observationNormalizer ?? RunningNormalizer(dimension: LRControllerConfiguration.featureCount)
        self.rewardNormalizer = rewardNormalizer ?? RunningNormalizer(dimension: 1)
        rng = RandomGenerator(seed: seed)
    }

    public func update(parameters: [Parameter], optimizer: any Optimizer, signal: TrainingSignal) throws -> Float {
        if let l = signal.trainingLoss { windowLossSum += Double(l); windowCount += 1 }
        if signal.step % configuration.interval == 0 { decide(step: signal.step) }
        let lr = Float(learningRate)
        optimizer.step(parameters, learningRate: lr)
        return lr
    }

    /// Probe, features, reward of the pending action, next action.
    private func decide(step: Int) {
        let (probeLoss, probs) = probe()
        let weight = ControllerFeatures.outputWeight(of: task.model)!.value
        let trainLoss = windowCount > 0 ? windowLossSum / Double(windowCount) : probeLoss
        var raw = ControllerFeatures.compute(trainLoss: trainLoss, probeLoss: probeLoss, probabilities: probs,
                                             previous: previousProbabilities, outputWeight: weight, learningRate: learningRate)
        raw = raw.map { $0.isFinite ? min(max($0, -1e6), 1e6) : configuration.penaltyLoss }
        windowLossSum = 0; windowCount = 0
        previousProbabilities = probs
        rewardPending(validationLoss: probeLoss, done: false)
        observationNormalizer.update(raw)
        let obs = observationNormalizer.normalize(raw).map(Float.init)
        let deterministic = mode == .frozen(sample: false)
        let choice = policy.act(obs, rng: &rng, deterministic: deterministic)
        learningRate = configuration.nextLearningRate(learningRate, action: choice.action)
        if mode == .training { pending = Pending(observation: obs, action: choice.action, logProb: Double(choice.logProb), value: choice.value) }
        decisions.append(Decision(step: step, validationLoss: probeLoss, action: choice.action, learningRate: learningRate))
    }

    private func probe() -> (Double, Tensor) {
        let (l, p) = task.controllerProbe(size: configuration.probeSize)
        return (l.isFinite ? Double(l) : configuration.penaltyLoss, p)
    }

    /// Reward r = −L_val, standardised by the running reward statistics (updated with r first).
    private func rewardPending(validationLoss: Double, done: Bool) {
        guard let p = pending else { return }
        let r = -validationLoss
        rewardNormalizer.update([r])
        let reward = rewardNormalizer.normalize([r])[0]
        transitions.append(ControllerTransition(observation: p.observation, action: p.action, logProb: p.logProb,
                                                value: p.value, reward: reward, done: done))
        pending = nil
    }

    /// Ends a training episode: probes once more to reward the last action (marked terminal) and returns
    /// the episode's transitions (then cleared).
    @discardableResult
    public func finishEpisode() -> [ControllerTransition] {
        if pending != nil { rewardPending(validationLoss: probe().0, done: true) }
        if var last = transitions.popLast() { last.done = true; transitions.append(last) }
        defer { transitions = [] }
        return transitions
    }

    public func epochEnded(_ epoch: Int, validationLoss: Float?) {}

    public var summary: String {
        let m: String
        switch mode {
        case .training: m = "training (sampled actions)"
        case .frozen(let s): m = s ? "frozen (sampled actions)" : "frozen (mode of the policy)"
        }
        return "LR Controller \(configuration.actionSpace.rawValue), every \(configuration.interval) steps, ×\(configuration.factor)^±1, LR in [\(configuration.minimumLR), \(configuration.maximumLR)], \(m)"
    }

    // MARK: Checkpointing

    public var checkpointTensors: [String: Tensor] {
        var t: [String: Tensor] = [:]
        for p in policy.parameters { t["lrctl.policy.\(p.name)"] = p.value }
        if let q = previousProbabilities { t["lrctl.previous_probabilities"] = q }
        return t
    }

    private struct State: Codable {
        var learningRate: Double
        var observationNormalizer: RunningNormalizer
        var rewardNormalizer: RunningNormalizer
        var rng: RandomGenerator
        var pending: Pending?
        var transitions: [ControllerTransition]
        var decisions: [Decision]
        var windowLossSum: Double
        var windowCount: Int
        var actionSpace: LRControllerConfiguration.ActionSpace
    }

    public var checkpointMetadata: [String: String] {
        get throws {
            ["lr_controller": try jsonString(State(learningRate: learningRate, observationNormalizer: observationNormalizer,
                                                   rewardNormalizer: rewardNormalizer, rng: rng, pending: pending,
                                                   transitions: transitions, decisions: decisions, windowLossSum: windowLossSum,
                                                   windowCount: windowCount, actionSpace: configuration.actionSpace))]
        }
    }

    public func restore(tensors: [String: Tensor], metadata: [String: String]) throws {
        guard let text = metadata["lr_controller"] else { throw TrainingError.incompatibleCheckpoint("no LR Controller state in the checkpoint") }
        let s: State = try decodeJSON(text)
        guard s.actionSpace == configuration.actionSpace else {
            throw TrainingError.incompatibleCheckpoint("LR Controller action space \(s.actionSpace.rawValue) ≠ \(configuration.actionSpace.rawValue)")
        }
        for p in policy.parameters {
            guard let v = tensors["lrctl.policy.\(p.name)"], v.shape == p.value.shape else {
                throw TrainingError.incompatibleCheckpoint("LR Controller policy tensor '\(p.name)' missing or misshaped")
            }
            p.value = v
        }
        previousProbabilities = tensors["lrctl.previous_probabilities"]
        learningRate = s.learningRate
        observationNormalizer = s.observationNormalizer
        rewardNormalizer = s.rewardNormalizer
        rng = s.rng
        pending = s.pending
        transitions = s.transitions
        decisions = s.decisions
        windowLossSum = s.windowLossSum
        windowCount = s.windowCount
    }
}
