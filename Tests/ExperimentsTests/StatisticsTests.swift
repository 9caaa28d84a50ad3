import Experiments
import Foundation
import Testing
import TestSupport
import Training

@Suite("Experiments statistics and report")
struct StatisticsTests {
    @Test("mean ± sample std, by hand")
    func meanStd() throws {
        let m = try #require(MeanStd([1, 2, 3, 4]))
        #expect(m.mean == 2.5)
        // Σ(x − 2.5)² = 2.25 + 0.25 + 0.25 + 2.25 = 5; 5 / (4 − 1) = 5/3.
        #expect(abs(m.std - (5.0 / 3).squareRoot()) < 1e-12)
        #expect(m.formatted() == "2.50 ± 1.29")
        #expect(MeanStd([7])?.std == 0 && MeanStd([7])?.mean == 7)
        #expect(MeanStd([]) == nil)
    }

    /// An epoch record (EpochRecord has no public memberwise initialiser: built from its JSON).
    func record(_ epoch: Int, accuracy: Double, step: Int? = nil) -> EpochRecord {
        try! decodeJSON(#"{"epoch": \#(epoch), "step": \#(step ?? (epoch + 1) * 10), "learningRate": 0.1, "trainLoss": 1, "#
                        + #""test": {"loss": 1, "accuracy": \#(accuracy), "count": 100}, "seconds": 2}"#)
    }

    @Test("the report's final and best metrics per method, over seeds")
    func reportTable() throws {
        let run = RunSpec()
        let study = Study(name: "s", title: "S", scale: .tiny, seeds: [0, 1],
                          groups: [StudyGroup(name: "g", title: "G", run: run, methods: [
                            .schedule("a", .init(kind: "fixed", parameters: ["lr": 0.1])),
                            .schedule("b", .init(kind: "fixed", parameters: ["lr": 0.1]))])],
                          paperClaims: [PaperClaim(claim: "a beats b", paper: "x", group: "g", method: "a", comparedWith: ["b"])])
        func cell(_ m: String, _ seed: UInt64, _ accs: [Double]) -> CellResult {
            CellResult(group: "g", method: m, seed: seed, status: .finished, description: [],
                       history: accs.enumerated().map { record($0.offset, accuracy: $0.element) }, steps: 10 * accs.count,
                       trainSeconds: 2 * Double(accs.count), isText: false)
        }
        // a: finals 0.80, 0.90 (mean 85, std √50 = 7.07); bests 0.85, 0.90 (87.5 ± 3.54). b: finals 0.70, 0.72.
        // A third seed of b diverged at step 7, inside its first epoch: counted as diverged, not timed (no epoch finished).
        let early = CellResult(group: "g", method: "b", seed: 2, status: .diverged, description: [], history: [], steps: 7, trainSeconds: 0, isText: false)
        let results = [cell("a", 0, [0.5, 0.85, 0.80]), cell("a", 1, [0.6, 0.9]), cell("b", 0, [0.7]), cell("b", 1, [0.72]), early]
        let dir = try TestData.temporaryDirectory("report")
        var report = StudyReport(study: study, results: results, outputDirectory: dir, command: "test")
        let s = report.summaries(study.groups[0])
        #expect(abs(s[0].final!.mean - 85) < 1e-9 && abs(s[0].final!.std - 50.0.squareRoot()) < 1e-9)
        #expect(abs(s[0].best!.mean - 87.5) < 1e-9 && abs(s[0].best!.std - 12.5.squareRoot()) < 1e-9)
        #expect(abs(s[1].final!.mean - 71) < 1e-9)
        #expect(s[1].diverged == 1 && s[1].trainSeconds!.mean == 2 && abs(s[1].secondsPerStep! - 0.2) < 1e-12)
        #expect(s[0].trainSeconds!.mean == 5 && abs(s[0].secondsPerStep! - 0.2) < 1e-12)
        report.problems = [("g2", "data not found at /x")]
        try report.write()
        let md = try String(contentsOfFile: dir + "/report.md", encoding: .utf8)
        #expect(md.contains("| a | 2 | 0 | 85.00 ± 7.07 | 87.50 ± 3.54 | 5.0 ± 1.4 | 200.0 |"))
        // Seeds 0 and 1 were asked for: both have their two cells; seed 2's diverged cell is outside the study's seeds.
        #expect(md.contains("Study `s`, seeds 0, 1; cells done per seed: 2/2, 2/2."))
        let partial = StudyReport(study: study, results: results.filter { $0.seed == 0 || $0.method == "b" }, outputDirectory: dir, command: "t")
        #expect(partial.seedCoverage() == "cells done per seed: 2/2, 1/2")
        #expect(md.contains("agrees: a is at least as good"))
        #expect(md.contains("g2: data not found"))
        let csv = try String(contentsOfFile: dir + "/curves-epochs.csv", encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 1 + 7)
        #expect(FileManager.default.fileExists(atPath: dir + "/g-test.svg"))
    }

    @Test("a cost claim compares training ms per step against its limit")
    func costClaim() throws {
        let study = Study(name: "c", title: "C", scale: .tiny, seeds: [0],
                          groups: [StudyGroup(name: "g", title: "G", run: RunSpec(), methods: [
                            .schedule("plain", .init(kind: "fixed", parameters: ["lr": 0.1])),
                            .schedule("meta", .init(kind: "fixed", parameters: ["lr": 0.1])),
                            .schedule("slow", .init(kind: "fixed", parameters: ["lr": 0.1]))])],
                          paperClaims: [PaperClaim(claim: "meta ≤ 3×", paper: "x", group: "g", method: "meta", comparedWith: ["plain"], maxTimeRatio: 3),
                                        PaperClaim(claim: "slow ≤ 3×", paper: "x", group: "g", method: "slow", comparedWith: ["plain"], maxTimeRatio: 3),
                                        PaperClaim(claim: "none", paper: "x", group: "g", method: "missing", comparedWith: ["plain"], maxTimeRatio: 1)])
        // plain: 4 s over 40 steps = 100 ms/step; meta: 25 s / 100 steps = 250 ms (2.5×); slow: 8 s / 20 steps = 400 ms (4×).
        func cell(_ m: String, steps: Int, seconds: Double) -> CellResult {
            CellResult(group: "g", method: m, seed: 0, status: .finished, description: [], history: [record(0, accuracy: 0.5, step: steps)],
                       steps: steps, trainSeconds: seconds, isText: false)
        }
        let dir = try TestData.temporaryDirectory("cost-report")
        let report = StudyReport(study: study, results: [cell("plain", steps: 40, seconds: 4), cell("meta", steps: 100, seconds: 25),
                                                         cell("slow", steps: 20, seconds: 8)], outputDirectory: dir, command: "test")
        let md = report.paperSection()
        #expect(md.contains("meta 250.0 ms/step = 2.50× plain (100.0 ms/step) → agrees (at most 3×)"))
        #expect(md.contains("slow 400.0 ms/step = 4.00× plain (100.0 ms/step) → does not agree at this scale (more than 3×)"))
        #expect(md.contains("missing or plain has no finished cell yet"))
    }

    @Test("a comparable claim agrees within its tolerance; one seed is flagged, not called noise")
    func comparableClaim() throws {
        let methods: [MethodSpec] = ["ours", "base"].map { .schedule($0, .init(kind: "fixed", parameters: ["lr": 0.1])) }
        func study(_ tolerance: Double?) -> Study {
            Study(name: "c", title: "C", scale: .tiny, seeds: [0, 1], groups: [StudyGroup(name: "g", title: "G", run: RunSpec(), methods: methods)],
                  paperClaims: [PaperClaim(claim: "comparable", paper: "x", group: "g", method: "ours", comparedWith: ["base"], comparableWithin: tolerance)])
        }
        func cell(_ m: String, _ seed: UInt64, _ acc: Double) -> CellResult {
            CellResult(group: "g", method: m, seed: seed, status: .finished, description: [], history: [record(0, accuracy: acc)],
                       steps: 10, trainSeconds: 1, isText: false)
        }
        let dir = try TestData.temporaryDirectory("comparable-report")
        // One seed each: ours 86.9, base 87.5 (gap 0.6 = 0.69% of 87.5).
        let one = [cell("ours", 0, 0.869), cell("base", 0, 0.875)]
        let within = StudyReport(study: study(0.01), results: one, outputDirectory: dir, command: "t").paperSection()
        #expect(within.contains("agrees (comparable): ours is behind base by 0.60, within 1% of it"))
        #expect(within.contains("(one seed: no spread measured"))
        let strict = StudyReport(study: study(0.005), results: one, outputDirectory: dir, command: "t").paperSection()
        #expect(strict.contains("does not agree at this scale: ours is behind base by 0.60 (one seed"))
        let none = StudyReport(study: study(nil), results: one, outputDirectory: dir, command: "t").paperSection()
        #expect(none.contains("does not agree at this scale"))
        // Two seeds, spread 1.41 > gap 0.60: within noise, and no single-seed flag.
        let two = one + [cell("ours", 1, 0.889), cell("base", 1, 0.875)]
        let noise = StudyReport(study: study(nil), results: two, outputDirectory: dir, command: "t").paperSection()
        #expect(noise.contains("agrees: ours is at least as good"))
        let three = [cell("ours", 0, 0.859), cell("ours", 1, 0.879), cell("base", 0, 0.875), cell("base", 1, 0.875)]
        let noisy = StudyReport(study: study(nil), results: three, outputDirectory: dir, command: "t").paperSection()
        #expect(noisy.contains("within noise: ours is behind base by 0.60, inside one std (1.41)"))
        #expect(!noisy.contains("one seed"))
        // Paired: differences −1.6 and +0.4 → mean −0.60, std √2, SE 1.00; ours better in one of two seeds.
        #expect(noisy.contains("inside one std (1.41); paired by seed: ours − base = -0.60 ± 1.00 (mean ± SE of 2 differences), ours better in 1 of 2 seeds."))
        #expect(!within.contains("paired by seed"))   // one seed: nothing to pair
    }

    @Test("for perplexity the paired comparison counts a lower value as better")
    func pairedPerplexity() throws {
        let methods: [MethodSpec] = ["ours", "base"].map { .schedule($0, .init(kind: "fixed", parameters: ["lr": 0.1])) }
        var run = RunSpec()
        run.dataset = .ptb
        let study = Study(name: "t", title: "T", scale: .tiny, seeds: [0, 1, 2], groups: [StudyGroup(name: "g", title: "G", run: run, methods: methods)],
                          paperClaims: [PaperClaim(claim: "ours ≤ base", paper: "x", group: "g", method: "ours", comparedWith: ["base"])])
        func cell(_ m: String, _ seed: UInt64, _ perplexity: Double) -> CellResult {
            let r: EpochRecord = try! decodeJSON(#"{"epoch": 0, "step": 10, "learningRate": 1, "trainLoss": 5, "test": {"loss": \#(log(perplexity)), "count": 100}, "seconds": 2}"#)
            return CellResult(group: "g", method: m, seed: seed, status: .finished, description: [], history: [r], steps: 10, trainSeconds: 1, isText: true)
        }
        // ours 100, 120, 110 vs base 105, 115, 112: differences −5, +5, −2 → mean −0.67, std 5.13, SE 2.96; ours lower
        // (better) in seeds 0 and 2. Best compared is base (its mean 110.67 > ours 110, so ours agrees).
        let results = [cell("ours", 0, 100), cell("ours", 1, 120), cell("ours", 2, 110), cell("base", 0, 105), cell("base", 1, 115), cell("base", 2, 112)]
        let md = StudyReport(study: study, results: results, outputDirectory: try TestData.temporaryDirectory("paired-text"), command: "t").paperSection()
        #expect(md.contains("→ agrees: ours is at least as good as the best compared method; paired by seed: ours − base = -0.67 ± 2.96 (mean ± SE of 3 differences), ours better in 2 of 3 seeds."))
    }

    @Test("a diverged cell's runaway LR is cut from the LR plot and labelled, so the other curves stay readable")
    func divergedLRPlot() throws {
        let methods: [MethodSpec] = ["ok", "bad"].map { .schedule($0, .init(kind: "fixed", parameters: ["lr": 0.1])) }
        let study = Study(name: "p", title: "P", scale: .tiny, seeds: [0], groups: [StudyGroup(name: "g", title: "G", run: RunSpec(), methods: methods)])
        let dir = try TestData.temporaryDirectory("diverged-plot")
        func steps(_ m: String, _ lrs: [String]) throws {
            let cell = "\(dir)/cells/g/\(m)/seed-0"
            try FileManager.default.createDirectory(atPath: cell, withIntermediateDirectories: true)
            let rows = lrs.enumerated().map { "\($0.offset),0,\($0.offset),\($0.element),1.0,1.0" }
            try ("step,epoch,batch,lr,loss,grad_norm\n" + rows.joined(separator: "\n") + "\n").write(toFile: cell + "/steps.csv", atomically: true, encoding: .utf8)
        }
        try steps("ok", ["0.1", "0.1", "0.05"])
        try steps("bad", ["0.1", "0.3", "2.5", "1e20", "nan"])   // 2.5 > 10 × 0.1: cut from there
        let results = [CellResult(group: "g", method: "ok", seed: 0, status: .finished, description: [], history: [record(0, accuracy: 0.5, step: 3)],
                                  steps: 3, trainSeconds: 1, isText: false),
                       CellResult(group: "g", method: "bad", seed: 0, status: .diverged, description: [], history: [], steps: 5, trainSeconds: 0, isText: false)]
        try StudyReport(study: study, results: results, outputDirectory: dir, command: "t").write()
        let svg = try String(contentsOfFile: dir + "/g-lr.svg", encoding: .utf8)
        #expect(svg.contains(">bad (diverged)<") && svg.contains(">ok<"))
        let lines = svg.components(separatedBy: "<polyline").dropFirst().map { $0.components(separatedBy: "points=\"")[1].prefix { $0 != "\"" } }
        #expect(lines.map { $0.split(separator: " ").count } == [3, 2])
        #expect(!svg.contains("e+20") && !svg.contains(">1e+"))
    }

    @Test("groups running the same methods get a mean over the groups where all finished, with wins per method")
    func meanOverGroups() throws {
        let methods: [MethodSpec] = ["a", "b"].map { .schedule($0, .init(kind: "fixed", parameters: ["lr": 0.1])) }
        let study = Study(name: "r", title: "R", scale: .tiny, seeds: [0],
                          groups: ["g1", "g2", "g3"].map { StudyGroup(name: $0, title: $0, run: RunSpec(), methods: methods) })
        func cell(_ g: String, _ m: String, _ acc: Double?) -> CellResult {
            CellResult(group: g, method: m, seed: 0, status: acc == nil ? .diverged : .finished, description: [],
                       history: acc.map { [record(0, accuracy: $0)] } ?? [], steps: 10, trainSeconds: 1, isText: false)
        }
        // g1: a 40, b 50; g2: a 30, b 20; g3: b diverged → left out of the means.
        let results = [cell("g1", "a", 0.4), cell("g1", "b", 0.5), cell("g2", "a", 0.3), cell("g2", "b", 0.2), cell("g3", "a", 0.9), cell("g3", "b", nil)]
        let md = StudyReport(study: study, results: results, outputDirectory: try TestData.temporaryDirectory("groups"), command: "t").acrossGroupsSection()
        #expect(md.contains("averaged over the 2 groups where every method finished (g1, g2)"))
        #expect(md.contains("| a | 35.00 | 1 |") && md.contains("| b | 35.00 | 1 |"))
        var other = study
        other.groups[2].methods = [methods[0]]
        #expect(StudyReport(study: other, results: results, outputDirectory: "/tmp", command: "t").acrossGroupsSection().isEmpty)
    }

    @Test("a claim over groups is judged on per-seed means over the complete groups; per-group verdicts name their group")
    func claimOverGroups() throws {
        let methods: [MethodSpec] = ["a", "b"].map { .schedule($0, .init(kind: "fixed", parameters: ["lr": 0.1])) }
        var study = Study(name: "r", title: "R", scale: .tiny, seeds: [0, 1],
                          groups: ["g1", "g2", "g3"].map { StudyGroup(name: $0, title: $0, run: RunSpec(), methods: methods) },
                          paperClaims: [PaperClaim(claim: "a beats b on average", paper: "x", method: "a", comparedWith: ["b"], overGroups: true),
                                        PaperClaim(claim: "a beats b on g1", paper: "x", group: "g1", method: "a", comparedWith: ["b"])])
        try study.validate()
        func cell(_ g: String, _ m: String, _ seed: UInt64, _ acc: Double?) -> CellResult {
            CellResult(group: g, method: m, seed: seed, status: acc == nil ? .diverged : .finished, description: [],
                       history: acc.map { [record(0, accuracy: $0)] } ?? [], steps: 10, trainSeconds: 1, isText: false)
        }
        // g3: b diverged on both seeds, so only g1 and g2 count. a: seed 0 (40 + 30) / 2 = 35, seed 1 (60 + 50) / 2 = 55
        // → 45 ± 14.14; b: (50 + 20) / 2 = 35 and (40 + 30) / 2 = 35 → 35 ± 0. On g1 alone: a 50 ± 14.14 vs b 45 ± 7.07.
        let results = [cell("g1", "a", 0, 0.4), cell("g1", "b", 0, 0.5), cell("g2", "a", 0, 0.3), cell("g2", "b", 0, 0.2),
                       cell("g1", "a", 1, 0.6), cell("g1", "b", 1, 0.4), cell("g2", "a", 1, 0.5), cell("g2", "b", 1, 0.3),
                       cell("g3", "a", 0, 0.9), cell("g3", "b", 0, nil), cell("g3", "a", 1, 0.9), cell("g3", "b", 1, nil)]
        let md = StudyReport(study: study, results: results, outputDirectory: try TestData.temporaryDirectory("overgroups"), command: "t").paperSection()
        #expect(md.contains("**Ours (mean over 2 groups):** a final 45.00 ± 14.14 vs best compared (b) 35.00 ± 0.00 → agrees"))
        #expect(md.contains("**Ours (`g1`):** a final 50.00 ± 14.14 vs best compared (b) 45.00 ± 7.07 → agrees"))
        // Paired over the two groups: a − b = 0 (seed 0) and +20 (seed 1) → +10 ± 10 (SE), better in 1 of 2 (a tie is not
        // better). On g1: −10 and +20 → +5 ± 15.
        // Group by group, seeds averaged first: g1 a 50 vs b 45 (+5), g2 a 40 vs b 25 (+15) → +10 ± 5, better in both.
        #expect(md.contains("paired by seed: a − b = +10.00 ± 10.00 (mean ± SE of 2 differences), a better in 1 of 2 seeds; "
                            + "paired by group: a − b = +10.00 ± 5.00 (mean ± SE of 2 differences), a better in 2 of 2 groups."))
        #expect(md.contains("paired by seed: a − b = +5.00 ± 15.00 (mean ± SE of 2 differences), a better in 1 of 2 seeds.\n"))   // one group: no group pairing
        // One group only: nothing to average, said so.
        let one = StudyReport(study: study, results: results.filter { $0.group == "g1" }, outputDirectory: "/tmp", command: "t").paperSection()
        #expect(one.contains("not yet two groups where every method finished"))
        // An over-groups claim must not name a group, and every group must run its methods.
        study.paperClaims[0].group = "g1"
        #expect(throws: ExperimentError.self) { try study.validate() }
        study.paperClaims[0].group = nil
        study.groups[2].methods = [methods[0]]
        #expect(throws: ExperimentError.self) { try study.validate() }
    }

    @Test("an insensitivity claim fails when a variant is far off in either direction")
    func insensitiveClaim() throws {
        let methods: [MethodSpec] = ["base", "small", "large"].map { .schedule($0, .init(kind: "fixed", parameters: ["lr": 0.1])) }
        let study = Study(name: "a", title: "A", scale: .tiny, seeds: [0], groups: [StudyGroup(name: "g", title: "G", run: RunSpec(), methods: methods)],
                          paperClaims: [PaperClaim(claim: "insensitive", paper: "x", group: "g", method: "base", comparedWith: ["small", "large"],
                                                   insensitiveWithin: 0.02)])
        func cell(_ m: String, _ acc: Double) -> CellResult {
            CellResult(group: "g", method: m, seed: 0, status: .finished, description: [], history: [record(0, accuracy: acc)],
                       steps: 10, trainSeconds: 1, isText: false)
        }
        let dir = try TestData.temporaryDirectory("insensitive")
        // base 41.44 is *better* than both: 41.44 − 29.58 = 11.86 > 2% of 41.44.
        let far = StudyReport(study: study, results: [cell("base", 0.4144), cell("small", 0.2958), cell("large", 0.4100)], outputDirectory: dir, command: "t")
        #expect(far.paperSection().contains("does not agree at this scale: small differs from base by 11.86 (more than 2%)"))
        let near = StudyReport(study: study, results: [cell("base", 0.4144), cell("small", 0.4100), cell("large", 0.4200)], outputDirectory: dir, command: "t")
        #expect(near.paperSection().contains("agrees: every variant is within 2% of base"))
    }
}
