import Foundation

/// Baseline JPEG compression as a pixel round trip: what a JPEG encoder followed by a decoder does to an
/// image, without writing the bitstream (Huffman coding is lossless, so it cannot change the pixels).
///
/// Steps (JFIF / libjpeg defaults, as PIL uses them):
/// 1. RGB → YCbCr (JFIF full-range BT.601), rounded to bytes.
/// 2. Chroma subsampling: 4:2:0 (2×2 average with libjpeg's alternating 1,2 rounding bias; PIL's default)
///    or 4:4:4 (none). Planes are padded to whole blocks by repeating the last row/column.
/// 3. Each 8×8 block minus 128 → 2-D DCT-II (orthonormal, computed in Double: libjpeg's default integer
///    DCT differs by rounding only) → divided by the quantisation table and rounded → multiplied back →
///    inverse DCT → +128, rounded and clamped to bytes.
/// 4. Chroma upsampling with libjpeg's "fancy" triangle filter (weights 9:3:3:1), then YCbCr → RGB.
/// Quantisation tables: the standard luminance/chrominance tables of ITU T.81 Annex K scaled by the IJG
/// quality rule (q < 50: 5000/q %, else 200 − 2q %), rounded, clamped to 1…255 (baseline).
public enum JPEG {
    public enum Subsampling: String, Sendable { case s444 = "4:4:4", s420 = "4:2:0" }

    /// Qualities of the `jpeg_compression` corruption (CIFAR table).
    static let table = [80, 65, 58, 50, 40]

    /// ITU T.81 Annex K.1 luminance table, natural (row-major) order.
    public static let luminanceTable: [Int] = [
        16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
        14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
        18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
        49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99]
    /// ITU T.81 Annex K.2 chrominance table, natural order.
    public static let chrominanceTable: [Int] = [
        17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
        24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99]
        + [Int](repeating: 99, count: 32)

    /// The IJG quality scaling of a base table (quality clamped to 1…100).
    public static func scaledTable(_ base: [Int], quality: Int) -> [Int] {
        let q = min(max(quality, 1), 100)
        let scale = q < 50 ? 5000 / q : 200 - 2 * q
        return base.map { min(max(($0 * scale + 50) / 100, 1), 255) }
    }

    static func corruption(_ image: ArraySlice<UInt8>, h: Int, w: Int, _ s: Int) -> [UInt8] {
        roundTrip(Array(image), height: h, width: w, quality: table[s], subsampling: .s420)
    }

    /// Encodes and decodes an RGB HWC byte image at `quality` (1…100).
    public static func roundTrip(_ image: [UInt8], height h: Int, width w: Int, quality: Int,
                                 subsampling: Subsampling = .s420) -> [UInt8] {
        precondition(image.count == h * w * 3, "JPEG.roundTrip: \(image.count) bytes for \(h)×\(w)×3")
        var y = [Int](repeating: 0, count: h * w), cb = y, cr = y
        for i in 0..<(h * w) {
            let r = Double(image[3 * i]), g = Double(image[3 * i + 1]), b = Double(image[3 * i + 2])
            y[i] = clampByte((0.299 * r + 0.587 * g + 0.114 * b).rounded())
            cb[i] = clampByte((-0.168736 * r - 0.331264 * g + 0.5 * b + 128).rounded())
            cr[i] = clampByte((0.5 * r - 0.418688 * g - 0.081312 * b + 128).rounded())
        }
        let lq = scaledTable(luminanceTable, quality: quality), cq = scaledTable(chrominanceTable, quality: quality)
        let yOut = codePlane(y, h: h, w: w, table: lq)
        let cbOut: [Int], crOut: [Int]
        switch subsampling {
        case .s444:
            cbOut = codePlane(cb, h: h, w: w, table: cq)
            crOut = codePlane(cr, h: h, w: w, table: cq)
        case .s420:
            let ch = (h + 1) / 2, cw = (w + 1) / 2
            cbOut = upsample(codePlane(downsample(cb, h: h, w: w), h: ch, w: cw, table: cq), h: ch, w: cw, toHeight: h, toWidth: w)
            crOut = upsample(codePlane(downsample(cr, h: h, w: w), h: ch, w: cw, table: cq), h: ch, w: cw, toHeight: h, toWidth: w)
        }
        var out = [UInt8](repeating: 0, count: h * w * 3)
        for i in 0..<(h * w) {
            let yy = Double(yOut[i]), b = Double(cbOut[i] - 128), r = Double(crOut[i] - 128)
            out[3 * i] = UInt8(clampByte((yy + 1.402 * r).rounded()))
            out[3 * i + 1] = UInt8(clampByte((yy - 0.344136 * b - 0.714136 * r).rounded()))
            out[3 * i + 2] = UInt8(clampByte((yy + 1.772 * b).rounded()))
        }
        return out
    }

    @inline(__always) static func clampByte(_ v: Double) -> Int { v <= 0 ? 0 : v >= 255 ? 255 : Int(v) }

    /// 2×2 box average with libjpeg's alternating rounding bias (1, 2, 1, 2, … along each output row).
    static func downsample(_ p: [Int], h: Int, w: Int) -> [Int] {
        let ch = (h + 1) / 2, cw = (w + 1) / 2
        var out = [Int](repeating: 0, count: ch * cw)
        for y in 0..<ch { for x in 0..<cw {
            let y0 = min(2 * y, h - 1), y1 = min(2 * y + 1, h - 1), x0 = min(2 * x, w - 1), x1 = min(2 * x + 1, w - 1)
            let top: Int = p[y0 * w + x0] + p[y0 * w + x1]
            let bottom: Int = p[y1 * w + x0] + p[y1 * w + x1]
            let bias: Int = 1 + (x & 1)
            out[y * cw + x] = (top + bottom + bias) >> 2
        } }
        return out
    }

    /// libjpeg's `h2v2_fancy_upsample`: each output sample is 9/16 of its own input, 3/16 of each of the
    /// horizontally and vertically nearer neighbours, 1/16 of the diagonal one (edges replicate).
    static func upsample(_ p: [Int], h: Int, w: Int, toHeight oh: Int, toWidth ow: Int) -> [Int] {
        var full = [Int](repeating: 0, count: 2 * h * 2 * w)
        for y in 0..<h {
            for half in 0..<2 {
                let ny = half == 0 ? max(y - 1, 0) : min(y + 1, h - 1)
                let col = (0..<w).map { 3 * p[y * w + $0] + p[ny * w + $0] }
                let oy = 2 * y + half
                for x in 0..<w {
                    let left = x == 0 ? col[x] : col[x - 1], right = x == w - 1 ? col[x] : col[x + 1]
                    full[oy * 2 * w + 2 * x] = (3 * col[x] + left + 8) >> 4
                    full[oy * 2 * w + 2 * x + 1] = (3 * col[x] + right + 7) >> 4
                }
            }
        }
        var out = [Int](repeating: 0, count: oh * ow)
        for y in 0..<oh { for x in 0..<ow { out[y * ow + x] = full[y * 2 * w + x] } }
        return out
    }

    /// cos((2x+1)uπ/16)·C(u)/2 for the orthonormal 8-point DCT, indexed [u][x].
    static let basis: [[Double]] = (0..<8).map { (u: Int) -> [Double] in
        let cu: Double = u == 0 ? (0.5).squareRoot() : 1
        return (0..<8).map { (x: Int) -> Double in
            let angle = Double((2 * x + 1) * u) * Double.pi / 16
            return cu * 0.5 * cos(angle)
        }
    }

    /// DCT → quantise → dequantise → IDCT of every 8×8 block of a plane (padded by edge replication).
    static func codePlane(_ p: [Int], h: Int, w: Int, table: [Int]) -> [Int] {
        var out = [Int](repeating: 0, count: h * w)
        var block = [Double](repeating: 0, count: 64), coef = block, tmp = block
        for by in stride(from: 0, to: h, by: 8) {
            for bx in stride(from: 0, to: w, by: 8) {
                for i in 0..<8 { for j in 0..<8 {
                    block[i * 8 + j] = Double(p[min(by + i, h - 1) * w + min(bx + j, w - 1)]) - 128
                } }
                // Forward: rows then columns.
                for i in 0..<8 { for u in 0..<8 {
                    var s = 0.0; for j in 0..<8 { s += basis[u][j] * block[i * 8 + j] }; tmp[i * 8 + u] = s
                } }
                for v in 0..<8 { for u in 0..<8 {
                    var s = 0.0; for i in 0..<8 { s += basis[v][i] * tmp[i * 8 + u] }
                    let q = Double(table[v * 8 + u])
                    coef[v * 8 + u] = (s / q).rounded() * q
                } }
                // Inverse: columns then rows.
                for i in 0..<8 { for u in 0..<8 {
                    var s = 0.0; for v in 0..<8 { s += basis[v][i] * coef[v * 8 + u] }; tmp[i * 8 + u] = s
                } }
                for i in 0..<8 { for j in 0..<8 {
                    var s = 0.0; for u in 0..<8 { s += basis[u][j] * tmp[i * 8 + u] }
                    if by + i < h && bx + j < w { out[(by + i) * w + bx + j] = clampByte((s + 128).rounded()) }
                } }
            }
        }
        return out
    }
}
