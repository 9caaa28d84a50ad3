import Tensor

/// Inverted dropout: in training, zeroes each element with probability `p` and scales the rest by
/// 1/(1 − p), so evaluation is the identity. The mask comes from the layer's own seeded generator.
/// Shape: any; output shape = input shape.
public final class Dropout: Layer {
    public let p: Float
    public var isTraining = true
    /// The generator the masks are drawn from; set it (or call `reseed`) for reproducible masks.
    public var rng: RandomGenerator
    private var mask: Tensor?   // 0 or 1/(1−p) per element, cached for backward

    public init(p: Float, seed: UInt64 = 0) {
        precondition(p >= 0 && p < 1, "Dropout: p must be in [0, 1), got \(p)")
        self.p = p
        self.rng = RandomGenerator(seed: seed)
    }

    /// Restarts the mask sequence from `seed`.
    public func reseed(_ seed: UInt64) { rng = RandomGenerator(seed: seed) }

    public func forward(_ x: Tensor) -> Tensor {
        guard isTraining && p > 0 else { mask = nil; return x }
        let keep = 1 - p, scale = 1 / keep
        var m = Tensor(uninitializedShape: x.shape)
        m.withUnsafeMutableBufferPointer { pm in
            for i in 0..<pm.count { pm[i] = rng.nextUniform() < keep ? scale : 0 }
        }
        mask = m
        return x * m
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let m = mask else { return dy }
        precondition(dy.shape == m.shape, "Dropout.backward: gradient shape \(dy.shape) ≠ forward output shape \(m.shape)")
        return dy * m
    }
}
