import Tensor

/// Snow: a sparse layer of bright flakes (thresholded, zoomed Gaussian noise, motion-blurred into streaks at
/// an angle in [−135°, −45°)), added twice (once rotated 180°) to an image that is first brightened towards
/// `max(x, 1.5·grey + 0.5)` (greyed, washed out).
enum Snow {
    /// (noise mean, noise std, zoom, threshold, blur radius, blur σ, image weight).
    static let table: [(loc: Float, scale: Float, zoom: Double, threshold: Float, radius: Double, sigma: Double, keep: Float)] = [
        (0.1, 0.2, 1, 0.6, 8, 3, 0.95),
        (0.1, 0.2, 1, 0.5, 10, 4, 0.9),
        (0.15, 0.3, 1.75, 0.55, 10, 4, 0.9),
        (0.25, 0.3, 2.25, 0.6, 12, 6, 0.85),
        (0.3, 0.3, 1.25, 0.65, 14, 12, 0.8),
    ]

    static func apply(_ image: ArraySlice<UInt8>, h: Int, w: Int, _ s: Int, _ rng: inout RandomGenerator) -> [UInt8] {
        precondition(h == w, "snow needs a square image, got \(h)×\(w)")
        let p = table[s]
        var layer = FloatImage(height: h, width: w, channels: 1)
        for i in layer.values.indices { layer.values[i] = p.loc + p.scale * rng.nextNormal() }
        layer = clippedZoom(layer, zoom: p.zoom)
        // Below-threshold flakes vanish; the layer goes through an 8-bit grey PNG (truncated bytes).
        let layerBytes = layer.values.map { v in truncatedByte(min(max(v < p.threshold ? 0 : v, 0), 1) * 255) }
        let angle = rng.uniform(-135, -45)
        let streaks = MotionBlur.blur(layerBytes[...], h: h, w: w, channels: 1, radius: p.radius, sigma: p.sigma, angle: angle)
        var x = FloatImage(bytes: image, height: h, width: w, channels: 3)
        for y in 0..<h {
            for xx in 0..<w {
                // OpenCV RGB2GRAY weights.
                let grey = 0.299 * x[y, xx, 0] + 0.587 * x[y, xx, 1] + 0.114 * x[y, xx, 2]
                let flake = Float(streaks[y * w + xx]) / 255 + Float(streaks[(h - 1 - y) * w + (w - 1 - xx)]) / 255
                for c in 0..<3 {
                    let v = x[y, xx, c]
                    let washed = p.keep * v + (1 - p.keep) * max(v, grey * 1.5 + 0.5)
                    x[y, xx, c] = washed + flake
                }
            }
        }
        return x.bytesTruncating()
    }
}
