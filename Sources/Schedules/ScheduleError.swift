/// Why a schedule could not be built (from parameters or a config) or restored (from a saved `ScheduleState`).
public enum ScheduleError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `restore` was given the state of another kind of schedule.
    case wrongKind(expected: String, found: String)
    /// A saved state or config lacks a value the schedule needs.
    case missingKey(kind: String, key: String)
    /// A parameter or saved value is out of range (or of the wrong type in a config).
    case invalidValue(kind: String, key: String, value: String, reason: String)
    /// A config or state names a kind of schedule this library does not know how to build.
    case unknownKind(String)
    /// A config has a parameter the schedule does not take (most often a typo).
    case unknownParameter(kind: String, key: String)
    /// A composite schedule's saved state or config has the wrong shape (e.g. number of phases).
    case structure(kind: String, detail: String)

    public var description: String {
        switch self {
        case let .wrongKind(expected, found):
            return "cannot restore a '\(expected)' schedule from the state of a '\(found)' schedule"
        case let .missingKey(kind, key):
            return "'\(kind)' schedule: missing value '\(key)'"
        case let .invalidValue(kind, key, value, reason):
            return "'\(kind)' schedule: \(key) = \(value) is invalid: \(reason)"
        case let .unknownKind(kind):
            return "unknown schedule kind '\(kind)' (known: \(AnySchedule.knownKinds.joined(separator: ", ")))"
        case let .unknownParameter(kind, key):
            return "'\(kind)' schedule: unknown parameter '\(key)'"
        case let .structure(kind, detail):
            return "'\(kind)' schedule: \(detail)"
        }
    }
}

/// Parameter checks shared by the initialisers, `restore` and `ScheduleConfig`; each throws `invalidValue` naming
/// the schedule, the parameter and the offending value.
enum Check {
    static func finite(_ v: Double, _ kind: String, _ key: String) throws(ScheduleError) {
        guard v.isFinite else { throw .invalidValue(kind: kind, key: key, value: "\(v)", reason: "must be finite") }
    }
    static func nonNegative(_ v: Double, _ kind: String, _ key: String) throws(ScheduleError) {
        guard v.isFinite && v >= 0 else {
            throw .invalidValue(kind: kind, key: key, value: "\(v)", reason: "must be finite and ≥ 0")
        }
    }
    static func positive(_ v: Double, _ kind: String, _ key: String) throws(ScheduleError) {
        guard v.isFinite && v > 0 else {
            throw .invalidValue(kind: kind, key: key, value: "\(v)", reason: "must be finite and > 0")
        }
    }
    static func range(_ v: Double, _ kind: String, _ key: String, _ ok: Bool, _ what: String) throws(ScheduleError) {
        guard ok else { throw .invalidValue(kind: kind, key: key, value: "\(v)", reason: what) }
    }
    static func atLeast(_ v: Int, _ minimum: Int, _ kind: String, _ key: String) throws(ScheduleError) {
        guard v >= minimum else { throw .invalidValue(kind: kind, key: key, value: "\(v)", reason: "must be ≥ \(minimum)") }
    }
}
