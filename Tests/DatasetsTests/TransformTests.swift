import Testing
import Datasets
import Tensor

/// A batch whose every value is distinct and nonzero (1 + 1000·n + 100·c + 10·y + x), so zero padding and
/// misplaced pixels are both visible.
private func labelledBatch(n: Int, c: Int, h: Int, w: Int) -> Tensor {
    var values: [Float] = []
    for i in 0..<n { for ch in 0..<c { for y in 0..<h { for x in 0..<w {
        values.append(Float(1 + 1000 * i + 100 * ch + 10 * y + x))
    } } } }
    return Tensor(shape: [n, c, h, w], values: values)
}

/// Straightforward reference: pad with zeros, cut the window at (dy, dx), then mirror if asked.
private func referenceCrop(_ x: Tensor, image i: Int, size: Int, padding p: Int, dy: Int, dx: Int, flip: Bool) -> [Float] {
    let (c, h, w) = (x.shape[1], x.shape[2], x.shape[3])
    var out: [Float] = []
    for ch in 0..<c { for y in 0..<size { for xo in 0..<size {
        let u = flip ? size - 1 - xo : xo
        let sy = y + dy - p, sx = u + dx - p
        out.append(sy >= 0 && sy < h && sx >= 0 && sx < w ? x[i, ch, sy, sx] : 0)
    } } }
    return out
}

@Suite struct Transforms {
    @Test func cropShiftsContentByTheOffset() {
        let x = labelledBatch(n: 1, c: 2, h: 4, w: 5)
        // Padding 2, window 4×4: offset (0, 0) shows the top-left padding, so output (2, 2) is source (0, 0).
        let a = ImageAugmentation.cropAndFlip(x, size: 4, padding: 2, offsets: [(0, 0)], flips: nil)
        #expect(a.shape == [1, 2, 4, 4])
        #expect(a[0, 0, 2, 2] == x[0, 0, 0, 0])
        #expect(a[0, 1, 3, 3] == x[0, 1, 1, 1])
        #expect(a[0, 0, 1, 3] == 0 && a[0, 0, 3, 1] == 0)
        // Offset (3, 1): output (y, x) is source (y + 1, x − 1).
        let b = ImageAugmentation.cropAndFlip(x, size: 4, padding: 2, offsets: [(3, 1)], flips: nil)
        #expect(b[0, 1, 0, 1] == x[0, 1, 1, 0])
        #expect(b[0, 0, 2, 4 - 1] == x[0, 0, 3, 2])
        #expect(b[0, 0, 3, 0] == 0)   // column −1
        // Offset (padding, padding) with no resize is the identity.
        #expect(ImageAugmentation.cropAndFlip(x, size: nil, padding: 2, offsets: [(2, 2)], flips: nil) == x)
    }

    @Test func cropAndFlipMatchReferenceForEveryOffset() {
        let x = labelledBatch(n: 2, c: 3, h: 5, w: 6)
        for size in [3, 5] {
            let p = 2
            for dy in 0...(5 + 2 * p - size) { for dx in 0...(6 + 2 * p - size) { for flip in [false, true] {
                let out = ImageAugmentation.cropAndFlip(x, size: size, padding: p, offsets: [(dy, dx), (0, 0)], flips: [flip, false])
                let got = Array(out.scalars.prefix(3 * size * size))
                #expect(got == referenceCrop(x, image: 0, size: size, padding: p, dy: dy, dx: dx, flip: flip),
                        "size \(size) offset (\(dy), \(dx)) flip \(flip)")
            } } }
        }
    }

    @Test func flipMirrorsRows() {
        let x = labelledBatch(n: 3, c: 2, h: 3, w: 4)
        let f = ImageAugmentation.cropAndFlip(x, size: nil, padding: 0, offsets: nil, flips: [true, false, true])
        for ch in 0..<2 { for y in 0..<3 { for c in 0..<4 {
            #expect(f[0, ch, y, c] == x[0, ch, y, 3 - c])
            #expect(f[1, ch, y, c] == x[1, ch, y, c])
            #expect(f[2, ch, y, c] == x[2, ch, y, 3 - c])
        } } }
        #expect(ImageAugmentation.cropAndFlip(f, size: nil, padding: 0, offsets: nil, flips: [true, false, true]) == x)
    }

    @Test func seedsDetermineTheResult() {
        var data = RandomGenerator(seed: 7)
        let x = Tensor.uniform([64, 3, 32, 32], using: &data)
        func run(_ seed: UInt64) -> Tensor {
            var rng = RandomGenerator(seed: seed)
            return Augmentation.cifarTraining(.cifar10).apply(x, using: &rng)
        }
        #expect(run(1) == run(1))
        #expect(run(1) != run(2))
        // Crop offsets cover 0…8 and flips are about half (fixed seed, so this cannot flake).
        var rng = RandomGenerator(seed: 3)
        let offsets = ImageAugmentation.cropOffsets(count: 2000, height: 32, width: 32, size: 32, padding: 4, using: &rng)
        #expect(Set(offsets.map(\.dy)) == Set(0...8) && Set(offsets.map(\.dx)) == Set(0...8))
        let flips = ImageAugmentation.flipDecisions(count: 2000, using: &rng).filter { $0 }.count
        #expect(flips > 900 && flips < 1100)
        // No padding and a full-size window is the identity whatever the seed.
        #expect(ImageAugmentation.randomCrop(x, size: 32, padding: 0, using: &rng) == x)
    }

    @Test func fusedAugmentationEqualsTheStepsInSequence() {
        var data = RandomGenerator(seed: 11)
        let x = Tensor.uniform([16, 3, 32, 32], using: &data)
        var a = RandomGenerator(seed: 5), b = RandomGenerator(seed: 5)
        let fused = Augmentation.cifarTraining(.cifar100).apply(x, using: &a)
        var stepwise = ImageAugmentation.randomCrop(x, size: 32, padding: 4, using: &b)
        stepwise = ImageAugmentation.randomHorizontalFlip(stepwise, using: &b)
        stepwise = ChannelNormalization.cifar100(stepwise)
        #expect(fused == stepwise)
        #expect(a == b)   // both consumed the same draws
    }

    @Test func normalisationIsExact() {
        var data = RandomGenerator(seed: 13)
        let x = Tensor.uniform([5, 3, 4, 6], using: &data)
        let norm = ChannelNormalization(mean: [0.1, 0.5, 0.9], std: [0.2, 0.3, 0.7])
        let y = norm(x)
        for i in 0..<5 { for c in 0..<3 { for r in 0..<4 { for k in 0..<6 {
            #expect(y[i, c, r, k] == (x[i, c, r, k] - norm.mean[c]) / norm.std[c])
        } } } }
        // Fitted statistics: channel c of every image is filled with values of known mean and deviation.
        var values: [Float] = []
        for _ in 0..<2 { for c in 0..<2 { for k in 0..<8 { values.append(Float(c) + (k % 2 == 0 ? 0.25 : 0.75)) } } }
        let fitted = ChannelNormalization.fitted(to: Tensor(shape: [2, 2, 2, 4], values: values))
        #expect(fitted.mean == [0.5, 1.5])
        #expect(fitted.std == [0.25, 0.25])
    }
}
