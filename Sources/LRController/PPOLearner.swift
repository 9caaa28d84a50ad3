import NN
import Optim
import Tensor

/// Proximal policy optimisation of a `ControllerPolicy`: after each batch of trajectories, `epochs` passes
/// over the samples in shuffled minibatches, each one forward/backward of actor and critic, PPO's loss
/// (`PPOLoss`), optional gradient-norm clipping and one Adam step (Optim.Adam) at the PPO learning rate.
public final class PPOLearner {
    public let policy: ControllerPolicy
    public let hyper: PPOHyperparameters
    public let optimizer: Adam
    public private(set) var rng: RandomGenerator
    public private(set) var updates = 0

    public init(policy: ControllerPolicy, hyper: PPOHyperparameters, seed: UInt64) {
        self.policy = policy
        self.hyper = hyper
        optimizer = Adam(eps: 1e-5)
        rng = RandomGenerator(seed: seed)
    }

    /// Statistics of one update, averaged over its minibatch steps.
    public struct Stats: Sendable, Codable {
        public var loss = 0.0, policyLoss = 0.0, valueLoss = 0.0, entropy = 0.0, clipFraction = 0.0
        public var steps = 0
    }

    /// Builds the samples of finished transitions: GAE advantages and returns (the last transition of each
    /// trajectory is terminal), then the update.
    public static func samples(from transitions: [ControllerTransition], hyper: PPOHyperparameters) -> [PPOSample] {
        let (adv, ret) = GAE.compute(rewards: transitions.map(\.reward), values: transitions.map { Double($0.value) },
                                     dones: transitions.map(\.done), lastValue: 0, gamma: hyper.gamma, lambda: hyper.lambda)
        return transitions.indices.map {
            PPOSample(observation: transitions[$0].observation, action: transitions[$0].action,
                      oldLogProb: transitions[$0].logProb, advantage: adv[$0], target: ret[$0])
        }
    }

    /// PPO update on `samples` (advantages standardised first when configured).
    @discardableResult
    public func update(_ samples: [PPOSample]) -> Stats {
        guard !samples.isEmpty else { return Stats() }
        var data = samples
        if hyper.normalizeAdvantages && data.count > 1 {
            let m = data.reduce(0) { $0 + $1.advantage } / Double(data.count)
            let v = data.reduce(0) { $0 + ($1.advantage - m) * ($1.advantage - m) } / Double(data.count)
            let sd = v.squareRoot() + 1e-8
            for i in data.indices { data[i].advantage = (data[i].advantage - m) / sd }
        }
        let params = policy.parameters
        let f = LRControllerConfiguration.featureCount
        var stats = Stats()
        for _ in 0..<hyper.epochs {
            let order = rng.permutation(data.count)
            var start = 0
            while start < order.count {
                let idx = order[start..<min(start + hyper.minibatchSize, order.count)]
                start += hyper.minibatchSize
                let batch = idx.map { data[$0] }
                for p in params { p.zeroGrad() }
                let obs = Tensor(shape: [batch.count, f], values: batch.flatMap(\.observation))
                let (out, values) = policy.forward(obs)
                let l = PPOLoss(actorOutput: out, values: values, logStd: policy.logStd.map { $0.value[flat: 0] },
                                samples: batch, space: policy.configuration.actionSpace, hyper: hyper)
                policy.backward(dActor: l.dActor, dValues: l.dValues, dLogStd: l.dLogStd)
                if let g = hyper.maxGradientNorm { clipGradientNorm(params, maxNorm: Float(g)) }
                optimizer.step(params, learningRate: Float(hyper.learningRate))
                stats.loss += l.loss; stats.policyLoss += l.policyLoss; stats.valueLoss += l.valueLoss
                stats.entropy += l.entropy; stats.clipFraction += l.clipFraction; stats.steps += 1
            }
        }
        let s = Double(max(stats.steps, 1))
        stats.loss /= s; stats.policyLoss /= s; stats.valueLoss /= s; stats.entropy /= s; stats.clipFraction /= s
        updates += 1
        return stats
    }
}

/// One decision of the controller with its outcome: the normalised observation, the action, log π_old(a|s),
/// the critic's value, the (normalised) reward observed K steps later, and whether it ended the episode.
public struct ControllerTransition: Codable, Sendable, Equatable {
    public var observation: [Float]
    public var action: Float
    public var logProb: Double
    public var value: Float
    public var reward: Double
    public var done: Bool
    public init(observation: [Float], action: Float, logProb: Double, value: Float, reward: Double, done: Bool) {
        self.observation = observation; self.action = action; self.logProb = logProb
        self.value = value; self.reward = reward; self.done = done
    }
}
