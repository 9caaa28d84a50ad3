import Foundation
import SafeTensors
import Training

/// Writes a study's report into its output directory: `report.md` (tables of mean ± std of the final and
/// best test metric and the training time per method, the paper-vs-ours comparison, the flatness table, the
/// exact command, the configuration JSON and the machine), `curves-epochs.csv` and `curves-steps.csv` (every
/// cell's curves) and SVG plots per group (LR schedules, test metric, training loss; flatness).
public struct StudyReport {
    public var study: Study
    public var results: [CellResult]
    public var outputDirectory: String
    public var command: String
    public var machine: MachineInfo
    /// Groups or cells that could not run (shown in the report).
    public var problems: [(cell: String, message: String)] = []
    /// At most this many step rows per cell in `curves-steps.csv` (every k-th step; each cell's own
    /// `steps.csv` keeps all).
    public var maxStepRows = 1000

    public init(study: Study, results: [CellResult], outputDirectory: String, command: String, machine: MachineInfo = .current()) {
        self.study = study; self.results = results; self.outputDirectory = outputDirectory; self.command = command; self.machine = machine
    }

    /// One method's summary over its seeds.
    public struct MethodSummary: Sendable {
        public var method: String
        public var finished: Int
        public var diverged: Int
        public var final: MeanStd?
        public var best: MeanStd?
        public var trainSeconds: MeanStd?
        public var secondsPerStep: Double?
    }

    /// The summaries of `group`'s methods, in the study's order.
    public func summaries(_ group: StudyGroup) -> [MethodSummary] {
        group.methods.map { m in
            let rs = results.filter { $0.group == group.name && $0.method == m.name }
            // Time only what was timed: the completed epochs (a cell that diverged inside its first epoch has none).
            let timed = rs.filter { !$0.history.isEmpty }
            let steps = timed.reduce(0) { $0 + ($1.history.last?.step ?? 0) }
            return MethodSummary(method: m.name, finished: rs.filter { $0.status == .finished }.count,
                                 diverged: rs.filter { $0.status == .diverged }.count,
                                 final: MeanStd(rs.compactMap(\.finalMetric)), best: MeanStd(rs.compactMap(\.bestMetric)),
                                 trainSeconds: MeanStd(timed.map(\.trainSeconds)),
                                 secondsPerStep: steps > 0 ? timed.reduce(0) { $0 + $1.trainSeconds } / Double(steps) : nil)
        }
    }

    /// How many of the study's cells have a result for each requested seed, e.g. "cells done per seed: 21/21, 21/21,
    /// 0/21": a report regenerated with more seeds than ran says so in its header, not only in its tables.
    public func seedCoverage() -> String {
        let cells = study.groups.reduce(0) { $0 + $1.methods.count }
        let done = study.seeds.map { seed in
            Set(results.filter { $0.seed == seed }.map { "\($0.group)/\($0.method)" }).count
        }
        return "cells done per seed: " + done.map { "\($0)/\(cells)" }.joined(separator: ", ")
    }

    public func write() throws {
        try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        try writeCurves()
        var md = "# \(study.title) — `\(study.scale.rawValue)` scale\n\n"
        md += "Study `\(study.name)`, seeds \(study.seeds.map(String.init).joined(separator: ", ")); \(seedCoverage()). Generated \(ISO8601DateFormatter().string(from: Date())).\n\n"
        md += "- Command: `\(command)`\n- Machine: \(machine.summary)\n\n"
        if !study.notes.isEmpty { md += "## Setting\n\n" + study.notes.map { "- \($0)\n" }.joined() + "\n" }
        for g in study.groups {
            let text = g.run.dataset.isText
            md += "## \(g.title) (`\(g.name)`)\n\n"
            md += "\(g.run.dataset.rawValue), \(g.run.model), \(g.run.epochs) epochs, batch \(g.run.batchSize), optimiser \(g.run.optimizer.rawValue) unless the method says otherwise.\n\n"
            let unit = text ? "test perplexity (lower is better)" : "test accuracy % (higher is better)"
            md += "Metric: \(unit); mean ± std over seeds (sample std).\n\n"
            md += "| method | seeds done | diverged | final | best | train time / seed (s) | ms / step |\n|---|---|---|---|---|---|---|\n"
            for s in summaries(g) {
                let f = s.final?.formatted() ?? "–", b = s.best?.formatted() ?? "–"
                let t = s.trainSeconds?.formatted(decimals: 1) ?? "–"
                let ms = s.secondsPerStep.map { String(format: "%.1f", $0 * 1000) } ?? "–"
                md += "| \(s.method) | \(s.finished) | \(s.diverged) | \(f) | \(b) | \(t) | \(ms) |\n"
            }
            md += "\n"
            if results.contains(where: { $0.group == g.name }) {
                try writePlots(g)
                md += "![LR schedules](\(g.name)-lr.svg) ![test metric](\(g.name)-test.svg) ![training loss](\(g.name)-train-loss.svg)\n\n"
            }
            let descs = results.filter { $0.group == g.name && $0.seed == study.seeds[0] }
            if !descs.isEmpty {
                md += "<details><summary>What each method ran (seed \(study.seeds[0]))</summary>\n\n"
                for r in descs { md += "- **\(r.method)**: " + r.description.joined(separator: "; ") + "\n" }
                md += "\n</details>\n\n"
            }
        }
        md += acrossGroupsSection()
        if study.flatness != nil { md += try flatnessSection() }
        md += paperSection()
        if !problems.isEmpty {
            md += "## Not run\n\n" + problems.map { "- \($0.cell): \($0.message)\n" }.joined() + "\n"
        }
        md += "## Configuration\n\n```json\n\(try prettyJSON(study))\n```\n"
        try AtomicFile.write(Array(md.utf8), to: outputDirectory + "/report.md")
    }

    /// When every group runs the same methods on the same metric (robustness: one group per corruption): the
    /// methods, the groups where every method finished (so means compare like with like) and each method's mean
    /// final metric per group; nil when the groups differ or fewer than two are complete.
    func groupsToAverage() -> (methods: [String], complete: [String], finals: [String: [String: Double]], text: Bool)? {
        guard study.groups.count > 1, let first = study.groups.first else { return nil }
        let names = first.methods.map(\.name)
        guard study.groups.allSatisfy({ $0.methods.map(\.name) == names && $0.run.dataset.isText == first.run.dataset.isText }) else { return nil }
        var finals: [String: [String: Double]] = [:]   // method → group → mean final
        for g in study.groups { for s in summaries(g) { if let f = s.final { finals[s.method, default: [:]][g.name] = f.mean } } }
        let complete = study.groups.map(\.name).filter { g in names.allSatisfy { finals[$0]?[g] != nil } }
        guard complete.count > 1 else { return nil }
        return (names, complete, finals, first.run.dataset.isText)
    }

    /// The mean over groups and in how many groups each method was best.
    public func acrossGroupsSection() -> String {
        guard let (names, complete, finals, text) = groupsToAverage() else { return "" }
        var wins: [String: Int] = [:]
        for g in complete {
            let best = names.map { finals[$0]![g]! }.reduce(text ? .infinity : -.infinity) { text ? min($0, $1) : max($0, $1) }
            for m in names where finals[m]![g]! == best { wins[m, default: 0] += 1 }
        }
        var md = "## Mean over groups\n\nFinal \(text ? "test perplexity" : "test accuracy %") averaged over the \(complete.count) groups where every method finished (\(complete.joined(separator: ", "))); seeds averaged first.\n\n"
        md += "| method | mean final | groups where best |\n|---|---|---|\n"
        for m in names {
            let mean = complete.map { finals[m]![$0]! }.reduce(0, +) / Double(complete.count)
            md += "| \(m) | \(String(format: "%.2f", mean)) | \(wins[m] ?? 0) |\n"
        }
        return md + "\n"
    }

    /// `method`'s final metric per seed, averaged over `groups` (one group: its final metric), for the seeds that
    /// finished in every one of them, in the study's seed order.
    func finalsBySeed(_ method: String, _ groups: [String]) -> [(seed: UInt64, value: Double)] {
        study.seeds.compactMap { seed in
            let finals = groups.compactMap { g in results.first { $0.group == g && $0.method == method && $0.seed == seed }?.finalMetric }
            return finals.count == groups.count ? (seed, finals.reduce(0, +) / Double(groups.count)) : nil
        }
    }

    /// `method`'s final metric averaged over `groups`, one mean per seed that finished in every one of them; the
    /// spread is then across seeds, as in the per-group tables.
    func meanOverGroups(_ method: String, _ groups: [String]) -> MeanStd? { MeanStd(finalsBySeed(method, groups).map(\.value)) }

    /// `m` against `other` seed by seed over `groups`: the mean ± standard error of the per-seed differences of the
    /// final metric and in how many seeds `m` is better. A seed gives every method the same initialisation and data
    /// order, so these differences can be much less noisy than the two methods' spreads suggest. nil below two
    /// seeds that both finished.
    func pairedNote(_ m: String, _ other: String, groups: [String], text: Bool) -> String? {
        let theirs = Dictionary(finalsBySeed(other, groups).map { ($0.seed, $0.value) }, uniquingKeysWith: { a, _ in a })
        let d = finalsBySeed(m, groups).compactMap { s in theirs[s.seed].map { s.value - $0 } }
        return pairedText("seed", m, other, d, text: text)
    }

    /// `m` against `other` group by group over `groups` (robustness: corruption by corruption), from
    /// `groupMeans` (method → group → final metric averaged over the group's seeds, as `groupsToAverage` gives it);
    /// nil below two groups where both have a mean.
    func pairedByGroupNote(_ m: String, _ other: String, groups: [String], groupMeans: [String: [String: Double]], text: Bool) -> String? {
        let d = groups.compactMap { g in groupMeans[m]?[g].flatMap { a in groupMeans[other]?[g].map { a - $0 } } }
        return pairedText("group", m, other, d, text: text)
    }

    /// "paired by UNIT: m − other = ±x ± se (mean ± SE of n differences), m better in k of n UNITs"; nil below two.
    func pairedText(_ unit: String, _ m: String, _ other: String, _ d: [Double], text: Bool) -> String? {
        guard d.count >= 2, let ms = MeanStd(d) else { return nil }
        let se = ms.std / Double(d.count).squareRoot()
        let better = d.filter { text ? $0 < 0 : $0 > 0 }.count
        return "paired by \(unit): \(m) − \(other) = \(String(format: "%+.2f", ms.mean)) ± \(String(format: "%.2f", se)) "
            + "(mean ± SE of \(d.count) differences), \(m) better in \(better) of \(d.count) \(unit)s"
    }

    // MARK: Paper vs ours

    public func paperSection() -> String {
        guard !study.paperClaims.isEmpty else { return "" }
        var md = "## Paper vs ours\n\n"
        // Each verdict is one line under its claim; with several groups it says which group it is about.
        func ours(_ label: String?, _ verdict: String) { md += "  - **Ours\(label.map { " (\($0))" } ?? ""):** \(verdict)\n" }
        for c in study.paperClaims {
            md += "- **Paper:** \(c.claim) (\(c.paper))\n"
            if c.overGroups == true, let m = c.method {
                guard let (_, complete, finals, text) = groupsToAverage(), let mean = meanOverGroups(m, complete) else {
                    ours("mean over groups", "not yet two groups where every method finished."); continue
                }
                let others = (c.comparedWith ?? []).compactMap { name in meanOverGroups(name, complete).map { (name, $0) } }
                ours("mean over \(complete.count) groups", metricVerdict(c, m, mean, others, groups: complete, groupMeans: finals, text: text))
                continue
            }
            if c.group == nil, study.flatness != nil { if let v = flatnessVerdict() { ours(nil, v) }; continue }
            guard let gName = c.group, let g = study.groups.first(where: { $0.name == gName }), let m = c.method else { continue }
            ours(study.groups.count > 1 ? "`\(gName)`" : nil, claimVerdict(c, g, m))
        }
        return md + "\n"
    }

    /// The "Ours" line of a claim about one group: cost, insensitivity, or match-or-beat.
    func claimVerdict(_ c: PaperClaim, _ g: StudyGroup, _ m: String) -> String {
        let sums = summaries(g)
        if let limit = c.maxTimeRatio { return timeVerdict(sums, method: m, reference: c.comparedWith?.first, limit: limit) }
        guard let ours = sums.first(where: { $0.method == m })?.final else { return "\(m) has no finished cell yet." }
        let others = (c.comparedWith ?? []).compactMap { name in sums.first { $0.method == name }?.final.map { (name, $0) } }
        if let tol = c.insensitiveWithin { return insensitiveVerdict(m, ours, others, tolerance: tol) }
        return metricVerdict(c, m, ours, others, groups: [g.name], text: g.run.dataset.isText)
    }

    /// "Ours" for the flatness claim: the flattest method by the rise of the training loss at the extreme α.
    func flatnessVerdict() -> String? {
        let rises = (try? flatnessProfiles().compactMap { p in p.rise.map { (p.name, $0) } }) ?? []
        guard let flattest = rises.min(by: { $0.1 < $1.1 }) else { return nil }
        let mlr = rises.filter { $0.0.contains("mlrsnet") }
        let verdict = mlr.contains { $0.0 == flattest.0 } ? "agrees" : "does not agree at this scale"
        return "flattest (smallest mean rise of the training loss at α = ±1): \(flattest.0) (\(String(format: "%.4f", flattest.1)))"
            + (mlr.isEmpty ? "; no MLR-SNet cell finished yet." : "; " + mlr.map { "\($0.0) \(String(format: "%.4f", $0.1))" }.joined(separator: ", ") + " → \(verdict).")
    }

    /// "Ours" for an "insensitive to X" claim: every variant within `tolerance` of `m`, in either direction.
    func insensitiveVerdict(_ m: String, _ ours: MeanStd, _ others: [(String, MeanStd)], tolerance tol: Double) -> String {
        guard let far = others.max(by: { abs($0.1.mean - ours.mean) < abs($1.1.mean - ours.mean) }) else { return "\(m) final \(ours.formatted())." }
        let gap = abs(far.1.mean - ours.mean)
        let verdict = gap <= tol * abs(ours.mean)
            ? "agrees: every variant is within \(String(format: "%g", tol * 100))% of \(m)"
            : "does not agree at this scale: \(far.0) differs from \(m) by \(String(format: "%.2f", gap)) (more than \(String(format: "%g", tol * 100))%)"
        let list = others.map { "\($0.0) \($0.1.formatted())" }.joined(separator: ", ")
        return "\(m) final \(ours.formatted()); \(list) → \(verdict)\(ours.count < 2 ? " (one seed: no spread measured)" : "")."
    }

    /// "Ours" for a match-or-beat claim: `m` against the best compared method by mean final metric (over `groups`),
    /// with the claim's tolerance for "comparable" and one std as noise when there are several seeds; then, with
    /// two seeds or more, the paired comparison with that method seed by seed, and given `groupMeans` (a claim over
    /// groups) also group by group (these inform, but do not change the verdict).
    func metricVerdict(_ c: PaperClaim, _ m: String, _ ours: MeanStd, _ others: [(String, MeanStd)], groups: [String],
                       groupMeans: [String: [String: Double]]? = nil, text: Bool) -> String {
        guard let best = others.max(by: { text ? $0.1.mean > $1.1.mean : $0.1.mean < $1.1.mean }) else { return "\(m) final \(ours.formatted())." }
        let better = text ? ours.mean <= best.1.mean : ours.mean >= best.1.mean
        let gap = abs(ours.mean - best.1.mean), spread = max(ours.std, best.1.std)
        let singleSeed = ours.count < 2 || best.1.count < 2
        let behind = "\(m) is behind \(best.0) by \(String(format: "%.2f", gap))"
        var verdict = better ? "agrees: \(m) is at least as good as the best compared method"
            : c.comparableWithin.map({ gap <= $0 * abs(best.1.mean) }) == true
                ? "agrees (comparable): \(behind), within \(String(format: "%g", c.comparableWithin! * 100))% of it"
            : !singleSeed && gap <= spread ? "within noise: \(behind), inside one std (\(String(format: "%.2f", spread)))"
            : "does not agree at this scale: \(behind)"
        if singleSeed { verdict += " (one seed: no spread measured)" }
        let notes = [pairedNote(m, best.0, groups: groups, text: text),
                     groupMeans.flatMap { pairedByGroupNote(m, best.0, groups: groups, groupMeans: $0, text: text) }].compactMap { $0 }
        let paired = notes.map { "; \($0)" }.joined()
        return "\(m) final \(ours.formatted()) vs best compared (\(best.0)) \(best.1.formatted()) → \(verdict)\(paired)."
    }

    /// The "Ours" line of a cost claim: `method`'s training ms per step over `reference`'s, against `limit`.
    func timeVerdict(_ sums: [MethodSummary], method m: String, reference: String?, limit: Double) -> String {
        guard let ref = reference, let r = sums.first(where: { $0.method == ref })?.secondsPerStep,
              let ours = sums.first(where: { $0.method == m })?.secondsPerStep, r > 0 else {
            return "\(m) or \(reference ?? "its reference") has no finished cell yet."
        }
        let ratio = ours / r
        let verdict = ratio <= limit ? "agrees (at most \(String(format: "%g", limit))×)" : "does not agree at this scale (more than \(String(format: "%g", limit))×)"
        return "\(m) \(String(format: "%.1f", ours * 1000)) ms/step = \(String(format: "%.2f", ratio))× \(ref) (\(String(format: "%.1f", r * 1000)) ms/step) → \(verdict)."
    }

    // MARK: Curves and plots

    func stepRows(_ r: CellResult) -> [(step: Int, lr: Double, loss: Double)] {
        let dir = "\(outputDirectory)/cells/\(r.group)/\(r.method)/seed-\(r.seed)"
        guard let text = try? String(contentsOfFile: dir + "/steps.csv", encoding: .utf8) else { return [] }
        var rows: [(Int, Double, Double)] = []
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count >= 5, let s = Int(f[0]), let lr = Double(f[3]), let l = Double(f[4]) else { continue }
            rows.append((s, lr, l))
        }
        return rows
    }

    func writeCurves() throws {
        var e = "group,method,seed,epoch,step,lr,train_loss,val_loss,test_loss,test_metric,seconds\n"
        var s = "group,method,seed,step,lr,loss\n"
        func f(_ v: Double?) -> String { v.map { String($0) } ?? "" }
        for r in results {
            for h in r.history {
                e += "\(r.group),\(r.method),\(r.seed),\(h.epoch + 1),\(h.step),\(h.learningRate),\(h.trainLoss),\(f(h.validation?.loss)),\(f(h.test?.loss)),\(f(r.metric(h))),\(h.seconds)\n"
            }
            let rows = stepRows(r)
            let k = max(1, (rows.count + maxStepRows - 1) / maxStepRows)
            for (i, row) in rows.enumerated() where i % k == 0 || i == rows.count - 1 {
                s += "\(r.group),\(r.method),\(r.seed),\(row.step),\(row.lr),\(row.loss)\n"
            }
        }
        try AtomicFile.write(Array(e.utf8), to: outputDirectory + "/curves-epochs.csv")
        try AtomicFile.write(Array(s.utf8), to: outputDirectory + "/curves-steps.csv")
    }

    func writePlots(_ g: StudyGroup) throws {
        let text = g.run.dataset.isText
        var lr = SVGPlot(title: "\(g.title): learning rate (seed \(study.seeds[0]))", xLabel: "step", yLabel: "learning rate", logY: true)
        var test = SVGPlot(title: "\(g.title): \(text ? "test perplexity" : "test accuracy") (mean over seeds)", xLabel: "epoch",
                           yLabel: text ? "perplexity" : "accuracy (%)", logY: text)
        var loss = SVGPlot(title: "\(g.title): training loss (mean over seeds)", xLabel: "epoch", yLabel: "training loss", logY: true)
        // The LR plot shows each method's first-seed cell. A diverged cell's LR can run to 1e20 before the loss turns
        // NaN: its curve is cut where it leaves 10× the largest LR of the plotted cells that finished, so the others
        // stay readable (the table says it diverged).
        let plotted: [(name: String, cell: CellResult, rows: [(step: Int, lr: Double, loss: Double)])] = g.methods.compactMap { m in
            let rs = results.filter { $0.group == g.name && $0.method == m.name }
            return (rs.first { $0.seed == study.seeds[0] } ?? rs.first).map { (m.name, $0, stepRows($0)) }
        }
        let lrCeiling = plotted.filter { $0.cell.status == .finished }.flatMap { $0.rows.map(\.lr) }.max().map { 10 * $0 }
        for p in plotted {
            var rows = p.rows
            if p.cell.status == .diverged, let cap = lrCeiling, let cut = rows.firstIndex(where: { !$0.lr.isFinite || abs($0.lr) > cap }) {
                rows = Array(rows[..<cut])
            }
            let k = max(1, rows.count / 800)
            lr.series.append(.init(name: p.cell.status == .diverged ? "\(p.name) (diverged)" : p.name,
                                   points: rows.enumerated().filter { $0.offset % k == 0 }.map { (Double($0.element.step), $0.element.lr) }))
        }
        for m in g.methods {
            let rs = results.filter { $0.group == g.name && $0.method == m.name }
            guard !rs.isEmpty else { continue }
            let epochs = rs.map(\.history.count).max() ?? 0
            var tp: [(x: Double, y: Double)] = [], lp: [(x: Double, y: Double)] = []
            for ep in 0..<epochs {
                let recs = rs.compactMap { $0.history.count > ep ? ($0, $0.history[ep]) : nil }
                if let mean = MeanStd(recs.compactMap { $0.0.metric($0.1) })?.mean { tp.append((Double(ep + 1), mean)) }
                if let mean = MeanStd(recs.map { $0.1.trainLoss })?.mean { lp.append((Double(ep + 1), mean)) }
            }
            test.series.append(.init(name: m.name, points: tp))
            loss.series.append(.init(name: m.name, points: lp))
        }
        try lr.write(to: "\(outputDirectory)/\(g.name)-lr.svg")
        try test.write(to: "\(outputDirectory)/\(g.name)-test.svg")
        try loss.write(to: "\(outputDirectory)/\(g.name)-train-loss.svg")
    }

    /// Per finished method ("group/method"): the training loss at each α averaged over directions and seeds, and
    /// the rise at the ends (mean loss at the two extreme α minus the loss at α = 0; lower = flatter).
    func flatnessProfiles() throws -> [(name: String, means: [Double], rise: Double?)] {
        guard let spec = study.flatness else { return [] }
        let zero = spec.alphas.firstIndex(of: 0)
        let ends = [spec.alphas.indices.min { spec.alphas[$0] < spec.alphas[$1] }!, spec.alphas.indices.max { spec.alphas[$0] < spec.alphas[$1] }!]
        var out: [(name: String, means: [Double], rise: Double?)] = []
        for g in study.groups {
            for m in g.methods {
                let profiles: [FlatnessProfile] = results.filter { $0.group == g.name && $0.method == m.name }.compactMap { r in
                    let p = "\(outputDirectory)/cells/\(r.group)/\(r.method)/seed-\(r.seed)/flatness.json"
                    guard let t = try? String(contentsOfFile: p, encoding: .utf8) else { return nil }
                    return try? decodeJSON(t)
                }
                guard !profiles.isEmpty else { continue }
                let means = spec.alphas.indices.map { j in profiles.map { $0.meanLosses[j] }.reduce(0, +) / Double(profiles.count) }
                out.append(("\(g.name)/\(m.name)", means, zero.map { z in ends.map { means[$0] }.reduce(0, +) / 2 - means[z] }))
            }
        }
        return out
    }

    func flatnessSection() throws -> String {
        guard let spec = study.flatness else { return "" }
        var md = "## Flatness (training loss along \(spec.directions) random filter-normalised directions, \(spec.images) training images)\n\n"
        md += "| group / method | " + spec.alphas.map { String(format: "α = %g", $0) }.joined(separator: " | ") + " | rise at the ends |\n"
        md += "|---|" + spec.alphas.map { _ in "---|" }.joined() + "---|\n"
        var rises: [(String, Double)] = []
        var plot = SVGPlot(title: "Training loss around the final weights", xLabel: "α (filter-normalised step)", yLabel: "training loss", logY: true)
        for p in try flatnessProfiles() {
            if let rise = p.rise { rises.append((p.name, rise)) }
            md += "| \(p.name.replacingOccurrences(of: "/", with: " / ")) | " + p.means.map { String(format: "%.4f", $0) }.joined(separator: " | ")
                + " | \(p.rise.map { String(format: "%.4f", $0) } ?? "–") |\n"
            plot.series.append(.init(name: p.name, points: zip(spec.alphas, p.means).map { ($0, $1) }))
        }
        try plot.write(to: outputDirectory + "/flatness.svg")
        md += "\nMean over directions and seeds. A flatter minimum rises more slowly away from α = 0"
        if let flattest = rises.min(by: { $0.1 < $1.1 }) { md += "; flattest here (smallest rise at the ends): **\(flattest.0)**" }
        return md + ".\n\n![flatness](flatness.svg)\n\n"
    }
}

/// Pretty, sorted-key JSON (configurations in reports and files).
public func prettyJSON<T: Encodable>(_ value: T) throws -> String {
    let e = JSONEncoder()
    e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try e.encode(value), as: UTF8.self)
}
