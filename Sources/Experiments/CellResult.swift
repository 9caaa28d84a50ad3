import Foundation
import Training

/// The outcome of one (group, method, seed) cell, stored as `result.json` in its directory once training ended
/// (its presence marks the cell done, so a rerun skips it).
public struct CellResult: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable { case finished, diverged }

    public var group: String
    public var method: String
    public var seed: UInt64
    public var status: Status
    /// What was trained (data, model, optimiser) and the method's summary.
    public var description: [String]
    public var history: [EpochRecord]
    public var steps: Int
    /// Training time (sum of the epochs' step time, evaluation excluded; stable across resumes).
    public var trainSeconds: Double
    /// Whether the metric is perplexity (text; lower is better) rather than accuracy (higher is better).
    public var isText: Bool
    public var message: String?

    public init(group: String, method: String, seed: UInt64, status: Status, description: [String], history: [EpochRecord],
                steps: Int, trainSeconds: Double, isText: Bool, message: String? = nil) {
        self.group = group; self.method = method; self.seed = seed; self.status = status; self.description = description
        self.history = history; self.steps = steps; self.trainSeconds = trainSeconds; self.isText = isText; self.message = message
    }

    /// The test metric of an epoch: accuracy in % (images) or perplexity (text).
    public func metric(_ r: EpochRecord) -> Double? {
        guard let t = r.test else { return nil }
        return isText ? t.perplexity : t.accuracy.map { $0 * 100 }
    }

    /// The test metric after the last epoch (nil if the cell diverged or has no test set).
    public var finalMetric: Double? { status == .finished ? history.last.flatMap(metric) : nil }

    /// The best test metric over the epochs (highest accuracy, lowest perplexity).
    public var bestMetric: Double? {
        let ms = history.compactMap(metric)
        guard !ms.isEmpty, status == .finished else { return nil }
        return isText ? ms.min() : ms.max()
    }
}
