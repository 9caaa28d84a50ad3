import Corruptions
import Tensor

/// Test images and statistics for the corruption tests.
enum Img {
    static let side = 32
    static let size = 32 * 32 * 3

    /// `count` copies of a constant image.
    static func constant(_ v: UInt8, count: Int = 1) -> [UInt8] { [UInt8](repeating: v, count: size * count) }

    /// A smooth, colourful synthetic image (gradients plus a few blobs), `count` different ones.
    static func synthetic(count: Int = 1, seed: UInt64 = 7) -> [UInt8] {
        var rng = RandomGenerator(seed: seed)
        var out = [UInt8]()
        for _ in 0..<count {
            let a = Float(rng.nextUniform()), b = Float(rng.nextUniform()), c = Float(rng.nextUniform())
            for y in 0..<side { for x in 0..<side {
                let fy = Float(y) / 31, fx = Float(x) / 31
                let r = 40 + 170 * (a * fx + (1 - a) * fy)
                let g = 60 + 150 * (b * (1 - fx) + (1 - b) * fy * fx)
                let bl = 30 + 200 * c * (0.5 + 0.5 * Float(((x / 8 + y / 8) % 2)))
                out += [UInt8(r), UInt8(g), UInt8(min(bl, 255))]
            } }
        }
        return out
    }

    /// Random bytes.
    static func random(count: Int = 1, seed: UInt64 = 3) -> [UInt8] {
        var rng = RandomGenerator(seed: seed)
        return (0..<(size * count)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }

    static func corrupt(_ images: [UInt8], _ c: Corruption, _ severity: Int, seed: UInt64 = 1) -> [UInt8] {
        CorruptionEngine.corrupt(images, count: images.count / size, height: side, width: side,
                                 corruption: c, severity: severity, seed: seed)
    }

    static func meanStd(_ v: [UInt8]) -> (mean: Double, std: Double) {
        let n = Double(v.count)
        let m = v.reduce(0.0) { $0 + Double($1) } / n
        let s = v.reduce(0.0) { $0 + (Double($1) - m) * (Double($1) - m) } / n
        return (m, s.squareRoot())
    }

    static func mse(_ a: [UInt8], _ b: [UInt8]) -> Double {
        zip(a, b).reduce(0.0) { $0 + (Double($1.0) - Double($1.1)) * (Double($1.0) - Double($1.1)) } / Double(a.count)
    }
}
