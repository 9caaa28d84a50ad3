/// Reduce the LR when the validation loss stops improving — PyTorch's `ReduceLROnPlateau` rules, applied in
/// `epochEnded` to each epoch's validation loss (epochs without a loss are skipped, as if `step` were not called):
///
///     better  = loss < best·(1 − threshold)   (rel, mode min)   | loss < best − threshold   (abs, mode min)
///               loss > best·(1 + threshold)   (rel, mode max)   | loss > best + threshold   (abs, mode max)
///     if better { best = loss; badEpochs = 0 } else { badEpochs += 1 }
///     if cooldownCounter > 0 { cooldownCounter −= 1; badEpochs = 0 }     // bad epochs in cooldown are ignored
///     if badEpochs > patience {
///         new = max(lr·factor, minimum); if lr − new > eps { lr = new }   // reductions ≤ eps are ignored
///         cooldownCounter = cooldown; badEpochs = 0
///     }
///
/// Before the first loss `best` is ±∞. So an improvement smaller than `threshold` counts as a bad epoch.
/// The new LR applies from the next step on.
///
/// The MLR-SNet paper's text (LSTM) baseline divides the LR by 4 when the validation loss stops improving, e.g.
/// (patience 0 = after each epoch without improvement; the initial LR here is illustrative — take both from the
/// experiment's configuration):
///
///     var schedule = try ReduceOnPlateauSchedule(initial: 20, factor: 0.25, patience: 0)
///
/// State kind "plateau", values: `initial`, `factor`, `patience`, `threshold`, `relative` (0/1), `cooldown`,
/// `minimum`, `maximize` (0/1), `eps`, and the progress `lr`, `hasBest` (0/1), `best`, `badEpochs`,
/// `cooldownCounter` (no infinities, so the state is JSON-safe).
public struct ReduceOnPlateauSchedule: LearningRateSchedule, Sendable, Equatable {
    public static let kind = "plateau"

    /// How `threshold` is applied: relative to `best` or as an absolute margin.
    public enum ThresholdMode: String, Sendable, Equatable, CaseIterable { case rel, abs }
    /// Whether the monitored value should go down (a loss) or up (an accuracy).
    public enum Mode: String, Sendable, Equatable, CaseIterable { case min, max }

    public private(set) var initial: Double
    public private(set) var factor: Double
    public private(set) var patience: Int
    public private(set) var threshold: Double
    public private(set) var thresholdMode: ThresholdMode
    public private(set) var cooldown: Int
    public private(set) var minimum: Double
    public private(set) var mode: Mode
    public private(set) var eps: Double

    /// The LR now in force.
    public private(set) var lr: Double
    /// Best monitored value so far (nil before the first one).
    public private(set) var best: Double?
    public private(set) var badEpochs = 0
    public private(set) var cooldownCounter = 0

    /// Defaults are PyTorch's. Throws `invalidValue` unless initial, minimum, threshold, eps ≥ 0 (finite),
    /// 0 < factor < 1, patience, cooldown ≥ 0, and threshold < 1 in `rel` mode.
    public init(initial: Double, factor: Double = 0.1, patience: Int = 10, threshold: Double = 1e-4,
                thresholdMode: ThresholdMode = .rel, cooldown: Int = 0, minimum: Double = 0,
                mode: Mode = .min, eps: Double = 1e-8) throws(ScheduleError) {
        let k = Self.kind
        try Check.nonNegative(initial, k, "initial")
        try Check.range(factor, k, "factor", factor > 0 && factor < 1, "must be in (0, 1)")
        try Check.atLeast(patience, 0, k, "patience")
        try Check.nonNegative(threshold, k, "threshold")
        if thresholdMode == .rel {
            try Check.range(threshold, k, "threshold", threshold < 1, "must be < 1 in rel mode")
        }
        try Check.atLeast(cooldown, 0, k, "cooldown")
        try Check.nonNegative(minimum, k, "minimum")
        try Check.nonNegative(eps, k, "eps")
        self.initial = initial
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.thresholdMode = thresholdMode
        self.cooldown = cooldown
        self.minimum = minimum
        self.mode = mode
        self.eps = eps
        self.lr = initial
    }

    public init(state: ScheduleState) throws(ScheduleError) {
        try state.expectKind(Self.kind)
        try self.init(initial: state.double("initial"), factor: state.double("factor"),
                      patience: state.int("patience"), threshold: state.double("threshold"),
                      thresholdMode: state.flag("relative") ? .rel : .abs, cooldown: state.int("cooldown"),
                      minimum: state.double("minimum"), mode: state.flag("maximize") ? .max : .min,
                      eps: state.double("eps"))
        let k = Self.kind
        lr = try state.double("lr")
        try Check.nonNegative(lr, k, "lr")
        best = try state.flag("hasBest") ? state.double("best") : nil
        badEpochs = try state.int("badEpochs")
        try Check.atLeast(badEpochs, 0, k, "badEpochs")
        cooldownCounter = try state.int("cooldownCounter")
        try Check.atLeast(cooldownCounter, 0, k, "cooldownCounter")
    }

    public mutating func learningRate(for signal: TrainingSignal) -> Float { Float(lr) }

    public mutating func epochEnded(_ epoch: Int, validationLoss: Float?) {
        guard let loss = validationLoss else { return }
        let current = Double(loss)
        if isBetter(current) {
            best = current
            badEpochs = 0
        } else {
            badEpochs += 1
        }
        if cooldownCounter > 0 {
            cooldownCounter -= 1
            badEpochs = 0
        }
        if badEpochs > patience {
            let reduced = max(lr * factor, minimum)
            if lr - reduced > eps { lr = reduced }
            cooldownCounter = cooldown
            badEpochs = 0
        }
    }

    /// PyTorch's `is_better`; with no best yet (best = ±∞) any value other than NaN and ±∞ is better.
    private func isBetter(_ a: Double) -> Bool {
        guard let best else { return mode == .min ? a < .infinity : a > -.infinity }
        switch (mode, thresholdMode) {
        case (.min, .rel): return a < best * (1 - threshold)
        case (.min, .abs): return a < best - threshold
        case (.max, .rel): return a > best * (1 + threshold)
        case (.max, .abs): return a > best + threshold
        }
    }

    public var state: ScheduleState {
        ScheduleState(kind: Self.kind, values: [
            "initial": initial, "factor": factor, "patience": Double(patience), "threshold": threshold,
            "relative": thresholdMode == .rel ? 1 : 0, "cooldown": Double(cooldown), "minimum": minimum,
            "maximize": mode == .max ? 1 : 0, "eps": eps,
            "lr": lr, "hasBest": best == nil ? 0 : 1, "best": best ?? 0,
            "badEpochs": Double(badEpochs), "cooldownCounter": Double(cooldownCounter),
        ])
    }

    public mutating func restore(_ state: ScheduleState) throws(ScheduleError) { self = try Self(state: state) }

    public var summary: String {
        "plateau(\(formatNumber(initial)), ×\(formatNumber(factor)) after \(patience + 1) bad epochs, "
            + "\(mode.rawValue) \(thresholdMode.rawValue) threshold \(formatNumber(threshold)), "
            + "cooldown \(cooldown), min \(formatNumber(minimum)))"
    }
}
