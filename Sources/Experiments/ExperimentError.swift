/// A bad study, run or method configuration, or a run that cannot proceed; the message names the value.
public struct ExperimentError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
