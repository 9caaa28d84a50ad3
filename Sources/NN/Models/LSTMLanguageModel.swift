import Tensor

/// The LSTM word-level language model of PyTorch's `word_language_model` example:
/// embedding → dropout → multi-layer LSTM → dropout → linear decoder to vocabulary logits.
///
/// Shapes: tokens `[T, B]` → embeddings `[T, B, E]` → LSTM outputs `[T, B, H]` → logits `[T·B, V]`
/// (row `t·B + b` is the prediction after token `(t, b)`, PyTorch's `output.view(-1, ntokens)`).
///
/// Parameters, with the example's names and init: `encoder.weight` `[V, E]` uniform ±0.1,
/// `rnn.weight_ih_l0` … (see `LSTM`, uniform ±1/√H), `decoder.weight` `[V, H]` uniform ±0.1,
/// `decoder.bias` `[V]` zeros. With `tiedWeights` the decoder uses the encoder's weight: one
/// `Parameter` (`decoder.weight` is then absent) whose gradient receives both uses; this needs
/// `embeddingSize == hiddenSize`.
///
/// The LSTM state is carried across calls (truncated BPTT); call `resetState()` at the start of
/// each pass over the data. `Layer` conformance takes the token ids as Float values (see `Embedding`).
public final class LSTMLanguageModel: Layer {
    public let vocabularySize: Int
    public let embeddingSize: Int
    public let hiddenSize: Int
    public let tiedWeights: Bool

    public let encoder: Embedding
    public let rnn: LSTM
    /// Dropout on the embeddings and on the LSTM outputs (the LSTM owns the ones between its layers).
    public let inputDropout: Dropout
    public let outputDropout: Dropout
    /// `[V, H]`: `encoder.weight` itself when tied, else `decoder.weight`.
    public let decoderWeight: Parameter
    /// `[V]`, `decoder.bias`.
    public let decoderBias: Parameter

    public var isTraining = true {
        didSet {
            encoder.isTraining = isTraining
            rnn.isTraining = isTraining
            inputDropout.isTraining = isTraining
            outputDropout.isTraining = isTraining
        }
    }

    private var cachedFeatures: Tensor?   // [T·B, H], the decoder input (after output dropout)
    private var cachedTokenShape: [Int] = []

    public init(vocabularySize: Int, embeddingSize: Int, hiddenSize: Int, layers: Int,
                dropout: Float = 0, tiedWeights: Bool = false, rng: inout RandomGenerator) {
        precondition(!tiedWeights || embeddingSize == hiddenSize,
                     "LSTMLanguageModel: tied weights need embeddingSize == hiddenSize, got \(embeddingSize) and \(hiddenSize)")
        self.vocabularySize = vocabularySize
        self.embeddingSize = embeddingSize
        self.hiddenSize = hiddenSize
        self.tiedWeights = tiedWeights
        encoder = Embedding(vocabularySize: vocabularySize, dimension: embeddingSize, rng: &rng)
        encoder.weight.value = .uniform([vocabularySize, embeddingSize], low: -0.1, high: 0.1, using: &rng)
        rnn = LSTM(inputSize: embeddingSize, hiddenSize: hiddenSize, layers: layers, dropout: dropout, rng: &rng)
        inputDropout = Dropout(p: dropout, seed: rng.next())
        outputDropout = Dropout(p: dropout, seed: rng.next())
        if tiedWeights {
            decoderWeight = encoder.weight
        } else {
            decoderWeight = Parameter(.uniform([vocabularySize, hiddenSize], low: -0.1, high: 0.1, using: &rng),
                                      name: "weight")
        }
        decoderBias = Parameter(.zeros([vocabularySize]), name: "bias")
        encoder.prefixNames("encoder")
        rnn.prefixNames("rnn")
        if !tiedWeights { decoderWeight.name = "decoder.weight" }
        decoderBias.name = "decoder.bias"
    }

    /// `encoder.weight`, `rnn.*`, `decoder.weight` (untied only), `decoder.bias`.
    public var parameters: [Parameter] {
        encoder.parameters + rnn.parameters + (tiedWeights ? [] : [decoderWeight]) + [decoderBias]
    }

    /// Forgets the carried LSTM state.
    public func resetState() { rnn.resetState() }

    /// Restarts all dropout mask sequences from `seed` (for reproducible masks, e.g. in gradient checks).
    public func reseedDropout(_ seed: UInt64) {
        inputDropout.reseed(seed)
        outputDropout.reseed(seed &+ 1)
        rnn.reseedDropout(seed &+ 2)
    }

    // MARK: Forward / backward

    /// Tokens `[T, B]` (row-major ids) → logits `[T·B, V]`.
    public func forward(tokens: [Int32], steps T: Int, batch B: Int) -> Tensor {
        let emb = encoder.forward(tokens: tokens, shape: [T, B])
        return decode(rnn.forward(inputDropout.forward(emb)), tokenShape: [T, B])
    }

    /// Token ids as Float values, `[T, B]` → logits `[T·B, V]`.
    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank == 2, "LSTMLanguageModel.forward: expected token ids [T, B], got \(x.shape)")
        let emb = encoder.forward(x)
        return decode(rnn.forward(inputDropout.forward(emb)), tokenShape: x.shape)
    }

    /// LSTM output `[T, B, H]` → dropout → logits = features·Wᵀ + b `[T·B, V]`.
    private func decode(_ out: Tensor, tokenShape: [Int]) -> Tensor {
        let N = tokenShape[0] * tokenShape[1], H = hiddenSize, V = vocabularySize
        let features = outputDropout.forward(out).reshaped([N, H])
        var logits = Tensor(uninitializedShape: [N, V])
        features.withUnsafeBufferPointer { pf in
        decoderWeight.value.withUnsafeBufferPointer { pw in
        decoderBias.value.withUnsafeBufferPointer { pb in
        logits.withUnsafeMutableBufferPointer { pl in
            let l = pl.baseAddress!
            for r in 0..<N { (l + r * V).update(from: pb.baseAddress!, count: V) }
            gemm(transA: false, transB: true, m: N, n: V, k: H,
                 a: pf.baseAddress!, lda: H, b: pw.baseAddress!, ldb: H, beta: 1, c: l, ldc: V)
        } } } }
        cachedFeatures = features
        cachedTokenShape = tokenShape
        return logits
    }

    /// `dLogits` `[T·B, V]` → accumulates every parameter gradient (both uses of a tied weight add
    /// into the one parameter). Returns zeros of the token shape (token ids have no gradient).
    public func backward(_ dLogits: Tensor) -> Tensor {
        guard let features = cachedFeatures else { preconditionFailure("LSTMLanguageModel.backward: called before forward") }
        let N = features.shape[0], H = hiddenSize, V = vocabularySize
        precondition(dLogits.shape == [N, V],
                     "LSTMLanguageModel.backward: gradient shape \(dLogits.shape) ≠ logits shape \([N, V])")
        var dFeatures = Tensor(uninitializedShape: [N, H])
        dLogits.withUnsafeBufferPointer { pd in
        decoderWeight.value.withUnsafeBufferPointer { pw in
        dFeatures.withUnsafeMutableBufferPointer { pdf in
            // dFeatures = dLogits · W.
            gemm(transA: false, transB: false, m: N, n: H, k: V,
                 a: pd.baseAddress!, lda: V, b: pw.baseAddress!, ldb: H, beta: 0, c: pdf.baseAddress!, ldc: H)
        } } }
        dLogits.withUnsafeBufferPointer { pd in
        features.withUnsafeBufferPointer { pf in
        decoderWeight.grad.withUnsafeMutableBufferPointer { pgw in
            // dW += dLogitsᵀ · features.
            gemm(transA: true, transB: false, m: V, n: H, k: N,
                 a: pd.baseAddress!, lda: V, b: pf.baseAddress!, ldb: H, beta: 1, c: pgw.baseAddress!, ldc: H)
        } } }
        dLogits.withUnsafeBufferPointer { pd in
        decoderBias.grad.withUnsafeMutableBufferPointer { pgb in
            LSTMKernels.addColumnSums(pd.baseAddress!, rows: N, cols: V, into: pgb.baseAddress!)
        } }
        let T = cachedTokenShape[0], B = cachedTokenShape[1]
        let dOut = outputDropout.backward(dFeatures.reshaped([T, B, H]))
        let dEmb = inputDropout.backward(rnn.backward(dOut))
        encoder.backwardTokens(dEmb)
        return Tensor.zeros(cachedTokenShape)
    }
}
