import Foundation
import NN
import Optim
import Schedules
import Tensor

/// Everything needed to continue a run bit-identically: model parameters and buffers, optimiser state,
/// the step updater's state (schedule, meta-learner), the task's extra state (e.g. an LSTM's carried state), the position in the data and the
/// step counter. Stored as one safetensors file (tensors + string metadata) with checksums of the tensors
/// (`content_fnv1a64`) and of the metadata (`metadata_fnv1a64`), written atomically (temporary file, fsync,
/// rename, directory fsync); the previous checkpoint stays beside it as `<name>.prev`, and at every instant
/// `<name>` is either the complete old or the complete new file. Dropout layers' generator states are saved
/// too (`dropout_rng`), so runs with dropout (WRN) resume bit-identically.
public struct Checkpoint {
    public static let format = "mlrsnet-swift/checkpoint"
    public static let version = 1

    public var tensors: [String: Tensor]
    public var metadata: [String: String]

    /// The next step to run: epoch and batch index within it, and the global step count.
    public var epoch: Int { Int(metadata["epoch"] ?? "") ?? 0 }
    public var batch: Int { Int(metadata["batch"] ?? "") ?? 0 }
    public var globalStep: Int { Int(metadata["global_step"] ?? "") ?? 0 }

    /// Captures a run's state.
    public init(model: any Layer, optimizer: any Optimizer, updater: any StepUpdater, task: any TrainingTask,
                epoch: Int, batch: Int, globalStep: Int, extra: [String: String] = [:], checksum: Bool = true) throws {
        var t: [String: Tensor] = [:]
        for p in model.parameters { t["model/" + p.name] = p.value }
        for b in model.buffers { t["buffer/" + b.name] = b.value }
        let os = optimizer.state
        for (k, v) in os.tensors { t["optimizer/" + k] = v }
        for (k, v) in task.checkpointTensors { t["task/" + k] = v }
        for (k, v) in updater.checkpointTensors { t["updater/" + k] = v }
        var m = extra
        for (k, v) in try updater.checkpointMetadata { m["updater/" + k] = v }
        m["format"] = Checkpoint.format
        m["format_version"] = String(Checkpoint.version)
        m["epoch"] = String(epoch)
        m["batch"] = String(batch)
        m["global_step"] = String(globalStep)
        m["optimizer_kind"] = os.kind
        m["optimizer_scalars"] = try jsonString(os.scalars)
        let dropouts = model.allLayers.compactMap { $0 as? Dropout }
        if !dropouts.isEmpty { m["dropout_rng"] = try jsonString(dropouts.map(\.rng)) }
        if checksum {
            m["content_fnv1a64"] = Checkpoint.checksum(t)
            m["metadata_fnv1a64"] = Checkpoint.metadataChecksum(m)
        }
        tensors = t
        metadata = m
    }

    init(tensors: [String: Tensor], metadata: [String: String]) { self.tensors = tensors; self.metadata = metadata }

    /// Writes atomically; an existing file at `path` becomes `path.prev` (a hard link, so `path` itself is
    /// never missing; a rename where links are not supported). A failed write (disk full, ...) throws
    /// `TrainingError.unwritable` with the reason and leaves the files as they were.
    public func write(to path: String) throws {
        let bytes: [UInt8]
        do { bytes = try SafeTensors.encode(tensors.mapValues(\.shapedArray), metadata: metadata) }
        catch { throw TrainingError.unwritable("\(path): cannot encode the checkpoint: \(error)") }
        if access(path, F_OK) == 0 {
            let prev = path + ".prev"
            unlink(prev)
            if link(path, prev) != 0 && rename(path, prev) != 0 {
                throw TrainingError.unwritable("\(prev): cannot keep the previous checkpoint (\(String(cString: strerror(errno))))")
            }
        }
        do { try AtomicFile.write(bytes, to: path) }
        catch let e as AtomicFileError { throw TrainingError.unwritable("\(e.path): \(e.reason)") }
    }

    /// Reads and verifies a checkpoint (format, version, checksum).
    public static func read(_ path: String) throws -> Checkpoint {
        let decoded: (tensors: [String: Tensor], metadata: [String: String])
        do { decoded = try SafeTensors.readTensors(path) }
        catch { throw TrainingError.badCheckpoint(path, "\(error)") }
        let m = decoded.metadata
        guard m["format"] == format else { throw TrainingError.badCheckpoint(path, "not an mlrsnet-swift checkpoint") }
        guard let v = Int(m["format_version"] ?? ""), v <= version else {
            throw TrainingError.badCheckpoint(path, "format version \(m["format_version"] ?? "?") is newer than this program's (\(version))")
        }
        guard m["content_fnv1a64"] == checksum(decoded.tensors) else {
            throw TrainingError.badCheckpoint(path, "checksum mismatch (the file is corrupt or was truncated)")
        }
        if let recorded = m["metadata_fnv1a64"], recorded != metadataChecksum(m) {
            throw TrainingError.badCheckpoint(path, "metadata checksum mismatch (the file is corrupt)")
        }
        for key in ["epoch", "batch", "global_step"] {
            guard let v = Int(m[key] ?? ""), v >= 0 else {
                throw TrainingError.badCheckpoint(path, "metadata \(key) = '\(m[key] ?? "missing")' is not a count ≥ 0")
            }
        }
        return Checkpoint(tensors: decoded.tensors, metadata: m)
    }

    /// Reads `path`, falling back to `path.prev` when `path` is missing or corrupt; reports which it used.
    /// A corrupt `path` is moved aside to `path.corrupt` (kept for inspection), so the next checkpoint
    /// written does not replace the good `path.prev` with it.
    public static func readLatestGood(_ path: String, warn: (String) -> Void) throws -> (Checkpoint, String) {
        do { return (try read(path), path) } catch {
            let prev = path + ".prev"
            guard FileManager.default.fileExists(atPath: prev) else { throw error }
            let good = try read(prev)
            if access(path, F_OK) == 0 {
                unlink(path + ".corrupt")
                if rename(path, path + ".corrupt") == 0 {
                    warn("\(error); moved it to \(path).corrupt and using the previous checkpoint \(prev)")
                    return (good, prev)
                }
            }
            warn("\(error); using the previous checkpoint \(prev)")
            return (good, prev)
        }
    }

    /// Restores a run's state into freshly built objects (names and shapes must match).
    public func restore(model: any Layer, optimizer: any Optimizer, updater: any StepUpdater, task: any TrainingTask) throws {
        let params = model.parameters
        for p in params {
            guard let v = tensors["model/" + p.name] else { throw TrainingError.incompatibleCheckpoint("no tensor for parameter \(p.name)") }
            guard v.shape == p.value.shape else {
                throw TrainingError.incompatibleCheckpoint("parameter \(p.name) has shape \(v.shape) in the checkpoint, \(p.value.shape) in the model")
            }
            p.value = v
        }
        for b in model.buffers {
            guard let v = tensors["buffer/" + b.name], v.shape == b.value.shape else {
                throw TrainingError.incompatibleCheckpoint("buffer \(b.name) is missing or has another shape")
            }
            b.value = v
        }
        let extraParams = tensors.keys.filter { $0.hasPrefix("model/") }.count - params.count
        guard extraParams == 0 else { throw TrainingError.incompatibleCheckpoint("the checkpoint has \(extraParams) parameters this model lacks") }
        var optTensors: [String: Tensor] = [:]
        var taskTensors: [String: Tensor] = [:]
        var updaterTensors: [String: Tensor] = [:]
        for (k, v) in tensors {
            if k.hasPrefix("optimizer/") { optTensors[String(k.dropFirst(10))] = v }
            if k.hasPrefix("task/") { taskTensors[String(k.dropFirst(5))] = v }
            if k.hasPrefix("updater/") { updaterTensors[String(k.dropFirst(8))] = v }
        }
        var updaterMetadata: [String: String] = [:]
        for (k, v) in metadata where k.hasPrefix("updater/") { updaterMetadata[String(k.dropFirst(8))] = v }
        let scalars: [String: Double] = try decodeJSON(metadata["optimizer_scalars"] ?? "{}")
        try optimizer.restore(OptimizerState(kind: metadata["optimizer_kind"] ?? "", tensors: optTensors, scalars: scalars), for: params)
        try updater.restore(tensors: updaterTensors, metadata: updaterMetadata)
        try task.restore(checkpointTensors: taskTensors)
        let dropouts = model.allLayers.compactMap { $0 as? Dropout }
        if let text = metadata["dropout_rng"] {
            let states: [RandomGenerator] = try decodeJSON(text)
            guard states.count == dropouts.count else {
                throw TrainingError.incompatibleCheckpoint("the checkpoint has \(states.count) dropout generators, the model \(dropouts.count) dropout layers")
            }
            for (d, g) in zip(dropouts, states) { d.rng = g }
        }
    }

    /// FNV-1a (64-bit) over the metadata's keys and values in key order, the two checksum keys excluded.
    public static func metadataChecksum(_ metadata: [String: String]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for key in metadata.keys.sorted() where key != "content_fnv1a64" && key != "metadata_fnv1a64" {
            for b in key.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
            h = (h ^ 0) &* 0x0000_0100_0000_01B3
            for b in metadata[key]!.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
            h = (h ^ 0xFF) &* 0x0000_0100_0000_01B3
        }
        return String(h, radix: 16)
    }

    /// FNV-1a (64-bit) over names, shapes and float bit patterns in name order.
    public static func checksum(_ tensors: [String: Tensor]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        @inline(__always) func mix(_ byte: UInt8) { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        for name in tensors.keys.sorted() {
            for b in name.utf8 { mix(b) }
            let t = tensors[name]!
            for d in t.shape { for k in 0..<8 { mix(UInt8(truncatingIfNeeded: d >> (8 * k))) } }
            t.withUnsafeBufferPointer { p in
                for v in p { let bits = v.bitPattern; for k in 0..<4 { mix(UInt8(truncatingIfNeeded: bits >> (8 * UInt32(k)))) } }
            }
        }
        return String(h, radix: 16)
    }
}

/// Compact JSON (sorted keys) of a value, for string metadata in checkpoints.
public func jsonString<T: Encodable>(_ value: T) throws -> String {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys]
    return String(decoding: try e.encode(value), as: UTF8.self)
}

/// Decodes checkpoint metadata written by `jsonString`; a clear `incompatibleCheckpoint` error otherwise.
public func decodeJSON<T: Decodable>(_ text: String) throws -> T {
    do { return try JSONDecoder().decode(T.self, from: Data(text.utf8)) }
    catch { throw TrainingError.incompatibleCheckpoint("cannot decode \(T.self): \(error)") }
}
