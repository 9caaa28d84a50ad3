import Corruptions
import Testing

/// Brightness, saturation and contrast against values computed by hand from their definitions.
@Suite struct ColourTests {
    static let brightness: [Double] = [0.05, 0.1, 0.15, 0.2, 0.3]
    static let contrast: [Double] = [0.75, 0.5, 0.4, 0.3, 0.15]

    /// Brightness adds c to the HSV value V = max(R, G, B) (clipped at 1) and keeps hue and saturation, so
    /// the largest channel becomes ⌊255·min(V + c, 1)⌋ and, while V + c ≤ 1, every channel scales by (V + c)/V.
    @Test(arguments: 1...5) func brightnessShiftsValue(severity: Int) {
        let img = Img.synthetic(count: 4)
        let out = Img.corrupt(img, .brightness, severity)
        let c = Self.brightness[severity - 1]
        for p in stride(from: 0, to: img.count, by: 3) {
            let v = Double(max(img[p], img[p + 1], img[p + 2])) / 255
            let expectedMax = Int(min(v + c, 1) * 255 + 1e-6)
            let gotMax = Int(max(out[p], out[p + 1], out[p + 2]))
            #expect(abs(gotMax - expectedMax) <= 1, "pixel \(p / 3): max \(gotMax) vs \(expectedMax)")
            if v + c <= 1 && v > 0 {
                for k in 0..<3 {
                    let expected = Double(img[p + k]) * (v + c) / v
                    #expect(abs(Double(out[p + k]) - expected) <= 1.01, "pixel \(p / 3) channel \(k): \(out[p + k]) vs \(expected)")
                }
            }
        }
    }

    /// A grey pixel (saturation 0) under brightness moves by exactly c·255 (truncated).
    @Test func brightnessOfGrey() {
        let out = Img.corrupt(Img.constant(100), .brightness, 3)
        #expect(out.allSatisfy { $0 == UInt8((100.0 / 255 + 0.15) * 255) })
    }

    /// Saturation factor 0.1 (severity 2) moves each channel 90 % of the way to the pixel's max.
    @Test func saturateTowardsGrey() {
        let img = Img.synthetic(count: 2)
        let out = Img.corrupt(img, .saturate, 2)
        for p in stride(from: 0, to: img.count, by: 3) {
            let v = Double(max(img[p], img[p + 1], img[p + 2]))
            for k in 0..<3 {
                let expected = v - 0.1 * (v - Double(img[p + k]))
                #expect(abs(Double(out[p + k]) - expected) <= 1.01)
            }
        }
    }

    /// Contrast scales each channel's deviations from its own image mean by c: out = ⌊(x − m)·c + m⌋.
    @Test(arguments: 1...5) func contrastScalesDeviations(severity: Int) {
        let img = Img.synthetic(count: 1, seed: UInt64(severity))
        let out = Img.corrupt(img, .contrast, severity)
        let c = Self.contrast[severity - 1]
        for ch in 0..<3 {
            let values = stride(from: ch, to: img.count, by: 3).map { Double(img[$0]) }
            let m = values.reduce(0, +) / Double(values.count)
            for (k, p) in stride(from: ch, to: img.count, by: 3).enumerated() {
                let expected = ((values[k] - m) * c + m).rounded(.down)
                #expect(abs(Double(out[p]) - expected) <= 1, "channel \(ch) sample \(k): \(out[p]) vs \(expected)")
            }
            // And the spread shrinks by c.
            let outValues = stride(from: ch, to: out.count, by: 3).map { out[$0] }
            let sIn = Img.meanStd(values.map { UInt8($0) }).std, sOut = Img.meanStd(outValues).std
            #expect(abs(sOut - c * sIn) < 0.6, "std \(sOut) vs \(c) × \(sIn)")
        }
    }
}
