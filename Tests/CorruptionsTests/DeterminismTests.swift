import Corruptions
import Tensor
import Testing

@Suite struct DeterminismTests {
    static let random: [Corruption] = [.gaussianNoise, .shotNoise, .impulseNoise, .speckleNoise, .glassBlur, .motionBlur,
                                       .snow, .frost, .fog, .elasticTransform]

    /// Same seed → same bytes; another seed → different bytes (for the corruptions that draw random numbers);
    /// deterministic corruptions ignore the seed.
    @Test(arguments: Corruption.allCases) func bySeed(corruption: Corruption) {
        let img = Img.synthetic(count: 3)
        let a = Img.corrupt(img, corruption, 3, seed: 42), b = Img.corrupt(img, corruption, 3, seed: 42)
        let c = Img.corrupt(img, corruption, 3, seed: 43)
        #expect(a == b)
        #expect(a.count == img.count)
        if Self.random.contains(corruption) { #expect(a != c, "\(corruption.rawValue) ignores its seed") } else { #expect(a == c) }
    }

    /// One thread or two, and any split of the images, gives bit-identical output: each image's generator
    /// depends only on (seed, corruption, severity, index).
    @Test func byThreadCountAndSplit() {
        let img = Img.synthetic(count: 40)
        for c in [Corruption.gaussianNoise, .snow, .frost, .elasticTransform, .glassBlur] {
            let one = CorruptionEngine.corrupt(img, count: 40, height: 32, width: 32, corruption: c, severity: 4, seed: 9,
                                               pool: WorkerPool(threadCount: 1))
            let two = CorruptionEngine.corrupt(img, count: 40, height: 32, width: 32, corruption: c, severity: 4, seed: 9,
                                               pool: WorkerPool(threadCount: 2))
            #expect(one == two, "\(c.rawValue): 1 vs 2 threads")
            // The second half alone, with its indices, matches the second half of the whole run.
            let half = CorruptionEngine.corrupt(Array(img[(20 * Img.size)...]), count: 20, height: 32, width: 32,
                                                corruption: c, severity: 4, seed: 9, firstIndex: 20)
            #expect(half == Array(one[(20 * Img.size)...]), "\(c.rawValue): split run differs")
        }
    }

    /// Different images of one run get different noise (the index is mixed into the seed).
    @Test func imagesGetDifferentDraws() {
        let out = Img.corrupt(Img.constant(128, count: 2), .gaussianNoise, 5)
        #expect(Array(out[0..<Img.size]) != Array(out[Img.size...]))
    }

    /// Severity 5 changes the image more than severity 1 for every corruption (mean absolute change).
    /// (Pixelate is measured on noise: on smooth gradients a 30-block grid misaligns more than a 20-block one.)
    @Test(arguments: Corruption.allCases) func severityOrdersTheChange(corruption: Corruption) {
        let img = corruption == .pixelate ? Img.random(count: 6) : Img.synthetic(count: 6)
        func change(_ s: Int) -> Double {
            zip(img, Img.corrupt(img, corruption, s)).reduce(0.0) { $0 + abs(Double($1.0) - Double($1.1)) } / Double(img.count)
        }
        // Not monotone by definition: saturate's table (0.3, 0.1, 1.5, 2, 2.5 × saturation) and elastic's affine
        // jitter (2.56 px at severity 1, 0.96 px at 5).
        if corruption == .saturate || corruption == .elasticTransform { return }
        #expect(change(5) > change(1), "\(corruption.rawValue): \(change(1)) → \(change(5))")
    }
}
