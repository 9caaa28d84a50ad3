import Datasets
import LearnedSchedule
import MetaLearning
import NN
import Optim
import Schedules
import Tensor
import Testing
import TestSupport
import Training

/// The meta-gradient against a central finite difference of θ ↦ L_val(w − γ·A(L; θ)·d) on a small real model
/// (same training and validation batches, same BatchNorm mode), for SGD, SGD-momentum and Adam directions.
///
/// Tolerance: |fd − analytic| ≤ 1e-4 + 2e-2·max(|fd|, |analytic|). With ε = 1e-3 on θ, α moves by ~1e-4, so
/// L_val moves by ~1e-4·|s|; Float32 rounding of L_val (~1e-7·L) over 2ε gives ~1e-4 absolute noise, and the
/// O(ε²) truncation is far smaller. A wrong sign, a missing γ or a wrong direction changes the result by O(1).
@Suite(.serialized) struct MetaGradient {
    enum Base: String, CaseIterable { case sgd, momentum, adam }

    static func setup(model kind: String, base: Base) throws -> (ImageClassificationTask, any Optimizer, MLRSNetMetaUpdate, [Parameter]) {
        var rng = RandomGenerator(seed: 21)
        let model: any Layer = kind == "resnet"
            ? CifarResNet(widths: [4, 8], blocksPerStage: [1, 1], classes: 4, inputChannels: 1, rng: &rng)
            : SmallCNN(classes: 4, inputSize: 8, rng: &rng)
        let all = quadrantImages(count: 64, seed: 5)
        let split = all.splittingValidation(.perClass(4), seed: 3)
        let task = ImageClassificationTask(model: model, train: split.train, validation: split.validation, test: nil,
                                           batchSize: 16, seed: 9)
        let optimizer: any Optimizer = switch base {
        case .sgd: SGD(weightDecay: 5e-4)
        case .momentum: SGD(momentum: 0.9, weightDecay: 5e-4)
        case .adam: Adam()
        }
        let params = model.parameters
        // A few ordinary steps first, so momentum buffers / Adam moments are non-trivial.
        for b in 0..<3 {
            for p in params { p.zeroGrad() }
            _ = task.trainStep(epoch: 0, batch: b)
            optimizer.step(params, learningRate: base == .adam ? 1e-3 : 0.05)
        }
        let config = try MLRSNetConfiguration(architecture: .referenceMetaTest, hiddenSize: 8)
        var cell = try MLRSNetCell(configuration: config, seed: 4)
        for l in [1.4, 1.3] as [Float] { _ = cell.step(loss: l) }   // a non-zero carried state
        let schedule = try LearnedLRSchedule(cell: cell, gamma: .fixed(base == .adam ? 0.01 : 0.2), resetState: false)
        let meta = MLRSNetMetaUpdate(schedule: schedule, task: task, metaInterval: 1)
        return (task, optimizer, meta, params)
    }

    @Test(arguments: ["smallcnn", "resnet"], Base.allCases)
    func matchesFiniteDifferences(model: String, base: Base) throws {
        let (task, optimizer, meta, params) = try Self.setup(model: model, base: base)
        for p in params { p.zeroGrad() }
        let loss = task.trainStep(epoch: 1, batch: 0)
        let d = optimizer.direction(params)
        let signal = TrainingSignal(step: 10, epoch: 0, stepsPerEpoch: 3, trainingLoss: loss, validationLoss: nil)
        let valuesBefore = params.map(\.value), gradsBefore = params.map(\.grad)
        let buffersBefore = task.model.buffers.map(\.value)
        guard let h = meta.hypergradient(parameters: params, signal: signal, direction: d) else {
            Issue.record("no hypergradient"); return
        }
        // The real model is untouched by the virtual step: weights, gradients, BatchNorm running statistics.
        #expect(params.map(\.value) == valuesBefore)
        #expect(params.map(\.grad) == gradsBefore)
        #expect(task.model.buffers.map(\.value) == buffersBefore)
        #expect(h.s.isFinite && h.s != 0)
        let analytic = meta.cell.gradients
        let theta = meta.cell.weights
        let gamma: Float = base == .adam ? 0.01 : 0.2

        // L_val(w − γ·A(L; θ')·d) for a perturbed θ', with the same cell state and the same validation batch.
        func validationLoss(_ thetaPrime: [Float]) -> Double {
            var cell = meta.cell
            try! cell.setWeights(thetaPrime)
            let alpha = gamma * cell.forward(loss: loss)
            let saved = params.map(\.value)
            for (p, di) in zip(params, d) { p.value.addScaled(di, -alpha) }
            let l = task.validationStep(index: 0)
            for (i, p) in params.enumerated() { p.value = saved[i]; p.zeroGrad() }
            return Double(l)
        }
        let eps: Float = 1e-3
        var rng = RandomGenerator(seed: 1)
        var checked = 0, bad: [String] = []
        for j in rng.permutation(theta.count).prefix(40) {
            var tp = theta, tm = theta
            tp[j] += eps; tm[j] -= eps
            let fd = Float((validationLoss(tp) - validationLoss(tm)) / Double(2 * eps))
            checked += 1
            if !(abs(fd - analytic[j]) <= 1e-4 + 2e-2 * max(abs(fd), abs(analytic[j]))) {
                bad.append("θ[\(j)]: fd \(fd) vs analytic \(analytic[j])")
            }
        }
        #expect(bad.isEmpty, "\(bad.count)/\(checked): \(bad.prefix(5))")
        #expect(analytic.contains { abs($0) > 1e-3 }, "the hypergradient should not vanish")
    }

    @Test func stateAdvancesOncePerStepAndThetaMoves() throws {
        let (task, optimizer, meta, params) = try Self.setup(model: "smallcnn", base: .momentum)
        let theta0 = meta.cell.weights
        let steps0 = meta.cell.stepsAdvanced
        for b in 0..<4 {
            for p in params { p.zeroGrad() }
            let l = task.trainStep(epoch: 1 + b / 3, batch: b % 3)
            _ = try meta.update(parameters: params, optimizer: optimizer,
                                signal: TrainingSignal(step: b, epoch: 1, stepsPerEpoch: 4, trainingLoss: l, validationLoss: nil))
        }
        #expect(meta.cell.stepsAdvanced == steps0 + 4)
        #expect(meta.metaUpdates == 4)
        #expect(meta.cell.weights != theta0)
    }
}
