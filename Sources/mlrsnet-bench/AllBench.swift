import ArgumentParser
import Foundation
import NN
import Optim
import Tensor

/// `mlrsnet-bench all`: every ratio the performance issue asks for, from one run — training step,
/// inference (forward) and peak memory vs PyTorch for every model (`step`), GEMM vs numpy and % of
/// the FMA peak (`gemm`), MLR-SNet meta-iteration and meta-test overhead (`meta`), and how our step
/// time scales with batch size and width against the FLOPs (`scaling`). Sized to finish in about
/// ten minutes on a quiet 2-core machine; the load average is printed before and after every part.
struct AllBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all",
        abstract: "Every benchmark in one run: step/inference/memory vs PyTorch, GEMM vs numpy, meta, scaling.")

    @Option(help: "Seconds each step measurement may wait for a quiet machine (as `step --quiet-wait`).")
    var quietWait: Double = 20

    @Option(help: "Re-measurements when disturbed (as `step --retries`).")
    var retries: Int = 1

    @Flag(help: "Skip PyTorch and numpy (our numbers only).")
    var noPytorch = false

    @Option(help: "Write the step results to this JSON file.")
    var json: String?

    func run() throws {
        lineBufferStdout()
        let start = monotonicSeconds()
        func part(_ title: String, _ body: () throws -> Void) rethrows {
            print("\n=== \(title) — load average \(GEMMBench.loadAverage()) ===")
            let t0 = monotonicSeconds()
            try body()
            print(String(format: "(%@: %.0f s; load average %@)", title, monotonicSeconds() - t0, GEMMBench.loadAverage()))
        }
        try part("training step, inference and peak memory vs PyTorch") {
            var args = ["--quiet-wait", String(quietWait), "--retries", String(retries)]
            if noPytorch { args.append("--no-pytorch") }
            if let json { args += ["--json", json] }
            var s = try StepBench.parse(args)
            try s.validate()
            try s.run()
        }
        try part("GEMM vs numpy (OpenBLAS), % of FMA peak") {
            var g = try GEMMBench.parse(["--threads", "2", "--rounds", "1", "--reps", "5"])
            try g.validate()
            try g.run()
        }
        try part("MLR-SNet meta-iteration and meta-test overhead") {
            var m = try MetaBench.parse(["--models", "resnet20", "--reps", "5"])
            try m.validate()
            try m.run()
        }
        try part("scaling: batch 32 → 256 and width × 2 (ResNet-20, ours)") {
            var s = try ScalingBench.parse([])
            try s.validate()
            try s.run()
        }
        print(String(format: "\nall: %.0f s in total", monotonicSeconds() - start))
    }
}

/// `mlrsnet-bench scaling`: our ResNet step time as the batch doubles (32 → 256) and as the width
/// doubles, beside the FLOPs (conv + linear multiply-adds of the forward, counted from the
/// architecture; a training step costs about 3× that). Time should grow no faster than the FLOPs:
/// the "time/FLOP" column is relative to the first row of each series (1.00 = perfect scaling,
/// < 1 = the bigger problem uses the cores better).
struct ScalingBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scaling", abstract: "Step time vs FLOPs as batch size and width double (ResNet-20, ours).")

    @Option(help: "Timed steps per point.") var reps = 4
    @Option(help: "Batch sizes for the batch series.") var batches = "32,64,128,256"

    func run() throws {
        lineBufferStdout()
        let batchList = batches.split(separator: ",").compactMap { Int($0) }
        guard !batchList.isEmpty, batchList.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--batches: expected positive integers, got '\(batches)'")
        }
        print("threads \(WorkerPool.shared.threadCount); median of \(reps) steps after 1 warm-up; load average \(GEMMBench.loadAverage())")
        print("series      point                   ms/step   fwd GFLOP  GFLOP/s (3x fwd)  time/FLOP vs first")
        var first: Double?
        for b in batchList {
            first = measure("batch", "ResNet-20 b\(b)", widths: [16, 32, 64], batch: b, first: first)
        }
        first = nil
        for w in [1, 2] {
            first = measure("width", "ResNet-20 x\(w) b128", widths: [16 * w, 32 * w, 64 * w], batch: 128, first: first)
        }
    }

    /// Times one point; returns its seconds per forward GFLOP (the series' reference when `first` is nil).
    private func measure(_ series: String, _ label: String, widths: [Int], batch: Int, first: Double?) -> Double {
        var rng = RandomGenerator(seed: 0)
        let net = CifarResNet(widths: widths, blocksPerStage: [3, 3, 3], rng: &rng)
        let x = Tensor.normal([batch, 3, 32, 32], using: &rng)
        let labels = (0..<batch).map { _ in rng.nextInt(below: 10) }
        let params = net.parameters, sgd = SGD(momentum: 0.9, weightDecay: 5e-4), loss = SoftmaxCrossEntropy()
        let t = timeMedian(warmup: 1, reps: reps) {
            for p in params { p.zeroGrad() }
            let (_, g) = loss(logits: net.forward(x), labels: labels)
            _ = net.backward(g)
            sgd.step(params, learningRate: 0.01)
        }.median_s
        let gflop = Double(batch) * cifarResNetForwardMACs(widths: widths, blocks: [3, 3, 3]) * 2 / 1e9
        let perFlop = t / gflop
        print(series.padding(toLength: 11, withPad: " ", startingAt: 0) + " " + label.padding(toLength: 22, withPad: " ", startingAt: 0)
              + String(format: " %8.1f %11.2f %17.1f %19.2f", t * 1e3, gflop, 3 * gflop / t, perFlop / (first ?? perFlop)))
        return first ?? perFlop
    }
}

/// Multiply-adds of one 32×32 image through `CifarResNet(widths:blocksPerStage:)`'s convolutions and
/// classifier (BatchNorm, ReLU and pooling are a few % and left out).
func cifarResNetForwardMACs(widths: [Int], blocks: [Int], size: Int = 32, classes: Int = 10) -> Double {
    var s = size, c = widths[0]
    var macs = Double(3 * 9 * c * s * s)   // stem
    for (stage, (w, n)) in zip(widths, blocks).enumerated() {
        for j in 0..<n {
            let stride = stage > 0 && j == 0 ? 2 : 1
            let so = s / stride
            macs += Double(c * 9 * w * so * so) + Double(w * 9 * w * so * so)
            if stride != 1 || c != w { macs += Double(c * w * so * so) }
            c = w; s = so
        }
    }
    return macs + Double(c * classes)
}
