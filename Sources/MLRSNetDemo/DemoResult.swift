import Training

/// One method's run: per-epoch records (test metrics after every epoch) and per-step LR and loss.
public struct DemoRunResult: Sendable {
    public var method: DemoMethod
    public var history: [EpochRecord]
    public var learningRates: [Float]
    public var losses: [Float]
    public var seconds: Double
    /// CPU time (user + system, all threads) of the run: comparable across runs on a shared machine.
    public var cpuSeconds: Double
    /// Meta-updates made (MLR-SNet meta-training only).
    public var metaUpdates: Int?

    public var finalTestAccuracy: Double? { history.last?.test?.accuracy }
    public var bestTestAccuracy: Double? { history.compactMap { $0.test?.accuracy }.max() }
    public var finalTestLoss: Double? { history.last?.test?.loss }
    public var finalTrainLoss: Double? { history.last?.trainLoss }
}

/// Everything the demo measured, and what it wrote.
public struct DemoSummary: Sendable {
    public var configuration: DemoConfiguration
    public var runs: [DemoRunResult]
    public var trainCount: Int, validationCount: Int, testCount: Int
    public var parameterCount: Int
    public var stepsPerEpoch: Int
    public var wallSeconds: Double
    /// CPU time of the whole process when the demo ended (user + system), seconds.
    public var cpuSeconds: Double
    /// Files written, relative to the output directory.
    public var files: [String]

    /// The result table as fixed-width text (what the demo prints).
    public var table: String {
        var lines = [pad("method", 30) + pad("final test acc", 16) + pad("best test acc", 15) + pad("train loss", 12)
                     + pad("LR first → last", 20) + pad("seconds", 9) + "CPU s"]
        for r in runs {
            let lrs = r.learningRates
            let lr = lrs.isEmpty ? "-" : "\(fmtLR(lrs.first!)) → \(fmtLR(lrs.last!))"
            lines.append(pad(r.method.title, 30) + pad(pct(r.finalTestAccuracy), 16) + pad(pct(r.bestTestAccuracy), 15)
                         + pad(r.finalTrainLoss.map { fmt($0, 4) } ?? "-", 12) + pad(lr, 20) + pad(fmt(r.seconds, 1), 9) + fmt(r.cpuSeconds, 1))
        }
        return lines.joined(separator: "\n")
    }
}

func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
func pct(_ v: Double?) -> String { v.map { fmt(100 * $0, 2) + "%" } ?? "-" }
func fmtLR(_ v: Float) -> String { fmt(Double(v), 4) }

/// `v` with `digits` decimals (no Foundation formatting, so the output is locale-independent).
func fmt(_ v: Double, _ digits: Int) -> String {
    guard v.isFinite else { return "\(v)" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let r = (abs(v) * scale).rounded()
    let whole = Int(r / scale), frac = Int(r.truncatingRemainder(dividingBy: scale))
    var f = String(frac)
    while f.count < digits { f = "0" + f }
    return (v < 0 && r > 0 ? "-" : "") + String(whole) + (digits > 0 ? "." + f : "")
}
