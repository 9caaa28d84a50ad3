import Foundation
import Testing
import Datasets
import Tensor

/// `count` images of shape [2, 3, 3] whose every value is the image's index; labels index % 10.
private func numbered(_ count: Int) -> LabeledImages {
    var values: [Float] = []
    for i in 0..<count { values += [Float](repeating: Float(i), count: 18) }
    return LabeledImages(images: Tensor(shape: [count, 2, 3, 3], values: values),
                         labels: (0..<count).map { Int32($0 % 10) }, classCount: 10)
}

/// All batches of the current epoch (until `next()` returns nil).
private func epoch(_ batches: inout MiniBatches) -> [ImageBatch] {
    var out: [ImageBatch] = []
    while let b = batches.next() { out.append(b) }
    return out
}

@Suite struct MiniBatchIteration {
    @Test func visitsEveryIndexOncePerEpoch() {
        let data = numbered(103)
        var batches = MiniBatches(data, batchSize: 10, seed: 42)
        #expect(batches.batchesPerEpoch == 11)
        var orders: [[Int]] = []
        for e in 0..<3 {
            let all = epoch(&batches)
            #expect(all.count == 11)
            #expect(all.map(\.images.shape[0]) == [Int](repeating: 10, count: 10) + [3])
            let order = all.flatMap(\.indices)
            #expect(order.sorted() == Array(0..<103))
            #expect(all.enumerated().allSatisfy { $0.element.position == BatchPosition(epoch: e, batch: $0.offset) })
            // Each batch holds the images and labels of its indices.
            for b in all {
                #expect(b.images.shape == [b.indices.count, 2, 3, 3])
                #expect(b.images.scalars == b.indices.flatMap { [Float](repeating: Float($0), count: 18) })
                #expect(b.labels == b.indices.map { Int32($0 % 10) })
            }
            orders.append(order)
            #expect(batches.position == BatchPosition(epoch: e + 1, batch: 0))
        }
        #expect(orders[0] != orders[1] && orders[1] != orders[2])   // reshuffled every epoch
        #expect(orders[0] != Array(0..<103))
    }

    @Test func orderIsReproducibleFromSeedAndEpoch() throws {
        let data = numbered(57)
        var a = MiniBatches(data, batchSize: 8, seed: 7)
        _ = epoch(&a); _ = epoch(&a)
        for _ in 0..<3 { _ = a.next() }
        #expect(a.position == BatchPosition(epoch: 2, batch: 3))
        // A checkpoint stores only the position; a fresh iterator resumes with identical batches.
        let saved = try JSONEncoder().encode(a.position)
        var b = MiniBatches(data, batchSize: 8, seed: 7, position: try JSONDecoder().decode(BatchPosition.self, from: saved))
        let restOfA = epoch(&a), restOfB = epoch(&b)
        #expect(restOfA.map(\.indices) == restOfB.map(\.indices))
        #expect(restOfA.count == 8 - 3)
        #expect(zip(restOfA, restOfB).allSatisfy { $0.images == $1.images && $0.labels == $1.labels })
        // The schedule alone rebuilds any epoch's order; another seed gives another order.
        let schedule = BatchSchedule(count: 57, batchSize: 8, seed: 7)
        #expect(schedule.order(epoch: 2) == schedule.order(epoch: 2))
        #expect(schedule.order(epoch: 2).suffix(57 - 24).prefix(8).elementsEqual(restOfA[0].indices))
        #expect(schedule.order(epoch: 2) != BatchSchedule(count: 57, batchSize: 8, seed: 8).order(epoch: 2))
        #expect(schedule.order(epoch: 2) != schedule.order(epoch: 3))
    }

    @Test func dropLastAndNoShuffle() {
        let data = numbered(23)
        var dropping = MiniBatches(data, batchSize: 5, dropLast: true, seed: 1)
        #expect(dropping.batchesPerEpoch == 4)
        var seen = Set<Int>()
        for _ in 0..<5 {
            let all = epoch(&dropping)
            #expect(all.count == 4 && all.allSatisfy { $0.indices.count == 5 })
            let ids = all.flatMap(\.indices)
            #expect(Set(ids).count == 20)
            seen.formUnion(ids)
        }
        #expect(seen.count == 23)   // the dropped 3 change from epoch to epoch
        var ordered = MiniBatches(data, batchSize: 5, shuffle: false, seed: 1)
        #expect(epoch(&ordered).flatMap(\.indices) == Array(0..<23))
        #expect(epoch(&ordered).flatMap(\.indices) == Array(0..<23))
    }

    @Test func derivedGeneratorsAreDeterministicAndDistinct() {
        var a = BatchSchedule.generator(seed: 5, epoch: 3, batch: 17)
        var b = BatchSchedule.generator(seed: 5, epoch: 3, batch: 17)
        #expect(a.next() == b.next())
        var values = Set<UInt64>()
        for seed: UInt64 in 0..<3 { for e in 0..<3 { for batch in -1..<3 { for stream: UInt64 in 0..<2 {
            var g = BatchSchedule.generator(seed: seed, epoch: e, batch: batch, stream: stream)
            values.insert(g.next())
        } } } }
        #expect(values.count == 3 * 3 * 4 * 2)
    }
}
