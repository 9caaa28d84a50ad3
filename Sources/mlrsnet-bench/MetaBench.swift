import ArgumentParser
import Foundation
import LearnedSchedule
import MetaLearning
import NN
import Optim
import Schedules
import Tensor
import Training

/// `mlrsnet-bench meta`: what MLR-SNet costs (issue targets: one meta-iteration ≤ 2.1× a plain step — PyTorch
/// here: 2.0×; meta-training at the default update frequency ≤ 1.15× plain training; meta-test overhead ≤ 1% of
/// a step), on fixed random batches like `../shared/bench/pytorch/bench_meta.py`.
struct MetaBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meta",
        abstract: "MLR-SNet cost: meta-iteration vs plain step, amortised meta-training overhead, meta-test LR query.")

    @Option(help: "Models: smallcnn, resnet20.") var models = "smallcnn,resnet20"
    @Option(help: "Timed repetitions.") var reps = 7
    @Option(help: "Steps per epoch used for the default update frequency (twice per epoch); CIFAR-10 b128: 391.")
    var stepsPerEpoch = 391

    func run() throws {
        lineBufferStdout()
        print("threads \(WorkerPool.shared.threadCount), GEMM kernel \(gemmKernelName); median of \(reps) after warm-up")
        print("model            plain ms  +LR query ms  meta-iter ms  meta/plain  amortised (every \(stepsPerEpoch / 2))  LR query µs  query/step")
        for name in models.split(separator: ",").map(String.init) {
            let w = try MetaWorkload(name)
            let plain = timeMedian(warmup: 3, reps: reps) { w.plainStep() }.median_s
            let learned = timeMedian(warmup: 3, reps: reps) { w.learnedStep() }.median_s
            let meta = timeMedian(warmup: 2, reps: reps) { w.metaStep() }.median_s
            // The LR query alone: one learned-schedule call per step (meta-test), many calls for a stable median.
            let query = timeMedian(warmup: 200, reps: 15) { for _ in 0..<1000 { w.queryLR() } }.median_s / 1000
            let k = Double(max(1, stepsPerEpoch / 2))
            let amortised = (meta + (k - 1) * learned) / k
            print(String(format: "%-15@ %9.2f %13.2f %13.2f %11.2fx %14.3fx %25.2f %10.4f%%",
                         name, plain * 1e3, learned * 1e3, meta * 1e3, meta / plain, amortised / plain,
                         query * 1e6, 100 * query / plain))
        }
        print("PyTorch on this machine (../shared/bench/pytorch/results_meta.json): ResNet-20 meta/plain 2.00x, amortised every 195 steps ≈ 0.99x")
    }
}

/// A model, a fixed training batch and a fixed validation batch, with a plain SGD-momentum step, a step whose
/// LR comes from a learned schedule (meta-test), and a full meta-iteration (meta-train, update every step).
final class MetaWorkload: MetaValidationSource {
    let model: any Layer
    let params: [Parameter]
    let x: Tensor, y: [Int], xv: Tensor, yv: [Int]
    let loss = SoftmaxCrossEntropy()
    let plainSGD = SGD(momentum: 0.9, weightDecay: 5e-4)
    let learnedSGD = SGD(momentum: 0.9, weightDecay: 5e-4)
    let metaSGD = SGD(momentum: 0.9, weightDecay: 5e-4)
    var schedule: LearnedLRSchedule
    var meta: MLRSNetMetaUpdate!
    var step = 0

    init(_ name: String) throws {
        var rng = RandomGenerator(seed: 0)
        let shape: [Int]
        switch name {
        case "smallcnn": model = SmallCNN(rng: &rng); shape = [128, 1, 28, 28]
        case "resnet20": model = CifarResNet.resnet(depth: 20, rng: &rng); shape = [128, 3, 32, 32]
        default: throw ValidationError("unknown model \(name) (smallcnn, resnet20)")
        }
        params = model.parameters
        x = Tensor.normal(shape, using: &rng); y = (0..<128).map { _ in rng.nextInt(below: 10) }
        xv = Tensor.normal(shape, using: &rng); yv = (0..<128).map { _ in rng.nextInt(below: 10) }
        let config = try MLRSNetConfiguration(architecture: .referenceMetaTest, hiddenSize: 40)
        let cell = try MLRSNetCell(configuration: config, seed: 1, outputBias: .firstLearningRate(0.01, gamma: 1, firstInput: 2.3))
        schedule = try LearnedLRSchedule(cell: cell, gamma: .fixed(1))
        meta = MLRSNetMetaUpdate(schedule: try LearnedLRSchedule(cell: cell, gamma: .fixed(1)), task: self, metaInterval: 1)
    }

    func forwardBackward() -> Float {
        for p in params { p.zeroGrad() }
        let (l, g) = loss(logits: model.forward(x), labels: y)
        _ = model.backward(g)
        return l
    }

    func plainStep() { _ = forwardBackward(); plainSGD.step(params, learningRate: 0.01) }

    func signal(_ l: Float) -> TrainingSignal {
        step += 1
        return TrainingSignal(step: step, epoch: 0, stepsPerEpoch: 391, trainingLoss: l, validationLoss: nil)
    }

    func learnedStep() {
        let l = forwardBackward()
        learnedSGD.step(params, learningRate: min(schedule.learningRate(for: signal(l)), 0.01))
    }

    func metaStep() {
        let l = forwardBackward()
        _ = try? meta.update(parameters: params, optimizer: metaSGD, signal: signal(l))
    }

    func queryLR() { _ = schedule.learningRate(for: signal(2.0)) }

    // MetaValidationSource: the fixed validation batch, BatchNorm running statistics frozen.
    var batchesPerEpoch: Int { 1 }
    func trainStep(epoch: Int, batch: Int) -> Float { forwardBackward() }
    func evaluate(_ split: EvaluationSplit) -> EvaluationMetrics? { nil }
    var validationBatchCount: Int { 1 }
    func validationStep(index: Int) -> Float {
        model.withFrozenRunningStatistics {
            let (l, g) = loss(logits: model.forward(xv), labels: yv)
            _ = model.backward(g)
            return l
        }
    }
}
