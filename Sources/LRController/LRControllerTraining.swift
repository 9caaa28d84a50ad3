import Foundation
import Optim
import Tensor
import Training

/// Trains the controller with PPO over several short training episodes of a child network (Xu et al.):
/// each episode trains a fresh child (`TrainingTask` + optimiser from the caller) from `initialLearningRate`
/// with the controller sampling actions, then one PPO update on that episode's transitions (GAE, the episode's
/// end is terminal). The observation and reward normalisers carry over from episode to episode.
public final class LRControllerTraining {
    public let learner: PPOLearner
    public let seed: UInt64
    public private(set) var observationNormalizer = RunningNormalizer(dimension: LRControllerConfiguration.featureCount)
    public private(set) var rewardNormalizer = RunningNormalizer(dimension: 1)
    public private(set) var episodes = 0

    public var policy: ControllerPolicy { learner.policy }

    public init(configuration: LRControllerConfiguration, ppo: PPOHyperparameters, seed: UInt64) throws(LRControllerError) {
        let hyper = try ppo.validated()
        self.seed = seed
        learner = PPOLearner(policy: ControllerPolicy(configuration: configuration, seed: seed), hyper: hyper, seed: seed &+ 0x9E37)
    }

    /// What one episode did.
    public struct EpisodeReport: Sendable, Codable {
        public var episode: Int
        /// Σ of the raw rewards −L_val over the episode's decisions (higher is better).
        public var rawReturn: Double
        public var decisions: Int
        public var finalValidation: EvaluationMetrics?
        public var finalTest: EvaluationMetrics?
        public var finalLearningRate: Double
        public var diverged: Bool
        public var ppo: PPOLearner.Stats
        public var learningRates: [Float]
    }

    /// Runs one episode on `task` with `optimizer` for `epochs` epochs, then the PPO update.
    public func runEpisode(task: any ControllerObservable, optimizer: any Optimizer, epochs: Int, initialLearningRate: Double,
                           clipNorm: Float? = nil, progress: ProgressReporter.Mode = .none) throws -> EpisodeReport {
        let updater = try LRControllerUpdate(policy: policy, task: task, mode: .training, initialLearningRate: initialLearningRate,
                                             seed: seed &+ 1000 &* UInt64(episodes + 1),
                                             observationNormalizer: observationNormalizer, rewardNormalizer: rewardNormalizer)
        let trainer = try Trainer(task: task, optimizer: optimizer, updater: updater,
                                  options: TrainerOptions(epochs: epochs, clipNorm: clipNorm, progress: progress, evaluateTest: true))
        var diverged = false
        do { try trainer.run() } catch TrainingError.diverged { diverged = true }
        let transitions = updater.finishEpisode()
        observationNormalizer = updater.observationNormalizer
        rewardNormalizer = updater.rewardNormalizer
        let samples = PPOLearner.samples(from: transitions, hyper: learner.hyper)
        let stats = learner.update(samples)
        let rawReturn = updater.decisions.dropFirst().reduce(0.0) { $0 - $1.validationLoss }
            - (transitions.isEmpty ? 0 : finalProbe(task, updater))
        defer { episodes += 1 }
        return EpisodeReport(episode: episodes, rawReturn: rawReturn, decisions: transitions.count,
                             finalValidation: diverged ? nil : task.evaluate(.validation),
                             finalTest: diverged ? nil : trainer.history.last?.test,
                             finalLearningRate: updater.learningRate, diverged: diverged, ppo: stats,
                             learningRates: trainer.learningRates)
    }

    private func finalProbe(_ task: any ControllerObservable, _ u: LRControllerUpdate) -> Double {
        let l = Double(task.controllerProbe(size: u.configuration.probeSize).loss)
        return l.isFinite ? l : u.configuration.penaltyLoss
    }

    /// The trained policy as an artifact.
    public func artifact(task: String) -> LRControllerArtifact {
        LRControllerArtifact(policy: policy, ppo: learner.hyper, observationNormalizer: observationNormalizer,
                             task: task, episodes: episodes, seed: seed)
    }
}
