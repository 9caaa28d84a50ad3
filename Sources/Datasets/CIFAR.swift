import Foundation
import Tensor

/// CIFAR-10 and CIFAR-100 in their binary ("bin") releases.
///
/// - CIFAR-10: `cifar-10-batches-bin/data_batch_{1..5}.bin` (train) and `test_batch.bin`; each record is
///   1 label byte (0..<10) then 3,072 pixel bytes: the R, G and B planes of a 32×32 image, each row-major.
/// - CIFAR-100: `cifar-100-binary/train.bin` and `test.bin`; each record is a coarse label (0..<20), a fine
///   label (0..<100), then the same 3,072 pixel bytes.
///
/// `path` may be the batches directory itself, its parent, or the official `.tar.gz` (or `.tar`) archive,
/// which is then read in memory without unpacking. Files inside a directory may also be gzipped.
/// Images come back as `[N, 3, 32, 32]` with pixel bytes divided by 255 (as torchvision's `ToTensor`).
public enum CIFAR {
    public enum Split: String, Sendable { case train, test }
    /// Which CIFAR-100 label to use: the 100 fine classes or the 20 coarse superclasses.
    public enum Labels: Sendable { case fine, coarse }

    public static let cifar10ClassNames = ["airplane", "automobile", "bird", "cat", "deer",
                                           "dog", "frog", "horse", "ship", "truck"]
    static let pixelsPerImage = 3 * 32 * 32

    // MARK: CIFAR-10

    /// Loads one CIFAR-10 split (train: 50,000 images from five batch files; test: 10,000).
    public static func loadCIFAR10(from path: String, split: Split) throws(DatasetError) -> LabeledImages {
        let files = try ReleaseFiles(path: path, folder: "cifar-10-batches-bin")
        return try cifar10(files, split)
    }

    /// Loads both CIFAR-10 splits (reading an archive only once).
    public static func loadCIFAR10(from path: String) throws(DatasetError) -> (train: LabeledImages, test: LabeledImages) {
        let files = try ReleaseFiles(path: path, folder: "cifar-10-batches-bin")
        return (try cifar10(files, .train), try cifar10(files, .test))
    }

    static func cifar10(_ files: ReleaseFiles, _ split: Split) throws(DatasetError) -> LabeledImages {
        let names = split == .train ? (1...5).map { "data_batch_\($0).bin" } : ["test_batch.bin"]
        var parts: [(bytes: ArraySlice<UInt8>, path: String)] = []
        for name in names { parts.append(try files.read(name)) }
        return try decode(parts, labelLimits: [10], use: 0)
    }

    // MARK: CIFAR-100

    /// Loads one CIFAR-100 split (train: 50,000 images; test: 10,000) with fine (100) or coarse (20) labels.
    public static func loadCIFAR100(from path: String, split: Split, labels: Labels = .fine) throws(DatasetError) -> LabeledImages {
        let files = try ReleaseFiles(path: path, folder: "cifar-100-binary")
        return try cifar100(files, split, labels)
    }

    /// Loads both CIFAR-100 splits (reading an archive only once).
    public static func loadCIFAR100(from path: String, labels: Labels = .fine) throws(DatasetError) -> (train: LabeledImages, test: LabeledImages) {
        let files = try ReleaseFiles(path: path, folder: "cifar-100-binary")
        return (try cifar100(files, .train, labels), try cifar100(files, .test, labels))
    }

    static func cifar100(_ files: ReleaseFiles, _ split: Split, _ labels: Labels) throws(DatasetError) -> LabeledImages {
        let part = try files.read(split == .train ? "train.bin" : "test.bin")
        return try decode([part], labelLimits: [20, 100], use: labels == .coarse ? 0 : 1)
    }

    // MARK: Records

    /// Decodes the records of one or more files into a single data set, in file order.
    /// Each record is one byte per label (label k must be below `labelLimits[k]`; every label is checked)
    /// then 3,072 pixel bytes; the label at `labelOffset` is kept, with `labelLimits[labelOffset]` classes.
    /// - Throws: `.truncated` when a file's size is not a whole number of records (or it holds none),
    ///   `.labelOutOfRange` for a label out of range; both name the file and the record.
    static func decode(_ parts: [(bytes: ArraySlice<UInt8>, path: String)], labelLimits: [Int], use labelOffset: Int)
        throws(DatasetError) -> LabeledImages {
        let labelBytes = labelLimits.count, classCount = labelLimits[labelOffset]
        let recordSize = labelBytes + pixelsPerImage
        var total = 0
        for (bytes, path) in parts {
            guard bytes.count % recordSize == 0, bytes.count > 0 else {
                throw DatasetError(.truncated, path: path,
                                   "\(bytes.count) bytes is not a whole number of \(recordSize)-byte records " +
                                   "(\(bytes.count / recordSize) records and \(bytes.count % recordSize) bytes left over: a truncated record)")
            }
            total += bytes.count / recordSize
        }
        try MemoryBudget.check(bytes: total * (pixelsPerImage * 4 + 4), for: "\(total) CIFAR images as floats",
                               path: parts.first?.path ?? "CIFAR")
        var labels = [Int32](repeating: 0, count: total)
        var first = 0
        for (bytes, path) in parts {
            let n = bytes.count / recordSize
            for r in 0..<n {
                let record = bytes.startIndex + r * recordSize
                for (k, limit) in labelLimits.enumerated() where Int(bytes[record + k]) >= limit {
                    let which = labelBytes == 1 ? "label" : (k == 0 ? "coarse label" : "fine label")
                    throw DatasetError(.labelOutOfRange, path: path, "\(which) \(bytes[record + k]) of record \(r) is outside 0..<\(limit)")
                }
                labels[first + r] = Int32(bytes[record + labelOffset])
            }
            first += n
        }
        var images = Tensor(uninitializedShape: [total, 3, 32, 32])
        images.withUnsafeMutableBufferPointer { out in
            let scale = (0..<256).map { Float($0) / 255 }   // exactly ToTensor's byte / 255
            scale.withUnsafeBufferPointer { lut in
                var first = 0
                for (bytes, _) in parts {
                    let n = bytes.count / recordSize
                    let dst = out.baseAddress! + first * pixelsPerImage
                    bytes.withUnsafeBufferPointer { src in
                        WorkerPool.shared.parallelFor(n, minPerPart: 512) { records in
                            for r in records {
                                let s = src.baseAddress! + r * recordSize + labelBytes
                                let d = dst + r * pixelsPerImage
                                for i in 0..<pixelsPerImage { d[i] = lut[Int(s[i])] }
                            }
                        }
                    }
                    first += n
                }
            }
        }
        return LabeledImages(images: images, labels: labels, classCount: classCount)
    }
}

/// The files of one data-set release, read from a directory (the release folder itself or its parent) or
/// straight out of its tar archive (gzipped or not), which is read and indexed once.
struct ReleaseFiles {
    enum Storage {
        case directory(String)
        case archive(path: String, bytes: [UInt8], entries: [String: Tar.Entry])
    }
    let storage: Storage
    /// The folder the release unpacks to, e.g. `cifar-10-batches-bin`.
    let folder: String

    init(path: String, folder: String) throws(DatasetError) {
        self.folder = folder
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DatasetError(.unreadable, path: path, "no such file or directory")
        }
        if isDirectory.boolValue {
            let inner = (path as NSString).appendingPathComponent(folder)
            var innerIsDirectory: ObjCBool = false
            let useInner = FileManager.default.fileExists(atPath: inner, isDirectory: &innerIsDirectory) && innerIsDirectory.boolValue
            storage = .directory(useInner ? inner : path)
        } else {
            let bytes = try readDataFile(path)
            var entries: [String: Tar.Entry] = [:]
            for e in try Tar.entries(bytes, path: path) where e.kind == .file { entries[e.name] = e }
            storage = .archive(path: path, bytes: bytes, entries: entries)
        }
    }

    /// The bytes of `name` and the path to name in messages (`archive.tar.gz:folder/name` for archives).
    func read(_ name: String) throws(DatasetError) -> (bytes: ArraySlice<UInt8>, path: String) {
        switch storage {
        case .directory(let dir):
            let p = (dir as NSString).appendingPathComponent(name)
            let file = firstExisting(in: dir, [name, name + ".gz"]) ?? p
            let bytes = try readDataFile(file)
            return (bytes[...], file)
        case .archive(let path, let bytes, let entries):
            let wanted = folder + "/" + name
            let entry = entries[wanted] ?? entries[name]
                ?? entries.keys.sorted().first(where: { $0.hasSuffix("/" + wanted) }).flatMap { entries[$0] }
            guard let entry else {
                throw DatasetError(.unreadable, path: path + ":" + wanted, "the archive has no \(wanted)")
            }
            return (bytes[entry.range], path + ":" + entry.name)
        }
    }
}
