import Testing
import Datasets
import Tensor

/// 10 classes where class c has 20 + c members, in a shuffled order.
private func unevenLabels() -> [Int32] {
    var labels: [Int32] = []
    for c in 0..<10 { labels += [Int32](repeating: Int32(c), count: 20 + c) }
    var rng = RandomGenerator(seed: 99)
    return rng.permutation(labels.count).map { labels[$0] }
}

/// A small data set whose image i is filled with the value i (so gathered rows are recognisable).
private func numberedImages(_ labels: [Int32]) -> LabeledImages {
    var values: [Float] = []
    for i in 0..<labels.count { values += [Float](repeating: Float(i), count: 2 * 2 * 2) }
    return LabeledImages(images: Tensor(shape: [labels.count, 2, 2, 2], values: values), labels: labels, classCount: 10)
}

private func perClass(_ indices: [Int], _ labels: [Int32]) -> [Int] {
    var counts = [Int](repeating: 0, count: 10)
    for i in indices { counts[Int(labels[i])] += 1 }
    return counts
}

@Suite struct SplitSelection {
    @Test func stratifiedPerClassIsDisjointAndExact() {
        let labels = unevenLabels()
        let (train, validation) = Splits.stratified(labels: labels, classCount: 10, validation: .perClass(5), seed: 1)
        #expect(perClass(validation, labels) == [Int](repeating: 5, count: 10))
        #expect(perClass(train, labels) == (0..<10).map { 15 + $0 })
        #expect(Set(train).isDisjoint(with: validation))
        #expect((train + validation).sorted() == Array(0..<labels.count))
        #expect(train == train.sorted() && validation == validation.sorted())
        // Deterministic by seed; other seeds choose other images.
        let again = Splits.stratified(labels: labels, classCount: 10, validation: .perClass(5), seed: 1)
        #expect(again.train == train && again.validation == validation)
        let other = Splits.stratified(labels: labels, classCount: 10, validation: .perClass(5), seed: 2)
        #expect(other.validation != validation)
        #expect(perClass(other.validation, labels) == [Int](repeating: 5, count: 10))
    }

    @Test func stratifiedFractionRoundsPerClass() {
        let labels = unevenLabels()
        let (train, validation) = Splits.stratified(labels: labels, classCount: 10, validation: .fraction(0.25), seed: 4)
        // round(0.25 · (20 + c)) for c = 0…9 (halves round up: 5.5 → 6, 6.5 → 7).
        #expect(perClass(validation, labels) == [5, 5, 6, 6, 6, 6, 7, 7, 7, 7])
        #expect(Set(train).isDisjoint(with: validation) && train.count + validation.count == labels.count)
        #expect(Splits.stratified(labels: labels, classCount: 10, validation: .fraction(0), seed: 4).validation.isEmpty)
    }

    @Test func subsetsPickKPerClass() {
        let labels = unevenLabels()
        let byClass = Splits.indicesByClass(labels, classCount: 10)
        let first = Splits.subset(labels: labels, classCount: 10, perClass: 3, selection: .first)
        #expect(first == byClass.flatMap { $0.prefix(3) }.sorted())
        let random = Splits.subset(labels: labels, classCount: 10, perClass: 3, selection: .random(seed: 8))
        #expect(perClass(random, labels) == [Int](repeating: 3, count: 10))
        #expect(random == Splits.subset(labels: labels, classCount: 10, perClass: 3, selection: .random(seed: 8)))
        #expect(random != Splits.subset(labels: labels, classCount: 10, perClass: 3, selection: .random(seed: 9)))
        #expect(random != first)
        #expect(Set(random).count == 30)
    }

    @Test func gatheringFollowsIndices() {
        let labels = unevenLabels()
        let set = numberedImages(labels)
        let picked = set.gathering([7, 3, 3, 200])
        #expect(picked.images.shape == [4, 2, 2, 2])
        #expect(picked.labels == [labels[7], labels[3], labels[3], labels[200]])
        #expect(picked.images.scalars == [7, 3, 3, 200].flatMap { [Float](repeating: Float($0), count: 8) })
        #expect(set.gathering([]).count == 0)

        let (train, validation) = set.splittingValidation(.perClass(2), seed: 3)
        #expect(validation.classCounts == [Int](repeating: 2, count: 10))
        #expect(train.count + validation.count == set.count)
        let trainIDs = Set(train.images.scalars), validationIDs = Set(validation.images.scalars)
        #expect(trainIDs.isDisjoint(with: validationIDs))
        #expect(set.subset(perClass: 4, selection: .first).classCounts == [Int](repeating: 4, count: 10))
    }
}
