import Foundation

/// Mean and sample standard deviation (n − 1 in the denominator; 0 for a single value) of a set of numbers.
public struct MeanStd: Sendable, Equatable {
    public var mean: Double
    public var std: Double
    public var count: Int

    /// nil for an empty list.
    public init?(_ values: [Double]) {
        guard !values.isEmpty else { return nil }
        let n = values.count
        let m = values.reduce(0, +) / Double(n)
        let ss = values.reduce(0) { $0 + ($1 - m) * ($1 - m) }
        count = n
        mean = m
        std = n > 1 ? (ss / Double(n - 1)).squareRoot() : 0
    }

    /// "m ± s" with `decimals` digits after the point.
    public func formatted(decimals: Int = 2) -> String {
        String(format: "%.\(decimals)f ± %.\(decimals)f", mean, std)
    }
}
