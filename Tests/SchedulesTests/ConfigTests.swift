import Foundation   // JSONDecoder / JSONEncoder for config files
import Schedules
import Testing

func decodeConfig(_ json: String) throws -> ScheduleConfig {
    try JSONDecoder().decode(ScheduleConfig.self, from: Data(json.utf8))
}

@Suite struct ScheduleConfigs {
    /// Each JSON config builds the same schedule as the direct initialiser: same LR sequence and summary.
    @Test func buildsEveryKind() throws {
        let cases: [(String, any LearningRateSchedule)] = [
            (#"{"kind": "fixed", "lr": 0.05}"#, try FixedSchedule(lr: 0.05)),
            (#"{"kind": "exponential", "initial": 0.1, "gamma": 0.8, "per": "step"}"#,
             try ExponentialSchedule(initial: 0.1, gamma: 0.8, per: .step)),
            (#"{"kind": "exponential", "initial": 0.1, "gamma": 0.5}"#,
             try ExponentialSchedule(initial: 0.1, gamma: 0.5, per: .epoch)),
            (#"{"kind": "multistep", "initial": 0.1, "milestones": [3, 6], "gamma": 0.1}"#,
             try MultiStepSchedule(initial: 0.1, milestones: [3, 6], gamma: 0.1)),
            (#"{"kind": "cosine", "initial": 0.1, "minimum": 0.001, "length": 6}"#,
             try CosineSchedule(initial: 0.1, minimum: 0.001, length: 6, unit: .epoch)),
            (#"{"kind": "sgdr", "initial": 0.1, "minimum": 0.001, "t0": 2, "tMult": 2}"#,
             try SGDRSchedule(initial: 0.1, minimum: 0.001, t0: 2, tMult: 2)),
            (#"{"kind": "plateau", "initial": 0.1, "factor": 0.5, "patience": 2, "threshold": 0.01, "#
                + #""thresholdMode": "rel", "cooldown": 1, "minimum": 0.03, "mode": "min"}"#,
             try scriptedPlateau()),
            (#"{"kind": "warmup", "steps": 10, "startFactor": 0.1, "#
                + #""inner": {"kind": "multistep", "initial": 0.1, "milestones": [3, 6], "gamma": 0.1}}"#,
             try WarmupSchedule(MultiStepSchedule(initial: 0.1, milestones: [3, 6], gamma: 0.1), steps: 10,
                                startFactor: 0.1)),
            (#"{"kind": "sequential", "phases": [{"kind": "fixed", "lr": 0.01, "untilStep": 4}, "#
                + #"{"kind": "exponential", "initial": 0.1, "gamma": 0.5, "untilEpoch": 5}, "#
                + #"{"kind": "cosine", "initial": 0.05, "minimum": 0.005, "length": 6, "unit": "step"}]}"#,
             try SequentialSchedule([
                 (FixedSchedule(lr: 0.01), .untilStep(4)),
                 (ExponentialSchedule(initial: 0.1, gamma: 0.5, per: .epoch), .untilEpoch(5)),
                 (CosineSchedule(initial: 0.05, minimum: 0.005, length: 6, unit: .step), .forever),
             ])),
        ]
        for (json, direct) in cases {
            let built = try decodeConfig(json).makeSchedule()
            #expect(built.summary == direct.summary, "\(json)")
            #expect(built.state == direct.state, "\(json)")
            #expect(lrSequence(built, epochs: 15, losses: plateauLosses)
                        == lrSequence(AnySchedule(direct), epochs: 15, losses: plateauLosses), "\(json)")
        }
    }

    @Test func literalsAndJSONRoundTrip() throws {
        let config = ScheduleConfig(kind: "warmup", parameters: [
            "steps": 500, "startFactor": 0.1,
            "inner": .schedule(ScheduleConfig(kind: "multistep",
                                              parameters: ["initial": 0.1, "milestones": [100, 150], "gamma": 0.1])),
        ])
        let data = try JSONEncoder().encode(config)
        #expect(try JSONDecoder().decode(ScheduleConfig.self, from: data) == config)
        #expect(try config.makeSchedule().summary
                    == "warmup(500 steps from ×0.1) then multistep(0.1, milestones [100, 150], ×0.1)")
    }

    @Test func badConfigsThrowClearErrors() throws {
        let bad: [(String, ScheduleError)] = [
            (#"{"kind": "cosin", "initial": 0.1}"#, .unknownKind("cosin")),
            (#"{"kind": "multistep", "initial": 0.1, "milestones": [3], "gama": 0.1}"#,
             .missingKey(kind: "multistep", key: "gamma")),
            (#"{"kind": "multistep", "initial": 0.1, "milestones": [3], "gamma": 0.1, "gama": 0.1}"#,
             .unknownParameter(kind: "multistep", key: "gama")),
            (#"{"kind": "multistep", "initial": 0.1, "milestones": [2.5], "gamma": 0.1}"#,
             .invalidValue(kind: "multistep", key: "milestones", value: "2.5", reason: "must be an integer")),
            (#"{"kind": "exponential", "initial": 0.1, "gamma": -1}"#,
             .invalidValue(kind: "exponential", key: "gamma", value: "-1.0", reason: "must be finite and > 0")),
            (#"{"kind": "cosine", "initial": 0.1, "length": 6, "unit": "epochs"}"#,
             .invalidValue(kind: "cosine", key: "unit", value: "\"epochs\"", reason: #"must be "step" or "epoch""#)),
            (#"{"kind": "fixed", "lr": "0.1"}"#,
             .invalidValue(kind: "fixed", key: "lr", value: "\"0.1\"", reason: "must be a number")),
            (#"{"kind": "plateau", "initial": 0.1, "factor": 1}"#,
             .invalidValue(kind: "plateau", key: "factor", value: "1.0", reason: "must be in (0, 1)")),
            (#"{"kind": "warmup", "steps": 5, "inner": {"kind": "fixed"}}"#, .missingKey(kind: "fixed", key: "lr")),
            (#"{"kind": "sequential", "phases": [{"kind": "fixed", "lr": 0.1}, {"kind": "fixed", "lr": 0.2}]}"#,
             .missingKey(kind: "sequential", key: "untilStep or untilEpoch of phase 0")),
            (#"{"kind": "sequential", "phases": []}"#,
             .invalidValue(kind: "sequential", key: "phases", value: "[]", reason: "needs at least one phase")),
        ]
        for (json, error) in bad {
            let config = try decodeConfig(json)
            #expect(throws: error, "\(json)") { _ = try config.makeSchedule() }
        }
    }
}

@Suite struct ParameterValidation {
    @Test func initialisersRejectBadValues() {
        #expect(throws: ScheduleError.invalidValue(kind: "fixed", key: "lr", value: "-0.1", reason: "must be finite and ≥ 0")) {
            _ = try FixedSchedule(lr: -0.1)
        }
        #expect(throws: ScheduleError.invalidValue(kind: "fixed", key: "lr", value: "nan", reason: "must be finite and ≥ 0")) {
            _ = try FixedSchedule(lr: .nan)
        }
        #expect(throws: ScheduleError.invalidValue(kind: "exponential", key: "gamma", value: "0.0",
                                                   reason: "must be finite and > 0")) {
            _ = try ExponentialSchedule(initial: 0.1, gamma: 0, per: .step)
        }
        #expect(throws: ScheduleError.invalidValue(kind: "multistep", key: "milestones", value: "-1", reason: "must be ≥ 0")) {
            _ = try MultiStepSchedule(initial: 0.1, milestones: [3, -1], gamma: 0.1)
        }
        #expect(throws: ScheduleError.invalidValue(kind: "cosine", key: "length", value: "0", reason: "must be ≥ 1")) {
            _ = try CosineSchedule(initial: 0.1, length: 0, unit: .epoch)
        }
        #expect(throws: ScheduleError.invalidValue(kind: "sgdr", key: "tMult", value: "0", reason: "must be ≥ 1")) {
            _ = try SGDRSchedule(initial: 0.1, t0: 2, tMult: 0)
        }
        #expect(throws: ScheduleError.invalidValue(kind: "plateau", key: "threshold", value: "1.0",
                                                   reason: "must be < 1 in rel mode")) {
            _ = try ReduceOnPlateauSchedule(initial: 0.1, threshold: 1)
        }
        #expect(throws: ScheduleError.invalidValue(kind: "plateau", key: "patience", value: "-1", reason: "must be ≥ 0")) {
            _ = try ReduceOnPlateauSchedule(initial: 0.1, patience: -1)
        }
        #expect(throws: ScheduleError.invalidValue(kind: "warmup", key: "startFactor", value: "1.5",
                                                   reason: "must be in [0, 1]")) {
            _ = try WarmupSchedule(FixedSchedule(lr: 0.1), steps: 3, startFactor: 1.5)
        }
        #expect(throws: ScheduleError.invalidValue(kind: "sequential", key: "end of phase 0", value: "forever",
                                                   reason: "only the last phase may last forever")) {
            _ = try SequentialSchedule([(FixedSchedule(lr: 0.1), .forever), (FixedSchedule(lr: 0.2), .forever)])
        }
    }
}
