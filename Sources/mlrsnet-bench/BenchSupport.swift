import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// Shared helpers for the benchmark subcommands: a monotonic clock, warm-up + median timing, peak
// resident memory, the CPU use of other processes (the machine is shared), child processes with
// their own peak RSS, and locating the PyTorch anchor scripts. Nothing here knows about models.

// MARK: Clock and timing

/// Monotonic wall-clock time in seconds (CLOCK_MONOTONIC; unaffected by clock adjustments).
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// The median of `values` (mean of the two middle ones for an even count); NaN when empty.
func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let s = values.sorted()
    let m = s.count / 2
    return s.count % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

/// Seconds per call of a timed function: median over repetitions, plus min/max to show the spread.
/// Field names follow the PyTorch anchors' JSON (`median_s`, `min_s`, `max_s`, `reps`, `warmup`).
struct TimingSummary: Codable {
    var median_s: Double
    var min_s: Double
    var max_s: Double
    var reps: Int
    var warmup: Int
    /// Every timed repetition, in order (seconds).
    var samples_s: [Double]?
}

/// Calls `body` `warmup` times untimed, then `reps` times timed (one call per repetition), and
/// returns the median / min / max seconds per call. Like `common.time_fn` of the PyTorch anchors.
func timeMedian(warmup: Int, reps: Int, _ body: () -> Void) -> TimingSummary {
    precondition(warmup >= 0 && reps >= 1, "timeMedian: need warmup ≥ 0 and reps ≥ 1, got \(warmup), \(reps)")
    for _ in 0..<warmup { body() }
    var samples: [Double] = []
    samples.reserveCapacity(reps)
    for _ in 0..<reps {
        let t0 = monotonicSeconds()
        body()
        samples.append(monotonicSeconds() - t0)
    }
    return TimingSummary(median_s: median(samples), min_s: samples.min()!, max_s: samples.max()!,
                         reps: reps, warmup: warmup, samples_s: samples)
}

/// Makes stdout line-buffered, so progress lines show up at once also when it is a pipe or a file.
/// (C's `stdout` is a mutable global that Swift 6 refuses to read directly; its address comes from
/// the dynamic symbol table instead.)
func lineBufferStdout() {
    #if canImport(Glibc)
    if let symbol = dlsym(nil, "stdout"), let file = symbol.load(as: UnsafeMutablePointer<FILE>?.self) {
        setvbuf(file, nil, _IOLBF, 0)
    }
    #endif
}

// MARK: Memory

/// This process's peak resident set size in bytes: `VmHWM` from /proc/self/status (the high-water
/// mark of the current address space), else `getrusage(RUSAGE_SELF).ru_maxrss`.
func ownPeakRSSBytes() -> Int {
    if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) {
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count >= 2, let kib = Int(fields[1]) { return kib * 1024 }
        }
    }
    var usage = rusage()
    getrusage(rusageSelf, &usage)
    return maxRSSBytes(usage)
}

#if canImport(Glibc)
let rusageSelf = __rusage_who_t(RUSAGE_SELF.rawValue)
let rusageChildren = __rusage_who_t(RUSAGE_CHILDREN.rawValue)
#else
let rusageSelf = RUSAGE_SELF
let rusageChildren = RUSAGE_CHILDREN
#endif

/// `ru_maxrss` in bytes (Linux reports KiB, macOS bytes).
func maxRSSBytes(_ usage: rusage) -> Int {
    #if canImport(Darwin)
    return Int(usage.ru_maxrss)
    #else
    return Int(usage.ru_maxrss) * 1024
    #endif
}

/// Bytes → "123.4" MiB text.
func mebibytes(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) }

// MARK: Load from other processes

/// Measures how many cores OTHER processes kept busy over an interval: machine-wide busy CPU time
/// (/proc/stat) minus this process's and its waited-for children's CPU time, per second of wall time.
/// 0 means a quiet machine; 1 means one core fully taken by someone else. NaN without /proc.
struct ForeignLoadMonitor {
    private let start: (wall: Double, busy: Double, own: Double)?

    init() { start = ForeignLoadMonitor.snapshot() }

    /// Average foreign cores since `init`.
    func foreignCores() -> Double {
        guard let s = start, let e = ForeignLoadMonitor.snapshot() else { return .nan }
        let wall = max(e.wall - s.wall, 1e-9)
        return max(0, (e.busy - s.busy) - (e.own - s.own)) / wall
    }

    private static func snapshot() -> (wall: Double, busy: Double, own: Double)? {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let first = stat.split(separator: "\n").first else { return nil }
        let v = first.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard v.count >= 7 else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let busy = (v[0] + v[1] + v[2] + v[5] + v[6]) / ticks   // user nice system irq softirq
        var own = 0.0
        for who in [rusageSelf, rusageChildren] {
            var u = rusage()
            getrusage(who, &u)
            own += Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) * 1e-6
                 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) * 1e-6
        }
        return (monotonicSeconds(), busy, own)
    }
}

/// Blocks until other processes keep fewer than `threshold` cores busy over a `window`-second
/// interval, or `maxWait` seconds have passed (then measures anyway). Returns the seconds waited.
/// The same rule as the PyTorch anchors' `common.wait_for_quiet`, so both sides measure alike.
func waitForQuietMachine(threshold: Double = 0.15, window: Double = 2, maxWait: Double,
                         log: (String) -> Void = { print($0) }) -> Double {
    let t0 = monotonicSeconds()
    var announced = false
    while true {
        let monitor = ForeignLoadMonitor()
        usleep(UInt32(window * 1e6))
        let foreign = monitor.foreignCores()
        if !(foreign >= threshold) { return monotonicSeconds() - t0 }   // also for NaN (no /proc)
        if monotonicSeconds() - t0 > maxWait {
            log(String(format: "  [noise] machine still busy (%.2f cores); measuring anyway", foreign))
            return monotonicSeconds() - t0
        }
        if !announced {
            log(String(format: "  [noise] other processes use %.2f cores; waiting for a quiet machine ...", foreign))
            announced = true
        }
    }
}

// MARK: Child processes

/// How a child process ended, with its own resource use.
struct ChildResult {
    /// Exit status, or nil when a signal ended it.
    var exitCode: Int32?
    /// The signal that ended it, if any.
    var signal: Int32?
    /// Peak resident set size of this child alone (`wait4`'s `ru_maxrss`), in bytes.
    var peakRSSBytes: Int
    /// Wall-clock seconds from spawn to exit.
    var wallSeconds: Double
    /// User + system CPU seconds of the child.
    var cpuSeconds: Double
    /// Everything the child wrote to stdout and stderr (interleaved), when it was captured.
    var output: String

    var succeeded: Bool { exitCode == 0 }

    /// "exit status 3" / "signal 9", for error messages.
    var endDescription: String {
        if let exitCode { return "exit status \(exitCode)" }
        return "signal \(signal ?? -1)"
    }

    /// The last `lines` lines of the captured output.
    func outputTail(_ lines: Int = 20) -> String {
        output.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}

enum ChildProcessError: Error, CustomStringConvertible {
    case spawnFailed(String, Int32)
    var description: String {
        switch self {
        case let .spawnFailed(path, errno): return "cannot start \(path): \(String(cString: strerror(errno)))"
        }
    }
}

/// Runs `executable` with `arguments` as a child process and waits for it. Each child is reaped
/// with `wait4`, whose `ru_maxrss` is that child's own peak RSS — so every measurement that runs in
/// its own child gets a clean peak. (Linux keeps the larger of the pre-exec and post-exec high-water
/// marks; the parent here is small, so this is the child's peak.)
///
/// - Parameters:
///   - environment: variables to set (a nil value removes the variable) on top of ours.
///   - echo: let the child write to our stdout/stderr directly (live progress) instead of capturing it.
func runChildProcess(_ executable: String, _ arguments: [String], environment: [String: String?] = [:],
              echo: Bool = false) throws -> ChildResult {
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }

    // Output goes to an unlinked temporary file (no pipe to drain while the child runs).
    var logPath = Array("\(NSTemporaryDirectory())/mlrsnet-bench-child-XXXXXX".utf8CString)
    let logFD = echo ? -1 : logPath.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    if !echo && logFD < 0 { throw ChildProcessError.spawnFailed("a temporary log file", errno) }
    if logFD >= 0 { logPath.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) } }
    defer { if logFD >= 0 { close(logFD) } }

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    if logFD >= 0 {
        posix_spawn_file_actions_adddup2(&actions, logFD, 1)
        posix_spawn_file_actions_adddup2(&actions, logFD, 2)
    }

    let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { for p in argv + envp { free(p) } }

    let t0 = monotonicSeconds()
    var pid = pid_t()
    // posix_spawnp searches PATH when `executable` has no slash.
    let rc = posix_spawnp(&pid, executable, &actions, nil, argv, envp)
    if rc != 0 { throw ChildProcessError.spawnFailed(executable, rc) }

    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) < 0 {
        if errno != EINTR { throw ChildProcessError.spawnFailed("wait4 for \(executable)", errno) }
    }
    let wall = monotonicSeconds() - t0

    var output = ""
    if logFD >= 0 {
        lseek(logFD, 0, SEEK_SET)
        let handle = FileHandle(fileDescriptor: logFD, closeOnDealloc: false)
        output = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
    }
    let low = status & 0x7f   // WIFEXITED / WTERMSIG, written out (the C macros are not imported)
    let cpu = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) * 1e-6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) * 1e-6
    return ChildResult(exitCode: low == 0 ? (status >> 8) & 0xff : nil, signal: low == 0 ? nil : low,
                       peakRSSBytes: maxRSSBytes(usage), wallSeconds: wall, cpuSeconds: cpu, output: output)
}

/// The path of the running executable (to re-invoke it for child measurements).
func currentExecutablePath() -> String {
    if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
    return Bundle.main.executablePath ?? CommandLine.arguments[0]
}

/// A fresh private temporary directory; the caller removes it.
func makeTemporaryDirectory(prefix: String) throws -> URL {
    var template = Array("\(NSTemporaryDirectory())/\(prefix)-XXXXXX".utf8CString)
    guard let p = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
        throw ChildProcessError.spawnFailed("a temporary directory", errno)
    }
    return URL(fileURLWithPath: String(cString: p), isDirectory: true)
}

// MARK: Locating the PyTorch anchors

/// The package root, from this source file's compile-time path (…/Sources/mlrsnet-bench/BenchSupport.swift).
let packageRootFromSource: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The first directory among `candidates` that contains `file`, standardised; nil if none does.
func firstDirectory(containing file: String, among candidates: [URL]) -> URL? {
    for dir in candidates {
        let d = dir.standardizedFileURL
        if FileManager.default.fileExists(atPath: d.appendingPathComponent(file).path) { return d }
    }
    return nil
}

/// Where `../shared/bench/pytorch` may be: relative to the current directory and to the package root
/// (worktrees sit next to `shared/`), and inside either of them.
func pytorchAnchorCandidates() -> [URL] {
    let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
    var out: [URL] = []
    for base in [cwd, packageRootFromSource] {
        out.append(base.appendingPathComponent("../shared/bench/pytorch"))
        out.append(base.appendingPathComponent("shared/bench/pytorch"))
    }
    return out
}

/// Whether `python -c "import torch"` works, and the version it reports.
func probeTorch(python: String) -> (ok: Bool, detail: String) {
    guard let r = try? runChildProcess(python, ["-c", "import torch; print(torch.__version__)"]) else {
        return (false, "\(python) could not be started")
    }
    let text = r.output.trimmingCharacters(in: .whitespacesAndNewlines)
    if r.succeeded { return (true, text.split(separator: "\n").last.map(String.init) ?? "") }
    return (false, text.split(separator: "\n").last.map(String.init) ?? r.endDescription)
}
