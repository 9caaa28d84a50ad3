import Foundation
import Tensor

/// The CIFAR-10-C / CIFAR-100-C releases (Hendrycks & Dietterich 2019): one `<corruption>.npy` per corruption,
/// uint8 `[5·N, 32, 32, 3]` (HWC RGB) holding the N test images at severity 1, then 2, … 5 (N = 10,000), and a
/// shared `labels.npy` (`[5·N]`, uint8 or int64) with the labels repeated for each severity.
public enum CIFARC {
    /// Loads `<corruption>.npy` from `directory`: one severity (1…5) or all five (`nil`), as `[n, 3, 32, 32]`
    /// floats /255 with labels checked against `classCount` (10 for CIFAR-10-C, 100 for CIFAR-100-C).
    public static func load(directory: String, corruption: String, severity: Int? = nil,
                            classCount: Int = 10) throws(DatasetError) -> LabeledImages {
        let imagesPath = (directory as NSString).appendingPathComponent(corruption + ".npy")
        let labelsPath = (directory as NSString).appendingPathComponent("labels.npy")
        let images = try NPY.read(imagesPath)
        guard images.dtype == .uint8, images.shape.count == 4, images.shape[3] == 3, images.shape[1] > 0, images.shape[2] > 0 else {
            throw DatasetError(.wrongSize, path: imagesPath, "expected uint8 images [N, H, W, 3], got \(images.dtype.rawValue) \(images.shape)")
        }
        let labelsArray = try NPY.read(labelsPath)
        guard labelsArray.shape.count == 1, labelsArray.shape[0] == images.shape[0] else {
            throw DatasetError(.mismatch, path: labelsPath, "labels shape \(labelsArray.shape) does not match \(images.shape[0]) images in \(imagesPath)")
        }
        let total = images.shape[0]
        let range: Range<Int>
        if let severity {
            guard (1...5).contains(severity) else { throw DatasetError(.wrongSize, path: imagesPath, "severity must be 1…5, got \(severity)") }
            guard total % 5 == 0 else {
                throw DatasetError(.wrongSize, path: imagesPath, "\(total) images do not split into 5 severities")
            }
            let per = total / 5
            range = ((severity - 1) * per)..<(severity * per)
        } else {
            range = 0..<total
        }
        let all = labelsArray.integers()
        var labels = [Int32]()
        labels.reserveCapacity(range.count)
        for i in range {
            guard all[i] >= 0 && all[i] < classCount else {
                throw DatasetError(.labelOutOfRange, path: labelsPath, "label \(all[i]) of record \(i) is outside 0..<\(classCount)")
            }
            labels.append(Int32(all[i]))
        }
        let h = images.shape[1], w = images.shape[2], size = h * w * 3
        let pixels = images.data
        var tensor = Tensor(uninitializedShape: [range.count, 3, h, w])
        tensor.withUnsafeMutableBufferPointer { out in
            let base = pixels.startIndex + range.lowerBound * size
            for r in 0..<range.count {
                for y in 0..<h { for x in 0..<w { for c in 0..<3 {
                    out[r * size + (c * h + y) * w + x] = Float(pixels[base + r * size + (y * w + x) * 3 + c]) / 255
                } } }
            }
        }
        return LabeledImages(images: tensor, labels: labels, classCount: classCount)
    }
}
