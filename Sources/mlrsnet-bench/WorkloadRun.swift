import ArgumentParser
import Foundation
import NN
import Tensor

/// `mlrsnet-bench workload`: runs one model's training step, forward or eval-mode inference a fixed
/// number of times with no timing or child processes, for instruction-count profilers
/// (`valgrind --tool=callgrind`, `perf record`): e.g.
/// `MLRSNET_THREADS=1 valgrind --tool=callgrind .build/release/mlrsnet-bench workload --model resnet20 --what infer --count 2`.
struct WorkloadRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workload",
        abstract: "Run one model's step/forward/inference N times, untimed (for callgrind / perf).")

    enum What: String, ExpressibleByArgument, CaseIterable { case step, forward, infer }

    @Option(help: "Model: \(StepModel.allCases.map(\.rawValue).joined(separator: ", ")).") var model: String = "resnet20"
    @Option(help: "What to run: step, forward (train mode), infer (eval mode).") var what: What = .infer
    @Option(help: "Repetitions after one untimed warm-up of the same kind.") var count: Int = 1

    func run() throws {
        guard let m = StepModel(rawValue: model) else {
            throw ValidationError("unknown model '\(model)'; known: \(StepModel.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard count >= 0 else { throw ValidationError("--count must be ≥ 0, got \(count)") }
        // MLRSNET_IMPLICIT_CONV=0 switches the implicit-GEMM convolution forward off (A/B comparisons).
        if ProcessInfo.processInfo.environment["MLRSNET_IMPLICIT_CONV"] == "0" { Conv2d.usesImplicitGEMM = false }
        let work = StepWorkload(m)
        let body: () -> Void
        switch what {
        case .step: body = { _ = work.step() }
        case .forward: body = { work.forward() }
        case .infer:
            guard let infer = work.infer else { throw ValidationError("\(model) has no eval-mode inference workload") }
            body = infer
        }
        body()
        let t0 = monotonicSeconds(), c0 = processCPUSeconds()
        for _ in 0..<count { body() }
        let each = { (s: Double) in count > 0 ? s * 1e3 / Double(count) : 0 }
        // CPU time (all threads) is less disturbed than wall time on a loaded machine.
        print(String(format: "%@ %@ ×%d: %.2f ms wall, %.2f ms CPU each (threads %d)", model, what.rawValue, count,
                     each(monotonicSeconds() - t0), each(processCPUSeconds() - c0), WorkerPool.shared.threadCount))
    }
}

/// CPU time used so far by this process (all threads), in seconds.
func processCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}
