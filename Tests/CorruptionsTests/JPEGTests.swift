import Corruptions
import Testing

@Suite struct JPEGTests {
    /// IJG quality scaling: 50 gives the base table, 100 gives all ones, 75 halves (rounded), 10 multiplies by 5
    /// (clamped at 255 for baseline).
    @Test func qualityScaling() {
        #expect(JPEG.scaledTable(JPEG.luminanceTable, quality: 50) == JPEG.luminanceTable)
        #expect(JPEG.scaledTable(JPEG.luminanceTable, quality: 100).allSatisfy { $0 == 1 })
        #expect(JPEG.scaledTable(JPEG.luminanceTable, quality: 75).prefix(3) == [8, 6, 5])
        #expect(JPEG.scaledTable(JPEG.chrominanceTable, quality: 10).prefix(4) == [85, 90, 120, 235])
        #expect(JPEG.scaledTable(JPEG.chrominanceTable, quality: 10).last == 255)
    }

    /// At quality 100 (all quantisers 1) without chroma subsampling the round trip is nearly lossless:
    /// only the rounding of YCbCr and of the coefficients remains.
    @Test func quality100NearlyLossless() {
        let img = Img.random(count: 1), smooth = Img.synthetic(count: 2)
        for x in [img, smooth] {
            let out = JPEG.roundTrip(x, height: 32, width: 32 * (x.count / Img.size), quality: 100, subsampling: .s444)
            let worst = zip(x, out).map { abs(Int($0) - Int($1)) }.max()!
            #expect(worst <= 3, "max error \(worst)")
        }
        // With 4:2:0 a grey image (no chroma) is also nearly lossless.
        let grey = Img.synthetic(count: 1).enumerated().map { i, _ in UInt8((i / 3) % 251) }
        let out = JPEG.roundTrip(grey, height: 32, width: 32, quality: 100, subsampling: .s420)
        #expect(zip(grey, out).allSatisfy { abs(Int($0) - Int($1)) <= 2 })
    }

    /// The error grows as the quality falls (on smooth images and on noise alike).
    @Test func errorGrowsAsQualityFalls() {
        for x in [Img.synthetic(count: 1, seed: 11), Img.random(count: 1)] {
            let errors = [100, 90, 75, 50, 25, 10].map { Img.mse(x, JPEG.roundTrip(x, height: 32, width: 32, quality: $0)) }
            for k in 1..<errors.count { #expect(errors[k] > errors[k - 1], "MSE by quality: \(errors)") }
        }
        // And the corruption's severities (q 80, 65, 58, 50, 40) are ordered the same way on noise.
        let x = Img.random(count: 2)
        let bySeverity = (1...5).map { Img.mse(x, Img.corrupt(x, .jpegCompression, $0)) }
        for k in 1..<5 { #expect(bySeverity[k] > bySeverity[k - 1], "MSE by severity: \(bySeverity)") }
    }

    /// A flat image has only DC coefficients, so it comes back flat at the level its quantised DC gives
    /// (hand-computed for quality 10).
    @Test func flatImageKeepsItsLevel() {
        let out = JPEG.roundTrip(Img.constant(200), height: 32, width: 32, quality: 10, subsampling: .s420)
        // DC quantiser at q10 is 80: 8·72 = 576 → round(576/80)·80 = 560 → 70 + 128 = 198.
        #expect(out.allSatisfy { $0 == 198 }, "\(Set(out))")
    }
}
