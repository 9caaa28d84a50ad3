import Foundation

/// One PyTorch anchor result for one model, from the JSON its script wrote, plus the peak RSS of the
/// process that measured it.
struct TorchResult {
    /// The script's result entry, as written (for `--json`).
    let raw: [String: Any]
    let stepMedian: Double
    let fwdMedian: Double
    let params: Int
    /// matmul/conv GFLOP of one step as the script counted them (nil when absent).
    let gflopPerStep: Double?
    /// Cores used by other processes while PyTorch measured (the scripts record it).
    let foreignCores: Double
    /// Peak RSS of the Python process that measured this model (and any others it measured with it).
    let peakRSSBytes: Int
    /// Which measurements shared that process.
    let peakNote: String
}

/// PyTorch's eval-mode inference of one model (`torch_step_extra.py --infer`, `model.eval()` +
/// `torch.no_grad()`), from the JSON entry it wrote.
struct TorchInference {
    let raw: [String: Any]
    let median: Double
    let foreignCores: Double
}

/// Runs the PyTorch anchor scripts, each selection in its own Python process (so its peak RSS is
/// its own), with `ANCHOR_OUT` pointing at a fresh directory, and reads back their JSON. A selection
/// that serves several of our models (`bench_step.py --models d`: all LSTM sizes) runs once.
final class TorchAnchors {
    let python: String
    /// The directory of `bench_step.py` and `common.py`.
    let directory: URL
    /// `scripts/bench/torch_step_extra.py`, when found.
    let extraScript: URL?
    let threads: Int
    let verbose: Bool

    private struct Run {
        var results: [[String: Any]]
        var peakRSSBytes: Int
        var names: [String]
    }
    private var runs: [String: Result<Run, StepBenchError>] = [:]

    /// Locates the anchors; throws with every place looked at when `bench_step.py` is not found.
    init(python: String, explicitDirectory: String?, threads: Int, verbose: Bool) throws {
        self.python = python
        self.threads = threads
        self.verbose = verbose
        let candidates = explicitDirectory.map { [URL(fileURLWithPath: $0, isDirectory: true)] } ?? pytorchAnchorCandidates()
        guard let dir = firstDirectory(containing: "bench_step.py", among: candidates),
              FileManager.default.fileExists(atPath: dir.appendingPathComponent("common.py").path) else {
            throw StepBenchError("""
                cannot find the PyTorch anchors (bench_step.py and common.py); looked in:
                  \(candidates.map { $0.standardizedFileURL.path }.joined(separator: "\n  "))
                Pass --pytorch-dir DIR, or --no-pytorch to measure our engine only.
                """)
        }
        directory = dir
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        extraScript = firstDirectory(containing: "torch_step_extra.py",
                                     among: [packageRootFromSource.appendingPathComponent("scripts/bench"),
                                             cwd.appendingPathComponent("scripts/bench")])?
            .appendingPathComponent("torch_step_extra.py")
    }

    /// Peak RSS of a Python process that only imports the anchors' `common` (torch, numpy).
    func baselinePeakRSS() -> Int? {
        let code = "import sys; sys.path.insert(0, sys.argv[1]); import common"
        guard let r = try? runChildProcess(python, ["-c", code, directory.path]), r.succeeded else { return nil }
        return r.peakRSSBytes
    }

    /// The step median stored for `model` in the anchors' own `results_step.json` (measured earlier
    /// on a quiet machine), with that file's date: a reference that shows when today's live run was
    /// disturbed. Nil when the file or the entry is absent.
    func storedStepMedian(for model: StepModel) -> (seconds: Double, date: String)? {
        guard model.torchAnchor.script == .benchStep,
              let data = FileManager.default.contents(atPath: directory.appendingPathComponent("results_step.json").path),
              let payload = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let results = payload["results"] as? [[String: Any]],
              let entry = results.first(where: { $0["name"] as? String == model.torchAnchor.resultName }),
              let step = entry["step"] as? [String: Any], let median = step["median_s"] as? Double else { return nil }
        let date = (payload["env"] as? [String: Any])?["date_utc"] as? String ?? "unknown date"
        return (median, date)
    }

    /// PyTorch's measurement of `model`, running its script if that selection has not run yet.
    func result(for model: StepModel) throws -> TorchResult {
        let anchor = model.torchAnchor
        let key = "\(anchor.script.rawValue) \(anchor.selector)"
        if runs[key] == nil {
            do { runs[key] = .success(try execute(anchor.script, selector: anchor.selector)) } catch { runs[key] = .failure(error) }
        }
        let run = try runs[key]!.get()
        guard let entry = run.results.first(where: { $0["name"] as? String == anchor.resultName }) else {
            throw StepBenchError("\(key): no result named '\(anchor.resultName)' (got \(run.names))")
        }
        guard let step = entry["step"] as? [String: Any], let stepMedian = step["median_s"] as? Double,
              let fwd = entry["fwd_nograd"] as? [String: Any], let fwdMedian = fwd["median_s"] as? Double,
              let params = entry["params"] as? Int else {
            throw StepBenchError("\(key): result '\(anchor.resultName)' lacks step/fwd_nograd median_s or params")
        }
        let note = run.names.count > 1
            ? "one process measured \(run.names.joined(separator: ", ")); peak is the max over them"
            : "own process"
        return TorchResult(raw: entry, stepMedian: stepMedian, fwdMedian: fwdMedian, params: params,
                           gflopPerStep: entry["gflop_per_step"] as? Double,
                           foreignCores: entry["foreign_cores"] as? Double ?? .nan,
                           peakRSSBytes: run.peakRSSBytes, peakNote: note)
    }

    /// PyTorch's eval-mode inference of `model` (one `torch_step_extra.py --infer` process per model).
    func inference(for model: StepModel) throws -> TorchInference {
        guard let name = model.torchInferName else {
            throw StepBenchError("\(model.rawValue): no PyTorch inference measurement")
        }
        let run = try execute(.extra, selector: name, extraArguments: ["--infer"])
        guard let entry = run.results.first(where: { $0["name"] as? String == name }),
              let r = entry["infer_eval"] as? [String: Any], let median = r["median_s"] as? Double else {
            throw StepBenchError("torch_step_extra.py --infer --models \(name): no infer_eval median_s for '\(name)' (got \(run.names))")
        }
        return TorchInference(raw: entry, median: median, foreignCores: entry["foreign_cores"] as? Double ?? .nan)
    }

    private func execute(_ script: StepModel.TorchScript, selector: String,
                         extraArguments: [String] = []) throws(StepBenchError) -> Run {
        let scriptURL: URL
        var args: [String]
        switch script {
        case .benchStep:
            scriptURL = directory.appendingPathComponent("bench_step.py")
            args = ["--models", selector, "--threads", String(threads)]
        case .extra:
            guard let extraScript else {
                throw StepBenchError("scripts/bench/torch_step_extra.py not found (looked next to the package and the current directory)")
            }
            scriptURL = extraScript
            args = ["--models", selector, "--threads", String(threads), "--pytorch-dir", directory.path] + extraArguments
        }
        let out: URL
        do {
            out = try makeTemporaryDirectory(prefix: "anchor-\(selector)")
        } catch {
            throw StepBenchError("cannot make a temporary directory: \(error)")
        }
        defer { try? FileManager.default.removeItem(at: out) }
        let r: ChildResult
        do {
            r = try runChildProcess(python, [scriptURL.path] + args, environment: ["ANCHOR_OUT": out.path], echo: verbose)
        } catch {
            throw StepBenchError("\(error)")
        }
        guard r.succeeded else {
            throw StepBenchError("\(scriptURL.lastPathComponent) \(args.joined(separator: " ")) ended with \(r.endDescription)\n\(r.outputTail())")
        }
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []).filter { $0.hasSuffix(".json") }
        guard files.count == 1, let data = FileManager.default.contents(atPath: out.appendingPathComponent(files[0]).path),
              let payload = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let results = payload["results"] as? [[String: Any]] else {
            throw StepBenchError("\(scriptURL.lastPathComponent): expected one JSON file with 'results' in ANCHOR_OUT, found \(files)")
        }
        return Run(results: results, peakRSSBytes: r.peakRSSBytes,
                   names: results.compactMap { $0["name"] as? String })
    }
}
