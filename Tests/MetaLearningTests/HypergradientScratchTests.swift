import LearnedSchedule
import MetaLearning
import NN
import Optim
import Schedules
import Tensor
import Testing
import Training

/// `hypergradient` keeps scratch tensors for the virtual step (ŵ and the validation gradient) between calls and
/// swaps them with the parameters' own instead of copying, and spreads the per-tensor dots over the worker pool.
/// These tests pin it to the plain formulation (copy w and g aside, w ← w − α·d, zero g, validation batch,
/// s = −Σ⟨∇L_val, d⟩ tensor by tensor in order, put w and g back) bit for bit, on the first call and on repeated
/// calls that reuse the scratch (a stale validation gradient or ŵ would show).
@Suite(.serialized) struct HypergradientScratch {
    /// The plain copy-based virtual step and its (α, L_val, s), at the schedule's previewed α.
    static func reference(task: ImageClassificationTask, params: [Parameter], meta: MLRSNetMetaUpdate,
                          signal: TrainingSignal, d: [Tensor]) -> (alpha: Float, loss: Float, s: Double) {
        var schedule = meta.schedule
        let alpha = schedule.preview(for: signal)!.learningRate
        let values = params.map(\.value), grads = params.map(\.grad)
        for (p, di) in zip(params, d) {
            p.value.addScaled(di, -alpha)
            p.zeroGrad()
        }
        let loss = task.validationStep(index: 0)
        var dot = 0.0
        for (p, di) in zip(params, d) { dot += Double(Float(p.grad.dotInLanes(di))) }
        for (i, p) in params.enumerated() { p.value = values[i]; p.grad = grads[i] }
        return (alpha, loss, -dot)
    }

    @Test(arguments: ["smallcnn", "resnet"])
    func equalsTheCopyingVirtualStepOnEveryCall(model: String) throws {
        let (task, optimizer, meta, params) = try MetaGradient.setup(model: model, base: .momentum)
        for p in params { p.zeroGrad() }
        let loss = task.trainStep(epoch: 1, batch: 0)
        let d = optimizer.direction(params)
        let signal = TrainingSignal(step: 10, epoch: 0, stepsPerEpoch: 3, trainingLoss: loss, validationLoss: nil)
        let valuesBefore = params.map(\.value), gradsBefore = params.map(\.grad)
        let ref = Self.reference(task: task, params: params, meta: meta, signal: signal, d: d)
        #expect(params.map(\.value) == valuesBefore && params.map(\.grad) == gradsBefore)

        var cellGradients: [[Float]] = []
        for call in 0..<3 {
            guard let h = meta.hypergradient(parameters: params, signal: signal, direction: d) else {
                Issue.record("no hypergradient"); return
            }
            #expect(h.alpha.bitPattern == ref.alpha.bitPattern, "call \(call)")
            #expect(h.validationLoss.bitPattern == ref.loss.bitPattern, "call \(call): \(h.validationLoss) vs \(ref.loss)")
            #expect(h.s.bitPattern == ref.s.bitPattern, "call \(call): s \(h.s) vs \(ref.s)")
            #expect(params.map(\.value) == valuesBefore, "call \(call): weights restored")
            #expect(params.map(\.grad) == gradsBefore, "call \(call): training gradients restored")
            cellGradients.append(meta.cell.gradients)
        }
        #expect(cellGradients.allSatisfy { $0 == cellGradients[0] })
    }

    /// A parameter listed twice moves twice (as with the copying step) and still gets its own w and g back.
    @Test func aParameterListedTwiceIsRestored() throws {
        let (task, optimizer, meta, params) = try MetaGradient.setup(model: "smallcnn", base: .sgd)
        for p in params { p.zeroGrad() }
        let loss = task.trainStep(epoch: 1, batch: 0)
        let twice = params + [params[0]]
        let d = optimizer.direction(twice)
        let signal = TrainingSignal(step: 10, epoch: 0, stepsPerEpoch: 3, trainingLoss: loss, validationLoss: nil)
        let valuesBefore = params.map(\.value), gradsBefore = params.map(\.grad)
        let ref = Self.reference(task: task, params: twice, meta: meta, signal: signal, d: d)
        let h = try #require(meta.hypergradient(parameters: twice, signal: signal, direction: d))
        #expect(h.s.bitPattern == ref.s.bitPattern && h.validationLoss.bitPattern == ref.loss.bitPattern)
        #expect(params.map(\.value) == valuesBefore)
        #expect(params.map(\.grad) == gradsBefore)
    }
}
