import Tensor

/// Where a mini-batch iterator stands: the epoch and the index of the next batch within it. This pair is
/// the iterator's whole state, so a checkpoint that stores it resumes mid-epoch with the same batches.
public struct BatchPosition: Sendable, Codable, Equatable, Hashable {
    public var epoch: Int
    public var batch: Int
    public init(epoch: Int, batch: Int) { self.epoch = epoch; self.batch = batch }
}

/// The batch order of every epoch, a pure function of (seed, epoch): epoch e is shuffled by a generator
/// seeded from `seed` and `e` together, so any epoch's order can be rebuilt without replaying earlier ones.
public struct BatchSchedule: Sendable, Equatable {
    /// Number of examples.
    public let count: Int
    public let batchSize: Int
    public let shuffle: Bool
    /// Drop the last, smaller batch of an epoch (when `count` is not a multiple of `batchSize`).
    public let dropLast: Bool
    public let seed: UInt64

    public init(count: Int, batchSize: Int, shuffle: Bool = true, dropLast: Bool = false, seed: UInt64) {
        precondition(count >= 0 && batchSize > 0, "BatchSchedule: need count ≥ 0 and batchSize > 0, got \(count), \(batchSize)")
        self.count = count; self.batchSize = batchSize; self.shuffle = shuffle; self.dropLast = dropLast; self.seed = seed
    }

    public var batchesPerEpoch: Int { dropLast ? count / batchSize : (count + batchSize - 1) / batchSize }

    /// The order in which epoch `epoch` visits the examples: a permutation of `0..<count`
    /// (the identity when `shuffle` is off).
    public func order(epoch: Int) -> [Int] {
        guard shuffle else { return Array(0..<count) }
        var rng = BatchSchedule.generator(seed: seed, epoch: epoch)
        return rng.permutation(count)
    }

    /// The example indices of batch `batch` of an epoch whose order is `order`.
    public func indices(batch: Int, in order: [Int]) -> ArraySlice<Int> {
        precondition(batch >= 0 && batch < batchesPerEpoch, "BatchSchedule.indices: batch \(batch) outside 0..<\(batchesPerEpoch)")
        return order[(batch * batchSize)..<min((batch + 1) * batchSize, count)]
    }

    /// A generator determined by (seed, epoch, batch, stream), for per-batch randomness such as augmentation
    /// that must also be reproducible from a `BatchPosition` alone. `stream` separates independent uses.
    public static func generator(seed: UInt64, epoch: Int, batch: Int = -1, stream: UInt64 = 0) -> RandomGenerator {
        var h = mix(seed, UInt64(bitPattern: Int64(epoch)))
        h = mix(h, UInt64(bitPattern: Int64(batch)))
        return RandomGenerator(seed: mix(h, stream))
    }

    /// Combines two words through the SplitMix64 finaliser (order matters, nearby inputs give unrelated outputs).
    static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var x = a ^ (b &+ 0x9E37_79B9_7F4A_7C15 &+ (a << 6) &+ (a >> 2))
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        return x ^ (x >> 31)
    }
}

/// One mini-batch: `images` `[B, C, H, W]`, their `labels`, the data-set `indices` they came from and the
/// `position` (epoch, batch) that produced it.
public struct ImageBatch: Sendable {
    public var images: Tensor
    public var labels: [Int32]
    public var indices: [Int]
    public var position: BatchPosition
}

/// A deterministic mini-batch iterator over `LabeledImages`, driven by a `BatchSchedule`.
///
/// `next()` returns the batch at `position` and advances it; at the end of an epoch it returns nil once and
/// moves to the next epoch, so `while let b = batches.next() { … }` is one epoch. Set `position` (e.g. from a
/// checkpoint) to resume anywhere: the batches depend only on (seed, epoch, batch index).
public struct MiniBatches: Sendable {
    public let data: LabeledImages
    public let schedule: BatchSchedule
    public var position: BatchPosition
    private var cachedEpoch: Int?
    private var cachedOrder: [Int] = []

    public init(_ data: LabeledImages, batchSize: Int, shuffle: Bool = true, dropLast: Bool = false, seed: UInt64,
                position: BatchPosition = BatchPosition(epoch: 0, batch: 0)) {
        self.data = data
        self.schedule = BatchSchedule(count: data.count, batchSize: batchSize, shuffle: shuffle, dropLast: dropLast, seed: seed)
        self.position = position
    }

    public var batchesPerEpoch: Int { schedule.batchesPerEpoch }

    /// The order of the current epoch (cached: one permutation per epoch).
    public mutating func currentOrder() -> [Int] {
        if cachedEpoch != position.epoch {
            cachedOrder = schedule.order(epoch: position.epoch)
            cachedEpoch = position.epoch
        }
        return cachedOrder
    }

    /// The batch at `position`, advancing it; nil (and the next epoch) when the epoch is finished.
    public mutating func next() -> ImageBatch? {
        precondition(position.batch >= 0, "MiniBatches.next: negative batch index in \(position)")
        guard position.batch < schedule.batchesPerEpoch else {
            position = BatchPosition(epoch: position.epoch + 1, batch: 0)
            return nil
        }
        let indices = Array(schedule.indices(batch: position.batch, in: currentOrder()))
        let picked = data.gathering(indices)
        let batch = ImageBatch(images: picked.images, labels: picked.labels, indices: indices, position: position)
        position.batch += 1
        return batch
    }
}
