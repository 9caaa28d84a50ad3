import Schedules
import Testing

// Every schedule's full LR sequence over 8 epochs of 3 steps (steps 0...23), against values worked out by hand
// (the arithmetic is in the comments; decimals to ≥ 12 significant digits).

@Suite struct FixedScheduleValues {
    @Test func constant() throws {
        let s = try FixedSchedule(lr: 0.05)
        expectLRs(lrSequence(s), Array(repeating: 0.05, count: 24))
        #expect(s.summary == "fixed(0.05)")
    }
}

@Suite struct ExponentialScheduleValues {
    @Test func perStep() throws {
        // lr = 0.1·0.8ˢ at global step s.
        let expected: [Double] = [
            0.1, 0.08, 0.064, 0.0512,                                  // 0.1·0.8⁰ ... 0.1·0.8³
            0.04096, 0.032768, 0.0262144, 0.02097152,                  // 0.1·0.8⁴ ... 0.1·0.8⁷
            0.016777216, 0.0134217728, 0.01073741824, 0.008589934592,  // 0.1·0.8⁸ ... 0.1·0.8¹¹
            0.0068719476736, 0.00549755813888,                         // 0.1·0.8¹², 0.1·0.8¹³
            0.004398046511104, 0.0035184372088832,                     // 0.1·0.8¹⁴, 0.1·0.8¹⁵
            0.00281474976710656, 0.002251799813685248,                 // 0.1·0.8¹⁶, 0.1·0.8¹⁷
            0.0018014398509481984, 0.0014411518807585587,              // 0.1·0.8¹⁸, 0.1·0.8¹⁹
            0.001152921504606847, 0.0009223372036854776,               // 0.1·0.8²⁰, 0.1·0.8²¹
            0.0007378697629483821, 0.0005902958103587057,              // 0.1·0.8²², 0.1·0.8²³
        ]
        expectLRs(lrSequence(try ExponentialSchedule(initial: 0.1, gamma: 0.8, per: .step)), expected)
    }

    @Test func perEpochDecay() throws {
        // lr = 0.1·0.5ᵉ at epoch e, the same for the 3 steps of the epoch.
        let expected = perEpoch([0.1, 0.05, 0.025, 0.0125, 0.00625, 0.003125, 0.0015625, 0.00078125])
        let s = try ExponentialSchedule(initial: 0.1, gamma: 0.5, per: .epoch)
        expectLRs(lrSequence(s), expected)
        #expect(s.summary == "exponential(0.1, ×0.5 per epoch)")
    }
}

@Suite struct MultiStepScheduleValues {
    @Test func twoMilestones() throws {
        // milestones 3 and 6, ×0.1: epochs 0–2 → 0.1; 3–5 → 0.1·0.1 = 0.01; 6–7 → 0.1·0.1² = 0.001.
        let expected = perEpoch([0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001])
        expectLRs(lrSequence(try MultiStepSchedule(initial: 0.1, milestones: [3, 6], gamma: 0.1)), expected)
    }

    @Test func repeatedUnsortedMilestones() throws {
        // milestones {2, 6, 6} (given unsorted), ×0.5: epochs 0–1 → 0.1; 2–5 → 0.1·0.5 = 0.05;
        // 6–7 → 0.1·0.5³ = 0.0125 (the repeated milestone decays twice, like PyTorch's Counter).
        let expected = perEpoch([0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.0125, 0.0125])
        expectLRs(lrSequence(try MultiStepSchedule(initial: 0.1, milestones: [6, 2, 6], gamma: 0.5)), expected)
    }

    @Test func summaryFormat() throws {
        let s = try MultiStepSchedule(initial: 0.1, milestones: [150, 100], gamma: 0.1)
        #expect(s.summary == "multistep(0.1, milestones [100, 150], ×0.1)")
    }
}

@Suite struct CosineScheduleValues {
    @Test func perEpochClamped() throws {
        // η = 0.001 + (0.1 − 0.001)·(1 + cos(π·e/6))/2 = 0.001 + 0.0495·(1 + cos(πe/6)), e clamped to 6.
        let expected = perEpoch([
            0.1,                    // e=0: cos 0 = 1
            0.0933682574873297,     // e=1: 0.001 + 0.0495·(1 + √3/2) = 0.001 + 0.0495·1.8660254037844
            0.07525,                // e=2: 0.001 + 0.0495·1.5
            0.0505,                 // e=3: 0.001 + 0.0495·1
            0.02575,                // e=4: 0.001 + 0.0495·0.5
            0.00763174251267028,    // e=5: 0.001 + 0.0495·(1 − √3/2) = 0.001 + 0.0495·0.1339745962156
            0.001, 0.001,           // e=6: cos π = −1 → η_min; e=7 clamped to 6
        ])
        let s = try CosineSchedule(initial: 0.1, minimum: 0.001, length: 6, unit: .epoch)
        expectLRs(lrSequence(s), expected)
        #expect(s.summary == "cosine(0.1 → 0.001 over 6 epochs)")
    }

    @Test func perStepToZero() throws {
        // η = 0.1·(1 + cos(π·s/16))/2 = 0.05·(1 + cos(πs/16)), s clamped to 16 (exactly 0 from step 16 on).
        let expected: [Double] = [
            0.1,                     // s=0
            0.0990392640201615,      // s=1:  0.05·(1 + 0.98078528040323)
            0.0961939766255643,      // s=2:  0.05·(1 + 0.92387953251129)
            0.0915734806151273,      // s=3:  0.05·(1 + 0.83146961230255)
            0.0853553390593274,      // s=4:  0.05·(1 + √2/2)
            0.0777785116509801,      // s=5:  0.05·(1 + 0.55557023301960)
            0.0691341716182545,      // s=6:  0.05·(1 + 0.38268343236509)
            0.0597545161008064,      // s=7:  0.05·(1 + 0.19509032201613)
            0.05,                    // s=8:  0.05·(1 + 0)
            0.0402454838991936,      // s=9:  0.05·(1 − 0.19509032201613)
            0.0308658283817455,      // s=10: 0.05·(1 − 0.38268343236509)
            0.0222214883490199,      // s=11: 0.05·(1 − 0.55557023301960)
            0.0146446609406726,      // s=12: 0.05·(1 − √2/2)
            0.00842651938487273,     // s=13: 0.05·(1 − 0.83146961230255)
            0.00380602337443566,     // s=14: 0.05·(1 − 0.92387953251129)
            0.000960735979838478,    // s=15: 0.05·(1 − 0.98078528040323)
            0, 0, 0, 0, 0, 0, 0, 0,  // s≥16: 0.05·(1 + cos π) = 0
        ]
        expectLRs(lrSequence(try CosineSchedule(initial: 0.1, length: 16, unit: .step)), expected)
    }
}

@Suite struct SGDRScheduleValues {
    @Test func doublingPeriodsAtFractionalEpochs() throws {
        // T0 = 2, Tmult = 2: periods [0, 2), [2, 6), [6, 14) epochs. Fractional epoch x = e + i/3.
        // η = 0.001 + 0.099·(1 + cos(π·T_cur/T_i))/2 = 0.001 + 0.0495·(1 + cos(π·T_cur/T_i)).
        let expected: [Double] = [
            // period 1, T_i = 2, T_cur = x: cos(π·x/2) for x = 0, 1/3, 2/3, 1, 4/3, 5/3 → cos(k·π/6)
            0.1,                    // x=0:   cos 0 = 1
            0.0933682574873297,     // x=1/3: 0.001 + 0.0495·(1 + √3/2)
            0.07525,                // x=2/3: 0.001 + 0.0495·(1 + 1/2)
            0.0505,                 // x=1:   0.001 + 0.0495·(1 + 0)
            0.02575,                // x=4/3: 0.001 + 0.0495·(1 − 1/2)
            0.00763174251267030,    // x=5/3: 0.001 + 0.0495·(1 − √3/2)
            // restart at epoch 2; period 2, T_i = 4, T_cur = x − 2: cos(π·T_cur/4) = cos(k·π/12), k = 0...11
            0.1,                    // k=0
            0.0983133284013089,     // k=1:  0.001 + 0.0495·(1 + 0.96592582628907)
            0.0933682574873297,     // k=2:  0.001 + 0.0495·(1 + √3/2)
            0.0855017856687341,     // k=3:  0.001 + 0.0495·(1 + √2/2)
            0.07525,                // k=4:  0.001 + 0.0495·(1 + 1/2)
            0.0633115427325748,     // k=5:  0.001 + 0.0495·(1 + 0.25881904510252)
            0.0505,                 // k=6:  0.001 + 0.0495·(1 + 0)
            0.0376884572674252,     // k=7:  0.001 + 0.0495·(1 − 0.25881904510252)
            0.02575,                // k=8:  0.001 + 0.0495·(1 − 1/2)
            0.0154982143312659,     // k=9:  0.001 + 0.0495·(1 − √2/2)
            0.00763174251267030,    // k=10: 0.001 + 0.0495·(1 − √3/2)
            0.00268667159869112,    // k=11: 0.001 + 0.0495·(1 − 0.96592582628907)
            // restart at epoch 6; period 3, T_i = 8, T_cur = x − 6: cos(π·T_cur/8) = cos(k·π/24), k = 0...5
            0.1,                    // k=0
            0.0995765206380036,     // k=1: 0.001 + 0.0495·(1 + 0.99144486137381)
            0.0983133284013089,     // k=2: 0.001 + 0.0495·(1 + 0.96592582628907)
            0.0962320368593087,     // k=3: 0.001 + 0.0495·(1 + 0.92387953251129)
            0.0933682574873297,     // k=4: 0.001 + 0.0495·(1 + √3/2)
            0.0897709903444161,     // k=5: 0.001 + 0.0495·(1 + 0.79335334029124)
        ]
        let s = try SGDRSchedule(initial: 0.1, minimum: 0.001, t0: 2, tMult: 2)
        expectLRs(lrSequence(s), expected)
        #expect(s.summary == "sgdr(0.1 → 0.001, T0 2 epochs, ×2)")
    }

    @Test func constantPeriods() throws {
        // T0 = 3, Tmult = 1: restarts at epochs 3 and 6; T_cur = x mod 3 = k/3 for k = 0...8.
        // η = 0.01 + 0.19·(1 + cos(π·k/9))/2 = 0.01 + 0.095·(1 + cos(kπ/9)).
        let period: [Double] = [
            0.2,                    // k=0
            0.194270798974661,      // k=1: 0.01 + 0.095·(1 + 0.93969262078591)
            0.177774222096303,      // k=2: 0.01 + 0.095·(1 + 0.76604444311898)
            0.1525,                 // k=3: 0.01 + 0.095·(1 + 1/2)
            0.121496576878358,      // k=4: 0.01 + 0.095·(1 + 0.17364817766693)
            0.0885034231216416,     // k=5: 0.01 + 0.095·(1 − 0.17364817766693)
            0.0575,                 // k=6: 0.01 + 0.095·(1 − 1/2)
            0.0322257779036971,     // k=7: 0.01 + 0.095·(1 − 0.76604444311898)
            0.0157292010253387,     // k=8: 0.01 + 0.095·(1 − 0.93969262078591)
        ]
        let s = try SGDRSchedule(initial: 0.2, minimum: 0.01, t0: 3, tMult: 1)
        expectLRs(lrSequence(s), Array((period + period + period).prefix(24)))
    }
}
