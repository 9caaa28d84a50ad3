/// SGDR, cosine annealing with warm restarts (Loshchilov & Hutter 2017), as PyTorch's
/// `CosineAnnealingWarmRestarts` behaves when stepped every iteration with the fractional epoch
/// x = epoch + i/stepsPerEpoch (i = the step's index inside its epoch):
///
///     periods [0, T0), [T0, T0 + T0·Tmult), ...   (period k lasts T_i = T0·Tmultᵏ epochs)
///     lr = minimum + (initial − minimum)·(1 + cos(π·T_cur/T_i))/2,   T_cur = x − (start of x's period)
///
/// x is computed as `step / stepsPerEpoch` (exact integer quotient and remainder), which equals
/// epoch + i/stepsPerEpoch for a trainer's signal; restarts fall on whole epochs, so the period is found with
/// integers (PyTorch takes a floating-point logarithm, which can misplace a boundary by rounding).
/// State kind "sgdr", values: `initial`, `minimum`, `t0`, `tMult`.
public struct SGDRSchedule: LearningRateSchedule, Sendable, Equatable {
    public static let kind = "sgdr"
    public private(set) var initial: Double
    public private(set) var minimum: Double
    /// Length of the first period, in epochs.
    public private(set) var t0: Int
    /// Each period is `tMult` times longer than the previous one.
    public private(set) var tMult: Int

    /// Throws `invalidValue` unless initial, minimum ≥ 0 (finite), t0 ≥ 1 and tMult ≥ 1.
    public init(initial: Double, minimum: Double = 0, t0: Int, tMult: Int = 1) throws(ScheduleError) {
        try Check.nonNegative(initial, Self.kind, "initial")
        try Check.nonNegative(minimum, Self.kind, "minimum")
        try Check.atLeast(t0, 1, Self.kind, "t0")
        try Check.atLeast(tMult, 1, Self.kind, "tMult")
        self.initial = initial
        self.minimum = minimum
        self.t0 = t0
        self.tMult = tMult
    }

    public init(state: ScheduleState) throws(ScheduleError) {
        try state.expectKind(Self.kind)
        try self.init(initial: state.double("initial"), minimum: state.double("minimum"),
                      t0: state.int("t0"), tMult: state.int("tMult"))
    }

    public mutating func learningRate(for signal: TrainingSignal) -> Float {
        let spe = signal.stepsPerEpoch
        precondition(spe > 0, "SGDRSchedule: stepsPerEpoch must be positive, got \(spe)")
        precondition(signal.step >= 0, "SGDRSchedule: step must be non-negative, got \(signal.step)")
        let whole = signal.step / spe, within = signal.step % spe
        var start = 0, period = t0
        if tMult == 1 {
            start = whole - whole % t0
        } else {
            while whole - start >= period {   // `whole ≥ start + period`, without overflowing for huge periods
                start += period
                period = period > Int.max / tMult ? Int.max : period * tMult
            }
        }
        let tCur = Double(whole - start) + Double(within) / Double(spe)
        return Float(minimum + (initial - minimum) * (1 + cosPi(tCur / Double(period))) / 2)
    }

    public var state: ScheduleState {
        ScheduleState(kind: Self.kind, values: ["initial": initial, "minimum": minimum,
                                                "t0": Double(t0), "tMult": Double(tMult)])
    }

    public mutating func restore(_ state: ScheduleState) throws(ScheduleError) { self = try Self(state: state) }

    public var summary: String {
        "sgdr(\(formatNumber(initial)) → \(formatNumber(minimum)), T0 \(t0) epochs, ×\(tMult))"
    }
}
