import Tensor

/// An image-classification data set held in memory: `images` `[N, C, H, W]` scaled to [0, 1],
/// `labels` in `0..<classCount`.
public struct LabeledImages: Sendable {
    public var images: Tensor
    public var labels: [Int32]
    public var classCount: Int
    public var count: Int { labels.count }

    public init(images: Tensor, labels: [Int32], classCount: Int) {
        precondition(images.rank == 4 && images.shape[0] == labels.count,
                     "LabeledImages: images \(images.shape) and \(labels.count) labels disagree")
        self.images = images; self.labels = labels; self.classCount = classCount
    }
}

/// The IDX format of MNIST and Fashion-MNIST (big-endian header: magic 0x0000_08_0D where 08 = unsigned
/// bytes and D = number of dimensions, then D 32-bit sizes, then the data). Gzipped files are accepted.
public enum IDX {
    /// Reads an IDX unsigned-byte file: returns its dimensions and raw bytes. Checks the magic number and
    /// that the file holds exactly the bytes its header promises.
    public static func readUnsignedBytes(_ path: String, expectedRank: Int) throws(DatasetError) -> (dims: [Int], data: [UInt8]) {
        try parseUnsignedBytes(try readDataFile(path), path: path, expectedRank: expectedRank)
    }

    /// Parses the bytes of an (uncompressed) IDX unsigned-byte file; `path` names it in errors.
    public static func parseUnsignedBytes(_ bytes: [UInt8], path: String, expectedRank: Int) throws(DatasetError) -> (dims: [Int], data: [UInt8]) {
        guard bytes.count >= 4 else { throw DatasetError(.truncated, path: path, "file has \(bytes.count) bytes, too short for an IDX header") }
        guard bytes[0] == 0, bytes[1] == 0, bytes[2] == 0x08 else {
            let magic = bytes[0..<4].map { String($0, radix: 16) }.joined(separator: " ")
            throw DatasetError(.badMagic, path: path, "bad IDX magic number (\(magic)); expected 00 00 08 0\(expectedRank) for unsigned-byte data")
        }
        let rank = Int(bytes[3])
        guard rank == expectedRank else {
            throw DatasetError(.badMagic, path: path, "IDX file has \(rank) dimensions, expected \(expectedRank) (images: 3, labels: 1)")
        }
        let headerSize = 4 + 4 * rank
        guard bytes.count >= headerSize else { throw DatasetError(.truncated, path: path, "IDX header is truncated") }
        var dims: [Int] = []
        for d in 0..<rank {
            let o = 4 + 4 * d
            let v = Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3])
            dims.append(v)
        }
        guard let total = MemoryBudget.product(dims) else {
            throw DatasetError(.wrongSize, path: path, "IDX dimensions \(dims.map(String.init).joined(separator: "×")) overflow")
        }
        let have = bytes.count - headerSize
        guard have >= total else {
            throw DatasetError(.truncated, path: path, "IDX header promises \(dims.map(String.init).joined(separator: "×")) = \(total) bytes of data but the file has \(have)")
        }
        guard have == total else {
            throw DatasetError(.wrongSize, path: path, "IDX file has \(have - total) unexpected trailing bytes after \(total) bytes of data")
        }
        return (dims, Array(bytes[headerSize...]))
    }

    /// Loads an images file (`[N, rows, cols]`) and its labels file (`[N]`) into `[N, 1, rows, cols]` in [0, 1].
    /// - Parameter classCount: labels must lie in `0..<classCount`.
    public static func load(images imagesPath: String, labels labelsPath: String, classCount: Int = 10) throws(DatasetError) -> LabeledImages {
        let (idims, pixels) = try readUnsignedBytes(imagesPath, expectedRank: 3)
        let (ldims, labelBytes) = try readUnsignedBytes(labelsPath, expectedRank: 1)
        guard idims[0] == ldims[0] else {
            throw DatasetError(.mismatch, path: labelsPath, "has \(ldims[0]) labels but \(imagesPath) has \(idims[0]) images")
        }
        // The float images take 4 bytes per pixel (the bytes themselves are already in memory).
        try MemoryBudget.check(bytes: 4 * pixels.count + 4 * labelBytes.count, for: "\(idims[0]) images as floats", path: imagesPath)
        var labels = [Int32](repeating: 0, count: labelBytes.count)
        for (i, l) in labelBytes.enumerated() {
            guard Int(l) < classCount else {
                throw DatasetError(.labelOutOfRange, path: labelsPath, "label \(l) of record \(i) is outside 0..<\(classCount)")
            }
            labels[i] = Int32(l)
        }
        var images = Tensor(uninitializedShape: [idims[0], 1, idims[1], idims[2]])
        images.withUnsafeMutableBufferPointer { p in
            for i in 0..<pixels.count { p[i] = Float(pixels[i]) * (1.0 / 255.0) }
        }
        return LabeledImages(images: images, labels: labels, classCount: classCount)
    }

    /// Loads the MNIST-family split (`train` or `t10k`) from a directory holding the standard file
    /// names, gzipped or not (e.g. `/usr/share/datasets/fashion-mnist/`).
    public static func loadSplit(directory: String, split: String) throws(DatasetError) -> LabeledImages {
        let imageNames = ["\(split)-images-idx3-ubyte", "\(split)-images-idx3-ubyte.gz", "\(split)-images.idx3-ubyte"]
        let labelNames = ["\(split)-labels-idx1-ubyte", "\(split)-labels-idx1-ubyte.gz", "\(split)-labels.idx1-ubyte"]
        guard let ip = firstExisting(in: directory, imageNames) else {
            throw DatasetError(.unreadable, path: directory, "no \(imageNames[0])[.gz] here")
        }
        guard let lp = firstExisting(in: directory, labelNames) else {
            throw DatasetError(.unreadable, path: directory, "no \(labelNames[0])[.gz] here")
        }
        return try load(images: ip, labels: lp)
    }
}
