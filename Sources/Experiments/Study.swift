import Foundation

/// The three sizes of every study: `tiny` (seconds; CI), `cpu` (the largest that finishes on this machine in
/// well under an hour per method and seed) and `paper` (the paper's settings: accepted and runnable in
/// principle, far beyond a 2-core CPU).
public enum StudyScale: String, Codable, Sendable, CaseIterable {
    case tiny, cpu, paper
}

/// One comparison: a run (data, model, optimiser defaults) and the methods trained on it, every one for every seed.
public struct StudyGroup: Codable, Sendable, Equatable {
    /// Directory name and table heading (letters, digits, '.', '_', '-').
    public var name: String
    public var title: String
    public var run: RunSpec
    public var methods: [MethodSpec]

    public init(name: String, title: String, run: RunSpec, methods: [MethodSpec]) {
        self.name = name; self.title = title; self.run = run; self.methods = methods
    }
}

/// A statement of the paper to compare against: its words and numbers, and optionally which of our methods
/// should be compared with which (the report then says whether our numbers agree).
public struct PaperClaim: Codable, Sendable, Equatable {
    public var claim: String
    /// The paper's numbers (text, e.g. "MLR-SNet 94.37% best vs MultiStep 93.9%").
    public var paper: String
    /// The group, our method, and the methods it is claimed to match or beat (by mean final test metric).
    public var group: String?
    public var method: String?
    public var comparedWith: [String]?
    /// A claim about cost instead of accuracy: `method`'s training time per step divided by the first of
    /// `comparedWith`'s must be at most this for the claim to hold (nil = compare the final test metric).
    public var maxTimeRatio: Double?
    /// For a "comparable" claim: `method` agrees when its mean final metric is within this fraction of the best
    /// compared method's (0.01 = 1% of the accuracy or perplexity), even if behind.
    public var comparableWithin: Double?
    /// For an "insensitive to X" claim: agrees only when every compared method's mean final metric is within this
    /// fraction of `method`'s, in either direction (being much better is as much a disagreement as being worse).
    public var insensitiveWithin: Double?
    /// A claim about the mean over the study's groups (robustness: the mean over corruptions, Table 1): each method's
    /// final metric averaged over the groups where every method finished, per seed; `group` is then nil.
    public var overGroups: Bool?

    public init(claim: String, paper: String, group: String? = nil, method: String? = nil, comparedWith: [String]? = nil,
                maxTimeRatio: Double? = nil, comparableWithin: Double? = nil, insensitiveWithin: Double? = nil, overGroups: Bool? = nil) {
        self.claim = claim; self.paper = paper; self.group = group; self.method = method; self.comparedWith = comparedWith
        self.maxTimeRatio = maxTimeRatio; self.comparableWithin = comparableWithin; self.insensitiveWithin = insensitiveWithin
        self.overGroups = overGroups
    }
}

/// The flatness analysis (paper Fig. 3): training loss at w + α·d along random filter-normalised directions d
/// around each finished cell's final weights.
public struct FlatnessSpec: Codable, Sendable, Equatable {
    public var directions: Int
    public var alphas: [Double]
    /// Training images the loss is averaged over (the first N of the cell's training set).
    public var images: Int
    public var seed: UInt64

    public init(directions: Int, alphas: [Double], images: Int, seed: UInt64 = 7) {
        self.directions = directions; self.alphas = alphas; self.images = images; self.seed = seed
    }
}

/// A study as data: groups of (run, methods), the seeds, what the paper says, and notes for the report.
public struct Study: Codable, Sendable, Equatable {
    public var name: String
    public var title: String
    public var scale: StudyScale
    public var seeds: [UInt64]
    public var groups: [StudyGroup]
    public var paperClaims: [PaperClaim]
    /// Lines for the report: the paper's setting, how ours differs, caveats.
    public var notes: [String]
    public var flatness: FlatnessSpec?

    public init(name: String, title: String, scale: StudyScale, seeds: [UInt64], groups: [StudyGroup],
                paperClaims: [PaperClaim] = [], notes: [String] = [], flatness: FlatnessSpec? = nil) {
        self.name = name; self.title = title; self.scale = scale; self.seeds = seeds; self.groups = groups
        self.paperClaims = paperClaims; self.notes = notes; self.flatness = flatness
    }

    /// The run of `method` in `group` for `seed` (overrides applied).
    public func run(_ group: StudyGroup, _ method: MethodSpec, seed: UInt64) -> RunSpec {
        var r = method.overrides.applied(to: group.run)
        r.seed = seed
        return r
    }

    /// Throws an `ExperimentError` naming the first problem: empty or repeated seeds, groups or methods,
    /// names unfit for directories, invalid runs, unknown method kinds or parameters, a transfer `from` that
    /// names no earlier artifact-producing method, flatness on a text group.
    public func validate() throws {
        func fail(_ m: String) -> ExperimentError { ExperimentError("study \(name): \(m)") }
        func checkName(_ s: String, _ what: String) throws {
            let ok = !s.isEmpty && s.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0) }
            guard ok && s != "." && s != ".." else { throw fail("\(what) name '\(s)' must be letters, digits, '.', '_' or '-'") }
        }
        guard !seeds.isEmpty else { throw fail("needs at least one seed") }
        guard Set(seeds).count == seeds.count else { throw fail("seeds repeat: \(seeds)") }
        guard !groups.isEmpty else { throw fail("needs at least one group") }
        guard Set(groups.map(\.name)).count == groups.count else { throw fail("group names repeat") }
        var producers: Set<String> = []
        for g in groups {
            try checkName(g.name, "group")
            guard !g.methods.isEmpty else { throw fail("group \(g.name) has no methods") }
            guard Set(g.methods.map(\.name)).count == g.methods.count else { throw fail("method names repeat in group \(g.name)") }
            for m in g.methods {
                try checkName(m.name, "method")
                let r = run(g, m, seed: seeds[0])
                do { try r.validate() } catch { throw fail("group \(g.name), method \(m.name): \(error)") }
                let kind: MethodKind
                do { kind = try MethodKinds.named(m.kind) } catch { throw fail("group \(g.name), method \(m.name): \(error)") }
                do { try kind.validate(m, run: r) } catch { throw fail("group \(g.name): \(error)") }
                if let from = try? m.text("from"), !producers.contains(from) {
                    throw fail("group \(g.name), method \(m.name): from \"\(from)\" is not an earlier method that meta-trains an artifact (earlier: \(producers.sorted().joined(separator: ", ")))")
                }
                if kind.producesArtifact { producers.insert("\(g.name)/\(m.name)") }
            }
            if flatness != nil && g.run.dataset.isText { throw fail("flatness applies to image groups (group \(g.name) is text)") }
        }
        if let f = flatness {
            guard f.directions >= 1, f.images >= 1, !f.alphas.isEmpty, f.alphas.allSatisfy(\.isFinite) else {
                throw fail("flatness needs directions ≥ 1, images ≥ 1 and finite alphas")
            }
        }
        for c in paperClaims {
            if c.overGroups == true {
                guard c.group == nil, c.method != nil else { throw fail("a paper claim over groups names a method and no group") }
                for g in groups { for m in [c.method!] + (c.comparedWith ?? []) where !g.methods.contains(where: { $0.name == m }) {
                    throw fail("paper claim over groups names method \(m), which group \(g.name) does not run")
                } }
            }
            if let gName = c.group {
                guard let g = groups.first(where: { $0.name == gName }) else { throw fail("paper claim names unknown group \(gName)") }
                for m in [c.method].compactMap({ $0 }) + (c.comparedWith ?? []) where !g.methods.contains(where: { $0.name == m }) {
                    throw fail("paper claim names unknown method \(m) in group \(gName)")
                }
            }
        }
    }

    /// The study with relative data paths (given or default) made absolute against `root` (the repository).
    public func resolvingPaths(relativeTo root: String) -> Study {
        var s = self
        func abs(_ p: String) -> String { p.hasPrefix("/") ? p : (root as NSString).appendingPathComponent(p) }
        for i in s.groups.indices {
            s.groups[i].run.data = abs(s.groups[i].run.resolvedDataPath)
            s.groups[i].run.cleanData = s.groups[i].run.cleanData.map(abs)
            for j in s.groups[i].methods.indices {
                if case .text(let p)? = s.groups[i].methods[j].parameters["artifact"] {
                    s.groups[i].methods[j].parameters["artifact"] = .text(abs(p))
                }
            }
        }
        return s
    }
}
