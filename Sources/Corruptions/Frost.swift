import Foundation
import Tensor

/// Frost: the image dimmed by c₀ plus c₁ × a frost texture, clipped to bytes.
///
/// DEVIATION: the published generator crops a random 32×32 patch from one of six photographs of frost on
/// glass (shrunk to 20 %). Those photographs are not available here, so each image gets a procedural frost
/// texture instead: a faint plasma-fractal haze (the frosted glass) with branching ice-crystal needles
/// (random straight strokes with side branches at ±60°, as frost dendrites grow) drawn on it, softened by a
/// σ = 0.5 Gaussian blur and tinted the pale blue-white of the photographs. It has the photographs' role —
/// a bright, high-frequency, image-independent overlay — but not their exact statistics.
enum Frost {
    /// (image weight c₀, frost weight c₁).
    static let table: [(keep: Float, frost: Float)] = [(1, 0.2), (1, 0.3), (0.9, 0.4), (0.85, 0.4), (0.75, 0.45)]
    /// Tint of the texture (RGB multipliers of its intensity).
    static let tint: [Float] = [0.86, 0.93, 1.0]

    /// A frost texture, `h × w × 3` values in [0, 255].
    static func texture(h: Int, w: Int, _ rng: inout RandomGenerator) -> [Float] {
        var size = 32
        while size < max(h, w) { size *= 2 }
        let haze = PlasmaFractal.make(size: size, decay: 2, &rng)
        var ice = FloatImage(height: h, width: w, channels: 1)
        for y in 0..<h { for x in 0..<w { ice[y, x, 0] = 0.38 + 0.3 * haze[y * size + x] } }
        let area = Double(h * w) / 1024
        let needles = Int((Double(16 + rng.nextInt(below: 10)) * area).rounded())
        for _ in 0..<needles {
            let y0 = rng.uniform(0, Double(h)), x0 = rng.uniform(0, Double(w))
            let angle = rng.uniform(0, 2 * Double.pi)
            let length = rng.uniform(3, 14)
            let brightness = Float(rng.uniform(0.75, 1.0))
            stroke(&ice, y0, x0, angle, length, brightness)
            // Side branches at ±60° from points along the needle.
            let branches = rng.nextInt(below: 4)
            for _ in 0..<branches {
                let t = rng.uniform(0.2, 0.9) * length
                let side: Double = rng.nextInt(below: 2) == 0 ? 1 : -1
                stroke(&ice, y0 + t * sin(angle), x0 + t * cos(angle), angle + side * Double.pi / 3,
                       length * rng.uniform(0.2, 0.5), brightness * 0.85)
            }
        }
        ice = gaussianBlur(ice, sigma: 0.5)
        var out = [Float](repeating: 0, count: h * w * 3)
        for i in 0..<(h * w) { for c in 0..<3 { out[i * 3 + c] = min(ice.values[i], 1) * tint[c] * 255 } }
        return out
    }

    /// Draws a bright line (max-blend, 1-pixel wide, bilinear splat) from (y, x) along `angle` for `length` px.
    static func stroke(_ img: inout FloatImage, _ y: Double, _ x: Double, _ angle: Double, _ length: Double, _ value: Float) {
        let steps = Int(length * 2)
        for k in 0...max(steps, 1) {
            let t = Double(k) * 0.5
            let py = y + t * sin(angle), px = x + t * cos(angle)
            let iy = Int(py.rounded(.down)), ix = Int(px.rounded(.down))
            let fy = Float(py - Double(iy)), fx = Float(px - Double(ix))
            for (dy, dx, wgt) in [(0, 0, (1 - fy) * (1 - fx)), (0, 1, (1 - fy) * fx), (1, 0, fy * (1 - fx)), (1, 1, fy * fx)] {
                let yy = iy + dy, xx = ix + dx
                guard yy >= 0, yy < img.height, xx >= 0, xx < img.width else { continue }
                img[yy, xx, 0] = max(img[yy, xx, 0], value * (0.35 + 0.65 * wgt))
            }
        }
    }

    static func apply(_ image: ArraySlice<UInt8>, h: Int, w: Int, _ s: Int, _ rng: inout RandomGenerator) -> [UInt8] {
        let (keep, weight) = table[s]
        let frost = texture(h: h, w: w, &rng)
        var out = [UInt8](repeating: 0, count: image.count)
        var i = 0
        for b in image {
            out[i] = truncatedByte(min(max(keep * Float(b) + weight * frost[i], 0), 255))
            i += 1
        }
        return out
    }
}
