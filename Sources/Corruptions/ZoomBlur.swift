/// Zoom blur: the mean of the image and its `clipped_zoom`s by factors 1, 1.01, … (the table's ranges).
enum ZoomBlur {
    /// Largest zoom factor (exclusive) of `np.arange(1, end, 0.01)`.
    static let table: [Double] = [1.06, 1.11, 1.16, 1.21, 1.26]

    /// The factors of `np.arange(1, end, 0.01)`: ceil((end − 1)/0.01) values 1 + 0.01·i.
    static func factors(_ s: Int) -> [Double] {
        let n = Int(((table[s] - 1) / 0.01).rounded(.up))
        return (0..<n).map { 1 + 0.01 * Double($0) }
    }

    static func apply(_ image: ArraySlice<UInt8>, h: Int, w: Int, _ s: Int) -> [UInt8] {
        precondition(h == w, "zoom_blur needs a square image, got \(h)×\(w)")
        let x = FloatImage(bytes: image, height: h, width: w, channels: 3)
        let zs = factors(s)
        var sum = x.values
        for z in zs {
            let zoomed = clippedZoom(x, zoom: z)
            for i in sum.indices { sum[i] += zoomed.values[i] }
        }
        var out = x
        let n = Float(zs.count + 1)
        out.values = sum.map { $0 / n }
        return out.bytesTruncating()
    }
}
