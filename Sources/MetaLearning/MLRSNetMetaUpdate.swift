import Foundation
import LearnedSchedule
import NN
import Optim
import Schedules
import Tensor
import Training

/// MLR-SNet's online meta-training (the paper's Algorithm 1, exactly as `MLR-SNET-SPEC.md` §2), plugged into
/// the trainer as its step updater. Per training step t (the training forward/backward already ran, so the
/// parameters hold the — clipped — gradient g of L_t):
///
/// 1. d = the base optimiser's direction at learning rate 1 (SGD: g + λw; momentum: μ·buf + g + λw; Adam:
///    m̂/(√v̂+ε)), computed once and shared by the virtual and the real step.
/// 2. Every `metaInterval` steps: α = γ·A(L_t; θ) (previewed, state not advanced); the weights are set to
///    ŵ = w − α·d in place (w and g are kept aside); one validation batch is forward/backward-ed at ŵ in
///    training mode with every BatchNorm's running statistics frozen; s = −⟨∇L_val(ŵ), d⟩; γ·s is
///    back-propagated through the one cell application (∂α/∂θ = γ·∂A/∂θ) and Adam (lr 1e-3, L2 1e-4) updates θ;
///    w and g are put back. Tied weights are one parameter, so they move once.
/// 3. α_t = γ·A(L_t; θ) with the (possibly new) θ, advancing (h, c) exactly once; w ← w − α_t·d through
///    the optimiser (which commits its own state, e.g. the momentum buffer).
///
/// No second-order terms exist: d does not depend on θ.
///
/// Divergence: the meta-learner never receives or emits a non-finite value. The trainer never calls this
/// updater with a non-finite training loss or gradient (its `DivergencePolicy` handles those); a meta-update whose
/// virtual-step validation loss, s, ∂L_val/∂α or hypergradient is not finite, or whose Adam step would make θ
/// non-finite, is skipped (θ and the meta-optimiser unchanged; counted in `skippedMetaUpdates`). LR bounds, if
/// configured, keep α inside them. Under a trainer back-off (LR scale k) the virtual step uses k·α, as the real one.
public final class MLRSNetMetaUpdate: StepUpdater {
    public private(set) var schedule: LearnedLRSchedule
    public private(set) var metaOptimizer: MetaAdam
    public let task: any MetaValidationSource
    /// Meta-update every this many steps (T_val).
    public let metaInterval: Int
    public private(set) var metaUpdates = 0
    public private(set) var skippedMetaUpdates = 0
    /// One row per meta-update: step, α used in the virtual step, validation loss at ŵ, s = −⟨∇L_val, d⟩.
    public private(set) var metaLog: [(step: Int, alpha: Float, validationLoss: Float, s: Double)] = []

    private var direction: [Tensor] = []
    /// Scratch for the virtual step, one per parameter, kept between meta-updates: ŵ and ∇L_val(ŵ) while the
    /// validation batch runs, w and g (swapped out of the parameters) meanwhile.
    private var virtualValues: [Tensor] = []
    private var virtualGrads: [Tensor] = []
    private var hypergradientComputed = false

    public init(schedule: LearnedLRSchedule, task: any MetaValidationSource, metaInterval: Int,
                metaOptimizer: MetaAdam = MetaAdam(lr: 1e-3, weightDecay: 1e-4)) {
        precondition(metaInterval >= 1, "MLRSNetMetaUpdate: metaInterval must be ≥ 1, got \(metaInterval)")
        precondition(task.validationBatchCount > 0, "MLRSNetMetaUpdate: the task has no validation data for the meta-update")
        self.schedule = schedule
        self.task = task
        self.metaInterval = metaInterval
        self.metaOptimizer = metaOptimizer
    }

    /// The learned schedule's cell (θ and state) as it is now.
    public var cell: MLRSNetCell { schedule.cell }

    public func update(parameters: [Parameter], optimizer: any Optimizer, signal: TrainingSignal) throws -> Float {
        optimizer.direction(parameters, into: &direction)
        if (signal.step + 1) % metaInterval == 0 {
            metaStep(parameters: parameters, signal: signal, learningRateScale: (optimizer as? ScaledOptimizer)?.scale ?? 1)
        }
        let lr = schedule.learningRate(for: signal)
        optimizer.apply(direction: direction, to: parameters, learningRate: lr)
        return lr
    }

    /// Steps 2's hypergradient without changing θ: leaves ∂L_val(ŵ(θ))/∂θ in `schedule.cell.gradients` and
    /// returns (α, L_val(ŵ), s), or nil when the cell does not run this step. The parameters' values and
    /// gradients are unchanged afterwards. `direction` must hold d for the current gradients.
    /// With `learningRateScale` k (a trainer back-off), the virtual step is ŵ = w − k·α·d and ∂α/∂θ carries k.
    public func hypergradient(parameters: [Parameter], signal: TrainingSignal, direction d: [Tensor], learningRateScale k: Float = 1)
        -> (alpha: Float, validationLoss: Float, s: Double)? {
        hypergradientComputed = false
        guard let preview = schedule.preview(for: signal) else { return nil }
        let alpha = preview.learningRate * k
        // ŵ = w − α·d and a zero gradient go into the kept scratch tensors, which are then swapped with the
        // parameters' own (w and g wait in the scratch slots): no allocation, no copy-on-write copy.
        if virtualValues.count != parameters.count {
            virtualValues = parameters.map { Tensor(uninitializedShape: $0.value.shape) }
            virtualGrads = parameters.map { Tensor(uninitializedShape: $0.value.shape) }
        }
        for (i, (p, di)) in zip(parameters, d).enumerated() {
            virtualValues[i].setScaledSum(p.value, di, -alpha)
            swap(&p.value, &virtualValues[i])
            if virtualGrads[i].shape != p.grad.shape { virtualGrads[i] = Tensor(uninitializedShape: p.grad.shape) }
            virtualGrads[i].fill(0)
            swap(&p.grad, &virtualGrads[i])
        }
        let valLoss = task.validationStep(index: metaUpdates + skippedMetaUpdates)
        // ⟨∇L_val, d⟩ per tensor (each rounded to Float, as `Tensor.dot`), tensors spread over the worker pool,
        // then summed in parameter order: the same bits on every thread count.
        var dots = [Float](repeating: 0, count: parameters.count)
        dots.withUnsafeMutableBufferPointer { out in
            WorkerPool.shared.run(parts: parameters.count) { i in out[i] = Float(parameters[i].grad.dotInLanes(d[i])) }
        }
        var dot = 0.0
        for v in dots { dot += Double(v) }
        // Swapped back in reverse order, so a parameter listed twice still ends with its own w and g.
        for (i, p) in parameters.enumerated().reversed() {
            swap(&p.value, &virtualValues[i])
            swap(&p.grad, &virtualGrads[i])
        }
        let s = -dot
        schedule.cell.zeroGradients()
        let dp = Float(preview.learningRatePerOutput * Double(k) * s)
        if valLoss.isFinite && s.isFinite && dp.isFinite {
            do { try schedule.cell.backward(dp: dp) }
            catch { preconditionFailure("MLRSNetMetaUpdate: \(error)") }   // preview just ran a forward
            hypergradientComputed = schedule.cell.gradients.allSatisfy(\.isFinite)
        }
        return (alpha, valLoss, s)
    }

    private func metaStep(parameters: [Parameter], signal: TrainingSignal, learningRateScale k: Float) {
        guard let h = hypergradient(parameters: parameters, signal: signal, direction: direction, learningRateScale: k) else { return }
        guard h.validationLoss.isFinite, h.s.isFinite, hypergradientComputed else {
            schedule.cell.zeroGradients()
            skippedMetaUpdates += 1
            return
        }
        let savedWeights = schedule.cell.weights, savedAdam = metaOptimizer
        metaOptimizer.step(&schedule.cell)
        schedule.cell.zeroGradients()
        guard schedule.cell.weights.allSatisfy(\.isFinite) else {
            do { try schedule.cell.setWeights(savedWeights) } catch { preconditionFailure("MLRSNetMetaUpdate: \(error)") }
            metaOptimizer = savedAdam
            skippedMetaUpdates += 1
            return
        }
        metaUpdates += 1
        metaLog.append((signal.step, h.alpha, h.validationLoss, h.s))
    }

    /// Called after every epoch with the epoch index and the meta-learner as it is then (e.g. to save the
    /// per-epoch artifacts the reference's staged transfer policy uses).
    public var onEpochEnd: ((Int, MLRSNetCell) throws -> Void)?

    public func epochEnded(_ epoch: Int, validationLoss: Float?) {
        do { try onEpochEnd?(epoch, cell) } catch {
            FileHandle.standardError.write(Data("warning: MLR-SNet epoch hook failed: \(error)\n".utf8))
        }
    }

    public var summary: String { "MLR-SNet meta-training (\(schedule.summary), meta-update every \(metaInterval) steps)" }

    // MARK: Checkpointing: θ, the schedule's state (h, c, γ, ...), the meta-optimiser and counters.

    public var checkpointTensors: [String: Tensor] {
        ["theta": Tensor(shape: [cell.weights.count], values: cell.weights)]
    }

    public var checkpointMetadata: [String: String] {
        get throws {
            ["schedule_state": try jsonString(schedule.state), "meta_adam": try jsonString(metaOptimizer.state),
             "meta_updates": String(metaUpdates), "skipped_meta_updates": String(skippedMetaUpdates),
             "meta_log": try jsonString(metaLog.map { MetaLogRow(step: $0.step, alpha: $0.alpha, validationLoss: $0.validationLoss, s: $0.s) })]
        }
    }

    public func restore(tensors: [String: Tensor], metadata: [String: String]) throws {
        guard let theta = tensors["theta"], theta.count == cell.weights.count else {
            throw TrainingError.incompatibleCheckpoint("MLR-SNet θ missing or of another size")
        }
        try schedule.cell.setWeights(theta.scalars)
        let state: ScheduleState = try decodeJSON(metadata["schedule_state"] ?? "")
        try schedule.restore(state)
        metaOptimizer = try MetaAdam(state: decodeJSON(metadata["meta_adam"] ?? ""))
        metaUpdates = Int(metadata["meta_updates"] ?? "") ?? 0
        skippedMetaUpdates = Int(metadata["skipped_meta_updates"] ?? "") ?? 0
        if let text = metadata["meta_log"] {
            let rows: [MetaLogRow] = try decodeJSON(text)
            metaLog = rows.map { ($0.step, $0.alpha, $0.validationLoss, $0.s) }
        } else {
            metaLog = []
        }
    }
}

/// One `metaLog` row as checkpointed (so `meta.csv` of a resumed run equals an uninterrupted run's).
private struct MetaLogRow: Codable {
    var step: Int
    var alpha: Float
    var validationLoss: Float
    var s: Double
}
