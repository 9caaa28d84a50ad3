/// Several schedules one after another (like PyTorch `SequentialLR`), each for its span:
///
///     try SequentialSchedule([
///         (FixedSchedule(lr: 0.01), .untilStep(500)),                          // steps 0..<500
///         (CosineSchedule(initial: 0.1, length: 100, unit: .epoch), .forever), // then cosine from its own t = 0
///     ])
///
/// A phase ends at the first step whose global step (`.untilStep(n)`: step ≥ n) or global epoch
/// (`.untilEpoch(n)`: epoch ≥ n) reaches its bound; the next phase starts on that step. The last phase never ends
/// (its bound is not used). Each inner schedule sees time counted from the start of its span: step − (global step
/// at which the span began), epoch − (global epoch at which the span began), the same `stepsPerEpoch` and losses.
/// So a span that begins mid-epoch calls the rest of that epoch its epoch 0, and `epochEnded` reaches the phase
/// in force when the epoch ends, with the epoch renumbered the same way.
/// State kind "sequential", values: `phaseCount`, `end0`, `endUnit0` (0 step, 1 epoch, 2 forever), ..., and the
/// progress `index`, `startStep`, `startEpoch`; children: the phases' states.
public struct SequentialSchedule: LearningRateSchedule {
    public static let kind = "sequential"

    /// When a phase hands over to the next one (bounds are global, not relative to the phase's start).
    public enum End: Sendable, Equatable {
        case untilStep(Int)
        case untilEpoch(Int)
        case forever
    }

    public struct Phase {
        public var schedule: AnySchedule
        public var end: End
    }

    public private(set) var phases: [Phase]
    /// The phase in force.
    public private(set) var index = 0
    /// Global step and epoch at which the current phase began.
    public private(set) var startStep = 0
    public private(set) var startEpoch = 0

    /// Throws `invalidValue` if there are no phases, a bound is negative, or a phase before the last is `.forever`.
    public init(_ phases: [(any LearningRateSchedule, End)]) throws(ScheduleError) {
        try self.init(phases: phases.map { Phase(schedule: AnySchedule($0.0), end: $0.1) })
    }

    public init(phases: [Phase]) throws(ScheduleError) {
        let k = Self.kind
        guard !phases.isEmpty else { throw .invalidValue(kind: k, key: "phases", value: "[]", reason: "needs at least one phase") }
        for (i, p) in phases.enumerated() {
            switch p.end {
            case .untilStep(let n), .untilEpoch(let n): try Check.atLeast(n, 0, k, "end of phase \(i)")
            case .forever:
                guard i == phases.count - 1 else {
                    throw .invalidValue(kind: k, key: "end of phase \(i)", value: "forever",
                                        reason: "only the last phase may last forever")
                }
            }
        }
        self.phases = phases
    }

    public init(state: ScheduleState) throws(ScheduleError) {
        try state.expectKind(Self.kind)
        var schedules: [AnySchedule] = []
        for child in state.children { schedules.append(try AnySchedule(state: child)) }
        self = try Self.restored(state, into: schedules)
    }

    public mutating func learningRate(for signal: TrainingSignal) -> Float {
        while index < phases.count - 1 && Self.reached(phases[index].end, signal) {
            index += 1
            startStep = signal.step
            startEpoch = signal.epoch
        }
        var local = signal
        local.step -= startStep
        local.epoch -= startEpoch
        return phases[index].schedule.learningRate(for: local)
    }

    public mutating func epochEnded(_ epoch: Int, validationLoss: Float?) {
        phases[index].schedule.epochEnded(epoch - startEpoch, validationLoss: validationLoss)
    }

    private static func reached(_ end: End, _ signal: TrainingSignal) -> Bool {
        switch end {
        case .untilStep(let n): return signal.step >= n
        case .untilEpoch(let n): return signal.epoch >= n
        case .forever: return false
        }
    }

    public var state: ScheduleState {
        var v: [String: Double] = ["phaseCount": Double(phases.count), "index": Double(index),
                                   "startStep": Double(startStep), "startEpoch": Double(startEpoch)]
        for (i, p) in phases.enumerated() {
            switch p.end {
            case .untilStep(let n): v["end\(i)"] = Double(n); v["endUnit\(i)"] = 0
            case .untilEpoch(let n): v["end\(i)"] = Double(n); v["endUnit\(i)"] = 1
            case .forever: v["end\(i)"] = 0; v["endUnit\(i)"] = 2
            }
        }
        return ScheduleState(kind: Self.kind, values: v, children: phases.map { $0.schedule.state })
    }

    /// Restores each phase into the phase of the same position (the number of phases must match).
    public mutating func restore(_ state: ScheduleState) throws(ScheduleError) {
        try state.expectKind(Self.kind)
        var schedules = phases.map(\.schedule)
        try state.expectChildren(schedules.count)
        for i in schedules.indices { try schedules[i].restore(state.children[i]) }
        self = try Self.restored(state, into: schedules)
    }

    /// The sequential schedule described by `state`, with `schedules` (already restored) as its phases.
    private static func restored(_ state: ScheduleState, into schedules: [AnySchedule]) throws(ScheduleError) -> Self {
        let k = Self.kind
        let count = try state.int("phaseCount")
        guard count == schedules.count else {
            throw .structure(kind: k, detail: "phaseCount \(count) but \(schedules.count) phase state(s)")
        }
        var phases: [Phase] = []
        for i in 0..<count {
            let end: End
            switch try state.int("endUnit\(i)") {
            case 0: end = .untilStep(try state.int("end\(i)"))
            case 1: end = .untilEpoch(try state.int("end\(i)"))
            case 2: end = .forever
            case let u: throw .invalidValue(kind: k, key: "endUnit\(i)", value: "\(u)", reason: "must be 0, 1 or 2")
            }
            phases.append(Phase(schedule: schedules[i], end: end))
        }
        var s = try Self(phases: phases)
        s.index = try state.int("index")
        guard s.index >= 0 && s.index < count else {
            throw .invalidValue(kind: k, key: "index", value: "\(s.index)", reason: "must be in 0..<\(count)")
        }
        s.startStep = try state.int("startStep")
        s.startEpoch = try state.int("startEpoch")
        return s
    }

    public var summary: String {
        let parts = phases.enumerated().map { (i, p) -> String in
            let last = i == phases.count - 1
            switch p.end {
            case .untilStep(let n) where !last: return "\(p.schedule.summary) until step \(n)"
            case .untilEpoch(let n) where !last: return "\(p.schedule.summary) until epoch \(n)"
            default: return p.schedule.summary
            }
        }
        return "sequential(\(parts.joined(separator: "; ")))"
    }
}
