import Tensor

/// The recurrent state of a multi-layer LSTM: hidden `h` and cell `c`, each `[layers, batch, hidden]`
/// (the layout of PyTorch's `(h_n, c_n)`).
public struct LSTMState: Equatable, Sendable {
    public var h: Tensor
    public var c: Tensor
    public init(h: Tensor, c: Tensor) {
        precondition(h.shape == c.shape && h.rank == 3,
                     "LSTMState: h and c must both be [layers, batch, hidden], got \(h.shape) and \(c.shape)")
        self.h = h
        self.c = c
    }
    /// The all-zero state.
    public static func zeros(layers: Int, batch: Int, hidden: Int) -> LSTMState {
        LSTMState(h: .zeros([layers, batch, hidden]), c: .zeros([layers, batch, hidden]))
    }
}

/// A multi-layer LSTM over a sequence, like `torch.nn.LSTM` (sequence-first, unidirectional).
///
/// Input `[T, B, inputSize]` → output `[T, B, hiddenSize]`: the hidden states of the last layer.
/// Per layer k, with gate order (i, f, g, o):
/// `A_t = x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh` `[B, 4H]`, `i, f, o = σ`, `g = tanh`,
/// `c_t = f·c_{t−1} + i·g`, `h_t = o·tanh(c_t)`. Layer k > 0 reads layer k−1's hidden states,
/// through `Dropout(p: dropout)` in training (none after the last layer).
///
/// Parameters per layer (PyTorch names and init, uniform ±1/√H): `weight_ih_l{k}` `[4H, in]`,
/// `weight_hh_l{k}` `[4H, H]`, `bias_ih_l{k}` `[4H]`, `bias_hh_l{k}` `[4H]`.
///
/// State and truncated BPTT: the state (h, c) starts at zero and is CARRIED from one `forward`
/// to the next (the final state of a window is the initial state of the next). It enters the next
/// window as a constant, so gradients never flow into the previous window. `resetState()` returns
/// to zeros; `state` can be read and set (checkpoints, evaluation).
///
/// Speed: per layer, one GEMM projects the whole window's input (`[T·B, in] × W_ihᵀ`); each step
/// adds `h_{t−1}·W_hhᵀ` with one small GEMM (beta 1) and runs one fused element-wise pass. Backward
/// runs the element-wise gate backward and one `dGates_t·W_hh` GEMM per step, then forms dW_ih,
/// dW_hh, the biases and dX with one GEMM (or reduction) each over the whole window.
public final class LSTM: Layer {
    public let inputSize: Int
    public let hiddenSize: Int
    public let layers: Int
    public let dropout: Float
    public var isTraining = true {
        didSet { for d in dropouts { d.isTraining = isTraining } }
    }

    /// `weight_ih_l{k}` `[4H, in_k]` for each layer k.
    public let weightIH: [Parameter]
    /// `weight_hh_l{k}` `[4H, H]`.
    public let weightHH: [Parameter]
    /// `bias_ih_l{k}` `[4H]`.
    public let biasIH: [Parameter]
    /// `bias_hh_l{k}` `[4H]`.
    public let biasHH: [Parameter]
    /// The dropout between layer k and k+1 (`layers − 1` of them); reseed them for reproducible masks.
    public let dropouts: [Dropout]

    /// The carried state `[layers, B, H]`; `nil` means zeros (the state after `resetState()`).
    /// Setting it makes the next `forward` start from it (its batch must match that input's).
    public var state: LSTMState? {
        didSet {
            if let s = state {
                precondition(s.h.shape[0] == layers && s.h.shape[2] == hiddenSize,
                             "LSTM.state: expected [\(layers), batch, \(hiddenSize)], got \(s.h.shape)")
            }
        }
    }

    /// What one layer's backward needs from its forward.
    private struct LayerCache {
        var input: Tensor      // [T, B, in] (after the inter-layer dropout)
        var gates: Tensor      // [T, B, 4H] gate activations (i, f, g, o)
        var c: Tensor          // [T, B, H]
        var tanhC: Tensor      // [T, B, H]
        var h: Tensor          // [T, B, H]
    }
    private var caches: [LayerCache] = []
    /// The state the most recent forward started from (a constant for backward).
    private var initialState: LSTMState?
    private var cachedSteps = 0, cachedBatch = 0

    public init(inputSize: Int, hiddenSize: Int, layers: Int = 1, dropout: Float = 0,
                rng: inout RandomGenerator) {
        precondition(inputSize > 0 && hiddenSize > 0 && layers > 0,
                     "LSTM: inputSize, hiddenSize and layers must be positive, got \(inputSize), \(hiddenSize), \(layers)")
        precondition(dropout >= 0 && dropout < 1, "LSTM: dropout must be in [0, 1), got \(dropout)")
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.dropout = dropout
        let H = hiddenSize
        let bound = 1 / Float(H).squareRoot()
        var wih: [Parameter] = [], whh: [Parameter] = [], bih: [Parameter] = [], bhh: [Parameter] = []
        for k in 0..<layers {
            let inK = k == 0 ? inputSize : H
            wih.append(Parameter(.uniform([4 * H, inK], low: -bound, high: bound, using: &rng), name: "weight_ih_l\(k)"))
            whh.append(Parameter(.uniform([4 * H, H], low: -bound, high: bound, using: &rng), name: "weight_hh_l\(k)"))
            bih.append(Parameter(.uniform([4 * H], low: -bound, high: bound, using: &rng), name: "bias_ih_l\(k)"))
            bhh.append(Parameter(.uniform([4 * H], low: -bound, high: bound, using: &rng), name: "bias_hh_l\(k)"))
        }
        weightIH = wih; weightHH = whh; biasIH = bih; biasHH = bhh
        dropouts = (0..<max(layers - 1, 0)).map { _ in Dropout(p: dropout, seed: rng.next()) }
    }

    /// In PyTorch's order: per layer `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`.
    public var parameters: [Parameter] {
        (0..<layers).flatMap { [weightIH[$0], weightHH[$0], biasIH[$0], biasHH[$0]] }
    }

    /// Forgets the carried state: the next window starts from zeros.
    public func resetState() { state = nil }

    /// Restarts every inter-layer dropout's mask sequence (from `seed`, `seed + 1`, ...).
    public func reseedDropout(_ seed: UInt64) {
        for (i, d) in dropouts.enumerated() { d.reseed(seed &+ UInt64(i)) }
    }

    // MARK: Forward

    /// `x` `[T, B, inputSize]` → `[T, B, hiddenSize]`; updates the carried state to the window's final (h, c).
    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank == 3 && x.shape[2] == inputSize,
                     "LSTM.forward: expected input [T, B, \(inputSize)], got \(x.shape)")
        let T = x.shape[0], B = x.shape[1], H = hiddenSize, G = 4 * H
        precondition(T > 0 && B > 0, "LSTM.forward: empty sequence or batch in input \(x.shape)")
        let start = state ?? .zeros(layers: layers, batch: B, hidden: H)
        precondition(start.h.shape == [layers, B, H],
                     "LSTM.forward: carried state \(start.h.shape) does not fit batch \(B) of input \(x.shape); call resetState() or set state")
        // Take last window's buffers; drop their inputs first (an input may share a lower layer's h).
        var old = caches
        caches = []
        for i in old.indices { old[i].input = Tensor(uninitializedShape: [0]) }
        var finalState = LSTMState(h: Tensor(uninitializedShape: [layers, B, H]), c: Tensor(uninitializedShape: [layers, B, H]))
        var layerInput = x
        for k in 0..<layers {
            if k > 0 { layerInput = dropouts[k - 1].forward(layerInput) }
            let inK = k == 0 ? inputSize : H
            // Reuse last window's buffers when their shapes match (no other reference ⇒ no copy).
            var gates = Tensor(uninitializedShape: [0]), c = gates, tanhC = gates, h = gates
            if k < old.count {
                swap(&gates, &old[k].gates); swap(&c, &old[k].c); swap(&tanhC, &old[k].tanhC); swap(&h, &old[k].h)
            }
            Self.ensure(&gates, [T, B, G]); Self.ensure(&c, [T, B, H])
            Self.ensure(&tanhC, [T, B, H]); Self.ensure(&h, [T, B, H])

            let bias = biasIH[k].value + biasHH[k].value
            layerInput.withUnsafeBufferPointer { px in
            weightIH[k].value.withUnsafeBufferPointer { pwih in
            weightHH[k].value.withUnsafeBufferPointer { pwhh in
            bias.withUnsafeBufferPointer { pb in
            start.h.withUnsafeBufferPointer { ph0 in
            start.c.withUnsafeBufferPointer { pc0 in
            gates.withUnsafeMutableBufferPointer { pg in
            c.withUnsafeMutableBufferPointer { pc in
            tanhC.withUnsafeMutableBufferPointer { ptc in
            h.withUnsafeMutableBufferPointer { ph in
            finalState.h.withUnsafeMutableBufferPointer { pfh in
            finalState.c.withUnsafeMutableBufferPointer { pfc in
                let g = pg.baseAddress!, cs = pc.baseAddress!, hs = ph.baseAddress!
                let h0 = ph0.baseAddress! + k * B * H, c0 = pc0.baseAddress! + k * B * H
                // Gates of the whole window: bias rows, then += X·W_ihᵀ in one GEMM.
                for r in 0..<(T * B) { (g + r * G).update(from: pb.baseAddress!, count: G) }
                gemm(transA: false, transB: true, m: T * B, n: G, k: inK,
                     a: px.baseAddress!, lda: inK, b: pwih.baseAddress!, ldb: inK,
                     beta: 1, c: g, ldc: G)
                for t in 0..<T {
                    let hPrev = t == 0 ? UnsafePointer(h0) : UnsafePointer(hs + (t - 1) * B * H)
                    let cPrev = t == 0 ? UnsafePointer(c0) : UnsafePointer(cs + (t - 1) * B * H)
                    let gt = g + t * B * G
                    gemm(transA: false, transB: true, m: B, n: G, k: H,
                         a: hPrev, lda: H, b: pwhh.baseAddress!, ldb: H, beta: 1, c: gt, ldc: G)
                    LSTMKernels.cellForward(gates: gt, cPrev: cPrev, c: cs + t * B * H,
                                            tanhC: ptc.baseAddress! + t * B * H, h: hs + t * B * H,
                                            batch: B, hidden: H)
                }
                (pfh.baseAddress! + k * B * H).update(from: hs + (T - 1) * B * H, count: B * H)
                (pfc.baseAddress! + k * B * H).update(from: cs + (T - 1) * B * H, count: B * H)
            } } } } } } } } } } } }
            caches.append(LayerCache(input: layerInput, gates: gates, c: c, tanhC: tanhC, h: h))
            layerInput = h
        }
        initialState = start
        state = finalState
        cachedSteps = T
        cachedBatch = B
        return layerInput
    }

    /// Makes `t` an owned buffer of `shape` (keeps it when it already is one).
    private static func ensure(_ t: inout Tensor, _ shape: [Int]) {
        if t.shape != shape || !t.isUniquelyReferenced() { t = Tensor(uninitializedShape: shape) }
    }

    // MARK: Backward

    /// `dy` `[T, B, H]` (∂L/∂output of the most recent forward) → ∂L/∂x `[T, B, inputSize]`;
    /// adds every weight and bias gradient. The gradient stops at the window's initial state.
    public func backward(_ dy: Tensor) -> Tensor {
        let T = cachedSteps, B = cachedBatch, H = hiddenSize, G = 4 * H
        precondition(!caches.isEmpty, "LSTM.backward: called before forward")
        precondition(dy.shape == [T, B, H], "LSTM.backward: gradient shape \(dy.shape) ≠ forward output shape \([T, B, H])")
        let start = initialState!
        var dH = dy            // ∂L/∂h of the current layer; the recurrent terms are added in place
        var dGates = Tensor(uninitializedShape: [T, B, G])
        var dc = Tensor(uninitializedShape: [B, H])
        var biasGrad = Tensor(uninitializedShape: [G])
        for k in stride(from: layers - 1, through: 0, by: -1) {
            let cache = caches[k]
            let inK = k == 0 ? inputSize : H
            var dX = Tensor(uninitializedShape: [T, B, inK])
            dc.fill(0)
            biasGrad.fill(0)
            cache.input.withUnsafeBufferPointer { px in
            cache.gates.withUnsafeBufferPointer { pg in
            cache.c.withUnsafeBufferPointer { pc in
            cache.tanhC.withUnsafeBufferPointer { ptc in
            cache.h.withUnsafeBufferPointer { ph in
            start.h.withUnsafeBufferPointer { ph0 in
            start.c.withUnsafeBufferPointer { pc0 in
            weightIH[k].value.withUnsafeBufferPointer { pwih in
            weightHH[k].value.withUnsafeBufferPointer { pwhh in
            dH.withUnsafeMutableBufferPointer { pdh in
            dGates.withUnsafeMutableBufferPointer { pdg in
            dc.withUnsafeMutableBufferPointer { pdc in
            dX.withUnsafeMutableBufferPointer { pdx in
            weightIH[k].grad.withUnsafeMutableBufferPointer { pgwih in
            weightHH[k].grad.withUnsafeMutableBufferPointer { pgwhh in
            biasGrad.withUnsafeMutableBufferPointer { pbg in
                let dg = pdg.baseAddress!, dh = pdh.baseAddress!
                let h0 = ph0.baseAddress! + k * B * H, c0 = pc0.baseAddress! + k * B * H
                for t in stride(from: T - 1, through: 0, by: -1) {
                    let cPrev = t == 0 ? c0 : pc.baseAddress! + (t - 1) * B * H
                    let dgt = dg + t * B * G
                    LSTMKernels.cellBackward(gates: pg.baseAddress! + t * B * G, cPrev: cPrev,
                                             tanhC: ptc.baseAddress! + t * B * H, dh: dh + t * B * H,
                                             dc: pdc.baseAddress!, dGates: dgt, batch: B, hidden: H)
                    // dh_{t−1} += dGates_t · W_hh (none into the carried initial state).
                    if t > 0 {
                        gemm(transA: false, transB: false, m: B, n: H, k: G,
                             a: dgt, lda: G, b: pwhh.baseAddress!, ldb: H,
                             beta: 1, c: dh + (t - 1) * B * H, ldc: H)
                    }
                }
                // dW_ih += dGatesᵀ · X over the whole window.
                gemm(transA: true, transB: false, m: G, n: inK, k: T * B,
                     a: dg, lda: G, b: px.baseAddress!, ldb: inK, beta: 1, c: pgwih.baseAddress!, ldc: inK)
                // dW_hh += dGates[1..]ᵀ · H[0..T−2] + dGates[0]ᵀ · h0.
                if T > 1 {
                    gemm(transA: true, transB: false, m: G, n: H, k: (T - 1) * B,
                         a: dg + B * G, lda: G, b: ph.baseAddress!, ldb: H, beta: 1, c: pgwhh.baseAddress!, ldc: H)
                }
                gemm(transA: true, transB: false, m: G, n: H, k: B,
                     a: dg, lda: G, b: h0, ldb: H, beta: 1, c: pgwhh.baseAddress!, ldc: H)
                // db_ih = db_hh = Σ_rows dGates.
                LSTMKernels.addColumnSums(dg, rows: T * B, cols: G, into: pbg.baseAddress!)
                // dX = dGates · W_ih in one GEMM.
                gemm(transA: false, transB: false, m: T * B, n: inK, k: G,
                     a: dg, lda: G, b: pwih.baseAddress!, ldb: inK, beta: 0, c: pdx.baseAddress!, ldc: inK)
            } } } } } } } } } } } } } } } }
            biasIH[k].grad.addScaled(biasGrad)
            biasHH[k].grad.addScaled(biasGrad)
            dH = k > 0 ? dropouts[k - 1].backward(dX) : dX
        }
        return dH
    }
}
