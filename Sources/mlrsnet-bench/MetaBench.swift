import ArgumentParser
import Foundation
import LearnedSchedule
import MetaLearning
import NN
import Optim
import Schedules
import Tensor
import Training

/// `mlrsnet-bench meta`: what MLR-SNet costs (issue targets: one meta-iteration ≤ 2.0× a plain step — PyTorch
/// here: 2.00×, `../shared/bench/pytorch/results_meta.json`; meta-test overhead, the learned LR query, ≤ 0.5% of a
/// step), on fixed random batches like `../shared/bench/pytorch/bench_meta.py`.
///
/// The variants are timed round-robin (every repetition times a plain step, a learned-LR step and a
/// meta-iteration once each, as `bench_meta.py` does), so machine noise hits all of them alike; meta/plain is
/// the median of the per-repetition ratios. The breakdown splits each timed call into (a) the training
/// forward/backward, (b) the validation forward/backward at ŵ with the running statistics frozen (timed inside
/// `validationStep`) and (c) the rest (plain: the SGD step; meta: direction, virtual step, saves/restores,
/// zeroGrad, dot, the cell's forward/backward, Adam on θ, the real step), in wall and process-CPU ms.
struct MetaBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meta",
        abstract: "MLR-SNet cost: meta-iteration vs plain step (with a breakdown), amortised meta-training overhead, meta-test LR query.")

    @Option(help: "Models: smallcnn, resnet20.") var models = "smallcnn,resnet20"
    @Option(help: "Timed repetitions.") var reps = 7
    @Option(help: "Steps per epoch used for the default update frequency (twice per epoch); CIFAR-10 b128: 391.")
    var stepsPerEpoch = 391

    func run() throws {
        lineBufferStdout()
        print("threads \(WorkerPool.shared.threadCount), GEMM kernel \(gemmKernelName); median of \(reps) round-robin repetitions after warm-up")
        print("model            plain ms  +LR query ms  meta-iter ms  meta/plain  amortised (every \(stepsPerEpoch / 2))  LR query µs  query/step")
        var breakdowns: [(String, MetaBreakdown)] = []
        var components: [(String, [(String, Double)])] = []
        for name in models.split(separator: ",").map(String.init) {
            let w = try MetaWorkload(name)
            for _ in 0..<3 { _ = w.timedPlainStep(); _ = w.timedLearnedStep() }
            for _ in 0..<2 { _ = w.timedMetaStep() }
            var plain: [PhaseTimes] = [], learned: [PhaseTimes] = [], meta: [PhaseTimes] = []
            for _ in 0..<reps {
                plain.append(w.timedPlainStep())
                learned.append(w.timedLearnedStep())
                meta.append(w.timedMetaStep())
            }
            // The LR query alone: one learned-schedule call per step (meta-test), many calls for a stable median.
            let query = timeMedian(warmup: 200, reps: 15) { for _ in 0..<1000 { w.queryLR() } }.median_s / 1000
            let b = MetaBreakdown(plain: plain, learned: learned, meta: meta)
            let plainS = b.medianOf(\.plain, \.wall.total), learnedS = b.medianOf(\.learned, \.wall.total)
            let metaS = b.medianOf(\.meta, \.wall.total)
            let k = Double(max(1, stepsPerEpoch / 2))
            let amortised = (metaS + (k - 1) * learnedS) / k
            print(String(format: "%-15@ %9.2f %13.2f %13.2f %11.2fx %14.3fx %25.2f %10.4f%%",
                         name, plainS * 1e3, learnedS * 1e3, metaS * 1e3, b.metaRatio(\.wall), amortised / plainS,
                         query * 1e6, 100 * query / plainS))
            breakdowns.append((name, b))
            components.append((name, w.componentTimes(reps: reps)))
        }
        print("PyTorch on this machine (../shared/bench/pytorch/results_meta.json): ResNet-20 meta/plain 2.00x, amortised every 195 steps ≈ 0.99x")
        print("Breakdown (median ms per call; (a) training fwd/bwd, (b) validation fwd/bwd at ŵ, BN statistics frozen, (c) everything else):")
        print("model           clock   plain (a)  plain (c)  meta (a)  meta (b)  meta (c)  (b)/(a)  (b)/(a) per rep  meta (c)-plain (c)  excess over 2×plain  meta/plain")
        for (name, b) in breakdowns {
            for (clock, kp) in [("wall", \PhaseTimes.wall), ("cpu", \PhaseTimes.cpu)] {
                let pa = b.medianOf(\.plain, kp.appending(path: \.train)), pc = b.medianOf(\.plain, kp.appending(path: \.rest))
                let ma = b.medianOf(\.meta, kp.appending(path: \.train)), mb = b.medianOf(\.meta, kp.appending(path: \.validation))
                let mc = b.medianOf(\.meta, kp.appending(path: \.rest))
                let excess = b.medianOf(\.meta, kp.appending(path: \.total)) - 2 * b.medianOf(\.plain, kp.appending(path: \.total))
                print(String(format: "%-15@ %-5@ %10.2f %10.3f %9.2f %9.2f %9.3f %8.3f %15.3f %19.3f %20.2f %10.3fx",
                             name, clock, pa * 1e3, pc * 1e3, ma * 1e3, mb * 1e3, mc * 1e3, mb / ma,
                             median(b.meta.map { $0[keyPath: kp].validation / $0[keyPath: kp].train }), (mc - pc) * 1e3,
                             excess * 1e3, b.metaRatio(kp)))
            }
        }
        print("Part (c)'s operations timed alone (median CPU ms):")
        for (name, parts) in components {
            print(String(format: "%-15@ ", name) + parts.map { String(format: "%@ %.3f", $0.0, $0.1 * 1e3) }.joined(separator: ", "))
        }
    }
}

/// Keeps `x` alive so the optimiser cannot drop the computation that produced it.
@inline(never)
func blackHole<T>(_ x: T) { _ = x }

/// Seconds spent in the parts of one timed call (training forward/backward, validation forward/backward, the rest).
struct Phases {
    var train = 0.0, validation = 0.0, rest = 0.0
    var total: Double { train + validation + rest }
}

/// One timed call on both clocks.
struct PhaseTimes {
    var wall = Phases(), cpu = Phases()
}

/// The round-robin samples of one model.
struct MetaBreakdown {
    var plain: [PhaseTimes], learned: [PhaseTimes], meta: [PhaseTimes]

    func medianOf(_ variant: KeyPath<MetaBreakdown, [PhaseTimes]>, _ part: KeyPath<PhaseTimes, Double>) -> Double {
        median(self[keyPath: variant].map { $0[keyPath: part] })
    }

    /// Median over repetitions of meta-iteration ÷ plain step (both from the same repetition).
    func metaRatio(_ clock: KeyPath<PhaseTimes, Phases>) -> Double {
        median(zip(meta, plain).map { $0[keyPath: clock].total / $1[keyPath: clock].total })
    }
}

/// Wall and process-CPU clocks read together.
private struct Stamp {
    let wall: Double, cpu: Double
    static var now: Stamp { Stamp(wall: monotonicSeconds(), cpu: processCPUSeconds()) }
    static func - (a: Stamp, b: Stamp) -> (wall: Double, cpu: Double) { (a.wall - b.wall, a.cpu - b.cpu) }
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

    /// Time spent inside `validationStep` since the last `timed(_:)` began (the meta-iteration's part (b)).
    private var validationTime = (wall: 0.0, cpu: 0.0)

    /// Times `forwardBackward` (part (a)) and then `rest(loss)`, splitting off the time spent in `validationStep`.
    private func timed(_ rest: (Float) -> Void) -> PhaseTimes {
        validationTime = (0, 0)
        let t0 = Stamp.now
        let l = forwardBackward()
        let t1 = Stamp.now
        rest(l)
        let t2 = Stamp.now
        let a = t1 - t0, r = t2 - t1
        return PhaseTimes(wall: Phases(train: a.wall, validation: validationTime.wall, rest: r.wall - validationTime.wall),
                          cpu: Phases(train: a.cpu, validation: validationTime.cpu, rest: r.cpu - validationTime.cpu))
    }

    /// `plainStep`, timed in parts.
    func timedPlainStep() -> PhaseTimes { timed { _ in plainSGD.step(params, learningRate: 0.01) } }

    /// `learnedStep`, timed in parts.
    func timedLearnedStep() -> PhaseTimes {
        timed { l in learnedSGD.step(params, learningRate: min(schedule.learningRate(for: signal(l)), 0.01)) }
    }

    /// `metaStep`, timed in parts.
    func timedMetaStep() -> PhaseTimes {
        timed { l in _ = try? meta.update(parameters: params, optimizer: metaSGD, signal: signal(l)) }
    }

    /// Part (c)'s operations, each timed alone on this model's parameters and current gradients (median ms,
    /// process CPU): the direction d, the virtual step (ŵ and a zero gradient into scratch, swapped in and back),
    /// the hypergradient's dot ⟨∇L_val, d⟩, `apply(direction:)` and, for comparison, a plain `step` (both at lr 0
    /// on an optimiser of their own, so the model is unchanged), and the LR query (cell forward).
    func componentTimes(reps: Int) -> [(String, Double)] {
        let sgd = SGD(momentum: 0.9, weightDecay: 5e-4)
        sgd.step(params, learningRate: 0)   // creates its momentum buffers
        var d: [Tensor] = []
        var values = params.map { Tensor(uninitializedShape: $0.value.shape) }
        var grads = params.map { Tensor(uninitializedShape: $0.grad.shape) }
        func cpuMedian(_ body: () -> Void) -> Double {
            for _ in 0..<2 { body() }
            return median((0..<reps).map { _ in let t0 = processCPUSeconds(); body(); return processCPUSeconds() - t0 })
        }
        return [
            ("direction", cpuMedian { sgd.direction(params, into: &d) }),
            ("virtual step + back", cpuMedian {
                for (i, (p, di)) in zip(params, d).enumerated() {
                    values[i].setScaledSum(p.value, di, -0.01); swap(&p.value, &values[i])
                    grads[i].fill(0); swap(&p.grad, &grads[i])
                }
                for (i, p) in params.enumerated().reversed() { swap(&p.value, &values[i]); swap(&p.grad, &grads[i]) }
            }),
            ("dot (serial, before)", cpuMedian {
                var dot = 0.0
                for (p, di) in zip(params, d) { dot += Double(p.grad.dot(di)) }
                blackHole(dot)
            }),
            ("dot (lanes)", cpuMedian {
                var dot = 0.0
                for (p, di) in zip(params, d) { dot += Double(Float(p.grad.dotInLanes(di))) }
                blackHole(dot)
            }),
            ("apply(direction:)", cpuMedian { sgd.apply(direction: d, to: params, learningRate: 0) }),
            ("plain step", cpuMedian { sgd.step(params, learningRate: 0) }),
            ("LR query", cpuMedian { queryLR() }),
        ]
    }

    // MetaValidationSource: the fixed validation batch, BatchNorm running statistics frozen.
    var batchesPerEpoch: Int { 1 }
    func trainStep(epoch: Int, batch: Int) -> Float { forwardBackward() }
    func evaluate(_ split: EvaluationSplit) -> EvaluationMetrics? { nil }
    var validationBatchCount: Int { 1 }
    func validationStep(index: Int) -> Float {
        let t0 = Stamp.now
        defer { let d = Stamp.now - t0; validationTime.wall += d.wall; validationTime.cpu += d.cpu }
        return model.withFrozenRunningStatistics {
            let (l, g) = loss(logits: model.forward(xv), labels: yv)
            _ = model.backward(g)
            return l
        }
    }
}
