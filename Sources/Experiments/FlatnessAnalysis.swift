import Foundation
import NN
import Tensor

/// The training loss along random directions around a solution (paper Fig. 3): L(w + α·d) for a grid of α,
/// with each direction d drawn N(0, 1) and *filter-normalised* (Li et al. 2018): for every weight tensor of
/// rank ≥ 2 (`[out, ...]`: conv filters, linear rows), each slice d[i] along the first axis is rescaled to the
/// norm of the weights' slice w[i], so a step α moves every filter by α times its own size, whatever its scale.
/// Rank-1 parameters (biases, BatchNorm scales and shifts) get d = 0, as in Li et al.'s "ignore biasbn".
/// A flat minimum shows a slowly rising curve.
public struct FlatnessProfile: Codable, Sendable, Equatable {
    public var alphas: [Double]
    /// `losses[k][j]` = L(w + alphas[j]·d_k).
    public var losses: [[Double]]

    /// The mean over directions at each α.
    public var meanLosses: [Double] {
        alphas.indices.map { j in losses.map { $0[j] }.reduce(0, +) / Double(max(losses.count, 1)) }
    }
}

public enum FlatnessAnalysis {
    /// One filter-normalised random direction for `parameters` (one tensor per parameter, same shapes).
    public static func filterNormalisedDirection(for parameters: [Parameter], rng: inout RandomGenerator) -> [Tensor] {
        parameters.map { p in
            let shape = p.value.shape
            guard shape.count >= 2, let rows = shape.first, rows > 0 else { return Tensor.zeros(shape) }
            let w = p.value.scalars
            let width = w.count / rows
            var d = (0..<w.count).map { _ in rng.nextNormal() }
            for i in 0..<rows {
                let r = i * width..<(i + 1) * width
                var wn = 0.0, dn = 0.0
                for k in r { wn += Double(w[k]) * Double(w[k]); dn += Double(d[k]) * Double(d[k]) }
                let scale = dn > 0 ? (wn / dn).squareRoot() : 0
                for k in r { d[k] = Float(Double(d[k]) * scale) }
            }
            return Tensor(shape: shape, values: d)
        }
    }

    /// L(w + α·d) for `directions` random filter-normalised directions (from `seed`) and every α in `alphas`.
    /// `loss` evaluates the model at the parameters' current values. The parameters are restored exactly
    /// afterwards.
    public static func profile(parameters: [Parameter], directions: Int, alphas: [Double], seed: UInt64,
                               loss: () -> Double) -> FlatnessProfile {
        precondition(directions >= 1, "FlatnessAnalysis.profile: directions must be ≥ 1")
        var rng = RandomGenerator(seed: seed)
        let saved = parameters.map(\.value)
        var losses: [[Double]] = []
        for _ in 0..<directions {
            // Directions are normalised against the solution's weights, not the last perturbed ones.
            for (i, p) in parameters.enumerated() { p.value = saved[i] }
            let d = filterNormalisedDirection(for: parameters, rng: &rng)
            var row: [Double] = []
            for a in alphas {
                for (i, p) in parameters.enumerated() {
                    var v = saved[i]
                    v.addScaled(d[i], Float(a))
                    p.value = v
                }
                row.append(loss())
            }
            losses.append(row)
        }
        for (i, p) in parameters.enumerated() { p.value = saved[i] }
        return FlatnessProfile(alphas: alphas, losses: losses)
    }
}
