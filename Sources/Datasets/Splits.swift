import Tensor

/// Deterministic, stratified index splits of a labelled data set: a validation set held out of the training
/// set, and class-balanced subsets for reduced-scale runs. All functions return ascending index lists (so the
/// original order is kept) and depend only on the labels and the seed.
public enum Splits {
    /// How much of each class to hold out.
    public enum Amount: Sendable, Equatable {
        /// Exactly `n` images of every class (as MLR-SNet's `num_meta / classes`).
        case perClass(Int)
        /// `fraction` of each class, rounded to the nearest whole image (halves away from zero).
        case fraction(Double)
    }

    /// The indices of each class, ascending: `result[c]` lists the positions whose label is `c`.
    public static func indicesByClass(_ labels: [Int32], classCount: Int) -> [[Int]] {
        var byClass = [[Int]](repeating: [], count: classCount)
        for (i, l) in labels.enumerated() {
            precondition(l >= 0 && Int(l) < classCount, "Splits: label \(l) at index \(i) is outside 0..<\(classCount)")
            byClass[Int(l)].append(i)
        }
        return byClass
    }

    /// Splits `0..<labels.count` into disjoint training and validation index lists, holding out `amount` of
    /// every class, chosen uniformly at random within the class by a generator seeded with `seed` (classes
    /// are visited in order 0, 1, …, each drawing one permutation of its indices).
    public static func stratified(labels: [Int32], classCount: Int, validation amount: Amount,
                                  seed: UInt64) -> (train: [Int], validation: [Int]) {
        let byClass = indicesByClass(labels, classCount: classCount)
        var rng = RandomGenerator(seed: seed)
        var isValidation = [Bool](repeating: false, count: labels.count)
        for (c, members) in byClass.enumerated() {
            let k = count(amount, of: members.count, op: "Splits.stratified", classIndex: c)
            let order = rng.permutation(members.count)
            for j in order.prefix(k) { isValidation[members[j]] = true }
        }
        var train: [Int] = [], validation: [Int] = []
        for i in 0..<labels.count { if isValidation[i] { validation.append(i) } else { train.append(i) } }
        return (train, validation)
    }

    /// How a subset picks its images within each class.
    public enum Selection: Sendable, Equatable {
        /// The first K of the class, in data-set order.
        case first
        /// K chosen uniformly at random, from a generator seeded with this value.
        case random(seed: UInt64)
    }

    /// `perClass` images of every class (ascending indices), e.g. a reduced-scale training set.
    /// Every class must have at least `perClass` images.
    public static func subset(labels: [Int32], classCount: Int, perClass: Int, selection: Selection) -> [Int] {
        let byClass = indicesByClass(labels, classCount: classCount)
        var chosen: [Int] = []
        switch selection {
        case .first:
            for (c, members) in byClass.enumerated() {
                _ = count(.perClass(perClass), of: members.count, op: "Splits.subset", classIndex: c)
                chosen += members.prefix(perClass)
            }
        case .random(let seed):
            var rng = RandomGenerator(seed: seed)
            for (c, members) in byClass.enumerated() {
                _ = count(.perClass(perClass), of: members.count, op: "Splits.subset", classIndex: c)
                let order = rng.permutation(members.count)
                chosen += order.prefix(perClass).map { members[$0] }
            }
        }
        return chosen.sorted()
    }

    /// The number of a class's `available` images that `amount` asks for; traps when there are too few.
    static func count(_ amount: Amount, of available: Int, op: String, classIndex: Int) -> Int {
        switch amount {
        case .perClass(let n):
            precondition(n >= 0 && n <= available, "\(op): asked for \(n) images of class \(classIndex), which has \(available)")
            return n
        case .fraction(let f):
            precondition(f >= 0 && f <= 1, "\(op): fraction \(f) outside [0, 1]")
            return Int((f * Double(available)).rounded())
        }
    }
}

extension LabeledImages {
    /// The images and labels at `indices`, in that order (indices may repeat).
    public func gathering(_ indices: [Int]) -> LabeledImages {
        let per = images.shape.dropFirst().reduce(1, *)
        var shape = images.shape
        shape[0] = indices.count
        var out = Tensor(uninitializedShape: shape)
        var outLabels = [Int32](repeating: 0, count: indices.count)
        for (k, i) in indices.enumerated() {
            precondition(i >= 0 && i < count, "LabeledImages.gathering: index \(i) outside 0..<\(count)")
            outLabels[k] = labels[i]
        }
        images.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let s = src.baseAddress, d = dst.baseAddress
                guard let s, let d else { return }
                WorkerPool.shared.parallelFor(indices.count, minPerPart: 256) { range in
                    for k in range { (d + k * per).update(from: s + indices[k] * per, count: per) }
                }
            }
        }
        return LabeledImages(images: out, labels: outLabels, classCount: classCount)
    }

    /// Holds out a stratified validation set (see `Splits.stratified`).
    public func splittingValidation(_ amount: Splits.Amount, seed: UInt64) -> (train: LabeledImages, validation: LabeledImages) {
        let (t, v) = Splits.stratified(labels: labels, classCount: classCount, validation: amount, seed: seed)
        return (gathering(t), gathering(v))
    }

    /// A class-balanced subset of `perClass` images per class (see `Splits.subset`).
    public func subset(perClass: Int, selection: Splits.Selection) -> LabeledImages {
        gathering(Splits.subset(labels: labels, classCount: classCount, perClass: perClass, selection: selection))
    }

    /// Images per class: `result[c]` counts label `c`.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        for l in labels { counts[Int(l)] += 1 }
        return counts
    }
}
