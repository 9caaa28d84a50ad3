import Tensor

/// A layer whose output is only piecewise smooth in its input (ReLU, ReLU6, max-pool).
///
/// It can report a fingerprint of the piece its most recent forward landed on (which inputs were clipped,
/// which window element won). Finite-difference gradient checks use it to tell a step that crossed a kink,
/// where the difference quotient does not measure the derivative, from a wrong backward pass.
public protocol PiecewiseLayer: Layer {
    /// A hash of the active piece of the most recent forward (0 before any forward).
    func activationPattern() -> UInt64
}

extension Layer {
    /// This layer and all layers nested in it, depth first.
    public var allLayers: [any Layer] { [self] + sublayers.flatMap { $0.allLayers } }
}

/// FNV-1a over a sequence of small codes: cheap, order-sensitive fingerprints of activation patterns.
struct PatternHasher {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
    mutating func combine(_ code: UInt64) {
        value ^= code
        value = value &* 0x0000_0100_0000_01B3
    }
}

extension ReLU: PiecewiseLayer {
    public func activationPattern() -> UInt64 { clampPattern(cachedOutput, upper: nil) }
}

extension ReLU6: PiecewiseLayer {
    public func activationPattern() -> UInt64 { clampPattern(cachedOutput, upper: 6) }
}

extension MaxPool2d: PiecewiseLayer {
    public func activationPattern() -> UInt64 {
        var h = PatternHasher()
        for a in winners { h.combine(UInt64(UInt32(bitPattern: a))) }
        return h.value
    }
}

/// Which side of each clipping point every input lies on: 0 (x ≤ 0), 1 (inside), 2 (x ≥ upper). The
/// clamp's output gives the same codes as its input (y ≤ 0 ⇔ x ≤ 0, y ≥ upper ⇔ x ≥ upper).
func clampPattern(_ x: Tensor?, upper: Float?) -> UInt64 {
    guard let x else { return 0 }
    var h = PatternHasher()
    x.withUnsafeBufferPointer { p in
        for v in p { h.combine(v <= 0 ? 0 : (upper.map { v >= $0 } ?? false) ? 2 : 1) }
    }
    return h.value
}
