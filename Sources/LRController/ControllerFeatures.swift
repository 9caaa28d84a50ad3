import Datasets
import NN
import Tensor
import Training

/// A task the controller can observe: it evaluates a fixed small validation batch in evaluation mode
/// (no gradients, no running-statistics update) and returns its mean loss and predicted class probabilities.
public protocol ControllerObservable: TrainingTask {
    /// Mean loss and softmax probabilities [n, classes] of the first `size` validation examples (fixed batch).
    func controllerProbe(size: Int) -> (loss: Float, probabilities: Tensor)
    /// Whether there is validation data to probe.
    var hasControllerProbe: Bool { get }
}

extension ImageClassificationTask: ControllerObservable {
    public var hasControllerProbe: Bool { (validation?.count ?? 0) > 0 }

    public func controllerProbe(size: Int) -> (loss: Float, probabilities: Tensor) {
        guard let v = validation, v.count > 0 else { preconditionFailure("controllerProbe: this task has no validation set") }
        let idx = Array(0..<min(size, v.count))
        var x = v.gathering(idx).images
        if let n = augmentation.normalization { n.apply(to: &x) }
        model.isTraining = false
        defer { model.isTraining = true }
        let logits = model.forward(x)
        let r = SoftmaxCrossEntropy().evaluate(logits: logits, labels: idx.map { Int(v.labels[$0]) }, computeGradient: false)
        return (r.loss, softmaxRows(logits))
    }
}

/// Row-wise softmax of [n, c] logits.
func softmaxRows(_ logits: Tensor) -> Tensor {
    let c = logits.shape[logits.rank - 1], n = logits.count / c
    var p = logits.scalars
    for i in 0..<n {
        let row = (i * c)..<((i + 1) * c)
        let m = p[row].max()!
        var s: Float = 0
        for j in row { p[j] = Float(_exp(Double(p[j] - m))); s += p[j] }
        for j in row { p[j] /= s }
    }
    return Tensor(shape: logits.shape, values: p)
}

/// The raw (unnormalised) observation of Xu et al., in `LRControllerConfiguration.featureNames` order:
/// mean training loss over the last window, probe validation loss, variance of the probe's predicted
/// probabilities (over all n·c entries), variance of their change since the previous decision (0 at the first),
/// mean and variance of the output layer's weight (the model's last rank-2 parameter), and ln(LR).
public enum ControllerFeatures {
    public static func compute(trainLoss: Double, probeLoss: Double, probabilities: Tensor, previous: Tensor?,
                               outputWeight: Tensor, learningRate: Double) -> [Double] {
        let p = probabilities.scalars
        let change: [Float]
        if let q = previous, q.shape == probabilities.shape {
            let qs = q.scalars
            change = zip(p, qs).map { $0 - $1 }
        } else {
            change = [0]
        }
        let (wm, wv) = meanVariance(outputWeight.scalars)
        return [trainLoss, probeLoss, meanVariance(p).variance, meanVariance(change).variance, wm, wv, _log(learningRate)]
    }

    /// Mean and population variance, in Double.
    public static func meanVariance(_ x: [Float]) -> (mean: Double, variance: Double) {
        guard !x.isEmpty else { return (0, 0) }
        let m = x.reduce(0.0) { $0 + Double($1) } / Double(x.count)
        let v = x.reduce(0.0) { $0 + (Double($1) - m) * (Double($1) - m) } / Double(x.count)
        return (m, v)
    }

    /// The output layer's weight: the model's last parameter of rank 2 (SmallCNN `fc2.weight`, ResNet `fc.weight`).
    public static func outputWeight(of model: any Layer) -> Parameter? {
        model.parameters.last { $0.value.rank == 2 }
    }
}
