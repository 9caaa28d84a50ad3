import ArgumentParser

@main
struct MLRSNet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mlrsnet",
        abstract: "Learned, transferable learning-rate schedules (MLR-SNet) on a CPU engine written in Swift.",
        subcommands: [Demo.self, Train.self, MetaTrain.self, ScheduleReplay.self, Inspect.self, Plot.self,
                      LRControllerCommand.self, Reproduce.self, Corrupt.self])
}
