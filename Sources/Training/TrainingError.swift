/// Why a training run stopped early or could not start.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// A non-finite training loss, gradient, learning rate or validation loss at `step`; the last good
    /// checkpoint is kept. `backoffs` is how many back-offs the run had already used (see `DivergencePolicy`).
    case diverged(step: Int, epoch: Int, value: Float, what: String)
    /// Ctrl-C (SIGINT/SIGTERM): a checkpoint at the current position was written when possible.
    case interrupted(step: Int, checkpoint: String?)
    case unwritable(String)
    case badCheckpoint(String, String)
    case incompatibleCheckpoint(String)
    /// A user-supplied option or value is invalid (the message names it).
    case invalidOption(String)

    public var description: String {
        switch self {
        case let .diverged(step, epoch, value, what):
            return "training diverged: \(what) is \(value) at step \(step) (epoch \(epoch + 1)); stopped, the last good checkpoint is kept. Try a lower learning rate, gradient clipping or --on-divergence backoff."
        case let .interrupted(step, checkpoint):
            return "interrupted at step \(step)" + (checkpoint.map { "; checkpoint written to \($0) (continue with --resume)" } ?? "")
        case .unwritable(let p): return "cannot write \(p)"
        case let .badCheckpoint(p, why): return "\(p): not a usable checkpoint: \(why)"
        case .incompatibleCheckpoint(let why): return "checkpoint does not match this run: \(why)"
        case .invalidOption(let why): return why
        }
    }

    /// Whether this is a divergence (what `DivergencePolicy` handles).
    public var isDivergence: Bool { if case .diverged = self { return true } else { return false } }
}
