import Foundation

/// Defocus blur: each channel correlated (OpenCV `filter2D`, reflect-101 border) with an anti-aliased disk.
enum DefocusBlur {
    /// (disk radius, σ of the 3×3 Gaussian that anti-aliases the disk).
    static let table: [(radius: Double, aliasBlur: Double)] = [(0.3, 0.4), (0.4, 0.5), (0.5, 0.6), (1, 0.2), (1.5, 0.1)]

    /// The published `disk(radius, alias_blur)`: the indicator of x² + y² ≤ r² on a 17×17 grid (larger for
    /// r > 8), normalised to sum 1, then blurred by a 3×3 (5×5 for r > 8) Gaussian with σ = `aliasBlur`
    /// and OpenCV's reflect-101 border. Returns the kernel and its side.
    static func disk(radius: Double, aliasBlur: Double) -> (kernel: [Float], side: Int) {
        let half = radius <= 8 ? 8 : Int(radius)
        let ksize = radius <= 8 ? 3 : 5
        let side = 2 * half + 1
        var d = FloatImage(height: side, width: side, channels: 1)
        var total: Float = 0
        for y in 0..<side { for x in 0..<side {
            let dy = Double(y - half), dx = Double(x - half)
            if dx * dx + dy * dy <= radius * radius { d[y, x, 0] = 1; total += 1 }
        } }
        d.values = d.values.map { $0 / total }
        // OpenCV getGaussianKernel: exp(-(i - (k-1)/2)² / (2σ²)), normalised.
        var g = (0..<ksize).map { i -> Double in
            let t = Double(i - (ksize - 1) / 2)
            return exp(-t * t / (2 * aliasBlur * aliasBlur))
        }
        let gs = g.reduce(0, +); g = g.map { $0 / gs }
        let blurred = separableFilter(d, g.map(Float.init), g.map(Float.init), mode: .mirror)
        return (blurred.values, side)
    }

    static func apply(_ image: ArraySlice<UInt8>, h: Int, w: Int, _ s: Int) -> [UInt8] {
        let (r, a) = table[s]
        let (k, side) = disk(radius: r, aliasBlur: a)
        let x = FloatImage(bytes: image, height: h, width: w, channels: 3)
        return correlate(x, kernel: k, kh: side, kw: side, mode: .mirror).bytesTruncating()
    }
}
