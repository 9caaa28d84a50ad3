import Foundation

/// CIFAR images as raw bytes (no conversion to floats): for tools that transform and rewrite the data set,
/// such as the corruption generator.
public struct CIFARBytes: Sendable {
    /// `count × 32 × 32 × 3` bytes, HWC RGB (the layout of NumPy/PIL and of CIFAR-10-C's `.npy` files).
    public var pixels: [UInt8]
    /// One label byte per image (CIFAR-10 class, or CIFAR-100 fine class).
    public var labels: [UInt8]
    public var count: Int { labels.count }
    public static let side = 32

    public init(pixels: [UInt8], labels: [UInt8]) {
        precondition(pixels.count == labels.count * 3072, "CIFARBytes: \(pixels.count) bytes for \(labels.count) images")
        self.pixels = pixels; self.labels = labels
    }

    /// The first `n` images.
    public func prefix(_ n: Int) -> CIFARBytes {
        let k = min(n, count)
        return CIFARBytes(pixels: Array(pixels[0..<(k * 3072)]), labels: Array(labels[0..<k]))
    }

    /// Loads a CIFAR-10 split from the same places `CIFAR.loadCIFAR10` accepts (directory or archive).
    public static func loadCIFAR10(from path: String, split: CIFAR.Split) throws(DatasetError) -> CIFARBytes {
        let files = try ReleaseFiles(path: path, folder: "cifar-10-batches-bin")
        let names = split == .train ? (1...5).map { "data_batch_\($0).bin" } : ["test_batch.bin"]
        var pixels: [UInt8] = [], labels: [UInt8] = []
        for name in names {
            let (bytes, file) = try files.read(name)
            guard bytes.count % 3073 == 0, bytes.count > 0 else {
                throw DatasetError(.truncated, path: file, "\(bytes.count) bytes is not a whole number of 3073-byte records")
            }
            let n = bytes.count / 3073
            pixels.reserveCapacity(pixels.count + n * 3072)
            for r in 0..<n {
                let rec = bytes.startIndex + r * 3073
                guard bytes[rec] < 10 else {
                    throw DatasetError(.labelOutOfRange, path: file, "label \(bytes[rec]) of record \(r) is outside 0..<10")
                }
                labels.append(bytes[rec])
                for i in 0..<1024 { for c in 0..<3 { pixels.append(bytes[rec + 1 + c * 1024 + i]) } }
            }
        }
        return CIFARBytes(pixels: pixels, labels: labels)
    }

    /// The records of images `range` in the CIFAR-10 binary layout: per image one label byte, then the
    /// R, G and B planes (each 32×32 row-major).
    public func cifar10Records(_ range: Range<Int>) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: range.count * 3073)
        for (k, r) in range.enumerated() {
            out[k * 3073] = labels[r]
            for i in 0..<1024 { for c in 0..<3 { out[k * 3073 + 1 + c * 1024 + i] = pixels[r * 3072 + i * 3 + c] } }
        }
        return out
    }
}
