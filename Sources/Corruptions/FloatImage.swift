import Tensor

/// One image as `Float` samples in `[0, 1]` (or `[0, 255]` where a corruption says so), interleaved
/// height × width × channels (HWC), the layout of the published generator's NumPy arrays.
struct FloatImage {
    var height: Int
    var width: Int
    var channels: Int
    var values: [Float]

    init(height: Int, width: Int, channels: Int, values: [Float]) {
        precondition(values.count == height * width * channels, "FloatImage: \(values.count) values for \(height)×\(width)×\(channels)")
        self.height = height; self.width = width; self.channels = channels; self.values = values
    }

    init(height: Int, width: Int, channels: Int, repeating v: Float = 0) {
        self.init(height: height, width: width, channels: channels,
                  values: [Float](repeating: v, count: height * width * channels))
    }

    /// The bytes of an HWC uint8 image divided by 255 (NumPy's `np.array(x) / 255.`).
    init(bytes: ArraySlice<UInt8>, height: Int, width: Int, channels: Int) {
        precondition(bytes.count == height * width * channels, "FloatImage: \(bytes.count) bytes for \(height)×\(width)×\(channels)")
        self.init(height: height, width: width, channels: channels, values: bytes.map { Float($0) / 255 })
    }

    @inline(__always) func index(_ y: Int, _ x: Int, _ c: Int) -> Int { (y * width + x) * channels + c }
    @inline(__always) subscript(_ y: Int, _ x: Int, _ c: Int) -> Float {
        get { values[(y * width + x) * channels + c] }
        set { values[(y * width + x) * channels + c] = newValue }
    }

    /// One channel as its own single-channel image.
    func channel(_ c: Int) -> FloatImage {
        var out = FloatImage(height: height, width: width, channels: 1)
        for i in 0..<(height * width) { out.values[i] = values[i * channels + c] }
        return out
    }

    /// `np.uint8(np.clip(x, 0, 1) * 255)`: clip, scale and truncate toward zero as NumPy's cast does.
    /// A guard of 1/2000 of a level is added before truncating so that a value that is exactly a byte in
    /// exact arithmetic (e.g. an untouched pixel, 128/255·255) is not pushed one level down by `Float` rounding.
    func bytesTruncating(scale: Float = 255, clipTo upper: Float = 1) -> [UInt8] {
        values.map { v in truncatedByte(min(max(v, 0), upper) * scale) }
    }
}

/// A value in byte units truncated toward zero (with the rounding guard described at `bytesTruncating`).
@inline(__always) func truncatedByte(_ v: Float) -> UInt8 {
    let g = v + 0.0005
    return g <= 0 ? 0 : g >= 255 ? 255 : UInt8(g)
}

/// A value in byte units rounded to the nearest byte and clamped (what 8-bit codecs and ImageMagick do).
@inline(__always) func roundedByte(_ v: Float) -> UInt8 {
    v <= 0 ? 0 : v >= 255 ? 255 : UInt8(v + 0.5)
}

extension RandomGenerator {
    /// Uniform double in [0, 1) with 53 random bits.
    @inline(__always) mutating func uniformDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }
    /// Uniform double in [low, high).
    @inline(__always) mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * uniformDouble()
    }
    /// Uniform integer in `low..<high` (NumPy's `randint(low, high)`).
    @inline(__always) mutating func integer(_ low: Int, _ high: Int) -> Int {
        low + nextInt(below: high - low)
    }
}
