import ArgumentParser
import Foundation
import Tensor

/// `mlrsnet-bench gemm`: our SGEMM GFLOP/s beside numpy's (OpenBLAS), measured in the same run.
///
/// For each thread count t, our side runs with `parallel: false` (t = 1) or over `WorkerPool.shared`
/// (t = 2, which needs the pool to have 2 threads), and numpy runs in a subprocess
/// `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=t python3 scripts/bench/numpy_gemm.py`
/// so that OpenBLAS picks its own kernel for this CPU. Each sample times enough back-to-back calls
/// to last ~40 ms; `--rounds` rounds alternate ours and numpy (so load changes hit both), and the
/// table shows the median of all `--reps` × `--rounds` samples after warm-up, and our share of the
/// measured FMA peak (per-core peak × threads) of the kernel family in use.
struct GEMMBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gemm", abstract: "GEMM GFLOP/s vs numpy.")

    static let defaultShapes = [
        "256x256x256", "1024x1024x1024", "2048x2048x2048",
        "64x1024x576", "64x8192x576", "64x576x8192:NT", "64x1024x512",
    ]

    @Option(help: "Timed samples per shape and round (the median over all rounds is reported).")
    var reps = 7

    @Option(help: "Comma-separated MxNxK[:AB] shapes; A/B = N (plain) or T (transposed operand).")
    var shapes = GEMMBench.defaultShapes.joined(separator: ",")

    @Option(help: "Rounds per thread count, alternating ours and numpy; the median of all samples is shown.")
    var rounds = 2

    @Option(help: "Comma-separated thread counts.")
    var threads = "1,2"

    @Option(help: "Approximate length of one timed sample, in milliseconds.")
    var sampleMs = 40.0

    struct Shape {
        var spec: String, m: Int, n: Int, k: Int, transA: Bool, transB: Bool
        var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
        var label: String {
            "\(m)×\(n)×\(k)" + (transA || transB ? " (\(transA ? "Aᵀ" : "A")·\(transB ? "Bᵀ" : "B"))" : "")
        }
    }

    static func parse(_ spec: String) throws -> Shape {
        let parts = spec.split(separator: ":", maxSplits: 1)
        let dims = parts[0].lowercased().split(separator: "x").compactMap { Int($0) }
        let flags = parts.count > 1 ? Array(parts[1].uppercased()) : ["N", "N"]
        guard dims.count == 3, dims.allSatisfy({ $0 > 0 }), flags.count == 2,
              flags.allSatisfy({ $0 == "N" || $0 == "T" })
        else { throw ValidationError("bad shape '\(spec)': expected MxNxK or MxNxK:AB with A, B in {N, T}") }
        return Shape(spec: spec, m: dims[0], n: dims[1], k: dims[2], transA: flags[0] == "T", transB: flags[1] == "T")
    }

    func run() throws {
        let shapeList = try shapes.split(separator: ",").map { try Self.parse(String($0)) }
        let threadList = threads.split(separator: ",").compactMap { Int($0) }
        guard !threadList.isEmpty, threadList.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--threads: expected a comma-separated list of positive integers")
        }
        let pool = WorkerPool.shared.threadCount
        print("GEMM benchmark: kernel \(gemmKernelName), WorkerPool threads \(pool), load average \(Self.loadAverage())")
        var peak: [GEMMKernel: Double] = [:]
        for kernel in GEMMKernel.supported { peak[kernel] = measuredFMAPeakGFLOPS(kernel) }
        let peakText = GEMMKernel.supported.map { "\($0.rawValue) \(String(format: "%.0f", peak[$0]!))" }
        print("FMA peak per core, measured with register-only FMA chains (GFLOP/s): " + peakText.joined(separator: ", "))
        print("  Theory: FMA pipes × lanes × 2 flops × clock. Zen 4 runs 512-bit FMAs on two 256-bit pipes:")
        print("  32 flops/cycle ≈ 117 GFLOP/s per core at 3.7 GHz; Zen 5 has two full 512-bit pipes (64 flops/cycle).")
        let kernelPeak = peak[GEMMKernel.current] ?? 0
        let script = Self.findScript()

        var rows: [(threads: Int, shape: Shape, ours: Double?, numpy: Double?)] = []
        var blasLines: [String] = []
        for t in threadList {
            // Rounds alternate ours and numpy so that a change in machine load hits both sides.
            var ours = [[Double]](repeating: [], count: shapeList.count)
            var numpy = [[Double]](repeating: [], count: shapeList.count)
            var blasLine = ""
            for _ in 0..<max(1, rounds) {
                for (i, shape) in shapeList.enumerated() where t == 1 || pool >= t {
                    ours[i] += Self.measure(shape, parallel: t > 1, reps: reps, sampleMs: sampleMs)
                }
                switch Self.runNumpy(script: script, threads: t, shapes: shapeList, reps: reps, sampleMs: sampleMs) {
                case .success(let (blas, values)):
                    blasLine = "numpy/OpenBLAS with \(t) thread(s): \(blas)"
                    for (i, shape) in shapeList.enumerated() { numpy[i] += values[shape.spec] ?? [] }
                case .failure(let message):
                    blasLine = "numpy with \(t) thread(s): not measured (\(message.description)); printing ours only"
                }
            }
            blasLines.append(blasLine)
            for (i, shape) in shapeList.enumerated() {
                rows.append((t, shape, Self.median(ours[i]), Self.median(numpy[i])))
            }
        }

        for line in blasLines { print(line) }
        let header = ["threads", "M×N×K", "ours GFLOP/s", "% of peak", "numpy GFLOP/s", "ours/numpy"]
        var table = [header]
        for r in rows {
            table.append([
                "\(r.threads)", r.shape.label,
                r.ours.map { String(format: "%.1f", $0) } ?? (r.threads > pool ? "n/a (pool has \(pool))" : "-"),
                r.ours.map { String(format: "%.0f%%", 100 * $0 / (kernelPeak * Double(r.threads))) } ?? "-",
                r.numpy.map { String(format: "%.1f", $0) } ?? "-",
                (r.ours != nil && r.numpy != nil) ? String(format: "%.2f", r.ours! / r.numpy!) : "-",
            ])
        }
        let widths = (0..<header.count).map { c in table.map { $0[c].count }.max()! }
        for (i, row) in table.enumerated() {
            print(row.enumerated().map { c, s in
                c == 1 ? s.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                       : String(repeating: " ", count: widths[c] - s.count) + s
            }.joined(separator: "  "))
            if i == 0 { print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")) }
        }
        print("load average after: \(Self.loadAverage())")
    }

    static func median(_ x: [Double]) -> Double? {
        guard !x.isEmpty else { return nil }
        let s = x.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// GFLOP/s of `reps` samples, each timing enough calls to last ~`sampleMs`, after warm-up.
    static func measure(_ s: Shape, parallel: Bool, reps: Int, sampleMs: Double) -> [Double] {
        var rng = RandomGenerator(seed: 42)
        let aCount = s.m * s.k, bCount = s.k * s.n
        let a = UnsafeMutablePointer<Float>.allocate(capacity: aCount)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: bCount)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: s.m * s.n)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        for i in 0..<aCount { a[i] = rng.nextNormal() }
        for i in 0..<bCount { b[i] = rng.nextNormal() }
        let lda = s.transA ? s.m : s.k, ldb = s.transB ? s.k : s.n
        func call() {
            gemm(transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k, a: a, lda: lda, b: b, ldb: ldb,
                 c: c, ldc: s.n, parallel: parallel)
        }
        let clock = ContinuousClock()
        func seconds(_ d: Duration) -> Double {
            Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        for _ in 0..<3 { call() }
        let once = max(seconds(clock.measure { call() }), 1e-7)
        let calls = max(1, Int(sampleMs / 1000 / once))
        var samples: [Double] = []
        for _ in 0..<max(1, reps) {
            let t = seconds(clock.measure { for _ in 0..<calls { call() } })
            samples.append(s.flops * Double(calls) / t / 1e9)
        }
        return samples
    }

    /// `scripts/bench/numpy_gemm.py`, relative to the current directory or to this source file.
    static func findScript() -> String {
        let relative = "scripts/bench/numpy_gemm.py"
        let fm = FileManager.default
        if fm.fileExists(atPath: relative) { return relative }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(relative).path
    }


    /// Runs the numpy script with OPENBLAS_NUM_THREADS=t and OpenBLAS's own kernel choice.
    static func runNumpy(script: String, threads: Int, shapes: [Shape], reps: Int, sampleMs: Double)
        -> Result<(String, [String: [Double]]), NumpyErrorMessage> {
        guard FileManager.default.fileExists(atPath: script) else { return .failure("script \(script) not found") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["-u", "OPENBLAS_CORETYPE", "-u", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS=\(threads)",
                             "python3", script, "--shapes", shapes.map(\.spec).joined(separator: ","),
                             "--reps", "\(reps)", "--sample-ms", "\(sampleMs)"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch { return .failure("cannot start python3: \(error)") }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: errData, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
            return .failure("python3/numpy missing or failed (exit \(process.terminationStatus)): \(text)")
        }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let results = json["results"] as? [[String: Any]]
        else { return .failure("unreadable output from \(script)") }
        var values: [String: [Double]] = [:]
        for r in results {
            if let spec = r["shape"] as? String, let g = r["samples"] as? [Double] { values[spec] = g }
        }
        return .success(((json["blas"] as? String) ?? "unknown BLAS", values))
    }

    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))
            .map { $0.split(separator: " ").prefix(3).joined(separator: " ") } ?? "unknown"
    }
}

/// A failure message that can travel in a `Result`.
struct NumpyErrorMessage: Error, ExpressibleByStringLiteral, ExpressibleByStringInterpolation, CustomStringConvertible {
    var description: String
    init(stringLiteral value: String) { description = value }
    init(stringInterpolation: DefaultStringInterpolation) { description = String(stringInterpolation: stringInterpolation) }
}
