import Foundation
import Testing
import TestSupport
import Training

/// Runs the built `mlrsnet` executable as a child process (the way a user runs it), so tests can kill it
/// with real signals at arbitrary points.
struct CLI {
    /// The `mlrsnet` executable built beside this test bundle (`swift test` builds every product), or in
    /// `.build/{release,debug}`; nil when there is none (the tests then fail with a message saying so).
    static let executable: String? = {
        var candidates: [String] = []
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
            // The bundle is `<config dir>/mlrsnet-swiftPackageTests.xctest` (a file on Linux, a directory elsewhere).
            for _ in 0..<4 {
                candidates.append(dir.appendingPathComponent("mlrsnet").path)
                dir.deleteLastPathComponent()
            }
        }
        for arg in [CommandLine.arguments.first].compactMap({ $0 }) {
            candidates.append(URL(fileURLWithPath: arg).deletingLastPathComponent().appendingPathComponent("mlrsnet").path)
        }
        candidates += ["release", "debug"].map { TestData.repositoryRoot + "/.build/\($0)/mlrsnet" }
        return candidates.first { p in
            var d: ObjCBool = false
            return FileManager.default.fileExists(atPath: p, isDirectory: &d) && !d.boolValue && FileManager.default.isExecutableFile(atPath: p)
        }
    }()

    /// The executable, or a recorded test failure naming what is missing.
    static func require() -> String? {
        guard let e = executable else {
            Issue.record("the mlrsnet executable was not found beside the test bundle or in .build/{release,debug}: build it with `swift build -c release` (swift test builds it)")
            return nil
        }
        return e
    }

    /// A started child process; stdout and stderr go to files in `logDirectory`.
    final class Run {
        let process = Process()
        let stdoutPath: String, stderrPath: String

        /// `watch`: log files whose current inode `waitForRows` must see replaced.
        init(_ arguments: [String], environment: [String: String] = [:], logDirectory: String, tag: String, shellPrefix: String? = nil,
             watch: [String] = []) throws {
            guard let exe = CLI.executable else { throw CLIMissing() }
            stdoutPath = logDirectory + "/\(tag).stdout"
            stderrPath = logDirectory + "/\(tag).stderr"
            _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
            _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
            if let prefix = shellPrefix {
                // e.g. "ulimit -f 64" before exec'ing the program (dash: 512-byte blocks).
                process.executableURL = URL(fileURLWithPath: "/bin/sh")
                let quoted = ([exe] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
                process.arguments = ["-c", prefix + " && exec " + quoted]
            } else {
                process.executableURL = URL(fileURLWithPath: exe)
                process.arguments = arguments
            }
            var env = ProcessInfo.processInfo.environment
            env["MLRSNET_THREADS"] = env["MLRSNET_THREADS"] ?? "1"
            for (k, v) in environment { env[k] = v }
            process.environment = env
            process.currentDirectoryURL = URL(fileURLWithPath: TestData.repositoryRoot)
            process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
            process.standardError = FileHandle(forWritingAtPath: stderrPath)
            for f in watch { initialInodes[f] = CLI.inode(f) }
            try process.run()
        }

        var pid: Int32 { process.processIdentifier }

        func signal(_ s: Int32) { kill(pid, s) }

        /// Waits for the exit (at most `timeout` seconds, then SIGKILL) and returns the status and whether a signal ended it.
        @discardableResult
        func wait(timeout: Double = 120) -> (status: Int32, signalled: Bool) {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { usleep(2000) }
            if process.isRunning {
                Issue.record("mlrsnet \(process.arguments ?? []) did not finish within \(timeout) s; killed")
                kill(pid, SIGKILL)
            }
            process.waitUntilExit()
            return (process.terminationStatus, process.terminationReason == .uncaughtSignal)
        }

        var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
        var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }

        /// Polls `file` until this process has rewritten it (a run starts its logs anew or cuts them back to its
        /// checkpoint, atomically: a new inode) and it has at least `rows` complete data rows (after a header),
        /// or the process ends.
        func waitForRows(_ file: String, atLeast rows: Int, timeout: Double = 120) {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline {
                if CLI.inode(file) != initialInodes[file, default: CLI.inode(file)] && CLI.dataRows(file) >= rows { return }
                usleep(1000)
            }
        }

        /// Inodes of the logs when the process was started (see `waitForRows`).
        var initialInodes: [String: UInt64] = [:]
    }

    /// Runs to completion; records an issue when the exit status is not `expect`.
    @discardableResult
    static func run(_ arguments: [String], environment: [String: String] = [:], logDirectory: String, tag: String,
                    expect: Int32? = 0, shellPrefix: String? = nil) throws -> Run {
        let r = try Run(arguments, environment: environment, logDirectory: logDirectory, tag: tag, shellPrefix: shellPrefix)
        let (status, signalled) = r.wait()
        #expect(!signalled, "mlrsnet \(tag) was killed by signal \(status): \(r.stderr)")
        if let e = expect { #expect(status == e, "mlrsnet \(tag) exited with \(status), expected \(e): \(r.stderr)") }
        return r
    }

    /// A file's inode (0 when it does not exist).
    static func inode(_ path: String) -> UInt64 {
        var st = stat()
        return stat(path, &st) == 0 ? UInt64(st.st_ino) : 0
    }

    /// Complete data rows of a CSV log (lines ending in a newline, minus the header).
    static func dataRows(_ file: String) -> Int {
        guard let d = FileManager.default.contents(atPath: file) else { return 0 }
        return max(0, d.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } - 1)
    }
}

struct CLIMissing: Error {}

/// A log file's rows, with the named columns removed (wall-clock time).
func csvRows(_ path: String, dropping drop: Set<String> = ["seconds"]) -> [String] {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
    let lines = text.split(separator: "\n").map(String.init)
    guard let header = lines.first else { return [] }
    let names = header.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    let keep = names.indices.filter { !drop.contains(names[$0]) }
    return lines.map { line in
        let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        return keep.map { $0 < f.count ? f[$0] : "<missing>" }.joined(separator: ",")
    }
}

/// One column of a CSV log.
func csvColumn(_ path: String, _ name: String) -> [String] {
    let rows = csvRows(path, dropping: [])
    guard let header = rows.first else { return [] }
    let names = header.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    guard let i = names.firstIndex(of: name) else { return [] }
    return rows.dropFirst().map { String($0.split(separator: ",", omittingEmptySubsequences: false)[i]) }
}

/// Every tensor of a checkpoint as bit patterns (model, buffers, optimiser, updater, task).
func checkpointBits(_ path: String) throws -> [String: [UInt32]] {
    try Checkpoint.read(path).tensors.mapValues { $0.scalars.map(\.bitPattern) }
}

/// A fresh directory under the system's temporary directory.
func scratch(_ tag: String) throws -> String { try TestData.temporaryDirectory("reliab-" + tag) }
