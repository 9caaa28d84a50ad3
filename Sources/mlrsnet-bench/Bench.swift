import ArgumentParser

@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mlrsnet-bench",
        abstract: "Speed benchmarks, printed beside numpy (OpenBLAS) and PyTorch measured in the same run.",
        subcommands: [AllBench.self, GEMMBench.self, StepBench.self, MetaBench.self, ScalingBench.self, WorkloadRun.self])
}
