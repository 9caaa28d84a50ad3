import Datasets
import Tensor

/// A tiny, learnable image problem for training tests: 8×8 grey images whose class (0–3) is the quadrant
/// that is brighter by 1, plus N(0, 0.3²) noise. Deterministic by `seed`.
public func quadrantImages(count: Int, seed: UInt64) -> LabeledImages {
    var rng = RandomGenerator(seed: seed)
    var x = Tensor.normal([count, 1, 8, 8], std: 0.3, using: &rng)
    var labels = [Int32]()
    x.withUnsafeMutableBufferPointer { p in
        for i in 0..<count {
            let c = i % 4
            labels.append(Int32(c))
            for r in 0..<4 { for q in 0..<4 { p[i * 64 + (r + 4 * (c / 2)) * 8 + q + 4 * (c % 2)] += 1 } }
        }
    }
    return LabeledImages(images: x, labels: labels, classCount: 4)
}
