import Datasets
import Foundation
import Testing
import TestSupport
import Training

/// Clear errors, never crashes, when the output directory cannot be written, when writes fail (a file-size
/// limit makes every write past it fail with EFBIG, as a full disk fails with ENOSPC), and when the data would
/// not fit in memory.
@Suite(.serialized) struct ResourceLimitTests {
    @Test func outputDirectoryThatCannotBeWritten() throws {
        let dir = try scratch("unwritable")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/a-file"
        _ = FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        // In process: a file where the directory should be, a directory under a file, a read-only file system.
        for (path, words) in [(file, "not a directory"), (file + "/sub", "cannot create"), ("/proc/mlrsnet-reliab", "cannot create")] {
            do { try OutputDirectory.prepare(path); Issue.record("\(path) accepted") } catch let e as TrainingError {
                #expect("\(e)".contains(path) && "\(e)".contains(words), "\(e)")
            }
        }
        // The CLI: exit status 1 with the reason, not a crash.
        guard CLI.require() != nil else { return }
        let r = try CLI.run(SmallRuns.train(out: file + "/run", epochs: 1), logDirectory: dir, tag: "cli", expect: 1)
        #expect(r.stderr.contains(file + "/run") && r.stderr.contains("cannot create"), "\(r.stderr)")
    }

    /// A checkpoint write that fails part-way (file-size limit, EFBIG) is reported with the path and reason; the
    /// previous checkpoint stays intact and no temporary file is left; a failing log write is reported too.
    @Test func failingWritesAreReported() throws {
        guard CLI.require() != nil else { return }
        let dir = try scratch("disk-full")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/run"
        try CLI.run(SmallRuns.train(out: out, epochs: 1), logDirectory: dir, tag: "epoch1")
        // About 1 MB per file (dash counts 512-byte blocks): the logs fit, the 3.4 MB checkpoint does not.
        let r = try CLI.run(SmallRuns.train(out: out, epochs: 2, extra: ["--resume"]), logDirectory: dir, tag: "full",
                            expect: 1, shellPrefix: "ulimit -f 2048")
        #expect(r.stderr.contains("checkpoint.safetensors") && r.stderr.contains("File too large"), "\(r.stderr)")
        let cp = try Checkpoint.read(out + "/checkpoint.safetensors")
        #expect(cp.globalStep == SmallRuns.stepsPerEpoch, "the previous checkpoint was damaged")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
        // A limit so small that the step log cannot grow: the log write fails with a clear message.
        let small = dir + "/small"
        let r2 = try CLI.run(SmallRuns.train(out: small, epochs: 1), logDirectory: dir, tag: "log", expect: 1, shellPrefix: "ulimit -f 1")
        #expect(r2.stderr.contains("cannot write") && r2.stderr.contains("File too large"), "\(r2.stderr)")
        print("resource limits: ulimit -f 2048 → \(r.stderr.split(separator: "\n").last ?? ""); ulimit -f 1 → \(r2.stderr.split(separator: "\n").last ?? "")")
    }

    @Test func dataThatWouldNotFitInMemory() throws {
        #expect(MemoryBudget.limit > 0)
        do { try MemoryBudget.check(bytes: Int.max, for: "a test", path: "x"); Issue.record("Int.max bytes accepted") } catch {
            #expect(error.kind == .tooLarge && "\(error)".contains("memory limit"))
        }
        guard CLI.require() != nil else { return }
        let dir = try scratch("memory")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // 1 MiB: the sample's 5,000 training images (3.9 MB raw) do not fit; the error names the limit.
        let r = try CLI.run(SmallRuns.train(out: dir + "/run", epochs: 1), environment: ["MLRSNET_MEMORY_LIMIT": "1M"],
                            logDirectory: dir, tag: "mem", expect: nil)
        let (status, _) = (r.process.terminationStatus, 0)
        #expect(status != 0, "a run over the memory limit exited 0: \(r.stdout) \(r.stderr)")
        #expect((r.stderr + r.stdout).contains("memory limit") && (r.stderr + r.stdout).contains("MLRSNET_MEMORY_LIMIT"), "\(r.stderr)")
    }
}
