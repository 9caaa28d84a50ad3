import Schedules
import Testing

/// The scripted validation losses of `PlateauScheduleValues.scripted` (index = epoch; nil = not measured).
let plateauLosses: [Float?] = [1.0, 0.9901, 0.9899, 0.99, 0.985, 0.981, 2.0, nil, 2.0, 2.0, 2.0, 0.5, 0.6, 0.6, 0.6]

func scriptedPlateau() throws -> ReduceOnPlateauSchedule {
    try ReduceOnPlateauSchedule(initial: 0.1, factor: 0.5, patience: 2, threshold: 0.01, thresholdMode: .rel,
                                cooldown: 1, minimum: 0.03)
}

@Suite struct PlateauScheduleValues {
    /// PyTorch rules with patience 2, cooldown 1, rel threshold 0.01 (better ⇔ loss < best·0.99), factor 0.5,
    /// min LR 0.03. The LR reported for epoch e's steps is the one in force after epochEnded(e − 1).
    @Test func scripted() throws {
        // epoch  loss    better?                       best    bad  cooldown  action
        //  0     1.0     yes (first value)             1.0     0    0
        //  1     0.9901  0.9901 < 1.0·0.99 = 0.99? no  1.0     1    0        (an improvement < 1% is bad)
        //  2     0.9899  0.9899 < 0.99? yes            0.9899  0    0
        //  3     0.99    0.99 < 0.9899·0.99 = 0.980001? no      1
        //  4     0.985   no                                    2
        //  5     0.981   no (0.981 > 0.980001)                 3 > 2 → lr 0.1·0.5 = 0.05, cooldown 1, bad 0
        //  6     2.0     no                                    1 → cooldown 1→0 resets bad to 0
        //  7     —       not measured: nothing changes         0
        //  8     2.0     no                                    1              (without cooldown: 2)
        //  9     2.0     no                                    2              (without cooldown: 3 → reduce)
        // 10     2.0     no                                    3 > 2 → lr max(0.05·0.5, 0.03) = 0.03 (clamped)
        // 11     0.5     yes                           0.5     0 → cooldown 1→0
        // 12–14  0.6     no                                    1, 2, 3 > 2 → max(0.03·0.5, 0.03) = 0.03:
        //                                                      a reduction of 0 ≤ eps is ignored, lr stays 0.03
        let expected = perEpoch([
            0.1, 0.1, 0.1, 0.1, 0.1, 0.1,   // epochs 0–5: the first reduction happens at the end of epoch 5
            0.05, 0.05, 0.05, 0.05, 0.05,   // epochs 6–10
            0.03, 0.03, 0.03, 0.03,         // epochs 11–14: clamped at the minimum
        ])
        var s = try scriptedPlateau()
        let lrs = replay(&s, trainingEvents(stepsPerEpoch: 3, epochs: 15, losses: plateauLosses))
        expectLRs(lrs, expected)
        #expect(s.lr == 0.03)
        #expect(s.best == Double(Float(0.5)))
        #expect(s.badEpochs == 0 && s.cooldownCounter == 1)   // set by the ignored reduction after epoch 14
    }

    @Test func absoluteThresholdPatienceZero() throws {
        // abs threshold 0.1, patience 0 (every bad epoch reduces), factor 0.5, no cooldown:
        // e0 1.0 best; e1 0.95: 0.95 < 1.0 − 0.1? no → bad 1 > 0 → lr 0.05; e2 0.85 < 0.9 → best 0.85;
        // e3 0.8 < 0.75? no → lr 0.025; e4 0.7 < 0.75 → best; e5 0.7 → lr 0.0125; e6, e7: no loss.
        let losses: [Float?] = [1.0, 0.95, 0.85, 0.8, 0.7, 0.7]
        let s = try ReduceOnPlateauSchedule(initial: 0.1, factor: 0.5, patience: 0, threshold: 0.1,
                                            thresholdMode: .abs)
        expectLRs(lrSequence(s, losses: losses),
                  perEpoch([0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125]))
    }

    @Test func maximiseAccuracy() throws {
        // mode max, rel threshold 0.1 (better ⇔ acc > best·1.1), patience 1, factor 0.1:
        // e0 0.5 best; e1 0.54 (< 0.55) bad 1; e2 0.56 > 0.55 best; e3 0.6 (< 0.616) bad 1; e4 0.6 bad 2 > 1
        // → lr 0.01; e5 0.7 > 0.616 best; e6 0.7 bad 1; e7 0.7 bad 2 → lr 0.001 (after the run).
        let losses: [Float?] = [0.5, 0.54, 0.56, 0.6, 0.6, 0.7, 0.7, 0.7]
        let s = try ReduceOnPlateauSchedule(initial: 0.1, factor: 0.1, patience: 1, threshold: 0.1, mode: .max)
        expectLRs(lrSequence(s, losses: losses), perEpoch([0.1, 0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01]))
    }

    @Test func textBaselineDividesByFour() throws {
        // The paper's text baseline: ÷4 whenever the validation loss does not improve (patience 0).
        // e0 5.0 best; e1 5.0 bad → 20/4 = 5; e2 4.0 best; e3 4.5 bad → 1.25.
        let s = try ReduceOnPlateauSchedule(initial: 20, factor: 0.25, patience: 0)
        expectLRs(lrSequence(s, epochs: 5, losses: [5.0, 5.0, 4.0, 4.5]), perEpoch([20, 20, 5, 5, 1.25]))
    }
}
