import Foundation
import Tensor

/// The noise family: additive Gaussian, Poisson (shot), salt-and-pepper (impulse) and multiplicative
/// Gaussian (speckle) noise, each on the image scaled to [0, 1], clipped, ×255 and truncated.
enum Noise {
    /// Standard deviation of the added N(0, c²) noise (image in [0, 1]).
    static let gaussianTable: [Float] = [0.04, 0.06, 0.08, 0.09, 0.10]
    /// Photon count scale: each value becomes Poisson(x·c)/c.
    static let shotTable: [Double] = [500, 250, 100, 75, 50]
    /// Fraction of samples (each channel of each pixel) replaced by 0 or 1 (half each).
    static let impulseTable: [Double] = [0.01, 0.02, 0.03, 0.05, 0.07]
    /// Standard deviation of the multiplicative noise: x + x·N(0, c²).
    static let speckleTable: [Float] = [0.06, 0.10, 0.12, 0.16, 0.20]

    static func gaussian(_ image: ArraySlice<UInt8>, h: Int, w: Int, _ s: Int, _ rng: inout RandomGenerator) -> [UInt8] {
        let c = gaussianTable[s]
        return image.map { b in truncatedByte(min(max(Float(b) / 255 + c * rng.nextNormal(), 0), 1) * 255) }
    }

    static func shot(_ image: ArraySlice<UInt8>, h: Int, w: Int, _ s: Int, _ rng: inout RandomGenerator) -> [UInt8] {
        let c = shotTable[s]
        return image.map { b in
            let k = Poisson.sample(mean: Double(b) / 255 * c, &rng)
            return truncatedByte(Float(min(max(Double(k) / c, 0), 1) * 255))
        }
    }

    /// skimage `random_noise(mode='s&p', amount=c)`: one uniform draw decides whether a sample flips,
    /// a second whether it becomes salt (1) or pepper (0).
    static func impulse(_ image: ArraySlice<UInt8>, h: Int, w: Int, _ s: Int, _ rng: inout RandomGenerator) -> [UInt8] {
        let amount = impulseTable[s]
        return image.map { b in
            let flip = rng.uniformDouble() <= amount
            let salt = rng.uniformDouble() <= 0.5
            return flip ? (salt ? 255 : 0) : b
        }
    }

    static func speckle(_ image: ArraySlice<UInt8>, h: Int, w: Int, _ s: Int, _ rng: inout RandomGenerator) -> [UInt8] {
        let c = speckleTable[s]
        return image.map { b in
            let x = Float(b) / 255
            return truncatedByte(min(max(x + x * c * rng.nextNormal(), 0), 1) * 255)
        }
    }
}

/// Poisson sampling: Knuth's product-of-uniforms method below mean 10, Hörmann's transformed rejection with
/// squeeze (PTRS, 1993) above — the same split NumPy uses, with our generator.
enum Poisson {
    static func sample(mean lambda: Double, _ rng: inout RandomGenerator) -> Int {
        if lambda <= 0 { return 0 }
        if lambda < 10 {
            let limit = exp(-lambda)
            var k = 0
            var p = rng.uniformDouble()
            while p > limit { k += 1; p *= rng.uniformDouble() }
            return k
        }
        let slam = lambda.squareRoot(), loglam = log(lambda)
        let b = 0.931 + 2.53 * slam
        let a = -0.059 + 0.02483 * b
        let invAlpha = 1.1239 + 1.1328 / (b - 3.4)
        let vr = 0.9277 - 3.6224 / (b - 2)
        while true {
            let u = rng.uniformDouble() - 0.5
            let v = rng.uniformDouble()
            let us = 0.5 - abs(u)
            let k = ((2 * a / us + b) * u + lambda + 0.43).rounded(.down)
            if us >= 0.07 && v <= vr { return Int(k) }
            if k < 0 || (us < 0.013 && v > us) { continue }
            if log(v) + log(invAlpha) - log(a / (us * us) + b) <= -lambda + k * loglam - lgamma(k + 1) {
                return Int(k)
            }
        }
    }
}
