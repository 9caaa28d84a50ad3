import Foundation
import LearnedSchedule
import Testing

@Suite struct MetaAdamValues {
    /// Two steps by hand, lr 1e-3, β = (0.9, 0.999), ε = 1e-8, λ = 1e-4 (coupled: g' = g + λw),
    /// w = [1, −2, 0.5], g₁ = [0.1, −0.2, 0], g₂ = [0.3, 0.1, −0.4].
    ///
    /// Step 1 (bias corrections 0.1 and 0.001, so m̂ = g', √v̂ = |g'|): g' = [0.1001, −0.2002, 0.00005],
    ///   w −= 1e-3 · g'/(|g'| + 1e-8) → [0.9990000001, −1.99900000005, 0.5 − 1e-3·0.99980004 = 0.49900019996].
    /// Step 2, element 0: g' = 0.3 + 1e-4·0.999 = 0.3000999; m = 0.9·0.01001 + 0.1·0.3000999 = 0.03901899;
    ///   v = 0.999·1.002001e-5 + 0.001·0.3000999² = 1.000699e-4; m̂ = m/0.19 = 0.2053631;
    ///   √v̂ = √(v/0.001999) = 0.2237410; w = 0.9990000001 − 1e-3·0.2053631/0.2237410 = 0.99808214.
    ///   Elements 1, 2 likewise: −1.99873251, 0.49974425.
    /// The Float result must be within 3e-7 of these (w ≈ 2 has a Float ulp of 2.4e-7) and equal to
    /// torch.optim.Adam's float32 result to within one ulp.
    @Test func twoStepsByHand() {
        var adam = MetaAdam()
        #expect(adam.learningRate == 1e-3 && adam.weightDecay == 1e-4 && adam.beta1 == 0.9 && adam.beta2 == 0.999 && adam.eps == 1e-8)
        var w: [Float] = [1, -2, 0.5]
        adam.step(weights: &w, gradients: [0.1, -0.2, 0])
        let step1: [Double] = [0.9990000000999001, -1.9990000000499502, 0.499000199960008]
        for i in 0..<3 { #expect(abs(Double(w[i]) - step1[i]) <= 3e-7, "step 1 [\(i)]: \(w[i]) vs \(step1[i])") }
        #expect(adam.expAvg.enumerated().allSatisfy { abs(Double($0.element) - [0.01001, -0.02002, 5e-6][$0.offset]) <= 1e-9 })
        adam.step(weights: &w, gradients: [0.3, 0.1, -0.4])
        let step2: [Double] = [0.9980821389654975, -1.998732505374611, 0.49974425302562603]
        for i in 0..<3 { #expect(abs(Double(w[i]) - step2[i]) <= 3e-7, "step 2 [\(i)]: \(w[i]) vs \(step2[i])") }
        let torch: [Float] = [0.998082160949707, -1.9987324476242065, 0.4997442364692688]
        for i in 0..<3 { #expect(abs(w[i] - torch[i]) <= torch[i].magnitude.ulp, "vs PyTorch [\(i)]: \(w[i]) vs \(torch[i])") }
        #expect(adam.stepCount == 2)
    }

    /// `step(&cell)` applies the same rule to θ from the cell's gradients, and makes the cell's forward stale.
    @Test func stepOnCellEqualsArrayStep() throws {
        var cell = makeCell(.referenceMetaTest, hidden: 6)
        cell.forward(loss: 1.3)
        try cell.backward(dp: 0.5)
        var w = cell.weights
        let g = cell.gradients
        var a = MetaAdam(), b = MetaAdam()
        a.step(&cell)
        b.step(weights: &w, gradients: g)
        #expect(cell.weights == w && cell.weights != g)
        #expect(throws: MLRSNetCellError.weightsChangedSinceForward) { try cell.commitState() }
        #expect(cell.gradients == g, "step must not zero the gradients")
    }

    /// Save after one step (through JSON), restore, continue: identical to an uninterrupted run.
    @Test func stateRoundTrip() throws {
        var a = MetaAdam(lr: 0.01, weightDecay: 0.1)
        var w: [Float] = [0.3, -0.7]
        a.step(weights: &w, gradients: [1, 2])
        let saved = try JSONDecoder().decode(MetaAdam.State.self, from: JSONEncoder().encode(a.state))
        var b = try MetaAdam(state: saved)
        #expect(b == a)
        var w2 = w
        a.step(weights: &w, gradients: [-0.5, 0.25])
        b.step(weights: &w2, gradients: [-0.5, 0.25])
        #expect(w == w2 && a == b)
        var broken = a.state
        broken.expAvgSq[0] = -1
        #expect(throws: MLRSNetCellError.self) { try MetaAdam(state: broken) }
        broken = a.state
        broken.expAvg = []
        #expect(throws: MLRSNetCellError.self) { try MetaAdam(state: broken) }
    }
}
