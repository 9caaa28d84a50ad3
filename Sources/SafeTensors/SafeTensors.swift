import Foundation

/// Reading and writing the safetensors format (the file format PyTorch users load with the `safetensors`
/// package): an 8-byte little-endian header length N, an N-byte UTF-8 JSON header mapping each tensor name
/// to `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets relative to the data section) plus an
/// optional `"__metadata__"` string→string map, then the raw little-endian data.
///
/// This target depends on nothing but Foundation, so code that only needs to read or write learned
/// schedules (e.g. the engine-free `LearnedSchedule` product) can use it without the engine.
///
/// Only `F32` tensors are written; `F32`, `F64`, `F16` and `BF16` are read (converted to Float). Every
/// size read from a header is checked against the file before anything is allocated, so corrupt or
/// hostile files give a `SafeTensorsError`, never a crash or a huge allocation.
/// A float array with a row-major shape: what one safetensors entry holds once decoded.
public struct ShapedArray: Sendable, Equatable {
    public var shape: [Int]
    public var values: [Float]
    public init(shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "ShapedArray: shape \(shape) needs \(shape.reduce(1, *)) values, got \(values.count)")
        self.shape = shape; self.values = values
    }
}

public enum SafeTensors {
    /// Largest header accepted (the format's reference implementation uses 100 MB).
    public static let maxHeaderBytes = 100_000_000

    /// Encodes named tensors (written in name order, so equal inputs give identical bytes) and metadata.
    public static func encode(_ tensors: [String: ShapedArray], metadata: [String: String] = [:]) throws -> [UInt8] {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let t = tensors[name]!
            header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.values.count]] as [String: Any]
            offset += 4 * t.values.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }   // pad with spaces so the data is 8-byte aligned
        var out = [UInt8]()
        out.reserveCapacity(8 + json.count + offset)
        var n = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(contentsOf: json)
        for name in names {
            for v in tensors[name]!.values {
                var bits = v.bitPattern.littleEndian
                withUnsafeBytes(of: &bits) { out.append(contentsOf: $0) }
            }
        }
        return out
    }

    /// Decodes a whole safetensors file.
    public static func decode(_ bytes: [UInt8]) throws(SafeTensorsError) -> (tensors: [String: ShapedArray], metadata: [String: String]) {
        guard bytes.count >= 8 else { throw .truncated("file has \(bytes.count) bytes, fewer than the 8-byte header length") }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard n <= UInt64(maxHeaderBytes) else { throw .badHeader("header length \(n) exceeds the \(maxHeaderBytes)-byte limit") }
        let headerEnd = 8 + Int(n)
        guard headerEnd <= bytes.count else { throw .truncated("header claims \(n) bytes but the file has \(bytes.count - 8) after the length") }
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd])) }
        catch { throw .badHeader("header is not valid JSON") }
        guard let header = parsed as? [String: Any] else { throw .badHeader("header is not a JSON object") }
        let dataCount = bytes.count - headerEnd
        var metadata: [String: String] = [:]
        var tensors: [String: ShapedArray] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else { throw .badHeader("__metadata__ is not an object") }
                for (k, v) in m {
                    guard let s = v as? String else { throw .badHeader("__metadata__[\(k)] is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shapeAny = entry["shape"] as? [Any], let offsAny = entry["data_offsets"] as? [Any], offsAny.count == 2
            else { throw .badHeader("entry '\(name)' lacks dtype, shape or data_offsets") }
            let shape = try shapeAny.map { v throws(SafeTensorsError) -> Int in
                guard let d = SafeTensors.count(v), d <= Int(Int32.max) else { throw .badHeader("entry '\(name)' has an invalid shape") }
                return d
            }
            guard let begin = SafeTensors.count(offsAny[0]), let end = SafeTensors.count(offsAny[1]),
                  begin >= 0, begin <= end, end <= dataCount
            else { throw .badHeader("entry '\(name)' has data offsets outside the \(dataCount)-byte data section") }
            let width: Int
            switch dtype {
            case "F32": width = 4
            case "F64": width = 8
            case "F16", "BF16": width = 2
            default: throw .unsupportedDType(name, dtype)
            }
            var count = 1
            for d in shape {
                let (m, o) = count.multipliedReportingOverflow(by: d)
                guard !o else { throw .badHeader("entry '\(name)' shape \(shape) overflows") }
                count = m
            }
            guard count <= (end - begin) / width, count * width == end - begin else {
                throw .badHeader("entry '\(name)' shape \(shape) needs \(count) × \(width) bytes but its offsets span \(end - begin)")
            }
            var values = [Float](repeating: 0, count: count)
            values.withUnsafeMutableBufferPointer { p in
                let base = headerEnd + begin
                for i in 0..<count {
                    let o = base + i * width
                    switch width {
                    case 4:
                        p[i] = Float(bitPattern: UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24)
                    case 8:
                        var bits: UInt64 = 0
                        for k in 0..<8 { bits |= UInt64(bytes[o + k]) << (8 * UInt64(k)) }
                        p[i] = Float(Double(bitPattern: bits))
                    default:
                        let h = UInt16(bytes[o]) | UInt16(bytes[o + 1]) << 8
                        p[i] = dtype == "BF16" ? Float(bitPattern: UInt32(h) << 16) : Float(Float16(bitPattern: h))
                    }
                }
            }
            tensors[name] = ShapedArray(shape: shape, values: values)
        }
        return (tensors, metadata)
    }

    /// A JSON number that is a whole count in 0...2^53 (what a shape entry or an offset must be), else nil:
    /// huge, fractional, negative or non-numeric values never reach an integer conversion that could trap.
    static func count(_ v: Any) -> Int? {
        guard let n = v as? NSNumber else { return nil }
        let d = n.doubleValue
        guard d.isFinite, d >= 0, d <= 9_007_199_254_740_992, d.rounded(.towardZero) == d else { return nil }
        return Int(d)
    }

    /// Writes a file atomically: to a temporary file in the same directory, fsync, then rename over `path`,
    /// so a crash never leaves a half-written file under the final name.
    public static func write(_ tensors: [String: ShapedArray], metadata: [String: String] = [:], to path: String) throws {
        try AtomicFile.write(try encode(tensors, metadata: metadata), to: path)
    }

    /// Reads and decodes a file.
    public static func read(_ path: String) throws -> (tensors: [String: ShapedArray], metadata: [String: String]) {
        guard let data = FileManager.default.contents(atPath: path) else { throw SafeTensorsError.unreadable(path) }
        return try decode([UInt8](data))
    }
}

/// What was wrong with a safetensors file.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable {
    case unreadable(String), truncated(String), badHeader(String), unsupportedDType(String, String)
    public var description: String {
        switch self {
        case .unreadable(let p): return "\(p): cannot be read"
        case .truncated(let d): return "truncated safetensors file: \(d)"
        case .badHeader(let d): return "corrupt safetensors header: \(d)"
        case .unsupportedDType(let n, let d): return "tensor '\(n)' has unsupported dtype \(d) (F32, F64, F16, BF16 are read)"
        }
    }
}

/// Crash-safe file replacement: write a temporary sibling, flush it to disk, rename it over the target.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        let tmp = dir + "/.\(url.lastPathComponent).tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw AtomicFileError(path: path, reason: String(cString: strerror(errno))) }
        var written = 0
        let ok: Bool = bytes.withUnsafeBytes { raw in
            while written < raw.count {
                let r = Foundation.write(fd, raw.baseAddress! + written, raw.count - written)
                if r <= 0 { if r < 0 && errno == EINTR { continue }; return false }
                written += r
            }
            return true
        }
        let err = errno
        if !ok || fsync(fd) != 0 {
            close(fd); unlink(tmp)
            throw AtomicFileError(path: path, reason: String(cString: strerror(ok ? errno : err)))
        }
        close(fd)
        guard rename(tmp, path) == 0 else {
            let e = errno; unlink(tmp)
            throw AtomicFileError(path: path, reason: String(cString: strerror(e)))
        }
        // Make the rename itself durable.
        let dfd = open(dir, O_RDONLY)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }
}

public struct AtomicFileError: Error, CustomStringConvertible {
    public var path: String, reason: String
    public var description: String { "cannot write \(path): \(reason)" }
}
