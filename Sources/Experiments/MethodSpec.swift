import Schedules

/// A learning-rate method as data: a registered `kind` (see `MethodKinds`) with its parameters, a display
/// `name` (unique within its group; also the cell's directory name), an optional hand-designed `schedule`
/// and per-method changes to the group's run (`overrides`: another optimiser, epoch count or model).
///
///     {"name": "sgdm-multistep", "kind": "schedule", "overrides": {"optimizer": "sgdm"},
///      "schedule": {"kind": "multistep", "initial": 0.1, "milestones": [5, 8], "gamma": 0.1}}
///     {"name": "mlrsnet", "kind": "mlrsnet-meta", "parameters": {"hidden": 40, "metaLR": 0.001}}
///     {"name": "mlrsnet-transfer", "kind": "mlrsnet-transfer", "parameters": {"from": "meta/mlrsnet"}}
public struct MethodSpec: Codable, Sendable, Equatable {
    public var name: String
    public var kind: String
    public var schedule: ScheduleConfig?
    public var parameters: [String: ScheduleConfig.Value]
    public var overrides: RunOverrides

    public init(name: String, kind: String, schedule: ScheduleConfig? = nil, parameters: [String: ScheduleConfig.Value] = [:],
                overrides: RunOverrides = RunOverrides()) {
        self.name = name; self.kind = kind; self.schedule = schedule; self.parameters = parameters; self.overrides = overrides
    }

    /// A hand-designed schedule with the given optimiser.
    public static func schedule(_ name: String, _ schedule: ScheduleConfig, optimizer: OptimizerKind? = nil) -> MethodSpec {
        MethodSpec(name: name, kind: "schedule", schedule: schedule, overrides: RunOverrides(optimizer: optimizer))
    }

    enum CodingKeys: String, CodingKey { case name, kind, schedule, parameters, overrides }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        kind = try c.decode(String.self, forKey: .kind)
        schedule = try c.decodeIfPresent(ScheduleConfig.self, forKey: .schedule)
        parameters = try c.decodeIfPresent([String: ScheduleConfig.Value].self, forKey: .parameters) ?? [:]
        overrides = try c.decodeIfPresent(RunOverrides.self, forKey: .overrides) ?? RunOverrides()
    }

    // MARK: Typed parameter access (errors name the method and the parameter).

    public func number(_ key: String) throws -> Double? {
        guard let v = parameters[key] else { return nil }
        guard case .number(let x) = v else { throw ExperimentError("method \(name): parameter \(key) must be a number") }
        return x
    }

    public func text(_ key: String) throws -> String? {
        guard let v = parameters[key] else { return nil }
        guard case .text(let s) = v else { throw ExperimentError("method \(name): parameter \(key) must be a string") }
        return s
    }

    public func numbers(_ key: String) throws -> [Double]? {
        guard let v = parameters[key] else { return nil }
        guard case .numbers(let x) = v else { throw ExperimentError("method \(name): parameter \(key) must be a list of numbers") }
        return x
    }

    /// A positive integer parameter.
    public func count(_ key: String) throws -> Int? {
        guard let x = try number(key) else { return nil }
        guard x >= 1, x == x.rounded(), x < 1e12 else { throw ExperimentError("method \(name): parameter \(key) must be a positive whole number (got \(x))") }
        return Int(x)
    }
}

/// Per-method changes to a group's `RunSpec` (nil = keep the group's value).
public struct RunOverrides: Codable, Sendable, Equatable {
    public var optimizer: OptimizerKind?
    public var epochs: Int?
    public var model: String?
    public var momentum: Float?
    public var beta1: Float?
    public var weightDecay: Float?
    public var batchSize: Int?

    public init(optimizer: OptimizerKind? = nil, epochs: Int? = nil, model: String? = nil, momentum: Float? = nil,
                beta1: Float? = nil, weightDecay: Float? = nil, batchSize: Int? = nil) {
        self.optimizer = optimizer; self.epochs = epochs; self.model = model; self.momentum = momentum
        self.beta1 = beta1; self.weightDecay = weightDecay; self.batchSize = batchSize
    }

    /// `run` with these changes.
    public func applied(to run: RunSpec) -> RunSpec {
        var r = run
        if let optimizer { r.optimizer = optimizer }
        if let epochs { r.epochs = epochs }
        if let model { r.model = model }
        if let momentum { r.momentum = momentum }
        if let beta1 { r.beta1 = beta1 }
        if let weightDecay { r.weightDecay = weightDecay }
        if let batchSize { r.batchSize = batchSize }
        return r
    }
}
