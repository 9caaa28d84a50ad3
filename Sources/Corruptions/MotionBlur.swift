import Foundation
import Tensor

/// Motion blur: a Swift equivalent of ImageMagick's `MotionBlurImage` (which the published generator calls
/// through Wand), used by the `motion_blur` and `snow` corruptions.
///
/// ImageMagick's definition, followed here: a one-sided kernel of `width = 2·ceil(radius) + 1` taps with
/// weights `exp(−i²/(2σ²))` (i = 0…width−1), normalised to sum 1; tap i reads the pixel `i` steps along
/// the direction `angle` (degrees; 0 = +x, positive = clockwise on screen, i.e. towards +y), with the
/// offsets rounded to whole pixels as `ceil(i·cos − 0.5)`, `ceil(i·sin − 0.5)`, and pixels past the edge
/// read from the nearest edge pixel (ImageMagick's default "edge" virtual pixels). Results round to bytes.
/// DEVIATION: ImageMagick blurs premultiplied 16-bit quanta and writes 8-bit PNG; we blur bytes in Float
/// and round once, which can differ by one level.
enum MotionBlur {
    /// (radius, σ) of the `motion_blur` corruption (the CIFAR table).
    static let table: [(radius: Double, sigma: Double)] = [(6, 1), (6, 1.5), (6, 2), (8, 2), (9, 2.5)]

    /// The kernel weights and integer (dx, dy) offsets for `radius`, `sigma`, `angle` (degrees).
    static func kernel(radius: Double, sigma: Double, angle: Double) -> [(dx: Int, dy: Int, w: Float)] {
        let width = Int(2 * radius.rounded(.up) + 1)
        var weights = (0..<width).map { i in exp(-Double(i * i) / (2 * sigma * sigma)) }
        let total = weights.reduce(0, +)
        weights = weights.map { $0 / total }
        let a = angle * Double.pi / 180
        let cx = cos(a), sy = sin(a)
        return (0..<width).map { i in
            (Int((Double(i) * cx - 0.5).rounded(.up)), Int((Double(i) * sy - 0.5).rounded(.up)), Float(weights[i]))
        }
    }

    /// Blurs a byte image with `channels` interleaved channels.
    static func blur(_ bytes: ArraySlice<UInt8>, h: Int, w: Int, channels: Int,
                     radius: Double, sigma: Double, angle: Double) -> [UInt8] {
        let taps = kernel(radius: radius, sigma: sigma, angle: angle)
        let base = bytes.startIndex
        var out = [UInt8](repeating: 0, count: h * w * channels)
        for y in 0..<h {
            for x in 0..<w {
                for c in 0..<channels {
                    var s: Float = 0
                    for t in taps {
                        let yy = min(max(y + t.dy, 0), h - 1), xx = min(max(x + t.dx, 0), w - 1)
                        s += t.w * Float(bytes[base + (yy * w + xx) * channels + c])
                    }
                    out[(y * w + x) * channels + c] = roundedByte(s)
                }
            }
        }
        return out
    }

    /// The `motion_blur` corruption: blur at a uniformly random angle in [−45°, 45°).
    static func corruption(_ image: ArraySlice<UInt8>, h: Int, w: Int, _ s: Int, _ rng: inout RandomGenerator) -> [UInt8] {
        let (r, sigma) = table[s]
        let angle = rng.uniform(-45, 45)
        return blur(image, h: h, w: w, channels: 3, radius: r, sigma: sigma, angle: angle)
    }
}
