import Tensor

/// Fog: a plasma-fractal haze added to the image, then the whole rescaled by max/(max + c).
enum Fog {
    /// (haze strength c, plasma wibble decay).
    static let table: [(strength: Float, decay: Double)] = [(0.2, 3), (0.5, 3), (0.75, 2.5), (1, 2), (1.5, 1.75)]

    static func apply(_ image: ArraySlice<UInt8>, h: Int, w: Int, _ s: Int, _ rng: inout RandomGenerator) -> [UInt8] {
        let (c, decay) = table[s]
        var size = 32
        while size < max(h, w) { size *= 2 }
        let plasma = PlasmaFractal.make(size: size, decay: decay, &rng)
        var x = FloatImage(bytes: image, height: h, width: w, channels: 3)
        let maxValue = x.values.max() ?? 0
        for y in 0..<h { for xx in 0..<w { for ch in 0..<3 {
            x[y, xx, ch] = (x[y, xx, ch] + c * plasma[y * size + xx]) * maxValue / (maxValue + c)
        } } }
        return x.bytesTruncating()
    }
}
