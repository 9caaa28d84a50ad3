import Foundation
import Testing
import NN
import Tensor
import TestSupport

/// Double-precision reference: mean loss and gradient (softmax − onehot)/N.
private func reference(_ z: Tensor, _ labels: [Int]) -> (loss: Double, gradient: [Double]) {
    let c = z.shape[z.rank - 1], n = z.count / c
    let v = z.scalars
    var loss = 0.0
    var grad = [Double](repeating: 0, count: v.count)
    for r in 0..<n {
        let row = v[(r * c)..<((r + 1) * c)].map(Double.init)
        let m = row.max()!
        let e = row.map { exp($0 - m) }
        let s = e.reduce(0, +)
        loss += log(s) - (row[labels[r]] - m)
        for j in 0..<c { grad[r * c + j] = (e[j] / s - (j == labels[r] ? 1 : 0)) / Double(n) }
    }
    return (loss / Double(n), grad)
}

@Suite struct SoftmaxCrossEntropyTests {
    /// logits [[1, 2, 3], [1, 1, 1]], labels [2, 0].
    /// Row 0: max 3; Σexp(z − 3) = e⁻² + e⁻¹ + 1 = 0.135335 + 0.367879 + 1 = 1.503215,
    ///   loss₀ = log 1.503215 − (3 − 3) = 0.407606; softmax = [0.090031, 0.244728, 0.665241].
    /// Row 1: all equal → softmax 1/3 each, loss₁ = log 3 = 1.098612.
    /// Mean loss = (0.407606 + 1.098612)/2 = 0.753109.
    /// Gradient = (softmax − onehot)/2:
    ///   row 0 = [0.090031, 0.244728, 0.665241 − 1]/2 = [0.045015, 0.122364, −0.167380],
    ///   row 1 = [1/3 − 1, 1/3, 1/3]/2 = [−0.333333, 0.166667, 0.166667].
    /// Argmax: row 0 → 2 (= label), row 1 → 0 (first of the tie, = label): 2 correct.
    @Test func handComputedTwoByThree() {
        let z = Tensor(shape: [2, 3], values: [1, 2, 3, 1, 1, 1])
        let ce = SoftmaxCrossEntropy()
        let (loss, grad) = ce(logits: z, labels: [2, 0])
        #expect(abs(loss - 0.753_109_13) < 1e-6)
        let expected = Tensor(shape: [2, 3], values: [0.045_015_29, 0.122_364_24, -0.167_379_52,
                                                      -0.333_333_33, 0.166_666_67, 0.166_666_67])
        #expect(maxAbsDifference(grad, expected) < 1e-6)
        let r = ce.evaluate(logits: z, labels: [2, 0], computeGradient: false)
        #expect(r.gradient == nil && r.correct == 2 && r.count == 2 && r.accuracy == 1)
        #expect(r.loss == loss)
        #expect(ce.evaluate(logits: z, labels: [1, 2]).correct == 0)
    }

    /// Central differences of the loss itself (ε = 1e-2): the loss is a Float near 1, so rounding
    /// adds ≲ 1e-7/2e-2 = 5e-6 and truncation ε²/6·|f‴| ≲ 2e-6; 5e-5 absolute is 10× that.
    @Test func gradientMatchesFiniteDifferences() {
        var rng = RandomGenerator(seed: 1)
        let z = Tensor.normal([4, 7], std: 2, using: &rng)
        let labels = [3, 0, 6, 2]
        let ce = SoftmaxCrossEntropy()
        let (_, grad) = ce(logits: z, labels: labels)
        let eps: Float = 1e-2
        for i in 0..<z.count {
            var zp = z; zp[flat: i] += eps
            var zm = z; zm[flat: i] -= eps
            let num = (ce(logits: zp, labels: labels).loss - ce(logits: zm, labels: labels).loss) / (2 * eps)
            #expect(abs(num - grad[flat: i]) < 5e-5, "logit \(i): numeric \(num) vs analytic \(grad[flat: i])")
        }
    }

    /// Language-model-sized rows (C = 10,000 > the 4096-element flush, with a tail) and a short row
    /// (C = 5, tail only), against Double: loss to 1e-6 relative, gradient to 1e-6/N absolute
    /// (entries are at most 1/N; float32 exp and sums give ~3e-7 relative).
    @Test func matchesDoubleReference() {
        var rng = RandomGenerator(seed: 2)
        for (n, c) in [(48, 10_000), (37, 5), (9, 1000)] {
            let z = Tensor.normal([n, c], std: 3, using: &rng)
            let labels = (0..<n).map { _ in rng.nextInt(below: c) }
            let (loss, grad) = SoftmaxCrossEntropy()(logits: z, labels: labels)
            let ref = reference(z, labels)
            #expect(abs(Double(loss) - ref.loss) <= 1e-6 * ref.loss, "loss \(loss) vs \(ref.loss) for [\(n), \(c)]")
            let err = zip(grad.scalars, ref.gradient).map { abs(Double($0) - $1) }.max()!
            #expect(err <= 1e-6 / Double(n), "gradient error \(err) for [\(n), \(c)]")
        }
    }

    /// One-row logits (0, t) with label 0: ∂loss/∂z₁ = e^t/(1 + e^t) checks the vectorised exp over
    /// [−86.9, 0] to 1e-6 relative (~16 float ulps; it is ~1–2 ulps plus the division). One row per call
    /// so the gradient stays a normal float (with N rows it is divided by N and would go subnormal).
    /// Below −87 the exp is flushed to exactly 0 (the true value is < 1.7e-38).
    @Test func expAccuracyOverRange() {
        var worst = 0.0
        let ce = SoftmaxCrossEntropy()
        for t in stride(from: -86.9, through: 0.0, by: 0.0137).map({ Float($0) }) {
            let (_, grad) = ce(logits: Tensor(shape: [1, 2], values: [0, t]), labels: [0])
            let e = exp(Double(t)), p = e / (1 + e)
            worst = max(worst, abs(Double(grad[0, 1]) - p) / p)
        }
        #expect(worst < 1e-6, "worst relative error \(worst)")
        let tiny = ce(logits: Tensor(shape: [1, 2], values: [0, -95]), labels: [0])
        #expect(tiny.gradient[0, 1] == 0 && tiny.loss == 0)
    }

    @Test func numericallyStableForHugeLogits() {
        let z = Tensor(shape: [2, 3], values: [1000, -1000, 0, 50, 80, 80])
        let r = SoftmaxCrossEntropy().evaluate(logits: z, labels: [1, 0])
        // Row 0: loss = log(1 + e⁻¹⁰⁰⁰ + e⁻¹⁰⁰⁰) − (−1000 − 1000) = 2000.
        // Row 1: max 80; loss = log(e⁻³⁰ + 2) − (50 − 80) = log 2 + 30 (+1e-13).
        let expected = (2000 + 30 + log(2.0)) / 2
        #expect(abs(Double(r.loss) - expected) < 1e-4)
        #expect(r.gradient!.isFinite)
        #expect(r.correct == 0)
    }

    @Test func higherRankLogitsAreRows() {
        var rng = RandomGenerator(seed: 3)
        let z = Tensor.normal([3, 2, 11], using: &rng)
        let labels = [0, 10, 5, 4, 3, 2]
        let (loss, grad) = SoftmaxCrossEntropy()(logits: z, labels: labels)
        let (loss2, grad2) = SoftmaxCrossEntropy()(logits: z.reshaped([6, 11]), labels: labels)
        #expect(loss == loss2)
        #expect(grad.shape == [3, 2, 11] && grad.reshaped([6, 11]) == grad2)
    }

    @Test func labelOutOfRangeTraps() async {
        await #expect(processExitsWith: .failure) {
            _ = SoftmaxCrossEntropy()(logits: Tensor.zeros([2, 3]), labels: [0, 3])
        }
    }
}
