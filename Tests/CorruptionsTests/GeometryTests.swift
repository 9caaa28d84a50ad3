import Corruptions
import Testing

/// Blurs, geometric warps and pixelation: constant images are fixed points, and the structure of the output
/// is what the definitions say.
@Suite struct GeometryTests {
    /// Every blur and warp averages with weights summing to 1 (or moves pixels), so a constant image —
    /// and in particular its mean — stays exactly the same.
    @Test(arguments: [Corruption.defocusBlur, .glassBlur, .motionBlur, .zoomBlur, .gaussianBlur, .elasticTransform, .pixelate])
    func constantImageIsFixed(corruption: Corruption) {
        for v: UInt8 in [0, 77, 200, 255] {
            for s in 1...5 {
                let out = Img.corrupt(Img.constant(v, count: 2), corruption, s)
                #expect(out.allSatisfy { $0 == v }, "\(corruption.rawValue) severity \(s) on constant \(v): got \(Set(out).sorted().prefix(5))")
            }
        }
    }

    /// Blurs keep the mean of a non-constant image (up to truncation and border effects) and lower its spread.
    /// (Severity 1 of glass blur has σ = 0.05, a one-tap Gaussian: it only shuffles pixels, so severities 2 and 5.)
    @Test(arguments: [Corruption.defocusBlur, .glassBlur, .motionBlur, .zoomBlur, .gaussianBlur])
    func blursSmooth(corruption: Corruption) {
        let img = Img.random(count: 4)
        let (m0, s0) = Img.meanStd(img)
        for s in [2, 5] {
            let (m, sd) = Img.meanStd(Img.corrupt(img, corruption, s))
            #expect(abs(m - m0) < 2.5, "\(corruption.rawValue) s\(s): mean \(m) vs \(m0)")
            #expect(sd < s0, "\(corruption.rawValue) s\(s): std \(sd) vs \(s0)")
        }
    }

    /// Pixelate (PIL BOX down to ⌊32c⌋ and back up): an image whose columns all differ comes back as exactly
    /// ⌊32c⌋ runs of equal columns (and rows likewise), and the table's block counts are 30, 28, 27, 24, 20.
    @Test(arguments: 1...5) func pixelateBlockStructure(severity: Int) {
        let expected = [30, 28, 27, 24, 20][severity - 1]
        var img = [UInt8](repeating: 0, count: Img.size)
        for y in 0..<32 { for x in 0..<32 { img[(y * 32 + x) * 3] = UInt8(8 * x); img[(y * 32 + x) * 3 + 1] = UInt8(8 * y) } }
        let out = Img.corrupt(img, .pixelate, severity)
        var columnRuns = 1, rowRuns = 1
        for x in 1..<32 where out[x * 3] != out[(x - 1) * 3] { columnRuns += 1 }
        for y in 1..<32 where out[y * 32 * 3 + 1] != out[(y - 1) * 32 * 3 + 1] { rowRuns += 1 }
        #expect(columnRuns == expected && rowRuns == expected, "runs \(columnRuns)×\(rowRuns), expected \(expected)")
        // Within a run, every row agrees (the red channel depends on x only).
        for y in 0..<32 { for x in 0..<32 { #expect(out[(y * 32 + x) * 3] == out[x * 3]) } }
    }

    /// Glass blur at severity 1 (σ = 0.05: the Gaussians are the identity) is the published jitter alone: pixel
    /// (y, x) for y, x in 2…31 takes the value of (y + dy, x + dx) with dy, dx ∈ {−1, 0} of the ORIGINAL image
    /// (NumPy's aliased "swap" copies), and rows/columns 0 and 1 are untouched.
    @Test func glassBlurJitter() {
        var img = [UInt8](repeating: 0, count: Img.size)
        for y in 0..<32 { for x in 0..<32 { img[(y * 32 + x) * 3] = UInt8(y * 8); img[(y * 32 + x) * 3 + 1] = UInt8(x * 8) } }
        let out = Img.corrupt(img, .glassBlur, 1)
        var moved = 0
        for y in 0..<32 { for x in 0..<32 {
            let p = (y * 32 + x) * 3
            let sy = Int(out[p]) / 8, sx = Int(out[p + 1]) / 8
            if y < 2 || x < 2 { #expect(sy == y && sx == x, "(\(y), \(x)) moved"); continue }
            #expect((y - 1...y).contains(sy) && (x - 1...x).contains(sx), "(\(y), \(x)) took (\(sy), \(sx))")
            if sy != y || sx != x { moved += 1 }
        } }
        // Three of the four offsets move the pixel: about 3/4 of the 900 jittered pixels.
        #expect(moved > 600 && moved < 750, "\(moved) moved")
    }

    /// Zoom blur leaves the exact centre region nearly unchanged (zooming about the centre) but smears the border.
    @Test func zoomBlurIsCentred() {
        let img = Img.synthetic(count: 1)
        let out = Img.corrupt(img, .zoomBlur, 5)
        var centre = 0.0, border = 0.0
        for y in 0..<32 { for x in 0..<32 { for c in 0..<3 {
            let d = abs(Double(out[(y * 32 + x) * 3 + c]) - Double(img[(y * 32 + x) * 3 + c]))
            if (14...17).contains(y) && (14...17).contains(x) { centre = max(centre, d) }
            if y == 0 || x == 0 { border = max(border, d) }
        } } }
        #expect(centre < border, "centre change \(centre) vs border change \(border)")
    }

    /// Frost and snow only add light to a black image (frost: c₁ × texture; snow: flakes).
    @Test func weatherBrightensBlack() {
        for c in [Corruption.frost, .snow] {
            let out = Img.corrupt(Img.constant(0, count: 4), c, 5)
            #expect(Img.meanStd(out).mean > 5, "\(c.rawValue): mean \(Img.meanStd(out).mean)")
        }
    }

    /// Fog maps a constant image v to (v + c·p)·v/(v + c) with the plasma p in [0, 1] (min 0, max 1): values lie
    /// between ⌊v²/(v + c)⌋ and v, both ends are reached, and a black image stays black (its max is 0).
    @Test(arguments: 1...5) func fogRange(severity: Int) {
        let c = [0.2, 0.5, 0.75, 1, 1.5][severity - 1]
        let v = 200.0 / 255
        let out = Img.corrupt(Img.constant(200, count: 3), .fog, severity)
        let lo = Int(v * v / (v + c) * 255), hi = 200
        #expect(out.allSatisfy { Int($0) >= lo && Int($0) <= hi }, "range \(out.min()!)…\(out.max()!) vs \(lo)…\(hi)")
        #expect(Int(out.min()!) <= lo + 1 && Int(out.max()!) >= hi - 1)
        #expect(Img.corrupt(Img.constant(0), .fog, severity).allSatisfy { $0 == 0 })
    }
}
