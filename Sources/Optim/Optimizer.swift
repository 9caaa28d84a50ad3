import NN
import Tensor

/// A first-order optimiser that updates parameters in place from their `grad`.
///
/// The learning rate is never a property of the optimiser: it is passed into every update, because
/// MLR-SNet predicts a new one at each step. Optimiser state (momentum buffers, Adam moments, step
/// counters) is kept per `Parameter` object, created on the first update of that parameter, and
/// updated in place afterwards (no per-step allocation of state). The optimiser holds a strong
/// reference to every parameter it has state for.
///
/// Every update is `w_new = w − lr·d` with a per-element direction `d` that does not depend on `lr`,
/// so `direction` + `apply(direction:)` reproduce `step` bit for bit.
public protocol Optimizer: AnyObject {
    /// Applies one update to every parameter from its current `grad`, at learning rate `lr`.
    func step(_ parameters: [Parameter], learningRate lr: Float)

    /// The direction `d` the next `step` would apply at learning rate 1 (`w_new = w − lr·d`), one
    /// tensor per parameter with the parameter's shape, WITHOUT changing any state.
    /// MLR-SNet's hypergradient needs it.
    func direction(_ parameters: [Parameter]) -> [Tensor]

    /// `direction(_:)` written into `d`: its tensors are overwritten in place when `d` has one per
    /// parameter with the right shape and they share no storage (so a meta-trainer that keeps `d`
    /// allocates nothing per step); otherwise they are replaced by new tensors. Changes no state.
    func direction(_ parameters: [Parameter], into d: inout [Tensor])

    /// Applies a precomputed direction: `w −= lr·d` and commits the optimiser state exactly as `step`
    /// would. The state is committed from each parameter's current `grad` and value, so call it with
    /// the same gradients `direction` saw; then `direction` + `apply` equals `step` bit for bit.
    func apply(direction d: [Tensor], to parameters: [Parameter], learningRate lr: Float)

    /// The full state for checkpointing: buffers keyed `"<parameter name>.<buffer>"` (PyTorch's buffer
    /// names: `momentum_buffer`, `exp_avg`, `exp_avg_sq`) and scalars (`"<parameter name>.step"`).
    /// Hyperparameters are configuration, not state, and are not included.
    var state: OptimizerState { get }

    /// Replaces all state by `state`, attaching buffers to `parameters` by name. Throws
    /// `OptimizerStateError` when the state belongs to another kind of optimiser, names a parameter
    /// that is not in `parameters`, has a buffer whose shape differs from its parameter's, or is
    /// incomplete. Parameters without entries start fresh (as before their first step).
    func restore(_ state: OptimizerState, for parameters: [Parameter]) throws
}

extension Optimizer {
    public func direction(_ parameters: [Parameter]) -> [Tensor] {
        var d: [Tensor] = []
        direction(parameters, into: &d)
        return d
    }
}

/// Makes `d` hold one writable, unshared tensor per parameter with the parameter's shape, keeping
/// the tensors that already qualify (their contents are left as they are, to be overwritten).
func prepareDirections(_ d: inout [Tensor], for parameters: [Parameter]) {
    if d.count != parameters.count {
        d = parameters.map { Tensor(uninitializedShape: $0.value.shape) }
        return
    }
    for (k, p) in parameters.enumerated() where d[k].shape != p.value.shape || !d[k].isUniquelyReferenced() {
        d[k] = Tensor(uninitializedShape: p.value.shape)
    }
}

/// Checks that `d` has one tensor per parameter with the parameter's shape (for `apply(direction:)`).
func checkDirections(_ d: [Tensor], _ parameters: [Parameter], op: String) {
    precondition(d.count == parameters.count,
                 "\(op): \(d.count) direction tensors for \(parameters.count) parameters")
    for (t, p) in zip(d, parameters) {
        precondition(t.shape == p.value.shape,
                     "\(op): direction for '\(p.name)' has shape \(t.shape), parameter has shape \(p.value.shape)")
    }
}

/// Checks that a parameter's gradient has the parameter's shape.
@inline(__always)
func checkGradient(_ p: Parameter, op: String) {
    precondition(p.grad.shape == p.value.shape,
                 "\(op): gradient of '\(p.name)' has shape \(p.grad.shape), parameter has shape \(p.value.shape)")
}

/// Runs an element-wise update over `0..<count`, split over the worker pool for big tensors.
/// Element-wise results do not depend on the split, so updates are identical for any thread count.
@inline(__always)
func forEachChunk(_ count: Int, _ body: (Range<Int>) -> Void) {
    WorkerPool.shared.parallelFor(count, minPerPart: optimizerGrain, body)
}

/// Elements per part below which optimiser updates stay on one thread.
let optimizerGrain = 1 << 15
