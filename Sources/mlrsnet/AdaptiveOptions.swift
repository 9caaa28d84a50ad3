import ArgumentParser
import Baselines
import Foundation
import Training

/// `train`'s options for the adaptive-LR baselines (`--schedule hd|l4|rtho`) and their grid sweeps.
/// The base optimiser comes from `--optimizer`: sgd → SGD-HD / L4-SGD, sgdm → L4Mom, nesterov → SGDN-HD, adam → Adam-HD / L4Adam.
struct AdaptiveOptions: ParsableArguments {
    @Option(help: "Hyper-learning rate β for --schedule hd and rtho (paper grids: images 1e-3…1e-7, text 1, 0.5, 0.1, 0.05).")
    var hyperLR: Double?
    @Option(help: "Sweep the hyper-LR (hd, rtho) over comma-separated values: each run goes to OUT/hyper-lr-X, the best (final validation metric, else test) is reported in OUT/grid.csv.")
    var hyperLRGrid: String?
    @Option(help: "L4 fraction α (paper: 0.15 images; 0.1, 0.05, 0.01, 0.005 text).") var l4Alpha: Double = 0.15
    @Option(help: "Sweep L4's α over comma-separated values (runs in OUT/l4-alpha-X).") var l4AlphaGrid: String?
    @Option(help: "L4 gradient-estimate running average δ (0: the raw gradient, the plain variant).") var l4GradientDecay: Double = 0.9
    @Option(help: "RTHO: hyper-step (validation hypergradient) every this many steps.") var rthoInterval: Int = 1
    @Option(help: "RTHO: finite-difference length for Hessian-vector products (r = ε/‖Z‖).") var rthoEpsilon: Double = 1e-2

    /// The swept values and the sub-directory prefix, or nil for a single run.
    func grid(_ schedule: ScheduleChoice) throws -> (values: [Double], prefix: String)? {
        let text = schedule == .l4 ? l4AlphaGrid : hyperLRGrid
        guard let text else { return nil }
        let values = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil && $0! >= 0 && $0!.isFinite }) else {
            throw ValidationError("grid values must be comma-separated non-negative numbers, got '\(text)'")
        }
        return (values.map { $0! }, schedule == .l4 ? "l4-alpha" : "hyper-lr")
    }

    func validate(_ schedule: ScheduleChoice, options: RunOptions) throws {
        switch schedule {
        case .hd, .rtho:
            guard hyperLR != nil || hyperLRGrid != nil else { throw ValidationError("--schedule \(schedule.rawValue) needs --hyper-lr X (or --hyper-lr-grid a,b,c)") }
            if let h = hyperLR, !(h >= 0 && h.isFinite) { throw ValidationError("--hyper-lr must be ≥ 0 (got \(h))") }
            if l4AlphaGrid != nil { throw ValidationError("--l4-alpha-grid applies to --schedule l4") }
        case .l4:
            guard l4Alpha > 0 else { throw ValidationError("--l4-alpha must be positive (got \(l4Alpha))") }
            guard (0..<1).contains(l4GradientDecay) else { throw ValidationError("--l4-gradient-decay must be in [0, 1) (got \(l4GradientDecay))") }
            if hyperLRGrid != nil { throw ValidationError("--hyper-lr-grid applies to --schedule hd and rtho; use --l4-alpha-grid") }
        default:
            if hyperLRGrid != nil || l4AlphaGrid != nil || hyperLR != nil {
                throw ValidationError("--hyper-lr, --hyper-lr-grid and --l4-alpha-grid apply to --schedule hd, l4 and rtho")
            }
        }
        if schedule == .rtho {
            guard rthoInterval >= 1 else { throw ValidationError("--rtho-interval must be ≥ 1 (got \(rthoInterval))") }
            guard rthoEpsilon > 0 else { throw ValidationError("--rtho-epsilon must be positive (got \(rthoEpsilon))") }
            if options.dataset != .ptb && options.validationPerClass == 0 {
                throw ValidationError("--schedule rtho needs validation data: add --validation-per-class N")
            }
        }
        _ = try grid(schedule)
        if try grid(schedule) != nil && options.out == nil { throw ValidationError("a grid sweep needs --out DIR") }
    }

    /// The step updater of one run; `value` is the swept hyper-parameter (hyper-LR, or α for L4).
    func makeUpdater(_ schedule: ScheduleChoice, setup: RunSetup, lr: Double, value: Double?, bounds: AdaptiveLRBounds,
                     clip: Float?) throws -> any StepUpdater {
        switch schedule {
        case .hd:
            return try HypergradientUpdate(initialLR: Float(lr), hyperLR: Float(value ?? hyperLR!), bounds: bounds)
        case .l4:
            return try L4Update(fraction: Float(value ?? l4Alpha), gradientDecay: Float(l4GradientDecay), bounds: bounds)
        case .rtho:
            guard let task = setup.task as? any MetaValidationSource else { throw CLIError("RTHO needs a task with validation data") }
            return try RTHOUpdate(task: task, initialLR: Float(lr), hyperLR: Float(value ?? hyperLR!), hyperInterval: rthoInterval,
                                  bounds: bounds, hvp: FiniteDifferenceHVP(epsilon: Float(rthoEpsilon)), clipNorm: clip)
        default:
            preconditionFailure("not an adaptive schedule: \(schedule)")
        }
    }

    /// Runs `train` with an adaptive method: one run, or a sweep over the grid with the best run reported.
    func run(_ schedule: ScheduleChoice, options: RunOptions, lr: Double, lrBounds: String?) throws {
        let bounds: AdaptiveLRBounds
        if let text = lrBounds {
            let parts = text.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 2, let lo = parts[0], let hi = parts[1] else { throw CLIError("--lr-bounds must be 'min,max', got '\(text)'") }
            do { bounds = try AdaptiveLRBounds(minimum: lo, maximum: hi) } catch { throw CLIError("--lr-bounds: \(error)") }
        } else {
            bounds = .unbounded
        }
        guard let (values, prefix) = try grid(schedule) else {
            let setup: RunSetup, updater: any StepUpdater
            do { setup = try RunSetup.build(options); updater = try makeUpdater(schedule, setup: setup, lr: lr, value: nil, bounds: bounds, clip: options.clip) }
            catch { throw CLIError("\(error)") }
            for line in setup.summary { say(line) }
            say("schedule: \(updater.summary)")
            _ = try options.execute(setup: setup, updater: updater)
            return
        }
        var rows: [(value: Double, dir: String, history: [EpochRecord]?)] = []
        for v in values {
            var o = options
            o.out = options.out! + "/\(prefix)-\(formatGridValue(v))"
            let setup: RunSetup, updater: any StepUpdater
            do { setup = try RunSetup.build(o); updater = try makeUpdater(schedule, setup: setup, lr: lr, value: v, bounds: bounds, clip: o.clip) }
            catch { throw CLIError("\(error)") }
            if rows.isEmpty { for line in setup.summary { say(line) } }
            say("== \(prefix) \(formatGridValue(v)) → \(o.out!)")
            say("schedule: \(updater.summary)")
            do { rows.append((v, o.out!, try o.execute(setup: setup, updater: updater).history)) }
            catch let e as ExitCode where e.rawValue == 1 { rows.append((v, o.out!, nil)); say("   (diverged)") }
        }
        try reportGrid(rows, prefix: prefix, text: options.dataset == .ptb, out: options.out!)
    }

    /// Writes OUT/grid.csv and prints the table with the best run (validation metric, else test; accuracy higher is
    /// better, perplexity lower).
    func reportGrid(_ rows: [(value: Double, dir: String, history: [EpochRecord]?)], prefix: String, text: Bool, out: String) throws {
        func score(_ h: [EpochRecord]?) -> (metric: Double, split: String)? {
            guard let last = h?.last else { return nil }
            for (m, s) in [(last.validation, "validation"), (last.test, "test")] {
                guard let m else { continue }
                let v = text ? m.perplexity : (m.accuracy ?? -m.loss)
                if v.isFinite { return (v, s) }
            }
            return nil
        }
        let scored = rows.map { ($0, score($0.history)) }
        let best = scored.filter { $0.1 != nil }.max { a, b in text ? a.1!.metric > b.1!.metric : a.1!.metric < b.1!.metric }
        var csv = "\(prefix),final_validation,final_test,final_lr,diverged,best\n"
        say("\(prefix)  final validation  final test  final LR  (\(text ? "perplexity" : "accuracy"))")
        for (r, _) in scored {
            let last = r.history?.last
            func f(_ m: EvaluationMetrics?) -> String {
                guard let m else { return "" }
                return text ? String(format: "%.2f", m.perplexity) : String(format: "%.4f", m.accuracy ?? .nan)
            }
            let isBest = best.map { $0.0.value == r.value } ?? false
            csv += "\(formatGridValue(r.value)),\(f(last?.validation)),\(f(last?.test)),\(last.map { String($0.learningRate) } ?? ""),\(r.history == nil),\(isBest)\n"
            func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
            say(pad(formatGridValue(r.value), 10) + pad(f(last?.validation), 18) + pad(f(last?.test), 12)
                + (last.map { String(format: "%.4g", $0.learningRate) } ?? "diverged") + (isBest ? "   ← best" : ""))
        }
        try csv.write(toFile: out + "/grid.csv", atomically: true, encoding: .utf8)
        if let b = best { say("best \(prefix): \(formatGridValue(b.0.value)) (by final \(b.1!.split) metric) in \(b.0.dir)") }
        else { say("no run of the grid finished") }
    }
}

/// A grid value as it appears in directory names (1e-05 → 1e-05, 0.5 → 0.5).
func formatGridValue(_ v: Double) -> String { String(format: "%g", v) }

extension ScheduleChoice {
    /// hd, l4, rtho: methods that adapt the LR themselves (a `StepUpdater`, not a schedule).
    var isAdaptive: Bool { self == .hd || self == .l4 || self == .rtho }
}
