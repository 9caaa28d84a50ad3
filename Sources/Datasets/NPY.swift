import Foundation

/// NumPy's `.npy` format (versions 1.0, 2.0 and 3.0): the magic `\x93NUMPY`, a version, a little-endian header
/// length, a Python-literal header dict `{'descr': …, 'fortran_order': …, 'shape': (…), }`, then the raw data.
/// Read here: C-order arrays of unsigned bytes (`|u1`) and little-endian 32/64-bit integers (`<i4`, `<i8`)
/// — what the CIFAR-10-C / CIFAR-100-C releases use for images and labels. Everything a hostile file could
/// get wrong (magic, version, header length, syntax, dtype, shape, data size) throws a `DatasetError`
/// naming the file and the problem.
public enum NPY {
    /// Element types this reader understands.
    public enum DType: String, Sendable {
        case uint8 = "|u1", int32 = "<i4", int64 = "<i8"
        public var size: Int { switch self { case .uint8: 1; case .int32: 4; case .int64: 8 } }
    }

    /// A parsed array: its shape, element type and raw little-endian data bytes.
    public struct Array: Sendable {
        public var shape: [Int]
        public var dtype: DType
        public var data: ArraySlice<UInt8>
        public var count: Int { shape.reduce(1, *) }

        /// The elements as `Int`s (any integer dtype).
        public func integers() -> [Int] {
            let n = count, base = data.startIndex
            switch dtype {
            case .uint8: return data.map { Int($0) }
            case .int32:
                return (0..<n).map { i in
                    var v: UInt32 = 0
                    for k in 0..<4 { v |= UInt32(data[base + 4 * i + k]) << (8 * k) }
                    return Int(Int32(bitPattern: v))
                }
            case .int64:
                return (0..<n).map { i in
                    var v: UInt64 = 0
                    for k in 0..<8 { v |= UInt64(data[base + 8 * i + k]) << (8 * k) }
                    return Int(Int64(bitPattern: v))
                }
            }
        }
    }

    /// Largest header accepted (NumPy itself writes at most a few hundred bytes; it refuses > 10,000 on read).
    public static let maxHeaderLength = 65_536
    /// Largest rank accepted.
    public static let maxRank = 8
    /// Largest number of elements accepted (guards the size arithmetic).
    public static let maxElements = 1 << 40

    /// Reads and parses a `.npy` file (gzipped files are accepted too).
    public static func read(_ path: String) throws(DatasetError) -> Array {
        try parse(readDataFile(path), path: path)
    }

    /// Parses `.npy` bytes; `path` names the source in errors.
    public static func parse(_ bytes: [UInt8], path: String) throws(DatasetError) -> Array {
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        guard bytes.count >= 10 else { throw DatasetError(.truncated, path: path, "\(bytes.count) bytes is too short for an .npy header") }
        guard Swift.Array(bytes[0..<6]) == magic else {
            throw DatasetError(.badMagic, path: path, "not an .npy file (the first bytes are not \\x93NUMPY)")
        }
        let major = Int(bytes[6])
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8; headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw DatasetError(.truncated, path: path, "\(bytes.count) bytes is too short for an .npy v\(major) header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24; headerStart = 12
        default:
            throw DatasetError(.badMagic, path: path, "unsupported .npy format version \(major).\(bytes[7]) (1.0, 2.0 and 3.0 are read)")
        }
        guard headerLength <= maxHeaderLength else {
            throw DatasetError(.wrongSize, path: path, ".npy header length \(headerLength) exceeds the \(maxHeaderLength)-byte limit")
        }
        guard headerStart + headerLength <= bytes.count else {
            throw DatasetError(.truncated, path: path, ".npy header of \(headerLength) bytes runs past the end of the \(bytes.count)-byte file")
        }
        guard let header = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: major == 3 ? .utf8 : .isoLatin1),
              header.allSatisfy({ $0.isASCII }) else {
            throw DatasetError(.notUTF8, path: path, ".npy header is not ASCII text")
        }
        let fields = try parseHeader(header, path: path)
        let dataStart = headerStart + headerLength
        let expected = fields.shape.reduce(1, *) * fields.dtype.size
        let available = bytes.count - dataStart
        guard available == expected else {
            throw DatasetError(available < expected ? .truncated : .wrongSize, path: path,
                               "shape \(fields.shape) of \(fields.dtype.rawValue) needs \(expected) data bytes, the file has \(available)")
        }
        return Array(shape: fields.shape, dtype: fields.dtype, data: bytes[dataStart...])
    }

    /// Parses the header dict: exactly the keys descr, fortran_order and shape.
    static func parseHeader(_ text: String, path: String) throws(DatasetError) -> (dtype: DType, shape: [Int]) {
        func bad(_ why: String) -> DatasetError { DatasetError(.wrongSize, path: path, "malformed .npy header (\(why)): \(text.prefix(200))") }
        var body = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard body.hasPrefix("{"), body.hasSuffix("}") else { throw bad("not a {…} dict") }
        body = String(body.dropFirst().dropLast())
        var descr: String?, fortran: Bool?, shape: [Int]?
        var rest = Substring(body)
        func skipSpace() { while let c = rest.first, c == " " || c == "," || c == "\n" || c == "\t" { rest = rest.dropFirst() } }
        skipSpace()
        while !rest.isEmpty {
            guard let q = rest.first, q == "'" || q == "\"" else { throw bad("expected a quoted key") }
            rest = rest.dropFirst()
            guard let endKey = rest.firstIndex(of: q) else { throw bad("unterminated key") }
            let key = String(rest[..<endKey])
            rest = rest[rest.index(after: endKey)...]
            while rest.first == " " { rest = rest.dropFirst() }
            guard rest.first == ":" else { throw bad("expected ':' after '\(key)'") }
            rest = rest.dropFirst()
            while rest.first == " " { rest = rest.dropFirst() }
            switch key {
            case "descr":
                guard let q2 = rest.first, q2 == "'" || q2 == "\"" else { throw bad("descr must be a string") }
                rest = rest.dropFirst()
                guard let end = rest.firstIndex(of: q2) else { throw bad("unterminated descr") }
                descr = String(rest[..<end]); rest = rest[rest.index(after: end)...]
            case "fortran_order":
                if rest.hasPrefix("False") { fortran = false; rest = rest.dropFirst(5) }
                else if rest.hasPrefix("True") { fortran = true; rest = rest.dropFirst(4) }
                else { throw bad("fortran_order must be True or False") }
            case "shape":
                guard rest.first == "(" , let close = rest.firstIndex(of: ")") else { throw bad("shape must be a tuple") }
                let inner = rest[rest.index(after: rest.startIndex)..<close]
                rest = rest[rest.index(after: close)...]
                var dims: [Int] = []
                for part in inner.split(separator: ",") {
                    let t = part.trimmingCharacters(in: .whitespaces)
                    if t.isEmpty { continue }
                    guard t.count <= 15, let d = Int(t), d >= 0 else { throw bad("shape entry '\(t.prefix(20))' is not a size") }
                    dims.append(d)
                }
                shape = dims
            default:
                throw bad("unknown key '\(key.prefix(40))'")
            }
            skipSpace()
        }
        guard let descr, let fortran, let shape else { throw bad("needs descr, fortran_order and shape") }
        guard let dtype = DType(rawValue: descr == "u1" || descr == "<u1" ? "|u1" : descr) else {
            throw DatasetError(.wrongSize, path: path, "unsupported .npy dtype '\(descr.prefix(20))' (read: |u1, <i4, <i8)")
        }
        guard shape.count <= maxRank else { throw DatasetError(.wrongSize, path: path, ".npy rank \(shape.count) exceeds \(maxRank)") }
        var total = 1
        for d in shape {
            let (p, overflow) = total.multipliedReportingOverflow(by: d)
            guard !overflow, p <= maxElements else {
                throw DatasetError(.wrongSize, path: path, ".npy shape \(shape) has more than \(maxElements) elements")
            }
            total = p
        }
        guard !fortran || shape.filter({ $0 > 1 }).count <= 1 else {
            throw DatasetError(.wrongSize, path: path, "Fortran-order .npy arrays are not supported (shape \(shape))")
        }
        return (dtype, shape)
    }

    /// The `.npy` (v1.0) bytes of a C-order array (for writing CIFAR-10-C–style files).
    public static func encode(_ data: [UInt8], shape: [Int], dtype: DType = .uint8) -> [UInt8] {
        precondition(shape.reduce(1, *) * dtype.size == data.count, "NPY.encode: \(data.count) bytes for shape \(shape)")
        return header(shape: shape, dtype: dtype) + data
    }

    /// The magic, version and header of a `.npy` (v1.0) file; the data bytes follow it. The header dict is
    /// padded with spaces so the data starts on a 64-byte boundary, ending in a newline, as NumPy writes it.
    public static func header(shape: [Int], dtype: DType = .uint8) -> [UInt8] {
        let dims = shape.count == 1 ? "\(shape[0])," : shape.map(String.init).joined(separator: ", ")
        var text = "{'descr': '\(dtype.rawValue)', 'fortran_order': False, 'shape': (\(dims)), }"
        let unpadded = 10 + text.utf8.count + 1
        text += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        let n = text.utf8.count
        return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(n & 0xFF), UInt8(n >> 8)] + Swift.Array(text.utf8)
    }
}
