import Tensor

/// Per-channel normalisation of a batch `[N, C, H, W]`: x′ = (x − mean[c]) / std[c], computed exactly as
/// torchvision's `Normalize` (subtract, then divide) so values match PyTorch bit for bit.
public struct ChannelNormalization: Sendable, Equatable {
    public var mean: [Float]
    public var std: [Float]

    public init(mean: [Float], std: [Float]) {
        precondition(mean.count == std.count && !mean.isEmpty,
                     "ChannelNormalization: \(mean.count) means and \(std.count) standard deviations")
        precondition(std.allSatisfy { $0 > 0 }, "ChannelNormalization: standard deviations must be positive, got \(std)")
        self.mean = mean; self.std = std
    }

    /// The CIFAR-10 statistics used by the MLR-SNet training code (and many CIFAR repositories).
    public static let cifar10 = ChannelNormalization(mean: [0.4914, 0.4822, 0.4465], std: [0.2023, 0.1994, 0.2010])
    /// The CIFAR-100 statistics used by the MLR-SNet training code.
    public static let cifar100 = ChannelNormalization(mean: [0.5071, 0.4867, 0.4408], std: [0.2675, 0.2565, 0.2761])

    /// Per-channel mean and (population) standard deviation of `images` `[N, C, H, W]`, accumulated in
    /// Double in a fixed order (deterministic).
    public static func fitted(to images: Tensor) -> ChannelNormalization {
        precondition(images.rank == 4 && images.count > 0, "ChannelNormalization.fitted: need a non-empty [N, C, H, W] batch, got \(images.shape)")
        let (n, c, plane) = (images.shape[0], images.shape[1], images.shape[2] * images.shape[3])
        var sum = [Double](repeating: 0, count: c), sumSq = [Double](repeating: 0, count: c)
        images.withUnsafeBufferPointer { p in
            for i in 0..<n {
                for ch in 0..<c {
                    let base = (i * c + ch) * plane
                    var s = 0.0, q = 0.0
                    for k in 0..<plane { let v = Double(p[base + k]); s += v; q += v * v }
                    sum[ch] += s; sumSq[ch] += q
                }
            }
        }
        let count = Double(n * plane)
        let mean = sum.map { $0 / count }
        let std = (0..<c).map { ch in (max(sumSq[ch] / count - mean[ch] * mean[ch], 0)).squareRoot() }
        return ChannelNormalization(mean: mean.map { Float($0) }, std: std.map { Float(max($0, 1e-12)) })
    }

    /// Normalises `batch` `[N, C, H, W]` in place.
    public func apply(to batch: inout Tensor) {
        precondition(batch.rank == 4 && batch.shape[1] == mean.count,
                     "ChannelNormalization.apply: batch \(batch.shape) does not have \(mean.count) channels in NCHW")
        let (n, c, plane) = (batch.shape[0], batch.shape[1], batch.shape[2] * batch.shape[3])
        let mean = self.mean, std = self.std
        batch.withUnsafeMutableBufferPointer { p in
            let base = p.baseAddress!
            WorkerPool.shared.parallelFor(n * c, minPerPart: 64) { planes in
                for q in planes {
                    let m = mean[q % c], s = std[q % c]
                    let x = base + q * plane
                    for k in 0..<plane { x[k] = (x[k] - m) / s }
                }
            }
        }
    }

    /// A normalised copy of `batch`.
    public func callAsFunction(_ batch: Tensor) -> Tensor {
        var out = batch
        apply(to: &out)
        return out
    }
}

/// Random data augmentation of image batches `[N, C, H, W]`, as torchvision's `RandomCrop(size, padding)`
/// (zero padding) and `RandomHorizontalFlip(p)`. All randomness comes from the generator passed in, drawn
/// serially in image order, so identical seeds give identical batches with any number of threads.
public enum ImageAugmentation {
    /// Per image, the offsets (dy, dx) in `0...(H + 2·padding − size)` × `0...(W + 2·padding − size)` of
    /// the crop window in the padded image, drawn dy then dx (as torchvision's `get_params`).
    public static func cropOffsets(count: Int, height: Int, width: Int, size: Int, padding: Int,
                                   using rng: inout RandomGenerator) -> [(dy: Int, dx: Int)] {
        precondition(size > 0 && padding >= 0 && height + 2 * padding >= size && width + 2 * padding >= size,
                     "ImageAugmentation.cropOffsets: crop \(size) with padding \(padding) does not fit \(height)×\(width)")
        let ry = height + 2 * padding - size + 1, rx = width + 2 * padding - size + 1
        return (0..<count).map { _ in
            let dy = rng.nextInt(below: ry)
            return (dy, rng.nextInt(below: rx))
        }
    }

    /// Per image, whether to mirror it: one uniform draw each, flipped when below `probability`.
    public static func flipDecisions(count: Int, probability: Float = 0.5, using rng: inout RandomGenerator) -> [Bool] {
        precondition((0...1).contains(probability), "ImageAugmentation.flipDecisions: probability \(probability) outside [0, 1]")
        return (0..<count).map { _ in rng.nextUniform() < probability }
    }

    /// Random `size`×`size` crops of `batch` zero-padded by `padding` on every side.
    public static func randomCrop(_ batch: Tensor, size: Int, padding: Int, using rng: inout RandomGenerator) -> Tensor {
        precondition(batch.rank == 4, "ImageAugmentation.randomCrop: expected [N, C, H, W], got \(batch.shape)")
        let offsets = cropOffsets(count: batch.shape[0], height: batch.shape[2], width: batch.shape[3],
                                  size: size, padding: padding, using: &rng)
        return cropAndFlip(batch, size: size, padding: padding, offsets: offsets, flips: nil)
    }

    /// Mirrors each image left–right with the given probability.
    public static func randomHorizontalFlip(_ batch: Tensor, probability: Float = 0.5, using rng: inout RandomGenerator) -> Tensor {
        precondition(batch.rank == 4, "ImageAugmentation.randomHorizontalFlip: expected [N, C, H, W], got \(batch.shape)")
        let flips = flipDecisions(count: batch.shape[0], probability: probability, using: &rng)
        return cropAndFlip(batch, size: nil, padding: 0, offsets: nil, flips: flips)
    }

    /// The deterministic core: crops image i at `offsets[i]` of its zero-padded version (output `size`×`size`;
    /// `size` nil keeps H×W with no crop), then mirrors it when `flips[i]`. One pass, parallel over images.
    public static func cropAndFlip(_ batch: Tensor, size: Int?, padding: Int, offsets: [(dy: Int, dx: Int)]?,
                                   flips: [Bool]?) -> Tensor {
        precondition(batch.rank == 4, "ImageAugmentation.cropAndFlip: expected [N, C, H, W], got \(batch.shape)")
        let (n, c, h, w) = (batch.shape[0], batch.shape[1], batch.shape[2], batch.shape[3])
        precondition(offsets == nil || offsets!.count == n, "ImageAugmentation.cropAndFlip: \(offsets!.count) offsets for \(n) images")
        precondition(flips == nil || flips!.count == n, "ImageAugmentation.cropAndFlip: \(flips!.count) flips for \(n) images")
        let oh = size ?? h, ow = size ?? w
        var out = Tensor(uninitializedShape: [n, c, oh, ow])
        batch.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let s = src.baseAddress!, d = dst.baseAddress!
                WorkerPool.shared.parallelFor(n, minPerPart: 16) { images in
                    for i in images {
                        // Output (y, x) reads padded (y + dy, x + dx) = source (y + dy − padding, x + dx − padding).
                        let (dy, dx) = offsets?[i] ?? (padding, padding)
                        let flip = flips?[i] ?? false
                        let sy = dy - padding, sx = dx - padding
                        for ch in 0..<c {
                            let inPlane = s + (i * c + ch) * h * w
                            let outPlane = d + (i * c + ch) * oh * ow
                            for y in 0..<oh {
                                let row = outPlane + y * ow
                                let yy = y + sy
                                guard yy >= 0 && yy < h else { row.update(repeating: 0, count: ow); continue }
                                let inRow = inPlane + yy * w
                                // Columns x with 0 ≤ x + sx < w come from the image, the rest are padding.
                                let lo = max(0, -sx), hi = min(ow, w - sx)
                                if flip {
                                    // Mirrored: output column x takes the unflipped crop's column ow − 1 − x.
                                    for x in 0..<ow {
                                        let u = ow - 1 - x
                                        row[x] = (u >= lo && u < hi) ? inRow[u + sx] : 0
                                    }
                                } else {
                                    if lo > 0 { row.update(repeating: 0, count: min(lo, ow)) }
                                    if hi > lo { (row + lo).update(from: inRow + lo + sx, count: hi - lo) }
                                    if hi < ow { (row + max(hi, 0)).update(repeating: 0, count: ow - max(hi, 0)) }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}

/// The standard CIFAR training augmentation as one seeded step: random crop with zero padding, random
/// horizontal flip, then per-channel normalisation (the order of torchvision's
/// `Compose([RandomCrop(32, padding=4), RandomHorizontalFlip(), ToTensor(), Normalize(mean, std)])`, so
/// padded pixels are 0 before normalisation). Equivalent to calling `randomCrop`, `randomHorizontalFlip`
/// and the normalisation one after another with the same generator, but copies the batch only once.
public struct Augmentation: Sendable {
    public var cropSize: Int?
    public var padding: Int
    public var flipProbability: Float
    public var normalization: ChannelNormalization?

    public init(cropSize: Int? = nil, padding: Int = 0, flipProbability: Float = 0, normalization: ChannelNormalization? = nil) {
        self.cropSize = cropSize; self.padding = padding; self.flipProbability = flipProbability
        self.normalization = normalization
    }

    /// CIFAR training: 32×32 crops of the image padded by 4, flips with probability ½, then `normalization`.
    public static func cifarTraining(_ normalization: ChannelNormalization?) -> Augmentation {
        Augmentation(cropSize: 32, padding: 4, flipProbability: 0.5, normalization: normalization)
    }

    /// Augments `batch` `[N, C, H, W]`; draws all crop offsets (image order), then all flip decisions.
    public func apply(_ batch: Tensor, using rng: inout RandomGenerator) -> Tensor {
        precondition(batch.rank == 4, "Augmentation.apply: expected [N, C, H, W], got \(batch.shape)")
        let n = batch.shape[0]
        let offsets = cropSize.map {
            ImageAugmentation.cropOffsets(count: n, height: batch.shape[2], width: batch.shape[3], size: $0,
                                          padding: padding, using: &rng)
        }
        let flips = flipProbability > 0 ? ImageAugmentation.flipDecisions(count: n, probability: flipProbability, using: &rng) : nil
        var out = offsets == nil && flips == nil
            ? batch : ImageAugmentation.cropAndFlip(batch, size: cropSize, padding: padding, offsets: offsets, flips: flips)
        normalization?.apply(to: &out)
        return out
    }
}
