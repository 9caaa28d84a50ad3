import Foundation
import NN
import Tensor

/// The shared engine of `Adam` (coupled L2 weight decay) and `AdamW` (decoupled weight decay),
/// following `torch.optim.Adam`/`AdamW` (amsgrad off). Per element, at step t (counted per parameter):
///
///     g' = g + λ·w                  (Adam only)
///     m  = lerp(m, g', 1 − β1)       (PyTorch's lerp: m + (1−β1)(g'−m), or g' − (g'−m)·β1 when 1−β1 ≥ ½)
///     v  = β2·v + (1 − β2)·g'·g'
///     d  = (m / bc1) / (√v / √bc2 + ε)   bc1 = 1 − β1ᵗ, bc2 = 1 − β2ᵗ (in Double, like PyTorch's Python floats)
///     d += λ·w                       (AdamW only: w − lr·λ·w is PyTorch's w·(1 − lr·λ))
///     w  ← w − lr·d
///
/// ε is added after the square root of v̂, as PyTorch does. State per parameter: `exp_avg` (m),
/// `exp_avg_sq` (v), `step` (t), created as zeros on the parameter's first step.
final class AdamCore {
    let kind: String
    let beta1: Float, beta2: Float, eps: Float, weightDecay: Float
    let decoupled: Bool

    final class Slot {
        let parameter: Parameter
        var m: Tensor, v: Tensor
        var step: Int
        init(_ parameter: Parameter, m: Tensor, v: Tensor, step: Int) {
            self.parameter = parameter; self.m = m; self.v = v; self.step = step
        }
    }
    private var slots: [ObjectIdentifier: Slot] = [:]

    init(kind: String, beta1: Float, beta2: Float, eps: Float, weightDecay: Float, decoupled: Bool) {
        precondition(beta1.isFinite && beta1 >= 0 && beta1 < 1, "\(kind): beta1 must be in [0, 1), got \(beta1)")
        precondition(beta2.isFinite && beta2 >= 0 && beta2 < 1, "\(kind): beta2 must be in [0, 1), got \(beta2)")
        precondition(eps.isFinite && eps >= 0, "\(kind): eps must be finite and ≥ 0, got \(eps)")
        precondition(weightDecay.isFinite && weightDecay >= 0, "\(kind): weightDecay must be finite and ≥ 0, got \(weightDecay)")
        self.kind = kind
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps; self.weightDecay = weightDecay
        self.decoupled = decoupled
    }

    /// The per-element rule at one step count, shared by direction/step/apply so all three compute
    /// identical values.
    struct Rule {
        let lerpFromM: Bool, lerpC: Float, beta2: Float, oneMinusBeta2: Float
        let bc1: Float, sqrtBc2: Float, eps: Float
        let coupledDecay: Float, decoupledDecay: Float

        init(_ c: AdamCore, step t: Int) {
            // PyTorch's lerp(m, g', w) with w = 1 − β1: m + w·(g'−m) when w < ½, else g' − (g'−m)·(1−w),
            // written as base + c·(g'−m) (bit-identical: a + (−b)·x == a − b·x) so it is branch-free.
            let w1 = 1 - c.beta1
            lerpFromM = w1 < 0.5
            lerpC = lerpFromM ? w1 : -(1 - w1)
            beta2 = c.beta2
            oneMinusBeta2 = 1 - c.beta2
            bc1 = Float(1 - pow(Double(c.beta1), Double(t)))
            sqrtBc2 = Float((1 - pow(Double(c.beta2), Double(t))).squareRoot())
            eps = c.eps
            coupledDecay = c.decoupled ? 0 : c.weightDecay
            decoupledDecay = c.decoupled ? c.weightDecay : 0
        }

        @inline(__always) func gradient(_ g: Float, _ w: Float) -> Float { coupledDecay != 0 ? g + coupledDecay * w : g }
        @inline(__always) func firstMoment(_ m: Float, _ g: Float) -> Float {
            (lerpFromM ? m : g) + lerpC * (g - m)
        }
        @inline(__always) func secondMoment(_ v: Float, _ g: Float) -> Float { v * beta2 + oneMinusBeta2 * g * g }
        @inline(__always) func direction(m: Float, v: Float, w: Float) -> Float {
            // `v.magnitude` is v (v ≥ 0 or NaN); it lets LLVM see that sqrt cannot set errno, so the
            // loop vectorises (sqrtps) instead of calling sqrtf per element.
            let d = (m / bc1) / (v.magnitude.squareRoot() / sqrtBc2 + eps)
            return decoupledDecay != 0 ? d + decoupledDecay * w : d
        }
    }

    func direction(_ parameters: [Parameter], into d: inout [Tensor]) {
        prepareDirections(&d, for: parameters)
        for (k, p) in parameters.enumerated() {
            checkGradient(p, op: "\(kind).direction")
            let slot = slots[ObjectIdentifier(p)]
            let rule = Rule(self, step: (slot?.step ?? 0) + 1)
            let fresh = slot == nil
            p.grad.withUnsafeBufferPointer { gb in p.value.withUnsafeBufferPointer { wb in
                d[k].withUnsafeMutableBufferPointer { ob in
                    let g = gb.baseAddress!, w = wb.baseAddress!, o = ob.baseAddress!
                    withOptionalPointer(slot?.m) { mOld in withOptionalPointer(slot?.v) { vOld in
                        // Without state the moments are 0; `fresh` discards what is read from the
                        // stand-in pointer.
                        let m = mOld ?? g, v = vOld ?? g
                        forEachChunk(ob.count) { r in
                            let rule = rule
                            for i in r {
                                let gd = rule.gradient(g[i], w[i])
                                let mi = m[i], vi = v[i]   // unconditional loads: the selects vectorise
                                let nm = rule.firstMoment(fresh ? 0 : mi, gd)
                                let nv = rule.secondMoment(fresh ? 0 : vi, gd)
                                o[i] = rule.direction(m: nm, v: nv, w: w[i])
                            }
                        }
                    } }
                }
            } }
        }
    }

    /// `step` (given == nil) or `apply(direction:)`: commits m, v, t and updates the weights.
    /// The loops are branch-free per element (selects only) so they vectorise.
    func update(_ parameters: [Parameter], given: [Tensor]?, learningRate lr: Float, op: String) {
        if let given { checkDirections(given, parameters, op: op) }
        for (k, p) in parameters.enumerated() {
            checkGradient(p, op: op)
            let slot: Slot
            if let s = slots[ObjectIdentifier(p)] {
                slot = s
            } else {
                slot = Slot(p, m: .zeros(p.value.shape), v: .zeros(p.value.shape), step: 0)
                slots[ObjectIdentifier(p)] = slot
            }
            slot.step += 1
            let rule = Rule(self, step: slot.step)
            let n = p.value.count
            let grad = p.grad
            grad.withUnsafeBufferPointer { gb in withOptionalPointer(given?[k]) { dIn in
                p.value.withUnsafeMutableBufferPointer { wb in
                    slot.m.withUnsafeMutableBufferPointer { mb in
                        slot.v.withUnsafeMutableBufferPointer { vb in
                            let g = gb.baseAddress!, w = wb.baseAddress!
                            let m = mb.baseAddress!, v = vb.baseAddress!
                            forEachChunk(n) { r in
                                let rule = rule
                                if let dIn {
                                    for i in r {
                                        let gd = rule.gradient(g[i], w[i])
                                        m[i] = rule.firstMoment(m[i], gd)
                                        v[i] = rule.secondMoment(v[i], gd)
                                        w[i] = w[i] - lr * dIn[i]
                                    }
                                } else {
                                    for i in r {
                                        let gd = rule.gradient(g[i], w[i])
                                        let nm = rule.firstMoment(m[i], gd)
                                        let nv = rule.secondMoment(v[i], gd)
                                        m[i] = nm
                                        v[i] = nv
                                        w[i] = w[i] - lr * rule.direction(m: nm, v: nv, w: w[i])
                                    }
                                }
                            }
                        }
                    }
                }
            } }
        }
    }

    var state: OptimizerState {
        var writer = StateWriter(kind: kind)
        for s in slots.values {
            writer.set(s.parameter, "exp_avg", s.m)
            writer.set(s.parameter, "exp_avg_sq", s.v)
            writer.set(s.parameter, "step", s.step)
        }
        return writer.state
    }

    func restore(_ state: OptimizerState, for parameters: [Parameter]) throws {
        var reader = try StateReader(state, kind: kind, parameters: parameters)
        var restored: [ObjectIdentifier: Slot] = [:]
        for p in parameters {
            let m = try reader.tensor(p, "exp_avg")
            let v = try reader.tensor(p, "exp_avg_sq")
            let t = try reader.count(p, "step")
            if let m, let v, let t {
                restored[ObjectIdentifier(p)] = Slot(p, m: m, v: v, step: t)
            } else if m != nil || v != nil || t != nil {
                let missing = [("exp_avg", m == nil), ("exp_avg_sq", v == nil), ("step", t == nil)]
                    .filter { $0.1 }.map { StateReader.key(p, $0.0) }
                throw OptimizerStateError.incompleteEntries(parameter: p.name, missing: missing)
            }
        }
        try reader.finish()
        slots = restored
    }
}
