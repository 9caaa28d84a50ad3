/// Pixelate: PIL's BOX resize down to `Int(side·c)` and back up to the original size.
enum Pixelate {
    static let table: [Double] = [0.95, 0.9, 0.85, 0.75, 0.65]

    /// PIL's resampling coefficients for a BOX filter from `inSize` to `outSize` samples: output i averages
    /// the inputs whose centres fall in its box (support ½ × the scale when shrinking, ½ when enlarging).
    static func boxCoefficients(inSize: Int, outSize: Int) -> [(first: Int, weights: [Float])] {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = 0.5 * filterScale
        return (0..<outSize).map { o in
            let centre = (Double(o) + 0.5) * scale
            let lo = max(Int(centre - support + 0.5), 0)
            let hi = min(Int(centre + support + 0.5), inSize)
            var w = (lo..<hi).map { i -> Double in
                let t = (Double(i) - centre + 0.5) / filterScale
                return t > -0.5 && t <= 0.5 ? 1 : 0
            }
            let total = w.reduce(0, +)
            if total > 0 { w = w.map { $0 / total } }
            return (lo, w.map(Float.init))
        }
    }

    /// Resizes an HWC byte image with PIL's BOX filter (horizontal pass, then vertical, rounding to bytes after each).
    static func resize(_ image: [UInt8], h: Int, w: Int, toHeight nh: Int, toWidth nw: Int) -> [UInt8] {
        let cx = boxCoefficients(inSize: w, outSize: nw), cy = boxCoefficients(inSize: h, outSize: nh)
        var tmp = [UInt8](repeating: 0, count: h * nw * 3)
        for y in 0..<h { for x in 0..<nw { for c in 0..<3 {
            var s: Float = 0
            for (k, wt) in cx[x].weights.enumerated() { s += wt * Float(image[(y * w + cx[x].first + k) * 3 + c]) }
            tmp[(y * nw + x) * 3 + c] = roundedByte(s)
        } } }
        var out = [UInt8](repeating: 0, count: nh * nw * 3)
        for y in 0..<nh { for x in 0..<nw { for c in 0..<3 {
            var s: Float = 0
            for (k, wt) in cy[y].weights.enumerated() { s += wt * Float(tmp[((cy[y].first + k) * nw + x) * 3 + c]) }
            out[(y * nw + x) * 3 + c] = roundedByte(s)
        } } }
        return out
    }

    static func apply(_ image: ArraySlice<UInt8>, h: Int, w: Int, _ s: Int) -> [UInt8] {
        let c = table[s]
        let sh = Int(Double(h) * c), sw = Int(Double(w) * c)
        let small = resize(Array(image), h: h, w: w, toHeight: sh, toWidth: sw)
        return resize(small, h: sh, w: sw, toHeight: h, toWidth: w)
    }
}
