import Foundation

/// Progress display on standard error: a live bar with rate and ETA on a terminal, plain lines otherwise
/// (about ten per epoch), nothing when quiet.
public final class ProgressReporter {
    public enum Mode: String, Sendable, Codable, CaseIterable { case auto, bar, lines, none }
    let mode: Mode
    private var epochStart = Date()
    private var lastDraw = Date.distantPast
    private var lastLineFraction = -1.0

    public init(mode: Mode = .auto) {
        self.mode = mode == .auto ? (isatty(STDERR_FILENO) != 0 ? .bar : .lines) : mode
    }

    public func beginEpoch() { epochStart = Date(); lastLineFraction = -1; lastDraw = .distantPast }

    /// Reports `done` of `total` steps of epoch `epoch` (1-based) of `epochs`.
    public func update(epoch: Int, epochs: Int, done: Int, total: Int, loss: Float, lr: Float, itemsPerStep: Int) {
        guard mode != .none, total > 0 else { return }
        let elapsed = Date().timeIntervalSince(epochStart)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let fraction = Double(done) / Double(total)
        let stats = String(format: "loss %.4f  lr %.4g  %.1f it/s (%.0f items/s)  ETA %@",
                           loss, lr, rate, rate * Double(itemsPerStep), ProgressReporter.clock(eta))
        switch mode {
        case .bar:
            guard Date().timeIntervalSince(lastDraw) > 0.1 || done == total else { return }
            lastDraw = Date()
            let width = 24, filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            FileHandle.standardError.write(Data("\r\u{1B}[Kepoch \(epoch)/\(epochs) \(bar) \(done)/\(total)  \(stats)".utf8))
            if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
        case .lines:
            guard fraction - lastLineFraction >= 0.1 || done == total else { return }
            lastLineFraction = fraction
            FileHandle.standardError.write(Data("epoch \(epoch)/\(epochs) step \(done)/\(total)  \(stats)\n".utf8))
        default: break
        }
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
