/// Online standardisation (Welford): keeps the count, mean and sum of squared deviations of every value seen,
/// per dimension, and maps x to (x − mean)/√(var + 1e-8), clipped to ±`clipRange`. Used for the controller's
/// observations and rewards; its state is checkpointed and saved in the artifact.
public struct RunningNormalizer: Codable, Sendable, Equatable {
    public private(set) var count: Double
    public private(set) var mean: [Double]
    public private(set) var m2: [Double]
    public var clipRange: Double

    public init(dimension: Int, clipRange: Double = 5) {
        precondition(dimension >= 1, "RunningNormalizer: dimension must be ≥ 1")
        count = 0; mean = Array(repeating: 0, count: dimension); m2 = Array(repeating: 0, count: dimension)
        self.clipRange = clipRange
    }

    /// Restores saved statistics.
    public init(count: Double, mean: [Double], m2: [Double], clipRange: Double = 5) throws(LRControllerError) {
        guard count >= 0, mean.count == m2.count, !mean.isEmpty, m2.allSatisfy({ $0 >= 0 }),
              (mean + m2).allSatisfy(\.isFinite) else {
            throw .incompatible("normaliser statistics are invalid (count \(count), \(mean.count) means, \(m2.count) m2)")
        }
        self.count = count; self.mean = mean; self.m2 = m2; self.clipRange = clipRange
    }

    public var dimension: Int { mean.count }
    /// Population variance per dimension (0 before two values).
    public var variance: [Double] { count < 2 ? Array(repeating: 0, count: dimension) : m2.map { $0 / count } }

    /// Adds one observation.
    public mutating func update(_ x: [Double]) {
        precondition(x.count == dimension, "RunningNormalizer.update: \(x.count) values for dimension \(dimension)")
        count += 1
        for i in 0..<dimension {
            let d = x[i] - mean[i]
            mean[i] += d / count
            m2[i] += d * (x[i] - mean[i])
        }
    }

    /// The standardised, clipped value.
    public func normalize(_ x: [Double]) -> [Double] {
        let v = variance
        return (0..<dimension).map { i in
            min(max((x[i] - mean[i]) / (v[i] + 1e-8).squareRoot(), -clipRange), clipRange)
        }
    }
}
