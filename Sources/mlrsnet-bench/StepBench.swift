import ArgumentParser
import Foundation
import Tensor

/// `mlrsnet-bench step`: training-step time, forward time and peak memory of our engine, beside
/// PyTorch measured in the same run on the same models.
///
/// Every measurement runs in its own child process so that each gets a clean peak RSS (read from
/// `wait4` when the child is reaped): ours by re-invoking this executable with the hidden
/// `--child MODEL`, PyTorch's by running `bench_step.py --models <letter>` (or our
/// `scripts/bench/torch_step_extra.py` for WRN-16-4) with `ANCHOR_OUT` set to a fresh temporary
/// directory and reading the JSON it writes there. Ours and PyTorch's run back to back per model,
/// so both see the machine in the same state.
struct StepBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "step",
        abstract: "Training-step time and peak memory per model, beside PyTorch measured in the same run.",
        discussion: """
            Models: \(StepModel.allCases.map(\.rawValue).joined(separator: ", ")).

            A step is zero-grad, forward, softmax cross-entropy, backward and the optimizer update on a fixed random batch in train mode (image models: batch 128, SGD lr 0.01, momentum 0.9, weight decay 5e-4; LSTM LMs: 2 layers, vocab 10000, 35 time steps, no dropout, untied, plain SGD lr 1.0, state carried). Times are medians after warm-up; "fwd" is a forward pass alone (train mode, no backward), like bench_step.py's fwd_nograd. Peak memory is the peak RSS of the whole process that measured the model: each measurement, ours and PyTorch's, runs in its own child process.
            """)

    @Option(help: "Comma-separated models, or 'all'.")
    var models: String = "all"

    @Option(help: "Timed steps per model for our engine (default: bench_step.py's count for that model).")
    var reps: Int?

    @Option(help: "Untimed warm-up steps per model for our engine (default: bench_step.py's count).")
    var warmup: Int?

    @Option(help: "Threads: MLRSNET_THREADS for our child processes and --threads for the PyTorch scripts (default: MLRSNET_THREADS, else all cores).")
    var threads: Int?

    @Flag(help: "Measure our engine only.")
    var noPytorch = false

    @Option(help: "Before each of our measurements, wait up to this many seconds for other processes to use < 0.15 cores (as the PyTorch anchors do); 0 = don't wait.")
    var quietWait: Double = 300

    @Option(help: "Re-measure ours up to this many times when other processes used > 0.25 cores meanwhile, keeping the least disturbed run (as the anchors do).")
    var retries: Int = 2

    @Option(help: "Directory holding bench_step.py and common.py (default: ../shared/bench/pytorch from the current directory or the package).")
    var pytorchDir: String?

    @Option(help: "Python interpreter for the PyTorch anchors.")
    var python: String = "python3"

    @Option(help: "Write all results to this JSON file.")
    var json: String?

    @Flag(help: "Also sample where our step spends its wall time, per layer type and phase.")
    var profile = false

    @Flag(help: "Show the PyTorch scripts' own output while they run.")
    var verbose = false

    @Option(help: .hidden)
    var child: String?

    @Option(help: .hidden)
    var childOut: String?

    mutating func validate() throws {
        if let reps, reps < 1 { throw ValidationError("--reps must be at least 1, got \(reps)") }
        if let warmup, warmup < 0 { throw ValidationError("--warmup must be at least 0, got \(warmup)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if retries < 0 { throw ValidationError("--retries must be at least 0, got \(retries)") }
        if !(quietWait >= 0) { throw ValidationError("--quiet-wait must be at least 0, got \(quietWait)") }
        _ = try selectedModels()
    }

    func run() throws {
        if let child {
            try measureInChild(child)
        } else {
            try runParent()
        }
    }

    /// The models named by `--models`, in the canonical order.
    func selectedModels() throws -> [StepModel] {
        let names = models.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if names.isEmpty || names == ["all"] { return StepModel.allCases }
        var chosen = Set<StepModel>()
        for n in names where !n.isEmpty {
            let key = n.replacingOccurrences(of: "_", with: "-")
            guard let m = StepModel(rawValue: key) ?? (key == "wrn" ? .wrn16_4 : nil) else {
                throw ValidationError("unknown model '\(n)'; known: \(StepModel.allCases.map(\.rawValue).joined(separator: ", ")), all")
            }
            chosen.insert(m)
        }
        return StepModel.allCases.filter { chosen.contains($0) }
    }

    // MARK: Child: measure one model in this process

    private func measureInChild(_ name: String) throws {
        guard let out = childOut else { throw ValidationError("--child needs --child-out FILE") }
        if name == "baseline" {
            // The engine's fixed cost: the runtime and the worker pool, no model.
            _ = WorkerPool.shared.threadCount
            try Data("{}".utf8).write(to: URL(fileURLWithPath: out))
            return
        }
        guard let model = StepModel(rawValue: name) else { throw ValidationError("--child: unknown model '\(name)'") }
        let profiler = profile ? SamplingProfiler(createThreads: { _ = WorkerPool.shared.threadCount }) : nil
        let warm = warmup ?? model.defaultWarmup, timed = reps ?? model.defaultReps

        let t0 = monotonicSeconds()
        let work = StepWorkload(model)
        let setup = monotonicSeconds() - t0

        var first: Float?, last: Float = .nan
        let monitor = ForeignLoadMonitor()
        let stepTime = timeMedian(warmup: warm, reps: timed) {
            last = work.step()
            if first == nil { first = last }
        }
        let foreign = monitor.foreignCores()
        // As bench_step.py: one warm-up, max(3, reps / 2) timed (fewer only when fewer steps were asked for).
        let fwdMonitor = ForeignLoadMonitor()
        let forwardTime = timeMedian(warmup: 1, reps: max(min(3, timed), timed / 2)) { work.forward() }
        let fwdForeign = fwdMonitor.foreignCores()
        // Eval-mode inference: one warm-up, then as many as the forward timing.
        var inferTime: TimingSummary?, inferForeign: Double?
        if let infer = work.infer {
            let m = ForeignLoadMonitor()
            inferTime = timeMedian(warmup: 1, reps: max(min(3, timed), timed)) { infer() }
            inferForeign = m.foreignCores()
        }

        var entries: [ProfileEntry]?
        if let profiler {
            profiler.start()
            for _ in 0..<max(2, min(timed, 5)) { last = work.step() }
            entries = profiler.stop()
        }
        let result = StepChildResult(
            model: model.rawValue, params: work.parameterCount, threads: WorkerPool.shared.threadCount,
            step: stepTime, fwd: forwardTime, first_loss: first ?? .nan, last_loss: last,
            foreign_cores: foreign, fwd_foreign_cores: fwdForeign, infer: inferTime, infer_foreign_cores: inferForeign, self_peak_rss_bytes: ownPeakRSSBytes(), setup_s: setup, profile: entries)
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try encoder.encode(result).write(to: URL(fileURLWithPath: out))
    }

    // MARK: Parent: run the children and the PyTorch anchors, print the table

    private func runParent() throws {
        lineBufferStdout()
        let chosen = try selectedModels()
        let threadCount = threads ?? WorkerPool.defaultThreadCount()
        let exe = currentExecutablePath()
        let workDir = try makeTemporaryDirectory(prefix: "mlrsnet-stepbench")
        defer { try? FileManager.default.removeItem(at: workDir) }

        // PyTorch: available? where are the scripts?
        var torch: TorchAnchors?
        var torchNote: String?
        var torchVersion: String?
        if noPytorch {
            torchNote = "PyTorch not measured (--no-pytorch)."
        } else {
            let probe = probeTorch(python: python)
            if probe.ok {
                torchVersion = probe.detail
                torch = try TorchAnchors(python: python, explicitDirectory: pytorchDir, threads: threadCount,
                                         verbose: verbose)
                print("PyTorch \(probe.detail) via \(python); anchors in \(torch!.directory.path)")
            } else {
                torchNote = "torch is missing (`\(python) -c \"import torch\"` failed: \(probe.detail)); our numbers only."
            }
        }
        print("threads: \(threadCount); models: \(chosen.map(\.rawValue).joined(separator: ", "))")

        // Fixed costs: our runtime + worker pool, Python + torch imported.
        let oursBaseline = try runChildProcess(exe, ["step", "--child", "baseline", "--child-out", workDir.appendingPathComponent("baseline.json").path],
                                        environment: ["MLRSNET_THREADS": String(threadCount)])
        let torchBaseline = torch?.baselinePeakRSS()

        var rows: [StepRow] = []
        for model in chosen {
            let warm = warmup ?? model.defaultWarmup, timed = reps ?? model.defaultReps
            print("[\(model.rawValue)] ours: \(warm) warm-up + \(timed) timed steps ...")
            let outFile = workDir.appendingPathComponent("ours-\(model.rawValue).json")
            var args = ["step", "--child", model.rawValue, "--child-out", outFile.path, "--reps", String(timed), "--warmup", String(warm)]
            if profile { args.append("--profile") }
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            var best: (result: StepChildResult, peak: Int)?
            for attempt in 0...retries {
                if quietWait > 0 { _ = waitForQuietMachine(maxWait: quietWait) }
                try? FileManager.default.removeItem(at: outFile)
                let r = try runChildProcess(exe, args, environment: ["MLRSNET_THREADS": String(threadCount)])
                guard r.succeeded, let data = FileManager.default.contents(atPath: outFile.path) else {
                    print("[\(model.rawValue)] ours FAILED (\(r.endDescription))\n\(r.outputTail())")
                    throw StepBenchError("our measurement of \(model.rawValue) failed (\(r.endDescription))")
                }
                let ours = try decoder.decode(StepChildResult.self, from: data)
                print("[\(model.rawValue)] ours: " + String(format: "%.1f ms/step, ", ours.step.median_s * 1e3)
                      + "peak \(mebibytes(r.peakRSSBytes)) MiB"
                      + String(format: ", other processes %.2f cores (%.0f s)", ours.foreign_cores, r.wallSeconds))
                if best == nil || ours.foreign_cores < best!.result.foreign_cores { best = (ours, r.peakRSSBytes) }
                if !(ours.foreign_cores > 0.25) { break }
                if attempt < retries { print("[\(model.rawValue)] ours: disturbed by other processes; measuring again") }
            }
            let (ours, oursPeak) = best!

            var anchor: TorchResult?
            if let torch {
                let a = model.torchAnchor
                print("[\(model.rawValue)] PyTorch: \(a.script.rawValue) --models \(a.selector) ...")
                do {
                    let t = try torch.result(for: model)
                    print("[\(model.rawValue)] PyTorch: " + String(format: "%.1f ms/step, ", t.stepMedian * 1e3)
                          + "peak \(mebibytes(t.peakRSSBytes)) MiB" + String(format: ", other processes %.2f cores", t.foreignCores))
                    anchor = t
                } catch {
                    print("[\(model.rawValue)] PyTorch FAILED: \(error)")
                }
            }
            var torchInfer: TorchInference?
            if let torch, model.torchInferName != nil {
                do {
                    let t = try torch.inference(for: model)
                    print("[\(model.rawValue)] PyTorch eval inference: " + String(format: "%.1f ms", t.median * 1e3)
                          + String(format: ", other processes %.2f cores", t.foreignCores))
                    torchInfer = t
                } catch {
                    print("[\(model.rawValue)] PyTorch inference FAILED: \(error)")
                }
            }
            rows.append(StepRow(model: model, ours: ours, oursPeakRSS: oursPeak, torch: anchor, torchInfer: torchInfer))
        }

        print()
        printTable(rows, threads: threadCount, oursBaseline: oursBaseline.peakRSSBytes, torchBaseline: torchBaseline)
        var storedTorch: [StepModel: (seconds: Double, date: String)] = [:]
        for m in chosen { storedTorch[m] = torch?.storedStepMedian(for: m) }
        var notes: [String] = []
        if let torchNote { notes.append(torchNote) }
        notes.append("peak MiB: whole measuring process (ru_maxrss of that child); mem x = ours / PyTorch. Fixed cost without a model: ours "
                     + "\(mebibytes(oursBaseline.peakRSSBytes)) MiB"
                     + (torchBaseline.map { ", python + import torch \(mebibytes($0)) MiB; net x = the same ratio with each side's fixed cost subtracted" } ?? "") + ".")
        if rows.contains(where: { $0.model == .lstm200 || $0.model == .lstm512 }) && torch != nil {
            notes.append("PyTorch LSTM (bench_step.py d) measures lstm200, lstm650, lstm512 and lstm512x3 in ONE process: its peak is the max over the four (lstm512x3 is the largest).")
        }
        if rows.contains(where: { $0.model == .wrn16_4 }) && torch != nil {
            notes.append("PyTorch WRN-16-4 from scripts/bench/torch_step_extra.py (bench_step.py's image_bench on a WRN matching ours).")
        }
        notes.append("other = cores kept busy by other processes during the timed steps (ours/PyTorch); both sides wait for a quiet machine first and re-measure when disturbed (ours: --quiet-wait, --retries). PyTorch uses its scripts' own rep counts.")
        notes.append("ours fwd = forward alone in train mode (it still caches activations for a backward); PyTorch fwd = forward under no_grad in train mode.")
        notes.append("infer = eval-mode inference of the same batch (ours: isTraining = false; PyTorch: model.eval() + torch.no_grad(), scripts/bench/torch_step_extra.py --infer, its own process); inf x = ours / PyTorch. Image models only.")
        for row in rows {
            if let t = row.torch, t.params != row.ours.params {
                notes.append("WARNING \(row.model.rawValue): parameter counts differ (ours \(row.ours.params), PyTorch \(t.params)) — not the same model.")
            }
            if let t = row.torch, let stored = storedTorch[row.model],
               abs(t.stepMedian / stored.seconds - 1) > 0.25 {
                notes.append("NOTE \(row.model.rawValue): PyTorch's step today " + String(format: "%.1f ms", t.stepMedian * 1e3)
                             + " differs by more than 25% from the " + String(format: "%.1f ms", stored.seconds * 1e3)
                             + " stored in results_step.json (\(stored.date)): the machine's state differs; compare ratios measured side by side only.")
            }
            if !row.ours.last_loss.isFinite {
                notes.append("WARNING \(row.model.rawValue): our loss is not finite (\(row.ours.last_loss)).")
            }
        }
        for n in notes { print("  " + n) }
        if profile { printProfiles(rows) }

        if let json {
            try writeJSON(rows, to: json, threads: threadCount, oursBaseline: oursBaseline.peakRSSBytes,
                          torchBaseline: torchBaseline, torchVersion: torchVersion, torchNote: torchNote,
                          storedTorch: storedTorch, notes: notes)
            print("wrote \(json)")
        }
    }

    private func printTable(_ rows: [StepRow], threads: Int, oursBaseline: Int, torchBaseline: Int?) {
        func ms(_ s: Double?) -> String { s.map { String(format: "%.1f", $0 * 1e3) } ?? "-" }
        func ratio(_ a: Double?, _ b: Double?) -> String {
            guard let a, let b, b > 0 else { return "-" }
            return String(format: "%.2f", a / b)
        }
        func pad(_ s: String, _ w: Int, left: Bool = false) -> String {
            let p = String(repeating: " ", count: max(0, w - s.count))
            return left ? s + p : p + s
        }
        print("Training step (fwd + loss + bwd + update), train-mode fwd and eval-mode inference (inf), median ms; peak RSS MiB; ratio = ours / PyTorch; \(threads) threads")
        let header = [pad("model", 18, left: true), pad("params", 9), pad("ours step", 10), pad("[min-max]", 16),
                      pad("fwd", 8), pad("torch step", 11), pad("fwd", 8), pad("step x", 7), pad("fwd x", 6),
                      pad("ours inf", 9), pad("torch inf", 10), pad("inf x", 6),
                      pad("ours MiB", 9), pad("torch MiB", 10), pad("mem x", 6), pad("net x", 6), pad("other", 10), pad("loss", 14)]
        print(header.joined(separator: " "))
        for r in rows {
            let o = r.ours, t = r.torch
            let spread = String(format: "[%.1f-%.1f]", o.step.min_s * 1e3, o.step.max_s * 1e3)
            let other = String(format: "%.2f/", o.foreign_cores) + (t.map { String(format: "%.2f", $0.foreignCores) } ?? "-")
            let loss = String(format: "%.3f>%.3f", o.first_loss, o.last_loss)
            let cols = [pad(r.model.title, 18, left: true), pad(String(o.params), 9), pad(ms(o.step.median_s), 10), pad(spread, 16),
                        pad(ms(o.fwd.median_s), 8), pad(ms(t?.stepMedian), 11), pad(ms(t?.fwdMedian), 8),
                        pad(ratio(o.step.median_s, t?.stepMedian), 7), pad(ratio(o.fwd.median_s, t?.fwdMedian), 6),
                        pad(ms(o.infer?.median_s), 9), pad(ms(r.torchInfer?.median), 10),
                        pad(ratio(o.infer?.median_s, r.torchInfer?.median), 6),
                        pad(mebibytes(r.oursPeakRSS), 9), pad(t.map { mebibytes($0.peakRSSBytes) } ?? "-", 10),
                        pad(ratio(Double(r.oursPeakRSS), t.map { Double($0.peakRSSBytes) }), 6),
                        pad(ratio(Double(r.oursPeakRSS - oursBaseline), t.flatMap { t in torchBaseline.map { Double(t.peakRSSBytes - $0) } }), 6),
                        pad(other, 10), pad(loss, 14)]
            print(cols.joined(separator: " "))
        }
    }

    private func printProfiles(_ rows: [StepRow]) {
        for r in rows {
            guard let entries = r.ours.profile, !entries.isEmpty else { continue }
            let total = entries.reduce(0) { $0 + $1.samples }
            print("\nprofile \(r.model.title): where our step's wall time goes (\(total) samples on the main thread; innermost NN/Optim frame)")
            // By (type, phase) ...
            for e in entries where e.fraction >= 0.005 {
                let msPerStep = e.fraction * r.ours.step.median_s * 1e3
                let label = e.label.padding(toLength: max(36, e.label.count), withPad: " ", startingAt: 0)
                print("  " + label + String(format: " %5.1f%%  ~%8.1f ms/step", e.fraction * 100, msPerStep))
            }
            // ... and by layer type over all phases.
            var byType: [String: Double] = [:]
            for e in entries { byType[String(e.label.split(separator: ".").first ?? ""), default: 0] += e.fraction }
            let summary = byType.sorted { $0.value > $1.value }.filter { $0.value >= 0.005 }
                .map { "\($0.key) " + String(format: "%.0f%%", $0.value * 100) }.joined(separator: ", ")
            print("  by type: \(summary)")
        }
    }

    private func writeJSON(_ rows: [StepRow], to path: String, threads: Int, oursBaseline: Int, torchBaseline: Int?,
                           torchVersion: String?, torchNote: String?,
                           storedTorch: [StepModel: (seconds: Double, date: String)], notes: [String]) throws {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var models: [[String: Any]] = []
        for r in rows {
            var m: [String: Any] = ["model": r.model.rawValue, "title": r.model.title]
            var ours = try JSONSerialization.jsonObject(with: encoder.encode(r.ours)) as! [String: Any]
            ours["peak_rss_bytes"] = r.oursPeakRSS
            m["ours"] = ours
            if let t = r.torch {
                var torch = t.raw
                torch["peak_rss_bytes"] = t.peakRSSBytes
                torch["script"] = r.model.torchAnchor.script.rawValue
                torch["selector"] = r.model.torchAnchor.selector
                torch["peak_rss_note"] = t.peakNote
                if let stored = storedTorch[r.model] {
                    torch["stored_results_step_median_s"] = stored.seconds
                    torch["stored_results_step_date"] = stored.date
                }
                m["torch"] = torch
                m["ratio_step_time"] = r.ours.step.median_s / t.stepMedian
                m["ratio_fwd_time"] = r.ours.fwd.median_s / t.fwdMedian
                m["ratio_peak_rss"] = Double(r.oursPeakRSS) / Double(t.peakRSSBytes)
                if let torchBaseline, t.peakRSSBytes > torchBaseline {
                    m["ratio_net_peak_rss"] = Double(r.oursPeakRSS - oursBaseline) / Double(t.peakRSSBytes - torchBaseline)
                }
                if let g = t.gflopPerStep { m["ours_gflops"] = g / r.ours.step.median_s; m["torch_gflops"] = g / t.stepMedian }
            }
            if let ti = r.torchInfer {
                m["torch_infer_eval"] = ti.raw
                if let oi = r.ours.infer { m["ratio_infer_time"] = oi.median_s / ti.median }
            }
            models.append(m)
        }
        var payload: [String: Any] = [
            "date_utc": ISO8601DateFormatter().string(from: Date()),
            "threads": threads, "gemm_kernel": gemmKernelName,
            "ours_baseline_peak_rss_bytes": oursBaseline, "models": models, "notes": notes,
        ]
        if let torchBaseline { payload["torch_baseline_peak_rss_bytes"] = torchBaseline }
        if let torchNote { payload["torch_note"] = torchNote }
        if let torchVersion { payload["torch_version"] = torchVersion }
        let data = try JSONSerialization.data(withJSONObject: payload, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: path))
    }
}

struct StepBenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One model's results in the parent.
struct StepRow {
    let model: StepModel
    let ours: StepChildResult
    let oursPeakRSS: Int
    let torch: TorchResult?
    /// PyTorch's eval-mode inference of the same model (image models), when measured.
    let torchInfer: TorchInference?
}

