import Datasets
import NN
import Tensor

/// Image classification: shuffled mini-batches (order a function of seed and epoch), optional crop/flip/
/// normalise augmentation (random draws a function of seed, epoch and batch), softmax cross-entropy.
public final class ImageClassificationTask: TrainingTask {
    public let model: any Layer
    public let train: LabeledImages
    public let validation: LabeledImages?
    public let test: LabeledImages?
    public let schedule: BatchSchedule
    public let augmentation: Augmentation
    /// Normalisation applied at evaluation (the augmentation's, without crop or flip).
    public let evaluationBatchSize: Int
    private let loss = SoftmaxCrossEntropy()
    private var orderCache: (epoch: Int, order: [Int])?

    public init(model: any Layer, train: LabeledImages, validation: LabeledImages?, test: LabeledImages?,
                batchSize: Int, seed: UInt64, augmentation: Augmentation = Augmentation(), evaluationBatchSize: Int = 500) {
        precondition(batchSize > 0, "ImageClassificationTask: batch size must be positive, got \(batchSize)")
        precondition(train.count > 0, "ImageClassificationTask: the training set is empty")
        self.model = model
        self.train = train
        self.validation = validation
        self.test = test
        self.schedule = BatchSchedule(count: train.count, batchSize: batchSize, shuffle: true, dropLast: false, seed: seed)
        self.augmentation = augmentation
        self.evaluationBatchSize = evaluationBatchSize
    }

    public var batchesPerEpoch: Int { schedule.batchesPerEpoch }

    /// The (augmented) images and labels of training batch `batch` of `epoch`.
    public func batch(epoch: Int, batch: Int) -> (images: Tensor, labels: [Int]) {
        if orderCache?.epoch != epoch { orderCache = (epoch, schedule.order(epoch: epoch)) }
        let indices = Array(schedule.indices(batch: batch, in: orderCache!.order))
        var images = train.gathering(indices).images
        var rng = BatchSchedule.generator(seed: schedule.seed, epoch: epoch, batch: batch, stream: 1)
        images = augmentation.apply(images, using: &rng)
        return (images, indices.map { Int(train.labels[$0]) })
    }

    public func trainStep(epoch: Int, batch b: Int) -> Float {
        let (x, y) = batch(epoch: epoch, batch: b)
        model.isTraining = true
        let logits = model.forward(x)
        let (l, dLogits) = loss(logits: logits, labels: y)
        _ = model.backward(dLogits)
        return l
    }

    public func evaluate(_ split: EvaluationSplit) -> EvaluationMetrics? {
        guard let data = split == .validation ? validation : test, data.count > 0 else { return nil }
        return evaluate(on: data)
    }

    /// Mean loss and accuracy over `data` in evaluation mode (batches in order, normalisation only).
    public func evaluate(on data: LabeledImages) -> EvaluationMetrics {
        model.isTraining = false
        defer { model.isTraining = true }
        var totalLoss = 0.0, correct = 0
        var start = 0
        while start < data.count {
            let end = min(start + evaluationBatchSize, data.count)
            let idx = Array(start..<end)
            var x = data.gathering(idx).images
            if let n = augmentation.normalization { n.apply(to: &x) }
            let r = loss.evaluate(logits: model.forward(x), labels: idx.map { Int(data.labels[$0]) }, computeGradient: false)
            totalLoss += Double(r.loss) * Double(idx.count)
            correct += r.correct
            start = end
        }
        return EvaluationMetrics(loss: totalLoss / Double(data.count), accuracy: Double(correct) / Double(data.count), count: data.count)
    }
}
