import Corruptions
import Testing

/// Noise corruptions on a constant image: the measured spread must match the table (known answers).
@Suite struct NoiseTests {
    static let gaussian: [Double] = [0.04, 0.06, 0.08, 0.09, 0.10]
    static let shot: [Double] = [500, 250, 100, 75, 50]
    static let impulse: [Double] = [0.01, 0.02, 0.03, 0.05, 0.07]
    static let speckle: [Double] = [0.06, 0.10, 0.12, 0.16, 0.20]

    /// Additive N(0, c²) on x = 128/255: std c·255 (plus the 1/12 of truncation), mean 128 − ½ (truncation).
    @Test(arguments: 1...5) func gaussianStd(severity: Int) {
        let out = Img.corrupt(Img.constant(128, count: 48), .gaussianNoise, severity)
        let (m, s) = Img.meanStd(out)
        let expected = (pow2(Self.gaussian[severity - 1] * 255) + 1.0 / 12).squareRoot()
        #expect(abs(s - expected) / expected < 0.02, "std \(s) vs \(expected)")
        #expect(abs(m - 127.5) < 0.3, "mean \(m)")
    }

    /// Poisson(x·c)/c has std √(x/c): at x = 0.5, 255·√(0.5/c).
    @Test(arguments: 1...5) func shotStd(severity: Int) {
        let out = Img.corrupt(Img.constant(128, count: 48), .shotNoise, severity)
        let xs = 128.0 / 255
        let expected = (pow2(255 * (xs / Self.shot[severity - 1]).squareRoot()) + 1.0 / 12).squareRoot()
        let (m, s) = Img.meanStd(out)
        #expect(abs(s - expected) / expected < 0.03, "std \(s) vs \(expected)")
        #expect(abs(m - 127.5) < 0.5, "mean \(m)")
    }

    /// Salt and pepper: a fraction c of samples flips, half to 255 and half to 0.
    @Test(arguments: 1...5) func impulseFraction(severity: Int) {
        let out = Img.corrupt(Img.constant(100, count: 64), .impulseNoise, severity)
        let n = Double(out.count)
        let salt = Double(out.filter { $0 == 255 }.count) / n, pepper = Double(out.filter { $0 == 0 }.count) / n
        let other = out.filter { $0 != 0 && $0 != 255 && $0 != 100 }.count
        let c = Self.impulse[severity - 1]
        #expect(abs(salt - c / 2) < 0.1 * c / 2 + 0.0005, "salt \(salt) vs \(c / 2)")
        #expect(abs(pepper - c / 2) < 0.1 * c / 2 + 0.0005, "pepper \(pepper) vs \(c / 2)")
        #expect(other == 0)
    }

    /// Multiplicative noise x + x·N(0, c²): std x·c·255.
    @Test(arguments: 1...5) func speckleStd(severity: Int) {
        let out = Img.corrupt(Img.constant(100, count: 48), .speckleNoise, severity)
        let expected = (pow2(100 * Self.speckle[severity - 1]) + 1.0 / 12).squareRoot()
        let (_, s) = Img.meanStd(out)
        #expect(abs(s - expected) / expected < 0.02, "std \(s) vs \(expected)")
    }

    /// Black stays black under shot and speckle noise (Poisson(0) = 0, 0·N = 0), white clips at 255.
    @Test func extremes() {
        #expect(Img.corrupt(Img.constant(0, count: 2), .shotNoise, 5).allSatisfy { $0 == 0 })
        #expect(Img.corrupt(Img.constant(0, count: 2), .speckleNoise, 5).allSatisfy { $0 == 0 })
        let white = Img.corrupt(Img.constant(255, count: 8), .gaussianNoise, 5)
        // Half the draws are positive and clip to exactly 255.
        let top = Double(white.filter { $0 == 255 }.count) / Double(white.count)
        #expect(abs(top - 0.5) < 0.03, "fraction at 255: \(top)")
    }

    func pow2(_ v: Double) -> Double { v * v }
}
