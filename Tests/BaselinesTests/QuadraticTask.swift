import NN
import Tensor
import Training

/// Holds one weight vector; forward is unused (the quadratic task computes its loss from the weights directly).
final class WeightVector: Layer {
    let w: Parameter
    init(_ values: [Float]) { w = Parameter(Tensor(shape: [values.count], values: values), name: "w") }
    func forward(_ x: Tensor) -> Tensor { x }
    func backward(_ dy: Tensor) -> Tensor { dy }
    var parameters: [Parameter] { [w] }
    var isTraining = true
}

/// A deterministic quadratic problem with known gradients and Hessian:
/// training batch b: L_b(w) = ½ wᵀAw − bᵀw with b = `linear[batch % count]` (∇ = Aw − b, H = A);
/// validation: L_val(w) = ½ Σ a_i (w_i − c_i)² with a = `validationCurvature`.
final class QuadraticTask: MetaValidationSource {
    let weights: WeightVector
    let A: [[Double]]
    let linear: [[Double]]
    let validationCurvature: [Double]
    let validationCenter: [Double]
    let batchesPerEpoch: Int
    /// A constant added to the training loss (e.g. to make its minimum 0).
    var offset = 0.0
    var model: any Layer { weights }
    var validationBatchCount: Int { 1 }

    init(A: [[Double]], linear: [[Double]], w0: [Float], batchesPerEpoch: Int = 4,
         validationCurvature: [Double]? = nil, validationCenter: [Double]? = nil) {
        self.A = A; self.linear = linear; self.batchesPerEpoch = batchesPerEpoch
        weights = WeightVector(w0)
        self.validationCurvature = validationCurvature ?? A.indices.map { A[$0][$0] }
        self.validationCenter = validationCenter ?? Array(repeating: 0, count: w0.count)
    }

    /// Diagonal A.
    convenience init(diagonal a: [Double], linear: [[Double]], w0: [Float], batchesPerEpoch: Int = 4,
                     validationCurvature: [Double]? = nil, validationCenter: [Double]? = nil) {
        let A = a.indices.map { i in a.indices.map { j in i == j ? a[i] : 0 } }
        self.init(A: A, linear: linear, w0: w0, batchesPerEpoch: batchesPerEpoch,
                  validationCurvature: validationCurvature, validationCenter: validationCenter)
    }

    func trainStep(epoch: Int, batch: Int) -> Float {
        let w = weights.w.value.scalars.map(Double.init)
        let b = linear[batch % linear.count]
        var loss = offset
        var g = [Float](repeating: 0, count: w.count)
        for i in w.indices {
            var aw = 0.0
            for j in w.indices { aw += A[i][j] * w[j] }
            loss += 0.5 * w[i] * aw - b[i] * w[i]
            g[i] = Float(aw - b[i])
        }
        weights.w.grad.addScaled(Tensor(shape: [w.count], values: g))
        return Float(loss)
    }

    func validationStep(index: Int) -> Float {
        let w = weights.w.value.scalars.map(Double.init)
        var loss = 0.0
        var g = [Float](repeating: 0, count: w.count)
        for i in w.indices {
            let e = w[i] - validationCenter[i]
            loss += 0.5 * validationCurvature[i] * e * e
            g[i] = Float(validationCurvature[i] * e)
        }
        weights.w.grad.addScaled(Tensor(shape: [w.count], values: g))
        return Float(loss)
    }

    func evaluate(_ split: EvaluationSplit) -> EvaluationMetrics? {
        let saved = weights.w.grad
        defer { weights.w.grad = saved }
        return EvaluationMetrics(loss: Double(validationStep(index: 0)), accuracy: nil, count: 1)
    }
}

/// Runs `steps` trainer-style steps (zero gradients, training gradient, updater) and returns the LRs.
func runSteps(_ task: QuadraticTask, _ updater: any StepUpdater, _ optimizer: any Optimizer, steps: Int, clip: Float? = nil) throws -> [Float] {
    var lrs: [Float] = []
    for t in 0..<steps {
        let p = task.weights.parameters
        for q in p { q.zeroGrad() }
        let loss = task.trainStep(epoch: t / task.batchesPerEpoch, batch: t % task.batchesPerEpoch)
        if let clip { _ = clipGradientNorm(p, maxNorm: clip) }
        let signal = TrainingSignal(step: t, stepsPerEpoch: task.batchesPerEpoch, trainingLoss: loss)
        lrs.append(try updater.update(parameters: p, optimizer: optimizer, signal: signal))
    }
    return lrs
}

import Optim
import Schedules
