/// A small DEFLATE (RFC 1951) compressor for the PNG encoder: one final block with the fixed Huffman codes
/// (§3.2.6) and greedy LZ77 matches (3…258 bytes, distances up to 32 KiB) found through a hash of the next
/// three bytes plus a try at one fixed `stride` back (the previous scanline of an image).
enum Deflate {
    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
                             131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025,
                               1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

    /// LSB-first bit packing, as DEFLATE stores everything but Huffman codes.
    struct BitWriter {
        var bytes: [UInt8] = []
        var buffer: UInt64 = 0
        var count = 0
        mutating func write(_ value: Int, bits: Int) {
            buffer |= UInt64(value) << UInt64(count)
            count += bits
            while count >= 8 { bytes.append(UInt8(buffer & 0xFF)); buffer >>= 8; count -= 8 }
        }
        /// A Huffman code, sent most significant bit first.
        mutating func writeCode(_ code: Int, bits: Int) {
            var reversed = 0
            for i in 0..<bits where code >> i & 1 != 0 { reversed |= 1 << (bits - 1 - i) }
            write(reversed, bits: bits)
        }
        mutating func finish() -> [UInt8] { if count > 0 { bytes.append(UInt8(buffer & 0xFF)) }; buffer = 0; count = 0; return bytes }
    }

    /// The fixed literal/length code of symbol 0…287.
    static func writeSymbol(_ s: Int, _ w: inout BitWriter) {
        switch s {
        case 0...143: w.writeCode(0x30 + s, bits: 8)
        case 144...255: w.writeCode(0x190 + s - 144, bits: 9)
        case 256...279: w.writeCode(s - 256, bits: 7)
        default: w.writeCode(0xC0 + s - 280, bits: 8)
        }
    }

    /// Raw DEFLATE data (no zlib or gzip wrapper) of `data`.
    static func compressFixed(_ data: [UInt8], stride: Int = 0) -> [UInt8] {
        var w = BitWriter()
        w.write(1, bits: 1)   // BFINAL
        w.write(1, bits: 2)   // BTYPE = 01, fixed Huffman codes
        let n = data.count
        var head = [Int](repeating: -1, count: 1 << 15)
        @inline(__always) func hash(_ i: Int) -> Int {
            (Int(data[i]) << 10 ^ Int(data[i + 1]) << 5 ^ Int(data[i + 2])) & 0x7FFF
        }
        func matchLength(_ i: Int, _ j: Int) -> Int {
            var l = 0
            while l < 258 && i + l < n && data[j + l] == data[i + l] { l += 1 }
            return l
        }
        var i = 0
        while i < n {
            var best = 0, bestDistance = 0
            if i + 2 < n {
                let h = hash(i)
                let j = head[h]
                if j >= 0 && i - j <= 32_768 {
                    let l = matchLength(i, j)
                    if l > best { best = l; bestDistance = i - j }
                }
                if stride > 0 && i - stride >= 0 && stride <= 32_768 {
                    let l = matchLength(i, i - stride)
                    if l > best { best = l; bestDistance = stride }
                }
                head[h] = i
            }
            if best >= 3 {
                var code = 0
                while code + 1 < lengthBase.count && lengthBase[code + 1] <= best { code += 1 }
                writeSymbol(257 + code, &w)
                w.write(best - lengthBase[code], bits: lengthExtra[code])
                var dc = 0
                while dc + 1 < distanceBase.count && distanceBase[dc + 1] <= bestDistance { dc += 1 }
                w.writeCode(dc, bits: 5)
                w.write(bestDistance - distanceBase[dc], bits: distanceExtra[dc])
                // Index the skipped positions so later matches can find them.
                for k in (i + 1)..<(i + best) where k + 2 < n { head[hash(k)] = k }
                i += best
            } else {
                writeSymbol(Int(data[i]), &w)
                i += 1
            }
        }
        writeSymbol(256, &w)   // end of block
        return w.finish()
    }
}
