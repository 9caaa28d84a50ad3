/// Gaussian blur (an extra corruption): skimage `gaussian(σ)` over the spatial axes, `nearest` border, truncate 4.
enum GaussianBlurCorruption {
    static let table: [Double] = [0.4, 0.6, 0.7, 0.8, 1.0]

    static func apply(_ image: ArraySlice<UInt8>, h: Int, w: Int, _ s: Int) -> [UInt8] {
        gaussianBlur(FloatImage(bytes: image, height: h, width: w, channels: 3), sigma: table[s]).bytesTruncating()
    }
}
