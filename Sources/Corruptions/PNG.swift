import Foundation

/// A minimal PNG encoder for 8-bit RGB images (the contact sheets): signature, IHDR, one IDAT holding a zlib
/// stream of filter-0 scanlines compressed as one fixed-Huffman DEFLATE block (`Deflate`), IEND; CRC-32 on every
/// chunk and Adler-32 on the zlib stream. `zlibStored` (uncompressed stored blocks) is the simplest alternative.
public enum PNG {
    /// The PNG file for a `height × width` RGB image given as HWC bytes.
    public static func encode(rgb pixels: [UInt8], width: Int, height: Int) -> [UInt8] {
        precondition(width > 0 && height > 0 && pixels.count == width * height * 3,
                     "PNG.encode: \(pixels.count) bytes for \(width)×\(height) RGB")
        var raw = [UInt8]()
        raw.reserveCapacity(height * (1 + 3 * width))
        for y in 0..<height {
            raw.append(0)   // filter type 0 (None)
            raw.append(contentsOf: pixels[(y * width * 3)..<((y + 1) * width * 3)])
        }
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var ihdr = bigEndian(UInt32(width)) + bigEndian(UInt32(height))
        ihdr += [8, 2, 0, 0, 0]   // bit depth 8, colour type 2 (RGB), deflate, adaptive filters, no interlace
        appendChunk(&out, "IHDR", ihdr)
        appendChunk(&out, "IDAT", zlibFixed(raw, stride: 1 + 3 * width))
        appendChunk(&out, "IEND", [])
        return out
    }

    /// Writes a PNG file.
    public static func write(rgb pixels: [UInt8], width: Int, height: Int, to path: String) throws {
        try Data(encode(rgb: pixels, width: width, height: height)).write(to: URL(fileURLWithPath: path))
    }

    /// A zlib stream (RFC 1950) of stored DEFLATE blocks (RFC 1951 §3.2.4) with its Adler-32 trailer.
    public static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]   // deflate, 32 KiB window, no dictionary, header check ok (0x7801 % 31 == 0)
        var pos = 0
        repeat {
            let n = min(65_535, data.count - pos)
            let final: UInt8 = pos + n == data.count ? 1 : 0
            out.append(final)   // BFINAL, BTYPE = 00 (stored), padded to the byte
            out += [UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += data[pos..<(pos + n)]
            pos += n
        } while pos < data.count
        out += bigEndian(adler32(data))
        return out
    }

    /// A zlib stream of one fixed-Huffman DEFLATE block (LZ77 matches, also one `stride` back) with its Adler-32.
    public static func zlibFixed(_ data: [UInt8], stride: Int = 0) -> [UInt8] {
        [0x78, 0x01] + Deflate.compressFixed(data, stride: stride) + bigEndian(adler32(data))
    }

    /// Adler-32 (RFC 1950).
    public static func adler32(_ data: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        var i = 0
        while i < data.count {
            let end = min(i + 5552, data.count)   // largest run before the sums can overflow
            while i < end { a += UInt32(data[i]); b += a; i += 1 }
            a %= 65_521; b %= 65_521
        }
        return b << 16 | a
    }

    /// CRC-32 (ISO 3309 / ITU-T V.42, reflected polynomial 0xEDB88320), as PNG chunks use.
    public static func crc32<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    static func appendChunk(_ out: inout [UInt8], _ type: String, _ data: [UInt8]) {
        out += bigEndian(UInt32(data.count))
        let typed = Array(type.utf8) + data
        out += typed
        out += bigEndian(crc32(typed))
    }
}

/// A grid of equally sized RGB tiles with gaps, e.g. one row per corruption and one column per severity.
public struct ContactSheet {
    public let rows: Int, columns: Int, tileHeight: Int, tileWidth: Int
    public let gap: Int, scale: Int
    /// The sheet's pixels (HWC RGB), background grey.
    public private(set) var pixels: [UInt8]
    public var width: Int { columns * (tileWidth * scale + gap) + gap }
    public var height: Int { rows * (tileHeight * scale + gap) + gap }

    /// - Parameter scale: each tile pixel becomes a `scale × scale` block (nearest neighbour) so 32×32 images are visible.
    public init(rows: Int, columns: Int, tileHeight: Int = 32, tileWidth: Int = 32, gap: Int = 2, scale: Int = 2) {
        self.rows = rows; self.columns = columns; self.tileHeight = tileHeight; self.tileWidth = tileWidth
        self.gap = gap; self.scale = scale
        pixels = []
        pixels = [UInt8](repeating: 96, count: width * height * 3)
    }

    /// Places an HWC RGB tile at (row, column).
    public mutating func place(_ tile: ArraySlice<UInt8>, row: Int, column: Int) {
        precondition(row < rows && column < columns && tile.count == tileHeight * tileWidth * 3, "ContactSheet.place: bad tile or position")
        let top = gap + row * (tileHeight * scale + gap), left = gap + column * (tileWidth * scale + gap)
        let base = tile.startIndex
        for y in 0..<(tileHeight * scale) { for x in 0..<(tileWidth * scale) { for c in 0..<3 {
            pixels[((top + y) * width + left + x) * 3 + c] = tile[base + ((y / scale) * tileWidth + x / scale) * 3 + c]
        } } }
    }

    public func write(to path: String) throws { try PNG.write(rgb: pixels, width: width, height: height, to: path) }
}
