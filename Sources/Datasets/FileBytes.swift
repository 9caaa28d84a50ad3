import Foundation

/// Reads a whole file, transparently decompressing gzip (detected by its magic number, so
/// `x.gz` and `x` both work whatever their names say).
/// The file's size and, for gzip, the size its trailer promises, are checked against `MemoryBudget` before
/// anything is allocated.
func readDataFile(_ path: String, maxBytes: Int = 1 << 32) throws(DatasetError) -> [UInt8] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw DatasetError(.unreadable, path: path, "no such file")
    }
    guard !isDirectory.boolValue else { throw DatasetError(.unreadable, path: path, "is a directory, expected a file") }
    if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber {
        try MemoryBudget.check(bytes: size.intValue, for: "reading the file", path: path)
    }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw DatasetError(.unreadable, path: path, "cannot be read (permission denied?)")
    }
    let bytes = [UInt8](data)
    guard Gzip.isGzip(bytes) else { return bytes }
    // ISIZE (the last 4 bytes) is the last member's size mod 2^32: a lower bound worth checking up front.
    if bytes.count >= 18 {
        let n = bytes.count
        let isize = Int(bytes[n - 4]) | Int(bytes[n - 3]) << 8 | Int(bytes[n - 2]) << 16 | Int(bytes[n - 1]) << 24
        try MemoryBudget.check(bytes: isize, for: "decompressing", path: path)
    }
    do {
        return try Gzip.decompress(bytes, maxOutput: min(maxBytes, MemoryBudget.limit))
    } catch GzipError.outputTooLarge {
        throw DatasetError(.tooLarge, path: path, "decompresses to more than \(min(maxBytes, MemoryBudget.limit)) bytes, the limit " +
                           "(\(MemoryBudget.limitDescription))")
    } catch {
        throw DatasetError(.compressed, path: path, "corrupt gzip data: \(error)")
    }
}

/// How much memory one data set may take: `MLRSNET_MEMORY_LIMIT` (bytes; suffixes K, M, G accepted) when
/// set, else 80% of the machine's physical memory. Loaders estimate what they will allocate from the headers
/// and throw a `.tooLarge` `DatasetError` naming the amount and the limit instead of exhausting memory.
public enum MemoryBudget {
    /// The limit in bytes.
    public static var limit: Int {
        if let text = ProcessInfo.processInfo.environment["MLRSNET_MEMORY_LIMIT"], let v = parse(text) { return v }
        return Int(Double(ProcessInfo.processInfo.physicalMemory) * 0.8)
    }

    static var limitDescription: String {
        ProcessInfo.processInfo.environment["MLRSNET_MEMORY_LIMIT"].flatMap(parse) != nil
            ? "MLRSNET_MEMORY_LIMIT" : "80% of the \(ProcessInfo.processInfo.physicalMemory >> 20) MiB of physical memory"
    }

    /// Parses "123", "64K", "512M", "2G".
    static func parse(_ text: String) -> Int? {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        let scale: Int
        switch t.last {
        case "K": scale = 1 << 10
        case "M": scale = 1 << 20
        case "G": scale = 1 << 30
        default: scale = 1
        }
        guard let v = Int(scale == 1 ? t : String(t.dropLast())), v > 0 else { return nil }
        let (r, o) = v.multipliedReportingOverflow(by: scale)
        return o ? nil : r
    }

    /// Throws `.tooLarge` when `bytes` exceeds the limit.
    public static func check(bytes: Int, for what: String, path: String) throws(DatasetError) {
        let cap = limit
        guard bytes <= cap else {
            throw DatasetError(.tooLarge, path: path, "\(what) needs \(bytes) bytes (\(bytes >> 20) MiB), more than the memory limit of " +
                               "\(cap) bytes (\(cap >> 20) MiB, \(limitDescription)); use a smaller subset or raise MLRSNET_MEMORY_LIMIT")
        }
    }

    /// `a × b × …` or nil on overflow.
    static func product(_ factors: [Int]) -> Int? {
        var r = 1
        for f in factors {
            let (m, o) = r.multipliedReportingOverflow(by: f)
            if o { return nil }
            r = m
        }
        return r
    }
}

/// Returns the first of `candidates` (joined to `directory`) that exists, e.g. `x` or `x.gz`.
func firstExisting(in directory: String, _ candidates: [String]) -> String? {
    for c in candidates {
        let p = (directory as NSString).appendingPathComponent(c)
        if FileManager.default.fileExists(atPath: p) { return p }
    }
    return nil
}
