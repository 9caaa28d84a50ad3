import Foundation   // JSONEncoder / JSONDecoder, to check that saved states survive a checkpoint file
import Schedules
import Testing

/// The run every save/restore test uses: 15 epochs of 3 steps with the plateau script's
/// losses, so plateau decisions (and the cooldown) fall inside it.
let restoreEvents = trainingEvents(stepsPerEpoch: 3, epochs: 15, losses: plateauLosses)

/// Saves after every prefix of `restoreEvents` (k = 0...count: mid-epoch, just before and just after every
/// epochEnded, hence around every plateau decision), round-trips the state through JSON, restores it into a fresh
/// schedule from `fresh`, and expects the continued LR sequence to be bit-identical to the uninterrupted one.
/// If `rebuildable`, `AnySchedule(state:)` must also rebuild a schedule that continues identically.
func expectResumesIdentically<S: LearningRateSchedule>(
    _ make: () throws -> S, fresh: (() throws -> S)? = nil, rebuildable: Bool = true,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    var whole = try make()
    let reference = replay(&whole, restoreEvents)
    let encoder = JSONEncoder(), decoder = JSONDecoder()
    for k in 0...restoreEvents.count {
        var first = try make()
        var lrs = replay(&first, restoreEvents.prefix(k))
        let saved = try decoder.decode(ScheduleState.self, from: encoder.encode(first.state))
        #expect(saved == first.state, sourceLocation: sourceLocation)

        var second = try fresh?() ?? make()
        try second.restore(saved)
        lrs += replay(&second, restoreEvents.dropFirst(k))
        #expect(lrs == reference, "restored after \(k) events", sourceLocation: sourceLocation)

        if rebuildable {
            var rebuilt = try AnySchedule(state: saved)
            let tail = replay(&rebuilt, restoreEvents.dropFirst(k))
            #expect(Array(reference.suffix(tail.count)) == tail, "rebuilt after \(k) events",
                    sourceLocation: sourceLocation)
        }
    }
}

@Suite struct SaveRestore {
    @Test func fixed() throws {
        try expectResumesIdentically({ try FixedSchedule(lr: 0.05) }, fresh: { try FixedSchedule(lr: 1) })
    }

    @Test func exponential() throws {
        try expectResumesIdentically { try ExponentialSchedule(initial: 0.1, gamma: 0.8, per: .step) }
        try expectResumesIdentically({ try ExponentialSchedule(initial: 0.1, gamma: 0.5, per: .epoch) },
                                     fresh: { try ExponentialSchedule(initial: 1, gamma: 0.9, per: .step) })
    }

    @Test func multiStep() throws {
        // The fresh instance has other milestones: the state brings its own.
        try expectResumesIdentically({ try MultiStepSchedule(initial: 0.1, milestones: [3, 6, 6, 11], gamma: 0.5) },
                                     fresh: { try MultiStepSchedule(initial: 1, milestones: [], gamma: 0.9) })
    }

    @Test func cosine() throws {
        try expectResumesIdentically { try CosineSchedule(initial: 0.1, minimum: 0.001, length: 10, unit: .epoch) }
        try expectResumesIdentically { try CosineSchedule(initial: 0.1, length: 30, unit: .step) }
    }

    @Test func sgdr() throws {
        try expectResumesIdentically { try SGDRSchedule(initial: 0.1, minimum: 0.001, t0: 2, tMult: 2) }
    }

    @Test func plateau() throws {
        try expectResumesIdentically(scriptedPlateau, fresh: { try ReduceOnPlateauSchedule(initial: 1) })
    }

    @Test func warmup() throws {
        try expectResumesIdentically {
            try WarmupSchedule(MultiStepSchedule(initial: 0.1, milestones: [3, 6], gamma: 0.1), steps: 10,
                               startFactor: 0.1)
        }
        try expectResumesIdentically { try WarmupSchedule(scriptedPlateau(), steps: 7, startFactor: 0) }
    }

    @Test func sequential() throws {
        // Spans start mid-epoch (step 4) and at epochs 4 and 10; the plateau phase makes decisions inside the
        // run; the step-based and epoch-based phases need the saved span start (step and epoch) to continue.
        let make = {
            try SequentialSchedule([
                (FixedSchedule(lr: 0.01), .untilStep(4)),
                (SGDRSchedule(initial: 0.1, t0: 1, tMult: 2), .untilEpoch(4)),
                (WarmupSchedule(scriptedPlateau(), steps: 5, startFactor: 0.2), .untilEpoch(10)),
                (CosineSchedule(initial: 0.05, length: 4, unit: .epoch), .forever),
            ])
        }
        try expectResumesIdentically(make)
        try expectResumesIdentically { AnySchedule(try make()) }
    }

    @Test func wrongKindThrowsAndLeavesScheduleUnchanged() throws {
        var fixed = try FixedSchedule(lr: 0.05)
        let cosine = try CosineSchedule(initial: 0.1, length: 5, unit: .step)
        #expect(throws: ScheduleError.wrongKind(expected: "fixed", found: "cosine")) { try fixed.restore(cosine.state) }
        #expect(fixed == (try FixedSchedule(lr: 0.05)))

        var plateau = try scriptedPlateau()
        _ = replay(&plateau, restoreEvents.prefix(20))
        let before = plateau
        #expect(throws: ScheduleError.wrongKind(expected: "plateau", found: "fixed")) { try plateau.restore(fixed.state) }
        #expect(plateau == before)

        var any = AnySchedule(fixed)
        #expect(throws: ScheduleError.wrongKind(expected: "fixed", found: "cosine")) { try any.restore(cosine.state) }

        // A warm-up whose saved inner schedule is of another kind.
        var warm = try WarmupSchedule(FixedSchedule(lr: 1), steps: 2, startFactor: 0.5)
        let other = try WarmupSchedule(cosine, steps: 2, startFactor: 0.5)
        #expect(throws: ScheduleError.wrongKind(expected: "fixed", found: "cosine")) { try warm.restore(other.state) }
    }

    @Test func missingOrBadValuesThrow() throws {
        var s = try ExponentialSchedule(initial: 0.1, gamma: 0.5, per: .epoch)
        var st = s.state
        st.values["gamma"] = nil
        #expect(throws: ScheduleError.missingKey(kind: "exponential", key: "gamma")) { try s.restore(st) }
        st.values["gamma"] = -0.5
        #expect(throws: ScheduleError.invalidValue(kind: "exponential", key: "gamma", value: "-0.5",
                                                   reason: "must be finite and > 0")) { try s.restore(st) }
        st.values["gamma"] = 0.5
        st.values["perEpoch"] = 0.5
        #expect(throws: ScheduleError.invalidValue(kind: "exponential", key: "perEpoch", value: "0.5",
                                                   reason: "must be 0 or 1")) { try s.restore(st) }

        var p = try scriptedPlateau()
        var ps = p.state
        ps.values["patience"] = 2.5
        #expect(throws: ScheduleError.invalidValue(kind: "plateau", key: "patience", value: "2.5",
                                                   reason: "must be an integer")) { try p.restore(ps) }
        ps = p.state
        ps.values["cooldownCounter"] = nil
        #expect(throws: ScheduleError.missingKey(kind: "plateau", key: "cooldownCounter")) { try p.restore(ps) }

        var seq = try SequentialSchedule([(FixedSchedule(lr: 0.1), .untilStep(3)), (FixedSchedule(lr: 0.2), .forever)])
        var qs = seq.state
        qs.children.removeLast()
        #expect(throws: ScheduleError.structure(kind: "sequential", detail: "expected 2 nested state(s), found 1")) {
            try seq.restore(qs)
        }
        qs = seq.state
        qs.values["index"] = 2
        #expect(throws: ScheduleError.invalidValue(kind: "sequential", key: "index", value: "2",
                                                   reason: "must be in 0..<2")) { try seq.restore(qs) }
        #expect(throws: ScheduleError.unknownKind("mystery")) { _ = try AnySchedule(state: ScheduleState(kind: "mystery")) }
    }

    @Test func plateauStateIsJSONSafeBeforeTheFirstLoss() throws {
        // best = +∞ in PyTorch; the state stores hasBest = 0 instead, which JSONEncoder accepts by default.
        let st = try scriptedPlateau().state
        #expect(st.values["hasBest"] == 0)
        #expect(st.values.values.allSatisfy { $0.isFinite })
        _ = try JSONEncoder().encode(st)
    }

    @Test func errorMessages() {
        #expect(ScheduleError.wrongKind(expected: "fixed", found: "cosine").description
                    == "cannot restore a 'fixed' schedule from the state of a 'cosine' schedule")
        #expect(ScheduleError.missingKey(kind: "sgdr", key: "t0").description == "'sgdr' schedule: missing value 't0'")
        #expect(ScheduleError.unknownKind("cosin").description
                    == "unknown schedule kind 'cosin' (known: fixed, exponential, multistep, cosine, sgdr, plateau, "
                    + "warmup, sequential)")
    }
}
