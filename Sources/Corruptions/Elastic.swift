import Tensor

/// Elastic transform: a random affine warp (three control points jittered by up to `affine` pixels,
/// bilinear, reflect-101 border as OpenCV's `warpAffine`), then a smooth random displacement field (uniform
/// noise blurred by a Gaussian of σ, truncate 3, scaled by α) sampled bilinearly with SciPy's `reflect` border.
enum Elastic {
    /// (α, σ, affine jitter), all multiples of the image side 32 as published.
    static let table: [(alpha: Double, sigma: Double, affine: Double)] = [
        (32 * 0, 32 * 0, 32 * 0.08),
        (32 * 0.05, 32 * 0.2, 32 * 0.07),
        (32 * 0.08, 32 * 0.06, 32 * 0.06),
        (32 * 0.1, 32 * 0.04, 32 * 0.05),
        (32 * 0.1, 32 * 0.03, 32 * 0.03),
    ]

    /// The 2×3 affine map sending `from[i]` to `to[i]` (OpenCV `getAffineTransform`), points as (x, y).
    static func affine(from: [(Double, Double)], to: [(Double, Double)]) -> [Double] {
        // Solve [x y 1]·m = u for the two output coordinates by Cramer's rule.
        let (x0, y0) = from[0], (x1, y1) = from[1], (x2, y2) = from[2]
        let det = x0 * (y1 - y2) - y0 * (x1 - x2) + (x1 * y2 - x2 * y1)
        precondition(det != 0, "affine: control points are collinear")
        func solve(_ u0: Double, _ u1: Double, _ u2: Double) -> (Double, Double, Double) {
            let a = (u0 * (y1 - y2) - y0 * (u1 - u2) + (u1 * y2 - u2 * y1)) / det
            let b = (x0 * (u1 - u2) - u0 * (x1 - x2) + (x1 * u2 - x2 * u1)) / det
            let c = (x0 * (y1 * u2 - y2 * u1) - y0 * (x1 * u2 - x2 * u1) + u0 * (x1 * y2 - x2 * y1)) / det
            return (a, b, c)
        }
        let r0 = solve(to[0].0, to[1].0, to[2].0), r1 = solve(to[0].1, to[1].1, to[2].1)
        return [r0.0, r0.1, r0.2, r1.0, r1.1, r1.2]
    }

    static func apply(_ image: ArraySlice<UInt8>, h: Int, w: Int, _ s: Int, _ rng: inout RandomGenerator) -> [UInt8] {
        let p = table[s]
        let x = FloatImage(bytes: image, height: h, width: w, channels: 3)
        let cy = Double(h / 2), cx = Double(w / 2), sq = Double(min(h, w) / 3)
        let pts1 = [(cx + sq, cy + sq), (cx + sq, cy - sq), (cx - sq, cy - sq)]
        let pts2 = pts1.map { ($0.0 + rng.uniform(-p.affine, p.affine), $0.1 + rng.uniform(-p.affine, p.affine)) }
        // warpAffine samples the source at the inverse map of each destination pixel.
        let m = affine(from: pts2, to: pts1)
        var warped = FloatImage(height: h, width: w, channels: 3)
        for yy in 0..<h { for xx in 0..<w {
            let sx = Float(m[0] * Double(xx) + m[1] * Double(yy) + m[2])
            let sy = Float(m[3] * Double(xx) + m[4] * Double(yy) + m[5])
            for c in 0..<3 { warped[yy, xx, c] = bilinear(x, sy, sx, c, mode: .mirror) }
        } }
        func field(_ rng: inout RandomGenerator) -> [Float] {
            var f = FloatImage(height: h, width: w, channels: 1)
            for i in f.values.indices { f.values[i] = Float(rng.uniform(-1, 1)) }
            if p.sigma > 0 { f = gaussianBlur(f, sigma: p.sigma, truncate: 3, mode: .reflect) }
            return f.values.map { $0 * Float(p.alpha) }
        }
        let dx = field(&rng), dy = field(&rng)
        var out = FloatImage(height: h, width: w, channels: 3)
        for yy in 0..<h { for xx in 0..<w {
            let k = yy * w + xx
            for c in 0..<3 { out[yy, xx, c] = bilinear(warped, Float(yy) + dy[k], Float(xx) + dx[k], c, mode: .reflect) }
        } }
        return out.bytesTruncating()
    }
}
