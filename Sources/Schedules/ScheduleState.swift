/// A schedule's saved hyper-parameters and progress: enough to rebuild it (`AnySchedule(state:)`, for the built-in
/// kinds) or to `restore` it into a schedule of the same type and continue the identical LR sequence.
/// Integers and flags are stored as exact `Double`s; values are always finite, so the state encodes to JSON with
/// `JSONEncoder`'s default settings. Composite schedules keep their parts' states in `children`, in order.
public struct ScheduleState: Codable, Sendable, Equatable {
    public var kind: String
    public var values: [String: Double]
    public var children: [ScheduleState]

    public init(kind: String, values: [String: Double] = [:], children: [ScheduleState] = []) {
        self.kind = kind
        self.values = values
        self.children = children
    }
}

// Typed readers used by the schedules' `restore` / `init(state:)`.
extension ScheduleState {
    func expectKind(_ expected: String) throws(ScheduleError) {
        guard kind == expected else { throw .wrongKind(expected: expected, found: kind) }
    }

    func double(_ key: String) throws(ScheduleError) -> Double {
        guard let v = values[key] else { throw .missingKey(kind: kind, key: key) }
        guard v.isFinite else { throw .invalidValue(kind: kind, key: key, value: "\(v)", reason: "must be finite") }
        return v
    }

    func int(_ key: String) throws(ScheduleError) -> Int {
        let v = try double(key)
        guard v == v.rounded(.towardZero) && abs(v) <= 9_007_199_254_740_992 else {
            throw .invalidValue(kind: kind, key: key, value: "\(v)", reason: "must be an integer")
        }
        return Int(v)
    }

    func flag(_ key: String) throws(ScheduleError) -> Bool {
        let v = try double(key)
        guard v == 0 || v == 1 else { throw .invalidValue(kind: kind, key: key, value: "\(v)", reason: "must be 0 or 1") }
        return v == 1
    }

    func unit(_ key: String) throws(ScheduleError) -> ScheduleUnit {
        try flag(key) ? .epoch : .step
    }

    func expectChildren(_ count: Int) throws(ScheduleError) {
        guard children.count == count else {
            throw .structure(kind: kind, detail: "expected \(count) nested state(s), found \(children.count)")
        }
    }
}

extension ScheduleUnit {
    /// 0 for steps, 1 for epochs (how a unit is stored in a `ScheduleState`).
    var code: Double { self == .epoch ? 1 : 0 }
}
