/// A minimal reader for tar archives held in memory (POSIX ustar, old GNU and pax headers), enough to take
/// data files straight out of a `.tar` or `.tar.gz` without unpacking it to disk.
///
/// Layout: a sequence of 512-byte headers, each followed by the entry's data padded to a multiple of 512,
/// ended by two all-zero blocks (or simply the end of the data). Every header's checksum is verified, so a
/// corrupt or non-tar file is reported instead of yielding garbage.
public enum Tar {
    /// One archive member: its name and where its bytes lie in the archive.
    public struct Entry: Sendable, Equatable {
        public enum Kind: Sendable, Equatable { case file, directory, other }
        /// Path inside the archive, without a leading `./`.
        public var name: String
        public var kind: Kind
        /// Byte range of the data within the archive's bytes.
        public var range: Range<Int>
        public var size: Int { range.count }
    }

    static let blockSize = 512

    /// Lists the members of the tar archive `bytes`.
    /// - Parameter path: the archive's file name, used in error messages.
    /// - Throws: `.badMagic` for a header whose checksum or fields are invalid (not a tar file or corrupt),
    ///   `.truncated` when an entry's data runs past the end of the archive.
    public static func entries(_ bytes: [UInt8], path: String) throws(DatasetError) -> [Entry] {
        var entries: [Entry] = []
        var pos = 0
        var pendingName: String?   // from a GNU long-name ('L') entry or a pax ('x') `path` record
        var pendingSize: Int?      // from a pax `size` record
        while pos + blockSize <= bytes.count {
            let header = bytes[pos..<(pos + blockSize)]
            if header.allSatisfy({ $0 == 0 }) { break }   // end-of-archive marker
            try verifyChecksum(header, offset: pos, path: path)
            let type = header[header.startIndex + 156]
            let isMetadata = [UInt8(ascii: "L"), UInt8(ascii: "K"), UInt8(ascii: "x"), UInt8(ascii: "g")].contains(type)
            var size = try octal(header, 124, 12, offset: pos, field: "size", path: path)
            if !isMetadata, let s = pendingSize { size = s }   // a pax size overrides the member's own
            let dataStart = pos + blockSize
            guard size <= bytes.count - dataStart else {
                throw DatasetError(.truncated, path: path,
                                   "tar entry at byte \(pos) promises \(size) bytes but only \(bytes.count - dataStart) remain")
            }
            let data = dataStart..<(dataStart + size)
            switch type {
            case UInt8(ascii: "L"):   // GNU long name: the data is the next entry's name
                pendingName = cString(bytes[data])
            case UInt8(ascii: "x"):   // pax extended header for the next entry
                let records = paxRecords(bytes[data])
                if let p = records["path"] { pendingName = p }
                if let s = records["size"], let n = Int(s), n >= 0 { pendingSize = n }
            case UInt8(ascii: "g"), UInt8(ascii: "K"):   // global pax header, GNU long link name: not needed
                break
            default:
                var name = pendingName ?? headerName(header)
                while name.hasPrefix("./") { name.removeFirst(2) }
                let kind: Entry.Kind
                switch type {
                case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): kind = name.hasSuffix("/") ? .directory : .file
                case UInt8(ascii: "5"): kind = .directory
                default: kind = .other
                }
                if name.hasSuffix("/") { name.removeLast() }
                // Links, devices and directories carry no data even if a size is written.
                let range = kind == .file ? data : dataStart..<dataStart
                entries.append(Entry(name: name, kind: kind, range: range))
                pendingName = nil; pendingSize = nil
                pos = dataStart + (range.count + blockSize - 1) / blockSize * blockSize
                continue
            }
            pos = dataStart + (size + blockSize - 1) / blockSize * blockSize
        }
        if pos < bytes.count && pos + blockSize > bytes.count && !bytes[pos...].allSatisfy({ $0 == 0 }) {
            throw DatasetError(.truncated, path: path, "tar archive ends inside a header at byte \(pos)")
        }
        return entries
    }

    /// The header checksum: the sum of all 512 bytes with the checksum field (148..<156) read as spaces,
    /// stored as octal. Some old writers summed signed bytes, so both sums are accepted.
    static func verifyChecksum(_ header: ArraySlice<UInt8>, offset: Int, path: String) throws(DatasetError) {
        let stored = try octal(header, 148, 8, offset: offset, field: "checksum", path: path)
        var unsigned = 0, signed = 0
        for (i, b) in header.enumerated() {
            let v = (148..<156).contains(i) ? 0x20 : b
            unsigned += Int(v)
            signed += Int(Int8(bitPattern: v))
        }
        guard stored == unsigned || stored == signed else {
            throw DatasetError(.badMagic, path: path,
                               "corrupt or not a tar archive: header at byte \(offset) has checksum \(stored), computed \(unsigned)")
        }
    }

    /// A numeric header field: octal digits, optionally space/NUL padded, or GNU base-256 (high bit set).
    static func octal(_ header: ArraySlice<UInt8>, _ start: Int, _ length: Int, offset: Int, field: String,
                      path: String) throws(DatasetError) -> Int {
        let f = header[(header.startIndex + start)..<(header.startIndex + start + length)]
        if let first = f.first, first & 0x80 != 0 {   // GNU base-256, big-endian (sizes of 8 GiB and more)
            guard first == 0x80, length > 8, f.dropFirst().dropLast(8).allSatisfy({ $0 == 0 }),
                  f[f.endIndex - 8] & 0x80 == 0 else {
                throw DatasetError(.badMagic, path: path, "tar header at byte \(offset): unsupported \(field) field")
            }
            return f.suffix(8).reduce(0) { $0 << 8 | Int($1) }
        }
        var value = 0, digits = 0
        var i = f.startIndex
        while i < f.endIndex && f[i] == 0x20 { i += 1 }   // leading spaces
        while i < f.endIndex, f[i] >= UInt8(ascii: "0"), f[i] <= UInt8(ascii: "7") {
            value = value * 8 + Int(f[i] - UInt8(ascii: "0"))
            digits += 1; i += 1
        }
        while i < f.endIndex && (f[i] == 0 || f[i] == 0x20) { i += 1 }   // terminator and padding
        guard digits > 0, i == f.endIndex else {
            throw DatasetError(.badMagic, path: path, "corrupt or not a tar archive: bad \(field) field in the header at byte \(offset)")
        }
        return value
    }

    /// `name` (0..<100), prefixed by ustar's `prefix` (345..<500) when the magic says ustar.
    static func headerName(_ header: ArraySlice<UInt8>) -> String {
        let h = header.startIndex
        let name = cString(header[h..<(h + 100)])
        let isPOSIX = Array(header[(h + 257)..<(h + 263)]) == Array("ustar\0".utf8)
        if isPOSIX {
            let prefix = cString(header[(h + 345)..<(h + 500)])
            if !prefix.isEmpty { return prefix + "/" + name }
        }
        return name
    }

    static func cString(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// pax records: "<length> <key>=<value>\n" repeated.
    static func paxRecords(_ bytes: ArraySlice<UInt8>) -> [String: String] {
        var records: [String: String] = [:]
        var i = bytes.startIndex
        while i < bytes.endIndex {
            guard let space = bytes[i...].firstIndex(of: 0x20),
                  let length = Int(String(decoding: bytes[i..<space], as: UTF8.self)),
                  length > space - i, length <= bytes.endIndex - i else { break }   // the record holds its own length
            let record = bytes[(space + 1)..<(i + length)]
            if let eq = record.firstIndex(of: UInt8(ascii: "=")) {
                let key = String(decoding: record[record.startIndex..<eq], as: UTF8.self)
                var value = record[(eq + 1)...]
                if value.last == 0x0A { value = value.dropLast() }
                records[key] = String(decoding: value, as: UTF8.self)
            }
            i += length
        }
        return records
    }
}
