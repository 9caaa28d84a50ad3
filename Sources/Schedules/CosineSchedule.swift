/// Cosine annealing (PyTorch `CosineAnnealingLR`, closed form) over `length` steps or epochs, then constant:
/// lr = minimum + (initial − minimum)·(1 + cos(π·t/T))/2 with t = min(step or epoch, T).
/// (PyTorch's closed form keeps oscillating after T; here the LR stays at `minimum`.)
/// State kind "cosine", values: `initial`, `minimum`, `length`, `perEpoch` (0/1).
public struct CosineSchedule: LearningRateSchedule, Sendable, Equatable {
    public static let kind = "cosine"
    public private(set) var initial: Double
    public private(set) var minimum: Double
    public private(set) var length: Int
    public private(set) var unit: ScheduleUnit

    /// Throws `invalidValue` unless initial, minimum ≥ 0 (finite) and length ≥ 1.
    public init(initial: Double, minimum: Double = 0, length: Int, unit: ScheduleUnit) throws(ScheduleError) {
        try Check.nonNegative(initial, Self.kind, "initial")
        try Check.nonNegative(minimum, Self.kind, "minimum")
        try Check.atLeast(length, 1, Self.kind, "length")
        self.initial = initial
        self.minimum = minimum
        self.length = length
        self.unit = unit
    }

    public init(state: ScheduleState) throws(ScheduleError) {
        try state.expectKind(Self.kind)
        try self.init(initial: state.double("initial"), minimum: state.double("minimum"),
                      length: state.int("length"), unit: state.unit("perEpoch"))
    }

    public mutating func learningRate(for signal: TrainingSignal) -> Float {
        let t = min(max(unit.count(signal), 0), length)
        return Float(minimum + (initial - minimum) * (1 + cosPi(Double(t) / Double(length))) / 2)
    }

    public var state: ScheduleState {
        ScheduleState(kind: Self.kind, values: ["initial": initial, "minimum": minimum,
                                                "length": Double(length), "perEpoch": unit.code])
    }

    public mutating func restore(_ state: ScheduleState) throws(ScheduleError) { self = try Self(state: state) }

    public var summary: String {
        "cosine(\(formatNumber(initial)) → \(formatNumber(minimum)) over \(length) \(unit.rawValue)s)"
    }
}
