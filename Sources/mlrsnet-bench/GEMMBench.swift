import ArgumentParser

struct GEMMBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gemm", abstract: "GEMM GFLOP/s vs numpy.")
    func run() throws {}
}
