/// A self-contained gzip (RFC 1952) / DEFLATE (RFC 1951) decoder, so data sets in `.gz` files load on any
/// machine without zlib headers or extra packages. Decoding verifies the CRC-32 and length trailer of
/// every member; concatenated members are decoded one after another.
public enum Gzip {
    /// Whether `bytes` starts with the gzip magic number 1f 8b.
    public static func isGzip(_ bytes: [UInt8]) -> Bool { bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b }

    /// Decompresses a whole gzip file. Throws `GzipError` for anything malformed or truncated.
    /// - Parameter maxOutput: refuse to produce more than this many bytes (guards against bombs).
    public static func decompress(_ bytes: [UInt8], maxOutput: Int = 1 << 32) throws(GzipError) -> [UInt8] {
        var out: [UInt8] = []
        var pos = 0
        repeat {
            guard bytes.count - pos >= 18 else { throw .truncated }
            guard bytes[pos] == 0x1f, bytes[pos + 1] == 0x8b else { throw .badMagic }
            guard bytes[pos + 2] == 8 else { throw .unsupportedMethod(Int(bytes[pos + 2])) }
            let flags = bytes[pos + 3]
            pos += 10
            if flags & 0x04 != 0 {   // FEXTRA
                guard pos + 2 <= bytes.count else { throw .truncated }
                pos += 2 + (Int(bytes[pos]) | Int(bytes[pos + 1]) << 8)
            }
            for flag in [UInt8(0x08), 0x10] where flags & flag != 0 {   // FNAME, FCOMMENT: zero-terminated
                while pos < bytes.count && bytes[pos] != 0 { pos += 1 }
                pos += 1
            }
            if flags & 0x02 != 0 { pos += 2 }   // FHCRC
            guard pos <= bytes.count else { throw .truncated }
            let start = out.count
            var inflater = Inflater(input: bytes, position: pos, maxOutput: maxOutput)
            try inflater.run(into: &out)
            pos = inflater.bytePositionAfterBlock()
            guard pos + 8 <= bytes.count else { throw .truncated }
            let crc = UInt32(bytes[pos]) | UInt32(bytes[pos + 1]) << 8 | UInt32(bytes[pos + 2]) << 16 | UInt32(bytes[pos + 3]) << 24
            let size = UInt32(bytes[pos + 4]) | UInt32(bytes[pos + 5]) << 8 | UInt32(bytes[pos + 6]) << 16 | UInt32(bytes[pos + 7]) << 24
            pos += 8
            let produced = out.count - start
            guard UInt32(truncatingIfNeeded: produced) == size else { throw .lengthMismatch }
            guard CRC32.checksum(out[start...]) == crc else { throw .checksumMismatch }
            while pos < bytes.count && bytes[pos] == 0 { pos += 1 }   // trailing zero padding
        } while pos < bytes.count
        return out
    }
}

/// What was wrong with a gzip stream.
public enum GzipError: Error, Equatable, CustomStringConvertible {
    case badMagic, unsupportedMethod(Int), truncated, invalidBlockType, invalidStoredLength
    case invalidHuffmanCode, invalidDistance, lengthMismatch, checksumMismatch, outputTooLarge

    public var description: String {
        switch self {
        case .badMagic: return "not a gzip stream (bad magic number)"
        case .unsupportedMethod(let m): return "unsupported gzip compression method \(m)"
        case .truncated: return "gzip stream is truncated"
        case .invalidBlockType: return "invalid DEFLATE block type"
        case .invalidStoredLength: return "corrupt stored DEFLATE block length"
        case .invalidHuffmanCode: return "corrupt DEFLATE Huffman code"
        case .invalidDistance: return "DEFLATE back-reference before the start of the output"
        case .lengthMismatch: return "gzip length trailer does not match the decoded size"
        case .checksumMismatch: return "gzip CRC-32 does not match the decoded data"
        case .outputTooLarge: return "gzip stream decodes to more data than allowed"
        }
    }
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) as used by gzip.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            for b in bytes { c = t[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        }
        return c ^ 0xFFFF_FFFF
    }
}

/// Canonical Huffman decoding table: `counts[len]` codes of each length, `symbols` in code order.
struct Huffman {
    var counts = [Int](repeating: 0, count: 16)
    var symbols: [Int]

    init(lengths: ArraySlice<Int>) throws(GzipError) {
        symbols = [Int](repeating: 0, count: lengths.count)
        for l in lengths { counts[l] += 1 }
        counts[0] = 0
        var left = 1
        for len in 1..<16 {   // over-subscribed code sets are corrupt
            left <<= 1
            left -= counts[len]
            if left < 0 { throw .invalidHuffmanCode }
        }
        var offsets = [Int](repeating: 0, count: 16)
        for len in 1..<15 { offsets[len + 1] = offsets[len] + counts[len] }
        for (sym, l) in lengths.enumerated() where l != 0 {
            symbols[offsets[l]] = sym
            offsets[l] += 1
        }
    }
}

/// Bit-level DEFLATE decoder over a byte array.
struct Inflater {
    let input: [UInt8]
    var pos: Int
    var bitBuffer: UInt64 = 0
    var bitCount = 0
    let maxOutput: Int

    init(input: [UInt8], position: Int, maxOutput: Int) {
        self.input = input; self.pos = position; self.maxOutput = maxOutput
    }

    /// Byte offset just after the last DEFLATE block (discarding unused bits of the final byte).
    func bytePositionAfterBlock() -> Int { pos - bitCount / 8 }

    mutating func bits(_ n: Int) throws(GzipError) -> Int {
        while bitCount < n {
            guard pos < input.count else { throw .truncated }
            bitBuffer |= UInt64(input[pos]) << UInt64(bitCount)
            pos += 1
            bitCount += 8
        }
        let v = Int(bitBuffer & ((1 << UInt64(n)) - 1))
        bitBuffer >>= UInt64(n)
        bitCount -= n
        return v
    }

    mutating func decode(_ h: Huffman) throws(GzipError) -> Int {
        var code = 0, first = 0, index = 0
        for len in 1..<16 {
            code |= try bits(1)
            let count = h.counts[len]
            if code - count < first { return h.symbols[index + (code - first)] }
            index += count
            first = (first + count) << 1
            code <<= 1
        }
        throw .invalidHuffmanCode
    }

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    static let distExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
    static let fixedTables: (Huffman, Huffman) = {
        var l = [Int](repeating: 8, count: 288)
        for i in 144..<256 { l[i] = 9 }
        for i in 256..<280 { l[i] = 7 }
        return (try! Huffman(lengths: l[...]), try! Huffman(lengths: [Int](repeating: 5, count: 30)[...]))
    }()

    mutating func run(into out: inout [UInt8]) throws(GzipError) {
        var last = false
        let base = out.count
        repeat {
            last = try bits(1) == 1
            switch try bits(2) {
            case 0:
                bitBuffer = 0; bitCount = 0   // stored: skip to the byte boundary
                guard pos + 4 <= input.count else { throw .truncated }
                let len = Int(input[pos]) | Int(input[pos + 1]) << 8
                let nlen = Int(input[pos + 2]) | Int(input[pos + 3]) << 8
                guard len == (~nlen & 0xFFFF) else { throw .invalidStoredLength }
                pos += 4
                guard pos + len <= input.count else { throw .truncated }
                out.append(contentsOf: input[pos..<(pos + len)])
                pos += len
            case 1:
                try codes(Inflater.fixedTables.0, Inflater.fixedTables.1, &out, base)
            case 2:
                let (lit, dist) = try dynamicTables()
                try codes(lit, dist, &out, base)
            default:
                throw .invalidBlockType
            }
            if out.count - base > maxOutput { throw .outputTooLarge }
        } while !last
    }

    mutating func dynamicTables() throws(GzipError) -> (Huffman, Huffman) {
        let nlen = try bits(5) + 257, ndist = try bits(5) + 1, ncode = try bits(4) + 4
        guard nlen <= 286, ndist <= 30 else { throw .invalidHuffmanCode }
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        var clen = [Int](repeating: 0, count: 19)
        for i in 0..<ncode { clen[order[i]] = try bits(3) }
        let codeHuffman = try Huffman(lengths: clen[...])
        var lengths = [Int](repeating: 0, count: nlen + ndist)
        var i = 0
        while i < nlen + ndist {
            let sym = try decode(codeHuffman)
            if sym < 16 { lengths[i] = sym; i += 1; continue }
            var value = 0, repeatCount: Int
            switch sym {
            case 16:
                guard i > 0 else { throw .invalidHuffmanCode }
                value = lengths[i - 1]; repeatCount = 3 + (try bits(2))
            case 17: repeatCount = 3 + (try bits(3))
            default: repeatCount = 11 + (try bits(7))
            }
            guard i + repeatCount <= nlen + ndist else { throw .invalidHuffmanCode }
            for _ in 0..<repeatCount { lengths[i] = value; i += 1 }
        }
        guard lengths[256] != 0 else { throw .invalidHuffmanCode }
        return (try Huffman(lengths: lengths[0..<nlen]), try Huffman(lengths: lengths[nlen...]))
    }

    mutating func codes(_ lit: Huffman, _ dist: Huffman, _ out: inout [UInt8], _ base: Int) throws(GzipError) {
        while true {
            let sym = try decode(lit)
            if sym < 256 { out.append(UInt8(sym)); continue }
            if sym == 256 { return }
            let li = sym - 257
            guard li < 29 else { throw .invalidHuffmanCode }
            let length = Inflater.lengthBase[li] + (try bits(Inflater.lengthExtra[li]))
            let di = try decode(dist)
            guard di < 30 else { throw .invalidHuffmanCode }
            let distance = Inflater.distBase[di] + (try bits(Inflater.distExtra[di]))
            guard distance <= out.count - base else { throw .invalidDistance }
            if out.count - base + length > maxOutput { throw .outputTooLarge }
            let from = out.count - distance
            for k in 0..<length { out.append(out[from + k]) }
        }
    }
}
