import ArgumentParser
import Training

/// Options shared by `train` and `meta-train` for long runs: what to do on divergence, periodic checkpoints.
struct ReliabilityOptions: ParsableArguments {
    @Option(help: ArgumentHelp("""
        On a non-finite loss, gradient or learning rate: 'stop' (the last checkpoint is kept), or 'backoff[:FACTOR[:RETRIES]]' \
        (reload the last good state and multiply the learning rate by FACTOR, default 0.5, at most RETRIES times, default 3).
        """, valueName: "policy"))
    var onDivergence: String = "stop"

    @Option(help: "Also checkpoint every N steps (besides after every epoch).") var checkpointEvery: Int?

    var divergencePolicy: DivergencePolicy {
        get throws { try DivergencePolicy(parsing: onDivergence) }
    }

    func validate() throws {
        do { _ = try divergencePolicy } catch { throw ValidationError("--on-divergence: \(error)") }
        if let n = checkpointEvery, n < 1 { throw ValidationError("--checkpoint-every must be at least 1 (got \(n))") }
    }
}
