import NN
import Tensor

/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and (coupled)
/// weight decay — exactly `torch.optim.SGD`'s rules, per element:
///
///     g' = g + λ·w                                   (weight decay is added to the gradient)
///     b  = g'                    on the first step   (momentum buffer starts as the direction)
///     b  = μ·b + (1 − τ)·g'      afterwards           (τ = dampening)
///     d  = g' + μ·b  (Nesterov)  or  b  (momentum)  or  g'  (μ = 0: no buffer at all)
///     w  ← w − lr·d
///
/// State: one `momentum_buffer` per parameter when μ > 0 (none for plain SGD).
public final class SGD: Optimizer {
    public let momentum: Float
    public let dampening: Float
    public let nesterov: Bool
    public let weightDecay: Float

    private final class Slot {
        let parameter: Parameter
        var buffer: Tensor
        init(_ parameter: Parameter, buffer: Tensor) { self.parameter = parameter; self.buffer = buffer }
    }
    /// Momentum buffers by parameter identity (the slot's strong reference keeps the identity unique).
    private var slots: [ObjectIdentifier: Slot] = [:]

    /// - Parameters:
    ///   - momentum: μ ≥ 0; 0 is plain SGD.
    ///   - dampening: τ; the new gradient enters the buffer with weight 1 − τ (not on the first step).
    ///   - nesterov: use d = g' + μ·b; requires μ > 0 and τ = 0 (as PyTorch).
    ///   - weightDecay: λ ≥ 0, L2 penalty added to the gradient.
    public init(momentum: Float = 0, dampening: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        precondition(momentum.isFinite && momentum >= 0, "SGD: momentum must be finite and ≥ 0, got \(momentum)")
        precondition(dampening.isFinite, "SGD: dampening must be finite, got \(dampening)")
        precondition(weightDecay.isFinite && weightDecay >= 0, "SGD: weightDecay must be finite and ≥ 0, got \(weightDecay)")
        precondition(!nesterov || (momentum > 0 && dampening == 0),
                     "SGD: Nesterov momentum requires momentum > 0 and dampening 0, got momentum \(momentum), dampening \(dampening)")
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    /// What one element of the update reads and produces. `first` means no buffer exists yet.
    private struct Rule {
        let mu: Float, keep: Float, lambda: Float, nesterov: Bool, hasMomentum: Bool

        /// g' = g + λ·w (skipped when λ = 0, as PyTorch does).
        @inline(__always) func decayed(_ g: Float, _ w: Float) -> Float { lambda != 0 ? g + lambda * w : g }
        /// The new momentum buffer value from g' and the old buffer.
        @inline(__always) func buffer(_ gd: Float, _ old: Float, first: Bool) -> Float { first ? gd : mu * old + keep * gd }
        /// The direction from g' and the new buffer value.
        @inline(__always) func direction(_ gd: Float, _ b: Float) -> Float {
            hasMomentum ? (nesterov ? gd + mu * b : b) : gd
        }
    }

    private var rule: Rule {
        Rule(mu: momentum, keep: 1 - dampening, lambda: weightDecay, nesterov: nesterov, hasMomentum: momentum != 0)
    }

    public func step(_ parameters: [Parameter], learningRate lr: Float) {
        update(parameters, given: nil, learningRate: lr, op: "SGD.step")
    }

    public func apply(direction d: [Tensor], to parameters: [Parameter], learningRate lr: Float) {
        checkDirections(d, parameters, op: "SGD.apply(direction:)")
        update(parameters, given: d, learningRate: lr, op: "SGD.apply(direction:)")
    }

    public func direction(_ parameters: [Parameter], into d: inout [Tensor]) {
        let rule = self.rule
        prepareDirections(&d, for: parameters)
        for (k, p) in parameters.enumerated() {
            checkGradient(p, op: "SGD.direction")
            let old = slots[ObjectIdentifier(p)]?.buffer
            let first = old == nil
            p.grad.withUnsafeBufferPointer { gb in p.value.withUnsafeBufferPointer { wb in
                d[k].withUnsafeMutableBufferPointer { ob in
                    let g = gb.baseAddress!, w = wb.baseAddress!, o = ob.baseAddress!
                    withOptionalPointer(old) { bOld in
                        // Without a buffer, `first` discards what is read: any readable memory will do.
                        let b = bOld ?? g
                        forEachChunk(ob.count) { r in
                            let rule = rule
                            for i in r {
                                let gd = rule.decayed(g[i], w[i])
                                o[i] = rule.direction(gd, rule.buffer(gd, b[i], first: first))
                            }
                        }
                    }
                }
            } }
        }
    }

    /// `step` (given == nil) or `apply(direction:)`: commits the buffers and updates the weights.
    /// The loops are branch-free per element (selects only) so they vectorise.
    private func update(_ parameters: [Parameter], given: [Tensor]?, learningRate lr: Float, op: String) {
        let rule = self.rule
        for (k, p) in parameters.enumerated() {
            checkGradient(p, op: op)
            let n = p.value.count
            let grad = p.grad
            guard rule.hasMomentum else {
                grad.withUnsafeBufferPointer { gb in withOptionalPointer(given?[k]) { dIn in
                    p.value.withUnsafeMutableBufferPointer { wb in
                        let g = gb.baseAddress!, w = wb.baseAddress!
                        forEachChunk(n) { r in
                            let rule = rule
                            if let dIn {
                                for i in r { w[i] = w[i] - lr * dIn[i] }
                            } else {
                                for i in r { w[i] = w[i] - lr * rule.decayed(g[i], w[i]) }
                            }
                        }
                    }
                } }
                continue
            }
            let slot: Slot
            var first = false
            if let s = slots[ObjectIdentifier(p)] {
                slot = s
            } else {
                slot = Slot(p, buffer: .zeros(p.value.shape))
                slots[ObjectIdentifier(p)] = slot
                first = true
            }
            grad.withUnsafeBufferPointer { gb in withOptionalPointer(given?[k]) { dIn in
                p.value.withUnsafeMutableBufferPointer { wb in
                    slot.buffer.withUnsafeMutableBufferPointer { bb in
                        let g = gb.baseAddress!, w = wb.baseAddress!, b = bb.baseAddress!
                        forEachChunk(n) { r in
                            let rule = rule
                            if let dIn {
                                for i in r {
                                    b[i] = rule.buffer(rule.decayed(g[i], w[i]), b[i], first: first)
                                    w[i] = w[i] - lr * dIn[i]
                                }
                            } else {
                                for i in r {
                                    let gd = rule.decayed(g[i], w[i])
                                    let nb = rule.buffer(gd, b[i], first: first)
                                    b[i] = nb
                                    w[i] = w[i] - lr * rule.direction(gd, nb)
                                }
                            }
                        }
                    }
                }
            } }
        }
    }

    public var state: OptimizerState {
        var writer = StateWriter(kind: "SGD")
        for slot in slots.values { writer.set(slot.parameter, "momentum_buffer", slot.buffer) }
        return writer.state
    }

    public func restore(_ state: OptimizerState, for parameters: [Parameter]) throws {
        var reader = try StateReader(state, kind: "SGD", parameters: parameters)
        var restored: [ObjectIdentifier: Slot] = [:]
        // Plain SGD has no buffers: any in `state` are reported as unknown entries.
        if momentum != 0 {
            for p in parameters {
                if let b = try reader.tensor(p, "momentum_buffer") { restored[ObjectIdentifier(p)] = Slot(p, buffer: b) }
            }
        }
        try reader.finish()
        slots = restored
    }
}

/// Calls `body` with the tensor's base address, or nil when there is no tensor.
@inline(__always)
func withOptionalPointer<R>(_ t: Tensor?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let t else { return body(nil) }
    return t.withUnsafeBufferPointer { body(UnsafePointer($0.baseAddress!)) }
}
