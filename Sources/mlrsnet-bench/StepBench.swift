import ArgumentParser

struct StepBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "step", abstract: "Training-step time vs PyTorch.")
    func run() throws {}
}
