/// Contrast: each channel's deviations from its own mean (over the image) scaled by c.
enum Contrast {
    static let table: [Float] = [0.75, 0.5, 0.4, 0.3, 0.15]

    static func apply(_ image: ArraySlice<UInt8>, h: Int, w: Int, _ s: Int) -> [UInt8] {
        let c = table[s]
        var x = FloatImage(bytes: image, height: h, width: w, channels: 3)
        for ch in 0..<3 {
            var sum: Double = 0
            for i in 0..<(h * w) { sum += Double(x.values[i * 3 + ch]) }
            let mean = Float(sum / Double(h * w))
            for i in 0..<(h * w) { x.values[i * 3 + ch] = (x.values[i * 3 + ch] - mean) * c + mean }
        }
        return x.bytesTruncating()
    }
}
