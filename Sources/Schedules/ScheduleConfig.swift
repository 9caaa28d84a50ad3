/// A schedule as written in a run's configuration: a kind and its named parameters, e.g. in JSON
///
///     {"kind": "multistep", "initial": 0.1, "milestones": [100, 150], "gamma": 0.1}
///     {"kind": "warmup", "steps": 500, "startFactor": 0.1,
///      "inner": {"kind": "cosine", "initial": 0.1, "length": 200, "unit": "epoch"}}
///     {"kind": "sequential", "phases": [{"kind": "fixed", "lr": 0.01, "untilStep": 500},
///                                       {"kind": "sgdr", "initial": 0.1, "t0": 10, "tMult": 2}]}
///
/// (encoded as one flat object: `kind` plus the parameters). `makeSchedule()` builds it; parameters:
///
/// | kind        | required                        | optional (default)                                         |
/// |-------------|---------------------------------|------------------------------------------------------------|
/// | fixed       | lr                              |                                                            |
/// | exponential | initial, gamma                  | per ("epoch" or "step"; "epoch")                           |
/// | multistep   | initial, milestones, gamma      |                                                            |
/// | cosine      | initial, length                 | minimum (0), unit ("epoch")                                |
/// | sgdr        | initial, t0                     | minimum (0), tMult (1)                                     |
/// | plateau     | initial                         | factor (0.1), patience (10), threshold (1e-4),             |
/// |             |                                 | thresholdMode ("rel"), cooldown (0), minimum (0),          |
/// |             |                                 | mode ("min"), eps (1e-8)                                   |
/// | warmup      | inner (a schedule), steps       | startFactor (0)                                            |
/// | sequential  | phases (schedules, each with    | the last phase needs no bound                              |
/// |             | "untilStep" or "untilEpoch")    |                                                            |
///
/// Unknown kinds, unknown or missing parameters, values of the wrong type and out-of-range values all throw a
/// `ScheduleError` naming the kind, the parameter and the value.
public struct ScheduleConfig: Codable, Sendable, Equatable {
    /// A parameter value: a number, a word, a list of numbers, a nested schedule or a list of schedules.
    public indirect enum Value: Codable, Sendable, Equatable, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral,
        ExpressibleByStringLiteral, ExpressibleByArrayLiteral
    {
        case number(Double)
        case text(String)
        case numbers([Double])
        case schedule(ScheduleConfig)
        case schedules([ScheduleConfig])

        public init(floatLiteral value: Double) { self = .number(value) }
        public init(integerLiteral value: Int) { self = .number(Double(value)) }
        public init(stringLiteral value: String) { self = .text(value) }
        public init(arrayLiteral elements: Double...) { self = .numbers(elements) }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let v = try? c.decode(Double.self) { self = .number(v) }
            else if let v = try? c.decode(String.self) { self = .text(v) }
            else if let v = try? c.decode([Double].self) { self = .numbers(v) }
            else if let v = try? c.decode(ScheduleConfig.self) { self = .schedule(v) }
            else if let v = try? c.decode([ScheduleConfig].self) { self = .schedules(v) }
            else {
                throw DecodingError.dataCorruptedError(
                    in: c, debugDescription: "a schedule parameter must be a number, a string, a list of numbers, "
                        + "a schedule object or a list of schedule objects")
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .number(let v): try c.encode(v)
            case .text(let v): try c.encode(v)
            case .numbers(let v): try c.encode(v)
            case .schedule(let v): try c.encode(v)
            case .schedules(let v): try c.encode(v)
            }
        }

        var text: String {
            switch self {
            case .number(let v): return formatNumber(v)
            case .text(let v): return "\"\(v)\""
            case .numbers(let v): return "\(v.map(formatNumber))"
            case .schedule(let v): return "{kind: \(v.kind), ...}"
            case .schedules(let v): return "[\(v.count) schedules]"
            }
        }
    }

    public var kind: String
    public var parameters: [String: Value]

    public init(kind: String, parameters: [String: Value] = [:]) {
        self.kind = kind
        self.parameters = parameters
    }

    /// Builds the schedule (with fresh progress). Throws a `ScheduleError` for an unknown kind or a bad parameter.
    public func makeSchedule() throws(ScheduleError) -> AnySchedule {
        var p = Reader(kind: kind, parameters: parameters)
        let schedule: any LearningRateSchedule
        switch kind {
        case FixedSchedule.kind:
            schedule = try FixedSchedule(lr: p.number("lr"))
        case ExponentialSchedule.kind:
            schedule = try ExponentialSchedule(initial: p.number("initial"), gamma: p.number("gamma"),
                                               per: p.unit("per", default: .epoch))
        case MultiStepSchedule.kind:
            schedule = try MultiStepSchedule(initial: p.number("initial"), milestones: p.integers("milestones"),
                                             gamma: p.number("gamma"))
        case CosineSchedule.kind:
            schedule = try CosineSchedule(initial: p.number("initial"), minimum: p.number("minimum", default: 0),
                                          length: p.integer("length"), unit: p.unit("unit", default: .epoch))
        case SGDRSchedule.kind:
            schedule = try SGDRSchedule(initial: p.number("initial"), minimum: p.number("minimum", default: 0),
                                        t0: p.integer("t0"), tMult: p.integer("tMult", default: 1))
        case ReduceOnPlateauSchedule.kind:
            schedule = try ReduceOnPlateauSchedule(
                initial: p.number("initial"), factor: p.number("factor", default: 0.1),
                patience: p.integer("patience", default: 10), threshold: p.number("threshold", default: 1e-4),
                thresholdMode: p.word("thresholdMode", default: .rel), cooldown: p.integer("cooldown", default: 0),
                minimum: p.number("minimum", default: 0), mode: p.word("mode", default: .min),
                eps: p.number("eps", default: 1e-8))
        case WarmupSchedule<AnySchedule>.kind:
            schedule = try WarmupSchedule(p.schedule("inner").makeSchedule(), steps: p.integer("steps"),
                                          startFactor: p.number("startFactor", default: 0))
        case SequentialSchedule.kind:
            let configs = try p.schedules("phases")
            var phases: [SequentialSchedule.Phase] = []
            for (i, phaseConfig) in configs.enumerated() {
                var inner = phaseConfig
                let untilStep = inner.parameters.removeValue(forKey: "untilStep")
                let untilEpoch = inner.parameters.removeValue(forKey: "untilEpoch")
                let end: SequentialSchedule.End
                switch (untilStep, untilEpoch) {
                case (nil, nil):
                    guard i == configs.count - 1 else {
                        throw .missingKey(kind: kind, key: "untilStep or untilEpoch of phase \(i)")
                    }
                    end = .forever
                case (let s?, nil): end = .untilStep(try Reader.integer(s, kind, "untilStep of phase \(i)"))
                case (nil, let e?): end = .untilEpoch(try Reader.integer(e, kind, "untilEpoch of phase \(i)"))
                case (_?, _?):
                    throw .invalidValue(kind: kind, key: "phase \(i)", value: "untilStep and untilEpoch",
                                        reason: "give only one bound")
                }
                phases.append(SequentialSchedule.Phase(schedule: try inner.makeSchedule(), end: end))
            }
            schedule = try SequentialSchedule(phases: phases)
        default:
            throw .unknownKind(kind)
        }
        try p.rejectUnused()
        return AnySchedule(schedule)
    }

    /// Reads parameters by name with type checks, remembering which were used.
    private struct Reader {
        let kind: String
        let parameters: [String: Value]
        var used: Set<String> = []

        mutating func value(_ key: String) throws(ScheduleError) -> Value {
            used.insert(key)
            guard let v = parameters[key] else { throw .missingKey(kind: kind, key: key) }
            return v
        }

        mutating func number(_ key: String) throws(ScheduleError) -> Double {
            let v = try value(key)
            guard case .number(let x) = v else {
                throw .invalidValue(kind: kind, key: key, value: v.text, reason: "must be a number")
            }
            return x
        }

        mutating func number(_ key: String, default d: Double) throws(ScheduleError) -> Double {
            parameters[key] == nil ? d : try number(key)
        }

        static func integer(_ v: Value, _ kind: String, _ key: String) throws(ScheduleError) -> Int {
            guard case .number(let x) = v, x == x.rounded(.towardZero), abs(x) <= 9_007_199_254_740_992 else {
                throw .invalidValue(kind: kind, key: key, value: v.text, reason: "must be an integer")
            }
            return Int(x)
        }

        mutating func integer(_ key: String) throws(ScheduleError) -> Int {
            try Self.integer(value(key), kind, key)
        }

        mutating func integer(_ key: String, default d: Int) throws(ScheduleError) -> Int {
            parameters[key] == nil ? d : try integer(key)
        }

        mutating func integers(_ key: String) throws(ScheduleError) -> [Int] {
            let v = try value(key)
            let list: [Double]
            switch v {
            case .numbers(let xs): list = xs
            case .number(let x): list = [x]
            default: throw .invalidValue(kind: kind, key: key, value: v.text, reason: "must be a list of integers")
            }
            var result: [Int] = []
            for x in list { result.append(try Self.integer(.number(x), kind, key)) }
            return result
        }

        mutating func word<W: RawRepresentable & CaseIterable>(_ key: String, default d: W) throws(ScheduleError) -> W
        where W.RawValue == String {
            guard parameters[key] != nil else { return d }
            let v = try value(key)
            guard case .text(let s) = v, let w = W(rawValue: s) else {
                let allowed = W.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")
                throw .invalidValue(kind: kind, key: key, value: v.text, reason: "must be \(allowed)")
            }
            return w
        }

        mutating func unit(_ key: String, default d: ScheduleUnit) throws(ScheduleError) -> ScheduleUnit {
            try word(key, default: d)
        }

        mutating func schedule(_ key: String) throws(ScheduleError) -> ScheduleConfig {
            let v = try value(key)
            guard case .schedule(let c) = v else {
                throw .invalidValue(kind: kind, key: key, value: v.text, reason: "must be a schedule object")
            }
            return c
        }

        mutating func schedules(_ key: String) throws(ScheduleError) -> [ScheduleConfig] {
            let v = try value(key)
            switch v {
            case .schedules(let cs): return cs
            case .numbers(let xs) where xs.isEmpty: return []
            default: throw .invalidValue(kind: kind, key: key, value: v.text, reason: "must be a list of schedule objects")
            }
        }

        func rejectUnused() throws(ScheduleError) {
            for key in parameters.keys.sorted() where !used.contains(key) {
                throw .unknownParameter(kind: kind, key: key)
            }
        }
    }

    // Codable as one flat object: {"kind": ..., <parameter>: <value>, ...}.
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        kind = try c.decode(String.self, forKey: Key("kind"))
        var ps: [String: Value] = [:]
        for key in c.allKeys where key.stringValue != "kind" {
            ps[key.stringValue] = try c.decode(Value.self, forKey: key)
        }
        parameters = ps
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(kind, forKey: Key("kind"))
        for key in parameters.keys.sorted() { try c.encode(parameters[key]!, forKey: Key(key)) }
    }
}
