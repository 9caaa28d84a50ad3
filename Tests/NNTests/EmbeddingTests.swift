import Testing
import NN
import Tensor
import TestSupport

@Suite struct EmbeddingTests {
    @Test func forwardCopiesRowsForEveryTokenAPI() {
        var rng = RandomGenerator(seed: 1)
        let emb = Embedding(vocabularySize: 7, dimension: 3, rng: &rng)
        #expect(emb.weight.value.shape == [7, 3])
        #expect(emb.weight.name == "weight")
        let ids: [Int32] = [6, 0, 3, 3, 1, 5]   // [T=3, B=2]
        let y = emb.forward(tokens: ids, shape: [3, 2])
        #expect(y.shape == [3, 2, 3])
        for n in 0..<ids.count {
            for j in 0..<3 {
                #expect(y[flat: n * 3 + j] == emb.weight.value[Int(ids[n]), j])
            }
        }
        #expect(emb.forward(tokens: ids.map { Int($0) }, shape: [3, 2]) == y)
        let asFloats = Tensor(shape: [3, 2], values: ids.map { Float($0) })
        #expect(emb.forward(asFloats) == y)
    }

    @Test func backwardScatterAddsRepeatedTokens() {
        var rng = RandomGenerator(seed: 2)
        let emb = Embedding(vocabularySize: 5, dimension: 4, rng: &rng)
        let ids: [Int32] = [2, 4, 2, 0, 2, 4]
        _ = emb.forward(tokens: ids, shape: [2, 3])
        let dy = Tensor.normal([2, 3, 4], using: &rng)
        emb.zeroGrad()
        emb.backwardTokens(dy)
        // Expected: each row is the sum (in token order) of the dY rows of its occurrences.
        var expected = [Float](repeating: 0, count: 5 * 4)
        for n in 0..<ids.count {
            for j in 0..<4 { expected[Int(ids[n]) * 4 + j] += dy[flat: n * 4 + j] }
        }
        #expect(emb.weight.grad == Tensor(shape: [5, 4], values: expected))
        // Rows of unused tokens stay zero; backward adds to what is there.
        #expect(emb.weight.grad[1, 0] == 0 && emb.weight.grad[3, 3] == 0)
        emb.backwardTokens(dy)
        for n in 0..<ids.count {
            for j in 0..<4 { expected[Int(ids[n]) * 4 + j] += dy[flat: n * 4 + j] }
        }
        #expect(emb.weight.grad == Tensor(shape: [5, 4], values: expected))
    }

    @Test func layerBackwardReturnsZerosOfTokenShape() {
        var rng = RandomGenerator(seed: 3)
        let emb = Embedding(vocabularySize: 4, dimension: 2, rng: &rng)
        let x = Tensor(shape: [2, 2], values: [0, 1, 2, 3])
        let y = emb.forward(x)
        let dx = emb.backward(Tensor.ones(y.shape))
        #expect(dx == Tensor.zeros([2, 2]))
    }

    @Test func gradientCheckWeight() {
        var rng = RandomGenerator(seed: 4)
        let emb = Embedding(vocabularySize: 9, dimension: 5, rng: &rng)
        // Tokens as Float ids [T=4, B=3] with repeats (3 and 7 occur several times).
        let x = Tensor(shape: [4, 3], values: [3, 7, 0, 3, 8, 7, 1, 3, 7, 5, 2, 3])
        let report = checkGradients(emb, input: x, checkInput: false,
                                    options: { var o = GradientCheckOptions(); o.maxCoordinatesPerTensor = 0; return o }())
        #expect(report.passed, "\(report.summary)")
    }
}
