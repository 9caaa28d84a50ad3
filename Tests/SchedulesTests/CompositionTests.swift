import Schedules
import Testing

/// A custom schedule (as the MLR-SNet meta-learner will be): records what it is shown and returns
/// 0.001·(its step + 1). Used to check what composite schedules pass to their parts.
struct Recorder: LearningRateSchedule, Equatable {
    var signals: [TrainingSignal] = []
    var epochEnds: [Int] = []
    mutating func learningRate(for signal: TrainingSignal) -> Float {
        signals.append(signal)
        return Float(0.001 * Double(signal.step + 1))
    }
    mutating func epochEnded(_ epoch: Int, validationLoss: Float?) { epochEnds.append(epoch) }
    var state: ScheduleState { ScheduleState(kind: "recorder", values: ["calls": Double(signals.count)]) }
    mutating func restore(_ state: ScheduleState) throws(ScheduleError) {
        guard state.kind == "recorder" else { throw .wrongKind(expected: "recorder", found: state.kind) }
    }
    var summary: String { "recorder" }
}

/// A custom schedule that keeps the default (empty) `epochEnded`.
struct Halving: LearningRateSchedule {
    mutating func learningRate(for signal: TrainingSignal) -> Float { Float(1.0 / Double(1 << min(signal.step, 60))) }
    var state: ScheduleState { ScheduleState(kind: "halving") }
    mutating func restore(_ state: ScheduleState) throws(ScheduleError) {}
    var summary: String { "halving" }
}

@Suite struct WarmupScheduleValues {
    @Test func warmupThenMultiStep() throws {
        // Inner: multistep 0.1, milestones [3, 6] (steps 9 and 18), ×0.1. Warm-up over 10 steps from ×0.1:
        // factor(s) = 0.1 + 0.9·s/10 = 0.1 + 0.09·s for s < 10, then 1. lr = inner · factor.
        let expected: [Double] = [
            0.01, 0.019, 0.028, 0.037,      // s=0–3: 0.1·0.10, 0.1·0.19, 0.1·0.28, 0.1·0.37
            0.046, 0.055, 0.064, 0.073,     // s=4–7: 0.1·0.46, 0.1·0.55, 0.1·0.64, 0.1·0.73
            0.082,                          // s=8:   0.1·0.82
            0.0091,                         // s=9:   epoch 3, inner 0.01 (first milestone) · 0.91
            0.01, 0.01, 0.01, 0.01,         // s=10–17: warm-up over, inner 0.01
            0.01, 0.01, 0.01, 0.01,
            0.001, 0.001, 0.001,            // s=18–23: epoch ≥ 6, inner 0.1·0.1² = 0.001
            0.001, 0.001, 0.001,
        ]
        let s = try WarmupSchedule(MultiStepSchedule(initial: 0.1, milestones: [3, 6], gamma: 0.1),
                                   steps: 10, startFactor: 0.1)
        expectLRs(lrSequence(s), expected)
        #expect(s.summary == "warmup(10 steps from ×0.1) then multistep(0.1, milestones [3, 6], ×0.1)")
    }

    @Test func warmupForwardsEpochEndsToPlateau() throws {
        // Warm-up 4 steps from ×0.5 around plateau(0.1, ×0.5, patience 0): losses 1, 1 → reduce after epoch 1.
        // s=0: 0.1·0.5; s=1: 0.1·0.625; s=2: 0.1·0.75; s=3: 0.1·0.875; s=4–5: 0.1; epochs 2+: 0.05.
        let s = try WarmupSchedule(ReduceOnPlateauSchedule(initial: 0.1, factor: 0.5, patience: 0),
                                   steps: 4, startFactor: 0.5)
        expectLRs(lrSequence(s, epochs: 3, losses: [1, 1]),
                  [0.05, 0.0625, 0.075, 0.0875, 0.1, 0.1, 0.05, 0.05, 0.05])
    }
}

@Suite struct SequentialScheduleValues {
    @Test func threePhases() throws {
        // Phase 0: fixed 0.01 until global step 4 (steps 0–3).
        // Phase 1: exponential 0.1·0.5ᵉ per epoch until global epoch 5; it starts at step 4 = epoch 1, i = 1, so
        //          its epochs are e − 1: steps 4–5 → 0.1, 6–8 → 0.05, 9–11 → 0.025, 12–14 → 0.0125.
        // Phase 2: cosine 0.05 → 0.005 over 6 steps, from step 15 (its t = s − 15):
        //          0.005 + 0.045·(1 + cos(πt/6))/2 = 0.005 + 0.0225·(1 + cos(πt/6)).
        let expected: [Double] = [
            0.01, 0.01, 0.01, 0.01,         // s=0–3
            0.1, 0.1,                       // s=4–5   (its epoch 0 = rest of global epoch 1)
            0.05, 0.05, 0.05,               // s=6–8   0.1·0.5
            0.025, 0.025, 0.025,            // s=9–11  0.1·0.5²
            0.0125, 0.0125, 0.0125,         // s=12–14 0.1·0.5³
            0.05,                           // s=15 t=0
            0.0469855715851499,             // s=16 t=1: 0.005 + 0.0225·(1 + √3/2)
            0.03875,                        // s=17 t=2: 0.005 + 0.0225·1.5
            0.0275,                         // s=18 t=3: 0.005 + 0.0225·1
            0.01625,                        // s=19 t=4: 0.005 + 0.0225·0.5
            0.00801442841485013,            // s=20 t=5: 0.005 + 0.0225·(1 − √3/2)
            0.005, 0.005, 0.005,            // s=21–23: t ≥ 6 → minimum
        ]
        let s = try SequentialSchedule([
            (FixedSchedule(lr: 0.01), .untilStep(4)),
            (ExponentialSchedule(initial: 0.1, gamma: 0.5, per: .epoch), .untilEpoch(5)),
            (CosineSchedule(initial: 0.05, minimum: 0.005, length: 6, unit: .step), .forever),
        ])
        expectLRs(lrSequence(s), expected)
        #expect(s.summary == "sequential(fixed(0.01) until step 4; exponential(0.1, ×0.5 per epoch) until epoch 5; "
                    + "cosine(0.05 → 0.005 over 6 steps))")
    }

    @Test func plateauPhaseSeesOnlyItsOwnEpochs() throws {
        // Phase 0: fixed 0.01 for epochs 0–1 (it receives epochEnded(0) and (1), and ignores them).
        // Phase 1: plateau(0.1, ×0.5, patience 0) from epoch 2: e2 loss 1 → best; e3 1 → bad → 0.05;
        //          e4 0.5 → best; e5 0.6 → bad → 0.025. (Had it seen epochs 0–1 it would reduce after epoch 1.)
        let s = try SequentialSchedule([
            (FixedSchedule(lr: 0.01), .untilEpoch(2)),
            (ReduceOnPlateauSchedule(initial: 0.1, factor: 0.5, patience: 0), .forever),
        ])
        expectLRs(lrSequence(s, losses: [1, 1, 1, 1, 0.5, 0.6]),
                  perEpoch([0.01, 0.01, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025]))
    }

    @Test func innerSignalsAreRebasedToTheSpan() throws {
        // Spans: steps 0–4 (until step 5, which is epoch 1, i = 2), then the rest. 3 steps per epoch, 3 epochs.
        var s = try SequentialSchedule([(Recorder(), .untilStep(5)), (Recorder(), .untilStep(1_000))])
        let lrs = replay(&s, trainingEvents(stepsPerEpoch: 3, epochs: 3))
        expectLRs(lrs, [0.001, 0.002, 0.003, 0.004, 0.005, 0.001, 0.002, 0.003, 0.004])
        let first = try #require(s.phases[0].schedule.base as? Recorder)
        let second = try #require(s.phases[1].schedule.base as? Recorder)
        #expect(first.signals.map(\.step) == [0, 1, 2, 3, 4])
        #expect(first.signals.map(\.epoch) == [0, 0, 0, 1, 1])
        #expect(first.epochEnds == [0])                        // epoch 0 ended inside the first span
        #expect(second.signals.map(\.step) == [0, 1, 2, 3])      // global steps 5–8
        #expect(second.signals.map(\.epoch) == [0, 1, 1, 1])     // global epochs 1, 2, 2, 2 minus 1
        #expect(second.epochEnds == [0, 1])                     // global epochs 1 and 2
        #expect(second.signals.allSatisfy { $0.stepsPerEpoch == 3 })
        #expect(second.signals.map(\.trainingLoss) == [95, 94, 93, 92])   // passed through unchanged
        #expect(second.signals.map(\.validationLoss) == [nil, nil, nil, nil])
        #expect(s.index == 1 && s.startStep == 5 && s.startEpoch == 1)
    }
}

@Suite struct AnyScheduleBehaviour {
    @Test func wrapsAndForwards() throws {
        let inner = try MultiStepSchedule(initial: 0.1, milestones: [3, 6], gamma: 0.1)
        let any = AnySchedule(inner)
        #expect(lrSequence(any) == lrSequence(inner))
        #expect(any.summary == inner.summary)
        #expect(any.state == inner.state)
        let twice = AnySchedule(any)
        #expect(twice.base is MultiStepSchedule)               // not wrapped twice
    }

    @Test func customScheduleWithDefaultEpochEnded() {
        var any = AnySchedule(Halving())
        any.epochEnded(0, validationLoss: 1)                    // the protocol's default: no effect
        expectLRs(lrSequence(any, epochs: 1), [1, 0.5, 0.25])
        #expect(throws: ScheduleError.unknownKind("halving")) { _ = try AnySchedule(state: any.state) }
    }

    @Test func knownKinds() {
        #expect(AnySchedule.knownKinds == ["fixed", "exponential", "multistep", "cosine", "sgdr", "plateau",
                                           "warmup", "sequential"])
    }
}
