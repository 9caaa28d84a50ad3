import Tensor

/// Glass blur: Gaussian blur, then local pixel jitter (sweeping from bottom-right to top-left, `iterations`
/// times, each pixel takes the value of a random neighbour at offset dy, dx ∈ −d..<d), then Gaussian blur again.
///
/// The published code writes the jitter as a swap, `x[h, w], x[h', w'] = x[h', w'], x[h, w]`, but on NumPy
/// views that tuple assignment copies x[h', w'] into x[h, w] and then copies it back onto itself: the
/// neighbour is duplicated, not swapped. We reproduce that behaviour (what CIFAR-10-C contains), not the comment.
enum GlassBlur {
    /// (σ, max_delta, iterations).
    static let table: [(sigma: Double, maxDelta: Int, iterations: Int)] =
        [(0.05, 1, 1), (0.25, 1, 1), (0.4, 1, 1), (0.25, 1, 2), (0.4, 1, 2)]

    static func apply(_ image: ArraySlice<UInt8>, h: Int, w: Int, _ s: Int, _ rng: inout RandomGenerator) -> [UInt8] {
        let (sigma, d, iterations) = table[s]
        // np.uint8(gaussian(x / 255) * 255): truncated to bytes between the two blurs.
        var bytes = gaussianBlur(FloatImage(bytes: image, height: h, width: w, channels: 3), sigma: sigma).bytesTruncating()
        for _ in 0..<iterations {
            for y in stride(from: h - d, to: d, by: -1) {
                for x in stride(from: w - d, to: d, by: -1) {
                    // NumPy randint(-d, d) draws from -d..<d (the upper bound is excluded), as published.
                    let dx = rng.integer(-d, d), dy = rng.integer(-d, d)
                    let yp = y + dy, xp = x + dx
                    for c in 0..<3 { bytes[(y * w + x) * 3 + c] = bytes[(yp * w + xp) * 3 + c] }
                }
            }
        }
        return gaussianBlur(FloatImage(bytes: bytes[...], height: h, width: w, channels: 3), sigma: sigma).bytesTruncating()
    }
}
