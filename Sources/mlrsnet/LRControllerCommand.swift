import ArgumentParser
import Foundation
import LRController
import Training

extension LRControllerConfiguration.ActionSpace: ExpressibleByArgument {}

/// `mlrsnet lr-controller ...`: the RL LR Controller baseline (Xu et al. 2019; the paper's appendix G).
struct LRControllerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lr-controller",
        abstract: "The reinforcement-learning LR Controller baseline (Xu et al. 2019, paper appendix G).",
        subcommands: [LRControllerTrain.self])
}

/// `mlrsnet lr-controller train`: PPO over several short training episodes of a child network.
struct LRControllerTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an LR Controller policy with PPO over short training episodes of a child network.",
        discussion: """
        Each episode trains a fresh child (seed + episode) for --epochs epochs from --lr; every --interval steps the \
        controller observes 7 features on a fixed validation probe batch and multiplies the LR by 1/f, 1 or f \
        (--action-space continuous: f^u, u in [-1, 1]); reward = −validation loss. After each episode one PPO update. \
        Writes OUT/lr-controller.safetensors (after every episode), OUT/episodes.csv and OUT/episodeK-lrs.csv. \
        Use it with: mlrsnet train --schedule lr-controller --scheduler OUT/lr-controller.safetensors --lr ...
        Example: mlrsnet lr-controller train --dataset fashion-mnist --train-per-class 200 --validation-per-class 20 \
        --epochs 1 --episodes 4 --lr 0.05 --out runs/lrctl
        """)

    @OptionGroup var options: RunOptions

    @Option(help: "Initial learning rate of every episode.") var lr: Double = 0.05
    @Option(help: "Training episodes (one PPO update after each).") var episodes = 5
    @Option(help: "Decide every K steps.") var interval = 10
    @Option(help: "Action space.") var actionSpace: LRControllerConfiguration.ActionSpace = .discrete
    @Option(help: "Multiplicative LR step f.") var factor: Double = 1.05
    @Option(help: "LR range 'min,max' the LR is clipped to.") var lrRange = "1e-4,1"
    @Option(help: "Validation images in the controller's probe batch.") var probeSize = 128
    @Option(help: "Actor/critic hidden width.") var controllerHidden = 32
    @Option(help: "Seed of the policy and of its action sampling.") var controllerSeed: UInt64 = 1
    @Option(help: "PPO clip ε.") var ppoClip: Double = 0.2
    @Option(help: "PPO discount γ.") var ppoGamma: Double = 0.99
    @Option(help: "GAE λ.") var ppoLambda: Double = 0.95
    @Option(help: "PPO passes over each episode's samples.") var ppoEpochs = 4
    @Option(help: "PPO minibatch size.") var ppoMinibatch = 64
    @Option(help: "PPO Adam learning rate.") var ppoLR: Double = 3e-4
    @Option(help: "Value-loss coefficient.") var valueCoef: Double = 0.5
    @Option(help: "Entropy-bonus coefficient.") var entropyCoef: Double = 0.01
    @Option(help: "Where to write the artifact (default OUT/lr-controller.safetensors).") var artifact: String?

    func controllerConfiguration() throws -> LRControllerConfiguration {
        let r = try parseBounds(lrRange)
        return try LRControllerConfiguration(actionSpace: actionSpace, interval: interval, factor: factor, minimumLR: r.minimum,
                                             maximumLR: r.maximum, hiddenSize: controllerHidden, probeSize: probeSize)
    }

    func ppo() throws -> PPOHyperparameters {
        var h = PPOHyperparameters()
        h.clip = ppoClip; h.gamma = ppoGamma; h.lambda = ppoLambda; h.epochs = ppoEpochs; h.minibatchSize = ppoMinibatch
        h.learningRate = ppoLR; h.valueCoefficient = valueCoef; h.entropyCoefficient = entropyCoef
        return try h.validated()
    }

    func validate() throws {
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be a positive number (got \(lr))") }
        guard episodes >= 1 else { throw ValidationError("--episodes must be at least 1 (got \(episodes))") }
        do { _ = try controllerConfiguration(); _ = try ppo() } catch let e as ValidationError { throw e } catch { throw ValidationError("\(error)") }
        if options.validationPerClass == 0 && options.dataset != .ptb {
            throw ValidationError("the controller observes a validation probe batch: add --validation-per-class N")
        }
        if options.dataset == .ptb { throw ValidationError("the LR Controller observes image classifiers only (no PTB probe yet)") }
        if artifact == nil && options.out == nil { throw ValidationError("give --out DIR or --artifact FILE") }
        if options.resume { throw ValidationError("lr-controller train does not resume; the artifact is saved after every episode") }
    }

    func run() throws {
        Interruption.install()
        let config = try controllerConfiguration()
        let session = try LRControllerTraining(configuration: config, ppo: try ppo(), seed: controllerSeed)
        if let out = options.out { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) }
        let artifactPath = artifact ?? options.out! + "/lr-controller.safetensors"
        let taskName = "\(options.dataset.rawValue) \(options.model), \(options.optimizer.rawValue), \(options.epochs) epochs/episode, batch \(options.batchSize), lr0 \(lr)"
        say("controller: \(config.actionSpace.rawValue), K = \(config.interval), f = \(config.factor), LR in [\(config.minimumLR), \(config.maximumLR)], \(session.policy.parameters.reduce(0) { $0 + $1.value.count }) parameters")
        var csv = "episode,raw_return,decisions,val_loss,val_accuracy,test_loss,test_accuracy,final_lr,diverged,ppo_loss,ppo_value_loss,ppo_entropy,ppo_clip_fraction,seconds\n"
        for e in 0..<episodes {
            var o = options
            o.seed = options.seed &+ UInt64(e)
            let setup: RunSetup
            do { setup = try RunSetup.build(o) } catch { throw CLIError("\(error)") }
            if e == 0 { for line in setup.summary { say(line) } }
            guard let task = setup.task as? any ControllerObservable else { throw CLIError("this task cannot be observed by the controller") }
            let start = Date()
            let r = try session.runEpisode(task: task, optimizer: setup.optimizer, epochs: options.epochs, initialLearningRate: lr,
                                           clipNorm: options.clip, progress: options.progress.mode)
            let secs = Date().timeIntervalSince(start)
            try session.artifact(task: taskName).write(to: artifactPath)
            func f(_ v: Double?) -> String { v.map { String($0) } ?? "" }
            csv += "\(e),\(r.rawReturn),\(r.decisions),\(f(r.finalValidation?.loss)),\(f(r.finalValidation?.accuracy)),\(f(r.finalTest?.loss)),\(f(r.finalTest?.accuracy)),\(r.finalLearningRate),\(r.diverged),\(r.ppo.loss),\(r.ppo.valueLoss),\(r.ppo.entropy),\(r.ppo.clipFraction),\(secs)\n"
            say(String(format: "episode %d: return %.3f over %d decisions, val acc %@, test acc %@, final LR %.4g%@, PPO entropy %.3f, %.0f s",
                       e + 1, r.rawReturn, r.decisions, r.finalValidation?.accuracy.map { String(format: "%.2f%%", 100 * $0) } ?? "-",
                       r.finalTest?.accuracy.map { String(format: "%.2f%%", 100 * $0) } ?? "-", r.finalLearningRate,
                       r.diverged ? " (diverged)" : "", r.ppo.entropy, secs))
            if let out = options.out {
                try csv.write(toFile: out + "/episodes.csv", atomically: true, encoding: .utf8)
                var lrs = "step,lr\n"
                for (i, v) in r.learningRates.enumerated() { lrs += "\(i),\(v)\n" }
                try lrs.write(toFile: out + "/episode\(e + 1)-lrs.csv", atomically: true, encoding: .utf8)
            }
        }
        say("artifact written to \(artifactPath)")
    }
}

extension Train {
    /// `--schedule lr-controller --scheduler FILE`: the trained policy, frozen (its mode at each decision, or a
    /// seeded sample with --controller-sample), starting at --lr, its normalisers continuing online on this task.
    func lrControllerUpdater(_ setup: RunSetup) throws -> LRControllerUpdate {
        guard let file = scheduler else { throw CLIError("--schedule lr-controller needs --scheduler FILE (an lr-controller artifact)") }
        let a = try LRControllerArtifact.read(file)
        guard let task = setup.task as? any ControllerObservable else { throw CLIError("this task cannot be observed by the LR Controller (image classification only)") }
        return try LRControllerUpdate(policy: a.makePolicy(), task: task, mode: .frozen(sample: controllerSample), initialLearningRate: lr,
                                      seed: options.seed, observationNormalizer: a.observationNormalizer)
    }
}
