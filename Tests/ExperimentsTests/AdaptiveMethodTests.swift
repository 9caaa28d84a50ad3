import Baselines
import Experiments
import Foundation
import LRController
import Schedules
import Testing
import TestSupport
import Training

/// The method kinds wrapping Sources/Baselines (hd, l4, rtho) and Sources/LRController (lr-controller):
/// parameter checks, that the parameters reach the baselines' constructors, and short runs through the runner.
@Suite("Adaptive method kinds", .serialized)
struct AdaptiveMethodTests {
    static let cache = DataCache()

    /// Fashion-MNIST sample: 60 training images (10 held out), 2 epochs of 2 steps.
    static func run(validation: Int = 1) -> RunSpec {
        var r = RunSpec()
        r.data = TestData.demoFashionMNIST; r.trainPerClass = 6; r.testPerClass = 3; r.validationPerClass = validation
        r.epochs = 2; r.batchSize = 25
        return r
    }

    func message(_ m: MethodSpec, run: RunSpec = AdaptiveMethodTests.run()) -> String {
        let s = Study(name: "t", title: "t", scale: .tiny, seeds: [0], groups: [StudyGroup(name: "g", title: "g", run: run, methods: [m])])
        do { try s.validate(); return "" } catch { return "\(error)" }
    }

    @Test("bad parameters of hd, l4, rtho and lr-controller are clear errors naming the method and the value")
    func badParameters() {
        let hd = { (p: [String: ScheduleConfig.Value]) in MethodSpec(name: "h", kind: "hd", parameters: p) }
        #expect(message(hd(["lr": 0.1, "hyperLR": 1e-4])) == "")
        #expect(message(hd(["hyperLR": 1e-4])).contains("method h (hd): needs the initial learning rate \"lr\""))
        #expect(message(hd(["lr": 0.1])).contains("needs the hyper-learning rate \"hyperLR\""))
        #expect(message(hd(["lr": 0.1, "hyperLR": -1])).contains("hyperLR must be ≥ 0 (got -1.0)"))
        #expect(message(hd(["lr": 0, "hyperLR": 1])).contains("lr must be a positive number (got 0.0)"))
        #expect(message(hd(["lr": 0.1, "hyperLR": "big"])).contains("parameter hyperLR must be a number"))
        #expect(message(hd(["lr": 0.1, "hyperLR": 1e-4, "alpha": 0.1])).contains("unknown parameter 'alpha'; accepted: lr, hyperLR, minLR, maxLR"))
        #expect(message(hd(["lr": 0.1, "hyperLR": 1e-4, "minLR": 1, "maxLR": 0.5])).contains("method h (hd): LR bounds: "))
        let l4 = { (p: [String: ScheduleConfig.Value]) in MethodSpec(name: "l", kind: "l4", parameters: p) }
        #expect(message(l4([:])) == "")
        #expect(message(l4(["alpha": 0])).contains("method l (l4): alpha must be positive (got 0.0)"))
        #expect(message(l4(["gradientDecay": 1])).contains("gradientDecay must be in [0, 1) (got 1.0)"))
        #expect(message(l4(["hyperLR": 1])).contains("unknown parameter 'hyperLR'"))
        let rtho = { (p: [String: ScheduleConfig.Value]) in MethodSpec(name: "r", kind: "rtho", parameters: p) }
        #expect(message(rtho(["lr": 0.1, "hyperLR": 1e-4])) == "")
        #expect(message(rtho(["lr": 0.1, "hyperLR": 1e-4, "interval": 0])).contains("method r: parameter interval must be a positive whole number (got 0.0)"))
        #expect(message(rtho(["lr": 0.1, "hyperLR": 1e-4, "epsilon": 0])).contains("method r (rtho): epsilon must be positive"))
        #expect(message(rtho(["lr": 0.1, "hyperLR": 1e-4]), run: Self.run(validation: 0)).contains("needs validation data: set validationPerClass > 0"))
        let ctl = { (p: [String: ScheduleConfig.Value]) in MethodSpec(name: "c", kind: "lr-controller", parameters: p) }
        #expect(message(ctl(["artifact": "x.safetensors", "lr": 0.1])) == "")
        #expect(message(ctl(["episodes": 2, "interval": 5, "factor": 1.1, "lr": 0.1])) == "")
        #expect(message(ctl(["lr": 0.1])).contains("method c (lr-controller): give exactly one of \"artifact\""))
        #expect(message(ctl(["artifact": "x", "episodes": 2, "lr": 0.1])).contains("give exactly one of"))
        #expect(message(ctl(["artifact": "x", "interval": 5, "lr": 0.1])).contains("interval apply to a controller trained in the cell"))
        #expect(message(ctl(["episodes": 2, "factor": 1, "lr": 0.1])).contains("method c (lr-controller): ") && message(ctl(["episodes": 2, "factor": 1, "lr": 0.1])).contains("factor must be > 1"))
        #expect(message(ctl(["episodes": 0, "lr": 0.1])).contains("parameter episodes must be a positive whole number"))
        #expect(message(ctl(["artifact": "x"])).contains("needs the initial learning rate \"lr\""))
        #expect(message(ctl(["artifact": "x", "lr": 0.1, "sample": 2])).contains("sample must be 0 or 1 (got 2.0)"))
        #expect(message(ctl(["artifact": "x", "lr": 0.1]), run: Self.run(validation: 0)).contains("probes validation images"))
        var text = RunSpec(); text.dataset = .ptb; text.model = "lstm"
        #expect(message(ctl(["artifact": "x", "lr": 0.1]), run: text).contains("observes image classification only"))
    }

    func make(_ m: MethodSpec, _ run: RunSpec) throws -> PreparedMethod {
        let prepared = try run.build(cache: Self.cache)
        let context = MethodContext(method: m, run: run, prepared: prepared, cellDirectory: try TestData.temporaryDirectory("adaptive-make"),
                                    artifactOf: { _ in throw ExperimentError("none") })
        return try MethodKinds.named(m.kind).make(context)
    }

    @Test("the parameters reach the Baselines updaters (LR, hyper-LR, α, δ, interval, ε, bounds, clip)")
    func plumbing() throws {
        var r = Self.run(); r.clip = 2
        let h = try make(MethodSpec(name: "h", kind: "hd", parameters: ["lr": 0.05, "hyperLR": 1e-3, "minLR": 0.01, "maxLR": 0.2]), r).updater as? HypergradientUpdate
        let bounds = try AdaptiveLRBounds(minimum: 0.01, maximum: 0.2)
        #expect(h?.learningRate == 0.05 && h?.hyperLR == 1e-3 && h?.bounds == bounds)
        let l = try make(MethodSpec(name: "l", kind: "l4", parameters: ["alpha": 0.3, "gradientDecay": 0.5]), r).updater as? L4Update
        #expect(l?.fraction == 0.3 && l?.gradientDecay == 0.5 && l?.bounds == .unbounded)
        let t = try make(MethodSpec(name: "t", kind: "rtho", parameters: ["lr": 0.07, "hyperLR": 1e-5, "interval": 3, "epsilon": 0.02, "maxLR": 1]), r).updater as? RTHOUpdate
        #expect(t?.learningRate == 0.07 && t?.hyperLR == 1e-5 && t?.hyperInterval == 3 && t?.hvp.epsilon == 0.02 && t?.clipNorm == 2)
        #expect(t?.bounds.maximum == 1 && t?.bounds.minimum == -.infinity)
        // A missing controller artifact is an error naming the method and the file.
        #expect { try make(MethodSpec(name: "c", kind: "lr-controller", parameters: ["artifact": "/nonexistent/ctl.safetensors", "lr": 0.1]), r) }
            throws: { "\($0)".contains("method c (lr-controller): LR Controller artifact: cannot read /nonexistent/ctl.safetensors") }
    }

    @Test("hd, l4, rtho and a frozen lr-controller train through the study runner; HD with β = 0 keeps its LR, β > 0 moves it")
    func runs() throws {
        let dir = try TestData.temporaryDirectory("adaptive-runs")
        let policy = ControllerPolicy(configuration: try LRControllerConfiguration(interval: 1, factor: 1.5, probeSize: 10), seed: 3)
        let artifactPath = dir + "/ctl.safetensors"
        try LRControllerArtifact(policy: policy, ppo: PPOHyperparameters(), observationNormalizer: RunningNormalizer(dimension: LRControllerConfiguration.featureCount),
                                 task: "test", episodes: 0, seed: 3).write(to: artifactPath)
        let s = Study(name: "adaptive", title: "adaptive", scale: .tiny, seeds: [0], groups: [StudyGroup(name: "g", title: "g", run: Self.run(), methods: [
            MethodSpec(name: "hd-0", kind: "hd", parameters: ["lr": 0.05, "hyperLR": 0], overrides: RunOverrides(optimizer: .sgd)),
            MethodSpec(name: "hd", kind: "hd", parameters: ["lr": 0.05, "hyperLR": 0.1], overrides: RunOverrides(optimizer: .sgd)),
            MethodSpec(name: "l4", kind: "l4", parameters: ["alpha": 0.15], overrides: RunOverrides(optimizer: .adam)),
            MethodSpec(name: "rtho", kind: "rtho", parameters: ["lr": 0.05, "hyperLR": 1e-3], overrides: RunOverrides(optimizer: .sgdm)),
            MethodSpec(name: "ctl", kind: "lr-controller", parameters: ["artifact": .text(artifactPath), "lr": 0.05]),
            MethodSpec(name: "ctl-train", kind: "lr-controller", parameters: ["episodes": 2, "episodeEpochs": 1, "interval": 1, "lr": 0.05]),
        ])])
        try s.validate()
        let results = try StudyRunner(study: s, outputDirectory: dir + "/out", cache: Self.cache).run()
        #expect(results.count == 6)
        #expect(results.allSatisfy { $0.status == .finished && $0.steps == 4 }, "\(results.map { "\($0.method): \($0.status) \($0.message ?? "")" })")
        func lrs(_ name: String) -> [Float] { results.first { $0.method == name }?.history.map(\.learningRate) ?? [] }
        #expect(lrs("hd-0") == [0.05, 0.05])
        #expect(lrs("hd").count == 2 && lrs("hd").allSatisfy { $0 != 0.05 })
        #expect(lrs("l4").count == 2 && lrs("l4").allSatisfy { $0 > 0 && $0.isFinite })
        #expect(lrs("rtho").count == 2 && lrs("rtho").allSatisfy { $0.isFinite })
        // The controller decides at every step (interval 1), multiplying by 1/1.5, 1 or 1.5.
        let c = lrs("ctl")
        #expect(c.count == 2 && c.allSatisfy { v in (-4...4).contains { abs(Double(v) - 0.05 * pow(1.5, Double($0))) < 1e-6 } }, "\(c)")
        #expect(results.first { $0.method == "ctl" }?.description.joined().contains("frozen LR Controller") == true)
        // Trained in its cell: two PPO episodes, the artifact saved (and reused on a rerun) beside the logs.
        let cell = dir + "/out/cells/g/ctl-train/seed-0"
        let trained = try LRControllerArtifact.read(cell + "/lr-controller.safetensors")
        #expect(trained.episodes == 2 && trained.configuration.interval == 1)
        #expect(try String(contentsOfFile: cell + "/lr-controller-episodes.csv", encoding: .utf8).split(separator: "\n").count == 3)
        #expect(results.first { $0.method == "ctl-train" }?.description.joined().contains("trained in the cell (2 PPO episodes of 1 epochs)") == true)
    }
}
