import Foundation
import LearnedSchedule
import Schedules
import Testing

/// A loss curve with noise, 30 steps.
let curve: [Float] = (0..<30).map { (t: Int) -> Float in
    let x = Double(t)
    let decay: Double = 2.1 * exp(-x / 8)
    let noise: Double = 0.1 * sin(1.3 * x)
    return Float(decay + 0.3 + noise)
}

/// Runs `schedule` over `losses` from global step `from`, returning the LRs.
func run(_ schedule: inout LearnedLRSchedule, _ losses: [Float?], from: Int = 0, stepsPerEpoch: Int = 5) -> [Float] {
    losses.enumerated().map { i, l in schedule.learningRate(for: signal(from + i, loss: l, stepsPerEpoch: stepsPerEpoch)) }
}

@Suite struct LearnedScheduleValues {
    /// α_t = γ·p_t with p_t from a cell driven by hand with the same inputs; (h, c) start at zero.
    @Test func learningRateIsGammaTimesCell() throws {
        var cell = makeCell(.referenceMetaTest, hidden: 8)
        cell.step(loss: 5)   // the schedule must zero this state
        var s = try LearnedLRSchedule(cell: cell, gamma: .fixed(2.5))
        var manual = cell
        manual.resetState()
        let lrs = run(&s, curve)
        for (t, x) in curve.enumerated() {
            #expect(lrs[t] == Float(2.5 * Double(manual.step(loss: x))), "step \(t)")
        }
        #expect(s.cell.stepsAdvanced == 30 && s.stepsTaken == 30 && s.lastLearningRate == lrs.last)
        #expect(s.cell.weights == cell.weights, "θ must stay frozen")
        #expect(Set(lrs).count > 20, "the learned LR should vary with the loss and state")
    }

    /// The reference γ is computed once, from the first loss (raw, before normalisation), or from `initialLoss`.
    @Test func referenceGammaAndNormalisation() throws {
        let cell = makeCell(.paper, hidden: 8)
        var s = try LearnedLRSchedule(cell: cell, gamma: .reference(classes: 10), inputNormalisation: .perLogVocabulary(10_000))
        #expect(s.gamma == nil)
        let lrs = run(&s, curve)
        let g = GammaPolicy.reference(classes: 10).gamma(initialLoss: Double(curve[0]))
        #expect(s.gamma == g)
        var manual = cell
        for (t, x) in curve.enumerated() {
            let p = manual.step(loss: Float(Double(x) / log(10_000.0)))
            #expect(lrs[t] == Float(g * Double(p)), "step \(t)")
        }
        let given = try LearnedLRSchedule(cell: cell, gamma: .reference(classes: 10), initialLoss: Float(log(10.0)))
        #expect(abs(given.gamma! - 0.669128) < 1e-6)
    }

    /// Non-finite or missing losses never reach the cell.
    @Test func nonFiniteLossPolicies() throws {
        let cell = makeCell(.referenceMetaTest, hidden: 8)
        let losses: [Float?] = [.nan, 2.0, .nan, nil, .infinity, 1.5, 1.2]
        // Reuse: the cell sees 2.0 for the non-finite steps after the first finite one; step 0 (nothing seen
        // yet) returns the lower bound without running the cell.
        var reuse = try LearnedLRSchedule(cell: cell, gamma: .fixed(1))
        let a = run(&reuse, losses)
        var m = cell
        let expectedReuse: [Float] = [0] + [2.0, 2.0, 2.0, 2.0, 1.5, 1.2].map { m.step(loss: $0) }
        #expect(a == expectedReuse)
        #expect(reuse.cell.stepsAdvanced == 6 && reuse.lastFiniteLoss == 1.2)
        // Hold: the previous LR is returned and the state stays.
        var hold = try LearnedLRSchedule(cell: cell, gamma: .fixed(1), bounds: LearningRateBounds(minimum: 1e-4),
                                         nonFiniteLossPolicy: .holdPreviousLearningRate)
        let b = run(&hold, losses)
        var n = cell
        let p1 = n.step(loss: 2.0)
        let p2 = n.step(loss: 1.5), p3 = n.step(loss: 1.2)
        #expect(b == [1e-4, p1, p1, p1, p1, p2, p3])
        #expect(hold.cell.stepsAdvanced == 3 && hold.stepsTaken == 7)
    }

    /// Finite but absurd losses (up to ±Float.greatestFiniteMagnitude) never give a NaN or negative LR, nor a
    /// non-finite state.
    @Test(arguments: MLRSNetArchitecture.allCases)
    func absurdLossesStayFinite(_ arch: MLRSNetArchitecture) throws {
        var s = try LearnedLRSchedule(cell: makeCell(arch, hidden: 8), gamma: .reference(classes: 10))
        let lrs = run(&s, [2, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 1e37, -5, 0, 1.5])
        #expect(lrs.allSatisfy { $0.isFinite && $0 >= 0 }, "\(lrs)")
        #expect(s.cell.hiddenState.allSatisfy(\.isFinite) && s.cell.cellState.allSatisfy(\.isFinite))
        #expect(s.gamma!.isFinite && s.gamma! > 0)
    }

    @Test func boundsClampAndPreviewReportsIt() throws {
        let cell = makeCell(.referenceMetaTest, hidden: 8, outputBias: .value(0))
        let p = { var c = cell; return c.step(loss: 2) }()
        var s = try LearnedLRSchedule(cell: cell, gamma: .fixed(1), bounds: LearningRateBounds(minimum: 0, maximum: Double(p) / 2))
        let pvValue = s.preview(for: signal(0, loss: 2))
        let pv = try #require(pvValue)
        #expect(pv.clamped && pv.learningRatePerOutput == 0 && pv.output == p && pv.learningRate == Float(Double(p) / 2))
        #expect(s.learningRate(for: signal(0, loss: 2)) == Float(Double(p) / 2))
        var free = try LearnedLRSchedule(cell: cell, gamma: .fixed(3))
        let pfValue = free.preview(for: signal(0, loss: 2))
        let pf = try #require(pfValue)
        #expect(!pf.clamped && pf.learningRatePerOutput == 3 && pf.learningRate == Float(3 * Double(p)))
    }

    /// `preview` computes the LR without advancing; `learningRate` afterwards (same θ) gives the same value and
    /// advances once.
    @Test func previewDoesNotAdvance() throws {
        let cell = makeCell(.referenceMetaTrain, hidden: 8)
        var a = try LearnedLRSchedule(cell: cell, gamma: .fixed(1))
        var b = a
        for (t, x) in curve.prefix(10).enumerated() {
            let pvValue = a.preview(for: signal(t, loss: x))
            let pv = try #require(pvValue)
            let pv2Value = a.preview(for: signal(t, loss: x))
            let pv2 = try #require(pv2Value)
            #expect(pv == pv2)
            let lrA = a.learningRate(for: signal(t, loss: x))
            let lrB = b.learningRate(for: signal(t, loss: x))
            #expect(lrA == lrB && pv.learningRate == lrA)
        }
        #expect(a.cell.stepsAdvanced == 10)
        #expect(a.preview(for: signal(10, loss: nil)) != nil)   // reuses the last finite loss
        var hold = try LearnedLRSchedule(cell: cell, gamma: .fixed(1), nonFiniteLossPolicy: .holdPreviousLearningRate)
        #expect(hold.preview(for: signal(0, loss: .nan)) == nil)
    }

    /// The meta-trainer's step: preview (cache kept) → backward(dp = γ·s) → MetaAdam → learningRate with the new
    /// θ, state advanced once — equal to a cell driven by hand.
    @Test func metaTrainingStepFlow() throws {
        let cell = makeCell(.referenceMetaTest, hidden: 8)
        var s = try LearnedLRSchedule(cell: cell, gamma: .fixed(1.5))
        var adam = MetaAdam(lr: 1e-2, weightDecay: 1e-4)
        var manual = cell, manualAdam = MetaAdam(lr: 1e-2, weightDecay: 1e-4)
        for (t, x) in curve.prefix(6).enumerated() {
            let sig = signal(t, loss: x)
            let hyper: Float = t.isMultiple(of: 2) ? 0.8 : -0.3   // stands for s = −⟨∇L_val(ŵ), d⟩
            let pvValue = s.preview(for: sig)
            let pv = try #require(pvValue)
            try s.cell.backward(dp: Float(pv.learningRatePerOutput) * hyper)
            adam.step(&s.cell)
            s.cell.zeroGradients()
            let lr = s.learningRate(for: sig)

            manual.forward(loss: x)
            try manual.backward(dp: 1.5 * hyper)
            manualAdam.step(&manual)
            manual.zeroGradients()
            #expect(lr == Float(1.5 * Double(manual.step(loss: x))), "step \(t)")
        }
        #expect(s.cell.weights == manual.weights && s.cell.weights != cell.weights)
        #expect(s.cell.stepsAdvanced == 6 && adam.stepCount == 6)
    }

    @Test func worksBehindAnySchedule() throws {
        var any = AnySchedule(try LearnedLRSchedule(cell: makeCell(.mlp, hidden: 4), gamma: .fixed(1)))
        let lr = any.learningRate(for: signal(0, loss: 2))
        #expect(lr > 0 && lr < 1)
        #expect(any.state.kind == "mlrsnet")
        #expect(any.summary.hasPrefix("mlrsnet(mlp H=4 P=4, γ 1.0, raw loss"))
    }

    /// A fixed γ is named once; a computed γ is named with the value it gave (reports used to say "γ 1.0 = 1.0").
    @Test func gammaSummaryNamesTheComputedValueOnly() {
        #expect(GammaPolicy.fixed(1).summary(value: 1) == "γ 1.0")
        #expect(GammaPolicy.reference(classes: 10).summary(value: 2.5) == "γ reference rule (C = 10) = 2.5")
    }
}

@Suite struct StagedTransfer {
    /// Three artifacts (like the reference's epoch-1/100/200 checkpoints) that differ clearly: the same base θ
    /// with output biases −2, 0, +2.
    static func stages(hidden: Int = 8) throws -> [MLRSNetArtifact] {
        let base = makeCell(.referenceMetaTest, hidden: hidden, seed: 21)
        return try [-2, 0, 2].map { (b: Float) in
            var w = base.weights
            w[base.configuration.spec(named: "layer3.bias")!.offset] = b
            return try MLRSNetArtifact(configuration: base.configuration, weights: w, gammaPolicy: .fixed(1))
        }
    }

    @Test func boundaries() throws {
        let a = try Self.stages()
        #expect(try LearnedLRSchedule(stages: a, total: 9).stageBoundaries == [3, 6])
        #expect(try LearnedLRSchedule(stages: a, total: 200).stageBoundaries == [66, 133])
        #expect(try LearnedLRSchedule(stages: a, total: 10).stageBoundaries == [3, 6])
        #expect(throws: ScheduleError.self) { try LearnedLRSchedule(stages: [], total: 9) }
        #expect(throws: ScheduleError.self) { try LearnedLRSchedule(stages: a, total: 0) }
        let other = try MLRSNetArtifact(configuration: makeConfiguration(.referenceMetaTest, hidden: 4),
                                        weights: makeCell(.referenceMetaTest, hidden: 4).weights)
        #expect(throws: ScheduleError.self) { try LearnedLRSchedule(stages: [a[0], other], total: 9) }
    }

    /// T = 9 steps (unit: steps): stage 0 for steps 0–2, stage 1 for 3–5, stage 2 for 6–8; (h, c) carry over
    /// the switches; equal to one cell whose θ is swapped by hand at steps 3 and 6.
    @Test func switchesAtTheRightSteps() throws {
        let a = try Self.stages()
        var s = try LearnedLRSchedule(stages: a, total: 9, unit: .step)
        var manual = a[0].makeCell()
        for t in 0..<9 {
            let lr = s.learningRate(for: signal(t, loss: curve[t]))
            #expect(s.stage == t / 3, "step \(t): stage \(s.stage)")
            if t == 3 { try manual.setWeights(a[1].weights) }
            if t == 6 { try manual.setWeights(a[2].weights) }
            #expect(lr == manual.step(loss: curve[t]), "step \(t)")
        }
        #expect(s.cell.stepsAdvanced == 9)
    }

    /// Unit epochs: T = 6 epochs of 2 steps → switches at epochs 2 and 4 = steps 4 and 8. With the reference γ
    /// rule, γ is recomputed from the loss at each switch.
    @Test func epochUnitAndGammaRecomputedAtSwitches() throws {
        let a = try Self.stages()
        var s = try LearnedLRSchedule(stages: a, total: 6, unit: .epoch, gamma: .reference(classes: 10))
        var stagesSeen: [Int] = []
        for t in 0..<12 {
            _ = s.learningRate(for: signal(t, loss: curve[t], stepsPerEpoch: 2))
            stagesSeen.append(s.stage)
            let expectedSource = t < 4 ? curve[0] : (t < 8 ? curve[4] : curve[8])
            #expect(s.gamma == GammaPolicy.reference(classes: 10).gamma(initialLoss: Double(expectedSource)), "step \(t)")
        }
        #expect(stagesSeen == [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2])
        // A fixed γ stays fixed across switches.
        var f = try LearnedLRSchedule(stages: a, total: 6, unit: .epoch, gamma: .fixed(0.5))
        _ = run(&f, Array(curve.prefix(12)), stepsPerEpoch: 2)
        #expect(f.gamma == 0.5 && f.stage == 2)
    }
}

@Suite struct LearnedScheduleSaveRestore {
    /// Save after `split` steps (through JSON, as a checkpoint would), restore into a freshly built schedule,
    /// continue: the LR sequence equals an uninterrupted run, bit for bit.
    func checkResume(_ make: () throws -> LearnedLRSchedule, losses: [Float?], split: Int) throws {
        var whole = try make()
        let expected = run(&whole, losses)
        var first = try make()
        let head = run(&first, Array(losses[..<split]))
        let json = try JSONEncoder().encode(first.state)
        let saved = try JSONDecoder().decode(ScheduleState.self, from: json)
        var resumed = try make()
        try resumed.restore(saved)
        let tail = run(&resumed, Array(losses[split...]), from: split)
        #expect(head + tail == expected)
        #expect(resumed.state == whole.state)
    }

    @Test func singleArtifactFixedGamma() throws {
        let artifact = Artifacts.sample(.referenceMetaTest)
        try checkResume({ try LearnedLRSchedule(artifact: artifact, gamma: .fixed(1), inputNormalisation: .raw) }, losses: curve, split: 11)
    }

    @Test func referenceGammaHoldPolicyAndBounds() throws {
        let artifact = Artifacts.sample(.paper)
        var losses: [Float?] = curve
        losses[3] = .nan
        losses[12] = nil
        try checkResume({
            try LearnedLRSchedule(artifact: artifact, gamma: .reference(classes: 100), bounds: LearningRateBounds(minimum: 1e-3, maximum: 0.2),
                                  nonFiniteLossPolicy: .holdPreviousLearningRate)
        }, losses: losses, split: 13)
    }

    @Test func mlpAndStaged() throws {
        let mlp = Artifacts.sample(.mlp)
        try checkResume({ try LearnedLRSchedule(artifact: mlp) }, losses: curve, split: 5)
        let stages = try StagedTransfer.stages()
        try checkResume({ try LearnedLRSchedule(stages: stages, total: 6, unit: .epoch, gamma: .reference(classes: 10)) },
                        losses: curve, split: 17)   // 5 steps per epoch: switches at epochs 2, 4 = steps 10, 20
    }

    /// A meta-trained θ: restore θ (from the artifact saved with the state) first, then the schedule state.
    @Test func metaTrainedCellThroughArtifact() throws {
        var s = try LearnedLRSchedule(cell: makeCell(.referenceMetaTest, hidden: 6), gamma: .fixed(1))
        var adam = MetaAdam()
        for t in 0..<5 {
            _ = s.preview(for: signal(t, loss: curve[t]))
            try s.cell.backward(dp: 0.5)
            adam.step(&s.cell)
            s.cell.zeroGradients()
            _ = s.learningRate(for: signal(t, loss: curve[t]))
        }
        let artifact = MLRSNetArtifact(cell: s.cell, includeState: true)
        let state = s.state
        let expected = run(&s, Array(curve[5...]), from: 5)
        let bytes = try artifact.encode()
        var resumed = try LearnedLRSchedule(artifact: try MLRSNetArtifact.decode(bytes), gamma: .fixed(1), restoringState: true)
        try resumed.restore(state)
        #expect(run(&resumed, Array(curve[5...]), from: 5) == expected)
    }

    @Test func restoreRefusesAndLeavesScheduleUnchanged() throws {
        let artifact = Artifacts.sample(.referenceMetaTest)
        var s = try LearnedLRSchedule(artifact: artifact, gamma: .fixed(1))
        _ = run(&s, Array(curve.prefix(4)))
        let before = s.state
        // Other weights.
        var otherWeights = artifact.weights
        otherWeights[0] += 1e-3
        var other = try LearnedLRSchedule(artifact: try MLRSNetArtifact(configuration: artifact.configuration, weights: otherWeights), gamma: .fixed(1))
        _ = run(&other, Array(curve.prefix(2)))
        do {
            try s.restore(other.state)
            Issue.record("restore with other weights must fail")
        } catch {
            guard case .invalidValue(_, "fingerprint", _, _) = error else { Issue.record("expected a fingerprint error, got \(error)"); return }
        }
        #expect(s.state == before)
        #expect(throws: ScheduleError.wrongKind(expected: "mlrsnet", found: "fixed")) { try s.restore(ScheduleState(kind: "fixed", values: ["lr": 0.1])) }
        var missing = before
        missing.values["h.3"] = nil
        #expect(throws: ScheduleError.missingKey(kind: "mlrsnet", key: "h.3")) { try s.restore(missing) }
        var bad = before
        bad.values["gammaPolicy"] = 7
        #expect(throws: ScheduleError.self) { try s.restore(bad) }
        var hidden = before
        hidden.values["hiddenSize"] = 50
        #expect(throws: ScheduleError.self) { try s.restore(hidden) }
        #expect(s.state == before)
    }
}
