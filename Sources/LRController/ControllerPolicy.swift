import NN
import Tensor

/// The controller's actor and critic: two MLPs F → 32 → 32 → out with tanh hidden layers (Linear from NN).
/// Actor: 3 logits (discrete) or the Gaussian mean (continuous, with a learned state-independent `log_std`).
/// Critic: the state value. Parameter names: `actor.0.weight`, ..., `critic.4.bias`, `log_std`.
public final class ControllerPolicy {
    public let configuration: LRControllerConfiguration
    public let actor: Sequential
    public let critic: Sequential
    /// log σ of the continuous policy, shape [1]; nil for the discrete one.
    public let logStd: Parameter?

    public init(configuration: LRControllerConfiguration, seed: UInt64) {
        self.configuration = configuration
        var rng = RandomGenerator(seed: seed)
        let f = LRControllerConfiguration.featureCount, h = configuration.hiddenSize
        func mlp(_ out: Int) -> Sequential {
            Sequential([Linear(inFeatures: f, outFeatures: h, rng: &rng), Tanh(),
                        Linear(inFeatures: h, outFeatures: h, rng: &rng), Tanh(),
                        Linear(inFeatures: h, outFeatures: out, rng: &rng)])
        }
        actor = mlp(configuration.actorOutputs)
        critic = mlp(1)
        // Small last actor layer: the initial policy is close to uniform (discrete) / mean 0 (continuous).
        if let last = actor.layers.last as? Linear {
            last.weight.value.scale(by: 0.01)
            last.bias?.value.fill(0)
        }
        actor.prefixNames("actor")
        critic.prefixNames("critic")
        logStd = configuration.actionSpace == .continuous
            ? Parameter(Tensor(shape: [1], values: [Float(_log(configuration.initialStd))]), name: "log_std") : nil
    }

    /// Every trainable parameter, in a stable order (actor, critic, log_std).
    public var parameters: [Parameter] { actor.parameters + critic.parameters + (logStd.map { [$0] } ?? []) }

    /// Actor outputs [n, A] and values [n, 1] for observations [n, F].
    public func forward(_ observations: Tensor) -> (actor: Tensor, values: Tensor) {
        (actor.forward(observations), critic.forward(observations))
    }

    /// Back-propagates dL/d(actor outputs) [n, A], dL/d(values) [n, 1] and dL/d(log σ) into the parameters' grads.
    public func backward(dActor: Tensor, dValues: Tensor, dLogStd: Float) {
        _ = actor.backward(dActor)
        _ = critic.backward(dValues)
        if let s = logStd { s.grad[flat: 0] += dLogStd }
    }

    /// One decision for one observation: the action (discrete index or continuous raw sample u), its
    /// log-probability and the critic's value. `deterministic`: the mode (arg-max logit / the mean) instead of a sample.
    public func act(_ observation: [Float], rng: inout RandomGenerator, deterministic: Bool) -> (action: Float, logProb: Float, value: Float) {
        let (out, v) = forward(Tensor(shape: [1, observation.count], values: observation))
        let o = out.scalars
        let action: Float
        switch configuration.actionSpace {
        case .discrete:
            if deterministic {
                action = Float(o.indices.max(by: { o[$0] < o[$1] })!)   // first maximum
            } else {
                let p = PolicyMath.softmax(o.map(Double.init))
                let u = Double(rng.nextUniform())
                var acc = 0.0, pick = p.count - 1
                for (i, pi) in p.enumerated() { acc += pi; if u < acc { pick = i; break } }
                action = Float(pick)
            }
        case .continuous:
            let sigma = _exp(Double(logStd!.value[flat: 0]))
            action = deterministic ? o[0] : Float(Double(o[0]) + sigma * Double(rng.nextNormal()))
        }
        let lp = PolicyMath.logProb(actorOutput: o.map(Double.init), logStd: logStd.map { Double($0.value[flat: 0]) },
                                    action: action, space: configuration.actionSpace)
        return (action, Float(lp), v[flat: 0])
    }
}

/// Log-probabilities and entropies of the two policy families, in Double.
public enum PolicyMath {
    public static func softmax(_ z: [Double]) -> [Double] {
        let m = z.max()!
        let e = z.map { _exp($0 - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    /// log π(a | s) from the actor's outputs.
    public static func logProb(actorOutput o: [Double], logStd: Double?, action: Float, space: LRControllerConfiguration.ActionSpace) -> Double {
        switch space {
        case .discrete:
            let m = o.max()!
            let lse = m + _log(o.reduce(0) { $0 + _exp($1 - m) })
            return o[Int(action)] - lse
        case .continuous:
            let ls = logStd!, sigma = _exp(ls)
            let z = (Double(action) - o[0]) / sigma
            return -0.5 * z * z - ls - 0.5 * _log(2 * Double.pi)
        }
    }

    /// Entropy H(π(· | s)).
    public static func entropy(actorOutput o: [Double], logStd: Double?, space: LRControllerConfiguration.ActionSpace) -> Double {
        switch space {
        case .discrete:
            return -softmax(o).reduce(0) { $0 + ($1 > 0 ? $1 * _log($1) : 0) }
        case .continuous:
            return 0.5 * _log(2 * Double.pi * 2.718281828459045) + logStd!
        }
    }
}
