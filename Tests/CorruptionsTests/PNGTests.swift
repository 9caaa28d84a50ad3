import Corruptions
import Datasets
import Foundation
import Tensor
import Testing

@Suite struct PNGTests {
    /// Checksums against their published check values.
    @Test func checksums() {
        #expect(PNG.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(PNG.crc32(Array("IEND".utf8)) == 0xAE42_6082)
        #expect(PNG.adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
        #expect(PNG.adler32([]) == 1)
        // Long inputs, where the modulo 65,521 reductions matter (values from Python's zlib).
        #expect(PNG.adler32([UInt8](repeating: 0x61, count: 1_000_000)) == 0x15D8_70F9)
        let pattern = (0..<150_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        #expect(PNG.adler32(pattern) == 0x5D89_DFC6)
        #expect(PNG.crc32(pattern) == 0x5136_17E4)
    }

    /// A gzip member around raw DEFLATE data (so `Gzip.decompress` can inflate a zlib stream's payload).
    static func gzipMember(deflate: [UInt8], of plain: [UInt8]) -> [UInt8] {
        let crc = PNG.crc32(plain), size = UInt32(plain.count)
        var out: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF]
        out += deflate
        for v in [crc, size] { for k in 0..<4 { out.append(UInt8((v >> (8 * UInt32(k))) & 0xFF)) } }
        return out
    }

    static func u32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }

    /// Encodes an image, walks the chunks (each CRC checked), and decodes the IDAT zlib stream with our gzip
    /// inflater (the DEFLATE data re-wrapped as a gzip member) back to the exact scanlines.
    @Test(arguments: [(3, 2), (37, 5), (200, 120)]) func roundTrip(size: (Int, Int)) throws {
        let (w, h) = size
        let pixels = (0..<(w * h * 3)).map { (i: Int) -> UInt8 in UInt8(truncatingIfNeeded: (i &* 2_654_435_761) >> 7) }
        let png = PNG.encode(rgb: pixels, width: w, height: h)
        #expect(Array(png[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var pos = 8
        var chunks: [(String, [UInt8])] = []
        while pos < png.count {
            let n = Int(Self.u32(png, pos))
            let type = String(decoding: png[(pos + 4)..<(pos + 8)], as: UTF8.self)
            let data = Array(png[(pos + 8)..<(pos + 8 + n)])
            #expect(Self.u32(png, pos + 8 + n) == PNG.crc32(png[(pos + 4)..<(pos + 8 + n)]), "CRC of \(type)")
            chunks.append((type, data))
            pos += 12 + n
        }
        #expect(chunks.map(\.0) == ["IHDR", "IDAT", "IEND"])
        #expect(Self.u32(chunks[0].1, 0) == UInt32(w) && Self.u32(chunks[0].1, 4) == UInt32(h))
        #expect(Array(chunks[0].1[8...]) == [8, 2, 0, 0, 0])
        let z = chunks[1].1
        #expect((UInt16(z[0]) << 8 | UInt16(z[1])) % 31 == 0, "zlib header check")
        let deflate = Array(z[2..<(z.count - 4)])
        var expected: [UInt8] = []
        for y in 0..<h { expected.append(0); expected += pixels[(y * w * 3)..<((y + 1) * w * 3)] }
        #expect(Self.u32(z, z.count - 4) == PNG.adler32(expected))
        #expect(try Gzip.decompress(Self.gzipMember(deflate: deflate, of: expected)) == expected)
    }

    /// Streams longer than one stored block (65,535 bytes) split into several blocks and still decode; the
    /// fixed-Huffman stream decodes too (literals, long and short matches, the far stride) and is smaller.
    @Test func storedAndFixedStreams() throws {
        var rng = RandomGenerator(seed: 5)
        var data = (0..<150_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        data += (0..<5_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }            // incompressible
        data += [UInt8](repeating: 9, count: 1_000) + Array(data[200..<40_000])          // runs, far copies
        for z in [PNG.zlibStored(data), PNG.zlibFixed(data), PNG.zlibFixed(data, stride: 1_771)] {
            let deflate = Array(z[2..<(z.count - 4)])
            #expect(try Gzip.decompress(Self.gzipMember(deflate: deflate, of: data)) == data)
            #expect(Self.u32(z, z.count - 4) == PNG.adler32(data))
        }
        #expect(PNG.zlibFixed(data).count < data.count / 2)
        for tiny: [UInt8] in [[], [1], [1, 2], [1, 2, 3], [7, 7, 7, 7, 7]] {
            let z = PNG.zlibFixed(tiny)
            #expect(try Gzip.decompress(Self.gzipMember(deflate: Array(z[2..<(z.count - 4)]), of: tiny)) == tiny)
        }
    }

    /// The contact sheet places tile pixels, scaled, at the right cell.
    @Test func contactSheetLayout() {
        var sheet = ContactSheet(rows: 2, columns: 3, tileHeight: 2, tileWidth: 2, gap: 1, scale: 2)
        #expect(sheet.width == 3 * 5 + 1 && sheet.height == 2 * 5 + 1)
        let tile: [UInt8] = [10, 11, 12, 20, 21, 22, 30, 31, 32, 40, 41, 42]
        sheet.place(tile[...], row: 1, column: 2)
        func px(_ y: Int, _ x: Int) -> [UInt8] { Array(sheet.pixels[((y * sheet.width + x) * 3)..<((y * sheet.width + x) * 3 + 3)]) }
        // Cell (1, 2) starts at y = 1 + 5, x = 1 + 2·5.
        #expect(px(6, 11) == [10, 11, 12] && px(7, 12) == [10, 11, 12] && px(6, 13) == [20, 21, 22] && px(9, 14) == [40, 41, 42])
        #expect(px(0, 0) == [96, 96, 96])
    }
}
