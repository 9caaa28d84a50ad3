import Foundation

/// Reads a whole file, transparently decompressing gzip (detected by its magic number, so
/// `x.gz` and `x` both work whatever their names say).
func readDataFile(_ path: String, maxBytes: Int = 1 << 32) throws(DatasetError) -> [UInt8] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw DatasetError(.unreadable, path: path, "no such file")
    }
    guard !isDirectory.boolValue else { throw DatasetError(.unreadable, path: path, "is a directory, expected a file") }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw DatasetError(.unreadable, path: path, "cannot be read (permission denied?)")
    }
    let bytes = [UInt8](data)
    guard Gzip.isGzip(bytes) else { return bytes }
    do {
        return try Gzip.decompress(bytes, maxOutput: maxBytes)
    } catch {
        throw DatasetError(.compressed, path: path, "corrupt gzip data: \(error)")
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
