/// Step decay at given epochs (PyTorch `MultiStepLR`, in closed form): lr = initial · gamma^m, where m is the
/// number of milestones ≤ the current epoch. A milestone listed twice decays twice (as PyTorch's counter does);
/// milestones may be given in any order.
/// State kind "multistep", values: `initial`, `gamma`, `milestoneCount`, `milestone0`, `milestone1`, ...
public struct MultiStepSchedule: LearningRateSchedule, Sendable, Equatable {
    public static let kind = "multistep"
    public private(set) var initial: Double
    /// Sorted ascending.
    public private(set) var milestones: [Int]
    public private(set) var gamma: Double

    /// Throws `invalidValue` unless initial ≥ 0, gamma > 0 (finite) and every milestone is ≥ 0.
    public init(initial: Double, milestones: [Int], gamma: Double) throws(ScheduleError) {
        try Check.nonNegative(initial, Self.kind, "initial")
        try Check.positive(gamma, Self.kind, "gamma")
        for m in milestones { try Check.atLeast(m, 0, Self.kind, "milestones") }
        self.initial = initial
        self.milestones = milestones.sorted()
        self.gamma = gamma
    }

    public init(state: ScheduleState) throws(ScheduleError) {
        try state.expectKind(Self.kind)
        let count = try state.int("milestoneCount")
        try Check.atLeast(count, 0, Self.kind, "milestoneCount")
        var ms: [Int] = []
        ms.reserveCapacity(count)
        for i in 0..<count { ms.append(try state.int("milestone\(i)")) }
        try self.init(initial: state.double("initial"), milestones: ms, gamma: state.double("gamma"))
    }

    public mutating func learningRate(for signal: TrainingSignal) -> Float {
        var passed = 0
        for m in milestones {
            if m > signal.epoch { break }
            passed += 1
        }
        return Float(initial * power(gamma, passed))
    }

    public var state: ScheduleState {
        var v: [String: Double] = ["initial": initial, "gamma": gamma, "milestoneCount": Double(milestones.count)]
        for (i, m) in milestones.enumerated() { v["milestone\(i)"] = Double(m) }
        return ScheduleState(kind: Self.kind, values: v)
    }

    public mutating func restore(_ state: ScheduleState) throws(ScheduleError) { self = try Self(state: state) }

    public var summary: String {
        "multistep(\(formatNumber(initial)), milestones \(milestones), ×\(formatNumber(gamma)))"
    }
}
