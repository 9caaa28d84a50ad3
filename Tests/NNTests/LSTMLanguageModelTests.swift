import Testing
import NN
import Tensor
import TestSupport

@Suite struct LSTMLanguageModelTests {
    /// Token ids `[T, B]` as Float values, drawn from `0..<V`.
    private func tokens(_ T: Int, _ B: Int, vocabulary V: Int, rng: inout RandomGenerator) -> Tensor {
        Tensor(shape: [T, B], values: (0..<(T * B)).map { _ in Float(rng.nextInt(below: V)) })
    }

    @Test func parameterNamesLikeWordLanguageModel() {
        var rng = RandomGenerator(seed: 1)
        let untied = LSTMLanguageModel(vocabularySize: 11, embeddingSize: 5, hiddenSize: 6, layers: 2, rng: &rng)
        #expect(untied.parameters.map(\.name) == [
            "encoder.weight",
            "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
            "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1",
            "decoder.weight", "decoder.bias"])
        #expect(untied.encoder.weight.value.shape == [11, 5] && untied.encoder.weight.value.maxAbs() <= 0.1)
        #expect(untied.decoderWeight.value.shape == [11, 6] && untied.decoderWeight.value.maxAbs() <= 0.1)
        #expect(untied.decoderBias.value == Tensor.zeros([11]))

        let tied = LSTMLanguageModel(vocabularySize: 11, embeddingSize: 6, hiddenSize: 6, layers: 1,
                                     tiedWeights: true, rng: &rng)
        #expect(tied.parameters.map(\.name) == [
            "encoder.weight", "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
            "decoder.bias"])
        #expect(tied.decoderWeight === tied.encoder.weight)
    }

    /// The logits are the decoder applied to the LSTM outputs of the embedded tokens (eval mode).
    @Test func forwardComposesEmbeddingLSTMAndDecoder() {
        var rng = RandomGenerator(seed: 2)
        let lm = LSTMLanguageModel(vocabularySize: 9, embeddingSize: 4, hiddenSize: 5, layers: 2,
                                   dropout: 0.5, rng: &rng)
        lm.isTraining = false
        lm.decoderBias.value = Tensor.normal([9], using: &rng)
        let ids: [Int32] = [1, 8, 0, 3, 3, 7]   // [T=3, B=2]
        let logits = lm.forward(tokens: ids, steps: 3, batch: 2)
        #expect(logits.shape == [6, 9])
        lm.resetState()
        #expect(lm.forward(Tensor(shape: [3, 2], values: ids.map { Float($0) })) == logits)

        lm.resetState()
        let out = lm.rnn.forward(lm.encoder.forward(tokens: ids, shape: [3, 2])).reshaped([6, 5])
        var expected = Tensor.matmul(out, lm.decoderWeight.value, transposeB: true)
        for r in 0..<6 { for v in 0..<9 { expected[r, v] += lm.decoderBias.value[v] } }
        #expect(maxAbsDifference(logits, expected) <= 1e-6)
    }

    /// Tiny model (V=11, E=H=6, T=4, B=3) against finite differences of L = Σ logits·r, starting from
    /// a carried nonzero state (restored in `prepare`, so it is a constant), with dropout masks
    /// reseeded in `prepare` so every evaluation uses the same masks.
    private func check(tied: Bool, dropout: Float, layers: Int) {
        var rng = RandomGenerator(seed: 100 + (tied ? 1 : 0))
        let lm = LSTMLanguageModel(vocabularySize: 11, embeddingSize: 6, hiddenSize: 6, layers: layers,
                                   dropout: dropout, tiedWeights: tied, rng: &rng)
        // Larger embeddings than the ±0.1 init so every path carries a gradient well above atol.
        lm.encoder.weight.value = Tensor.uniform([11, 6], low: -1, high: 1, using: &rng)
        lm.decoderBias.value = Tensor.normal([11], using: &rng)
        _ = lm.forward(tokens(3, 3, vocabulary: 11, rng: &rng))
        let saved = lm.rnn.state
        let x = tokens(4, 3, vocabulary: 11, rng: &rng)
        let report = checkGradients(lm, input: x, checkInput: false, prepare: {
            lm.rnn.state = saved
            lm.reseedDropout(7)
        })
        #expect(report.passed, "tied \(tied) dropout \(dropout) layers \(layers): \(report.summary)")
    }

    @Test func gradientCheckUntied() { check(tied: false, dropout: 0, layers: 2) }
    @Test func gradientCheckTied() { check(tied: true, dropout: 0, layers: 2) }
    @Test func gradientCheckUntiedWithDropout() { check(tied: false, dropout: 0.3, layers: 2) }
    @Test func gradientCheckTiedWithDropout() { check(tied: true, dropout: 0.3, layers: 1) }

    /// With tied weights the one parameter's gradient is the sum of its encoder and decoder uses:
    /// equal to the untied model's encoder.weight + decoder.weight gradients when both hold the same values.
    @Test func tiedGradientIsSumOfBothUses() {
        var rng = RandomGenerator(seed: 5)
        let tied = LSTMLanguageModel(vocabularySize: 8, embeddingSize: 4, hiddenSize: 4, layers: 1,
                                     tiedWeights: true, rng: &rng)
        let untied = LSTMLanguageModel(vocabularySize: 8, embeddingSize: 4, hiddenSize: 4, layers: 1, rng: &rng)
        untied.encoder.weight.value = tied.encoder.weight.value
        untied.decoderWeight.value = tied.encoder.weight.value
        for (a, b) in zip(untied.rnn.parameters, tied.rnn.parameters) { a.value = b.value }
        let x = tokens(3, 2, vocabulary: 8, rng: &rng)
        let dLogits = Tensor.normal([6, 8], using: &rng)
        let lt = tied.forward(x), lu = untied.forward(x)
        #expect(lt == lu)
        tied.zeroGrad(); untied.zeroGrad()
        _ = tied.backward(dLogits); _ = untied.backward(dLogits)
        let sum = untied.encoder.weight.grad + untied.decoderWeight.grad
        #expect(maxAbsDifference(tied.encoder.weight.grad, sum) <= 1e-6)
        #expect(untied.encoder.weight.grad.maxAbs() > 1e-3 && untied.decoderWeight.grad.maxAbs() > 1e-3)
    }

    /// The LSTM state is carried across forward calls; `resetState()` forgets it.
    @Test func stateCarriedAcrossWindows() {
        var rng = RandomGenerator(seed: 6)
        let lm = LSTMLanguageModel(vocabularySize: 10, embeddingSize: 4, hiddenSize: 4, layers: 2, rng: &rng)
        let x = tokens(3, 2, vocabulary: 10, rng: &rng)
        let first = lm.forward(x)
        let second = lm.forward(x)
        #expect(maxAbsDifference(first, second) > 1e-5)
        lm.resetState()
        #expect(lm.forward(x) == first)
    }
}
