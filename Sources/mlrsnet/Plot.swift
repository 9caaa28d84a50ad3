import ArgumentParser
import Foundation
import Training

/// `mlrsnet plot`: one SVG line chart comparing a logged column across runs (e.g. the LR schedules of several
/// methods, or their test accuracy per epoch).
struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Plot a column of several runs' logs (steps.csv or epochs.csv) as one SVG chart.",
        discussion: "Example: mlrsnet plot runs/fixed runs/multistep runs/mlrsnet --column lr --out lr.svg")

    @Argument(help: "Run directories (as written by train/meta-train --out).") var runs: [String]
    @Option(help: "Column to plot, e.g. lr, loss (steps.csv) or test_accuracy, val_loss (epochs.csv).") var column = "lr"
    @Option(help: "Which log: steps or epochs (default: steps for lr/loss, else epochs).") var log: String?
    @Option(help: "Output SVG file.") var out: String
    @Option(help: "Chart title.") var title: String?
    @Flag(help: "Logarithmic y axis.") var logY = false

    func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("give at least one run directory") }
        if let log, log != "steps" && log != "epochs" { throw ValidationError("--log must be steps or epochs (got \(log))") }
    }

    func run() throws {
        let file = (log ?? (["lr", "loss", "grad_norm"].contains(column) ? "steps" : "epochs")) + ".csv"
        let xColumn = file == "steps.csv" ? "step" : "epoch"
        var plot = SVGPlot(title: title ?? "\(column) per \(xColumn)", xLabel: xColumn, yLabel: column, logY: logY)
        for dir in runs {
            let path = dir + "/" + file
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw CLIError("\(path): cannot be read") }
            let rows = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            guard let header = rows.first, let xi = header.firstIndex(of: xColumn), let yi = header.firstIndex(of: column) else {
                throw CLIError("\(path): needs columns \(xColumn) and \(column)")
            }
            let points = rows.dropFirst().compactMap { r -> (x: Double, y: Double)? in
                guard r.count > max(xi, yi), let x = Double(r[xi]), let y = Double(r[yi]) else { return nil }
                return (file == "epochs.csv" ? x + 1 : x, y)
            }
            plot.series.append(.init(name: URL(fileURLWithPath: dir).lastPathComponent, points: points))
        }
        try plot.write(to: out)
        say("wrote \(out)")
    }
}
