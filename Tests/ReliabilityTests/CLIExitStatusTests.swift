import Foundation
import Testing
import TestSupport

/// Scripts that drive the CLI must see failures: `reproduce` and `lr-controller` errors exit 1 with the reason on
/// standard error (they used ArgumentParser's CleanExit, which exits 0).
@Suite("CLI exit status of failed studies")
struct CLIExitStatusTests {
    @Test func reproduceFailuresExitOne() throws {
        guard CLI.require() != nil else { return }
        let dir = try scratch("exit-status")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let unknown = try CLI.run(["reproduce", "no-such-study"], logDirectory: dir, tag: "unknown", expect: 1)
        #expect(unknown.stderr.contains("no-such-study"), "\(unknown.stderr)")
        let missing = try CLI.run(["reproduce", "--config", dir + "/missing.json"], logDirectory: dir, tag: "config", expect: 1)
        #expect(missing.stderr.contains("missing.json"), "\(missing.stderr)")
        let file = dir + "/a-file"
        _ = FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        let under = try CLI.run(["reproduce", "cost", "--scale", "tiny", "--progress", "none", "--out", file + "/out"],
                                logDirectory: dir, tag: "under-file", expect: 1)
        #expect(under.stderr.contains(file), "\(under.stderr)")
    }
}
