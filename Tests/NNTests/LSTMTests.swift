import Foundation
import Testing
import NN
import Tensor
import TestSupport

/// Largest |a − b| relative to the largest |reference| of the tensor (shapes must match).
private func relativeError(_ a: Tensor, _ reference: Tensor) -> Float {
    maxAbsDifference(a, reference) / max(reference.maxAbs(), 1e-30)
}

@Suite struct LSTMTests {
    @Test func parameterNamesShapesAndInit() {
        var rng = RandomGenerator(seed: 1)
        let lstm = LSTM(inputSize: 3, hiddenSize: 5, layers: 2, dropout: 0.2, rng: &rng)
        #expect(lstm.parameters.map(\.name) == [
            "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
            "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"])
        #expect(lstm.parameters.map(\.value.shape) == [[20, 3], [20, 5], [20], [20], [20, 5], [20, 5], [20], [20]])
        let bound = 1 / Float(5).squareRoot()
        for p in lstm.parameters { #expect(p.value.maxAbs() <= bound) }
        #expect(lstm.dropouts.count == 1)
    }

    /// torch.nn.LSTM (2 layers, I=5, H=4, T=3, B=2, nonzero initial state), reference computed in
    /// float64 from float32 inputs by scripts/golden/lstm.py. Tolerance 1e-5 relative to each
    /// tensor's largest element: our float32 arithmetic rounds at 6e-8 per operation, and a value
    /// here goes through a few dozen multiply-adds, libm exp/tanh (≤ 2 ulp each) and, for gradients,
    /// the T=3 step recurrence in both layers, so a few hundred ulp (≈1e-5) bounds the honest error;
    /// a wrong gate order, a missing term or an off-by-one step gives errors of order 1e-1.
    @Test func matchesPyTorchGolden() throws {
        let fx = try GoldenFixture(named: "lstm_2layer", in: .module)
        var rng = RandomGenerator(seed: 0)
        let lstm = LSTM(inputSize: 5, hiddenSize: 4, layers: 2, rng: &rng)
        for p in lstm.parameters {
            precondition(p.value.shape == fx[p.name].shape)
            p.value = fx[p.name]
        }
        lstm.state = LSTMState(h: fx["h0"], c: fx["c0"])
        let out = lstm.forward(fx["x"])
        #expect(relativeError(out, fx["out"]) < 1e-5)
        #expect(relativeError(lstm.state!.h, fx["h_n"]) < 1e-5)
        #expect(relativeError(lstm.state!.c, fx["c_n"]) < 1e-5)
        lstm.zeroGrad()
        let dx = lstm.backward(fx["r"])
        #expect(relativeError(dx, fx["dx"]) < 1e-5, "dx rel err \(relativeError(dx, fx["dx"]))")
        for p in lstm.parameters {
            let e = relativeError(p.grad, fx["grad." + p.name])
            #expect(e < 1e-5, "\(p.name) grad rel err \(e)")
        }
    }

    private func check(layers: Int, dropout: Float, carried: Bool) {
        var rng = RandomGenerator(seed: 10 + UInt64(layers))
        let lstm = LSTM(inputSize: 3, hiddenSize: 4, layers: layers, dropout: dropout, rng: &rng)
        let x = Tensor.normal([4, 2, 3], using: &rng)
        if carried {
            // A first window leaves a nonzero carried state; the checked window starts from it.
            _ = lstm.forward(Tensor.normal([3, 2, 3], using: &rng))
            #expect(lstm.state!.h.maxAbs() > 0.05 && lstm.state!.c.maxAbs() > 0.05)
        }
        let saved = lstm.state
        let report = checkGradients(lstm, input: x, prepare: {
            lstm.state = saved          // the carried state is a constant input of every evaluation
            lstm.reseedDropout(99)      // the same masks in every evaluation
        })
        #expect(report.passed, "layers \(layers) dropout \(dropout) carried \(carried): \(report.summary)")
    }

    @Test func gradientCheckOneLayer() { check(layers: 1, dropout: 0, carried: false) }
    @Test func gradientCheckOneLayerCarriedState() { check(layers: 1, dropout: 0, carried: true) }
    @Test func gradientCheckTwoLayers() { check(layers: 2, dropout: 0, carried: false) }
    @Test func gradientCheckTwoLayersCarriedState() { check(layers: 2, dropout: 0, carried: true) }
    @Test func gradientCheckThreeLayersDropoutCarriedState() { check(layers: 3, dropout: 0.3, carried: true) }

    /// Carrying the state: windows of 3 then 2 steps give the outputs of one 5-step window
    /// (and the same final state). Only the GEMM row count differs between the two runs, which does
    /// not change any dot product's summation order, so agreement is to a few ulp.
    @Test func twoWindowsEqualOneConcatenatedWindow() {
        var rng = RandomGenerator(seed: 20)
        let lstm = LSTM(inputSize: 3, hiddenSize: 6, layers: 2, rng: &rng)
        let x = Tensor.normal([5, 2, 3], using: &rng)
        let whole = lstm.forward(x)
        let wholeState = lstm.state!
        lstm.resetState()
        let first = lstm.forward(Tensor(shape: [3, 2, 3], values: Array(x.scalars[0..<18])))
        let second = lstm.forward(Tensor(shape: [2, 2, 3], values: Array(x.scalars[18..<30])))
        let joined = Tensor(shape: [5, 2, 6], values: first.scalars + second.scalars)
        #expect(maxAbsDifference(joined, whole) <= 1e-6)
        #expect(maxAbsDifference(lstm.state!.h, wholeState.h) <= 1e-6)
        #expect(maxAbsDifference(lstm.state!.c, wholeState.c) <= 1e-6)
    }

    @Test func stateIsCarriedResetAndSettable() {
        var rng = RandomGenerator(seed: 30)
        let lstm = LSTM(inputSize: 2, hiddenSize: 3, layers: 2, rng: &rng)
        #expect(lstm.state == nil)
        let x = Tensor.normal([2, 4, 2], using: &rng)
        let y1 = lstm.forward(x)
        let s1 = lstm.state!
        #expect(s1.h.shape == [2, 4, 3] && s1.c.shape == [2, 4, 3])
        // The last layer's final h is the last output step.
        #expect(Array(s1.h.scalars[12..<24]) == Array(y1.scalars[12..<24]))
        // A second call starts from the carried state, so it differs from a fresh start.
        let y2 = lstm.forward(x)
        #expect(maxAbsDifference(y2, y1) > 1e-4)
        // Setting the state back reproduces the second call exactly; resetting reproduces the first.
        lstm.state = s1
        #expect(lstm.forward(x) == y2)
        lstm.resetState()
        #expect(lstm.forward(x) == y1)
        lstm.state = .zeros(layers: 2, batch: 4, hidden: 3)
        #expect(lstm.forward(x) == y1)
    }

    /// Truncated BPTT: the backward of a window never reaches the previous window, so the gradients
    /// equal those of a fresh model whose state is set to the carried one.
    @Test func backwardStopsAtCarriedState() {
        var rng = RandomGenerator(seed: 40)
        let a = LSTM(inputSize: 3, hiddenSize: 4, layers: 2, rng: &rng)
        var rng2 = RandomGenerator(seed: 40)
        let b = LSTM(inputSize: 3, hiddenSize: 4, layers: 2, rng: &rng2)
        let x1 = Tensor.normal([3, 2, 3], using: &rng), x2 = Tensor.normal([3, 2, 3], using: &rng)
        let dy = Tensor.normal([3, 2, 4], using: &rng)
        _ = a.forward(x1)
        b.state = a.state
        let ya = a.forward(x2), yb = b.forward(x2)
        #expect(ya == yb)
        a.zeroGrad(); b.zeroGrad()
        #expect(a.backward(dy) == b.backward(dy))
        for (pa, pb) in zip(a.parameters, b.parameters) { #expect(pa.grad == pb.grad) }
    }

    @Test func dropoutOnlyBetweenLayersAndOnlyInTraining() {
        var rng = RandomGenerator(seed: 50)
        let lstm = LSTM(inputSize: 3, hiddenSize: 4, layers: 2, dropout: 0.5, rng: &rng)
        let x = Tensor.normal([3, 2, 3], using: &rng)
        lstm.isTraining = false
        let e1 = lstm.forward(x); lstm.resetState()
        let e2 = lstm.forward(x); lstm.resetState()
        #expect(e1 == e2)
        lstm.isTraining = true
        lstm.reseedDropout(1)
        let t1 = lstm.forward(x); lstm.resetState()
        lstm.reseedDropout(1)
        #expect(lstm.forward(x) == t1)
        lstm.resetState()
        #expect(maxAbsDifference(t1, e1) > 1e-3)
        // A single layer has no dropout at all.
        let single = LSTM(inputSize: 3, hiddenSize: 4, layers: 1, dropout: 0.5, rng: &rng)
        let s1 = single.forward(x); single.resetState()
        single.isTraining = false
        #expect(single.forward(x) == s1)
    }
}

/// The cell kernel's own float32 exp/σ/tanh (branch-free, so they vectorise) against Double libm.
@Suite struct LSTMCellKernelTests {
    /// Runs `cellForward` on one row whose four gates all hold `xs`, with c_prev = 0; returns the
    /// activated gates `[i, f, g, o]` and c, tanh c, h.
    private func cell(_ xs: [Float]) -> (gates: Tensor, c: Tensor, tanhC: Tensor, h: Tensor) {
        let H = xs.count
        var gates = Tensor(shape: [1, 4 * H], values: xs + xs + xs + xs)
        let cPrev = Tensor.zeros([1, H])
        var c = Tensor.zeros([1, H]), tanhC = Tensor.zeros([1, H]), h = Tensor.zeros([1, H])
        gates.withUnsafeMutableBufferPointer { pg in cPrev.withUnsafeBufferPointer { pcp in
        c.withUnsafeMutableBufferPointer { pc in tanhC.withUnsafeMutableBufferPointer { ptc in
        h.withUnsafeMutableBufferPointer { ph in
            LSTMKernels.cellForward(gates: pg.baseAddress!, cPrev: pcp.baseAddress!, c: pc.baseAddress!,
                                    tanhC: ptc.baseAddress!, h: ph.baseAddress!, batch: 1, hidden: H)
        } } } } }
        return (gates, c, tanhC, h)
    }

    /// σ and tanh within 3 units of 2⁻²³·|exact| over [−87, 87] (step 0.0073), at powers of two down
    /// to 2⁻³⁰ and around tanh's switch point 0.55 (measured: ≤ 1.2 units; libm expf/tanhf are ≤ 1).
    @Test func activationsAreAccurate() {
        var xs: [Float] = []
        var v: Float = -87
        while v <= 87 { xs.append(v); v += 0.00731 }
        for e in -30...0 { xs.append(Float(pow(2.0, Double(e)))); xs.append(-Float(pow(2.0, Double(e)))) }
        xs += [0.55, 0.549_999_9, 0.550_000_1, -0.55, 0]
        let H = xs.count
        let (gates, c, tanhC, h) = cell(xs)
        var worstSigmoid = 0.0, worstTanh = 0.0
        for (j, x) in xs.enumerated() {
            let s = 1 / (1 + Foundation.exp(-Double(x))), t = Foundation.tanh(Double(x))
            worstSigmoid = max(worstSigmoid, abs(Double(gates[0, j]) - s) / (s * 0x1p-23))
            worstSigmoid = max(worstSigmoid, abs(Double(gates[0, H + j]) - s) / (s * 0x1p-23))
            worstSigmoid = max(worstSigmoid, abs(Double(gates[0, 3 * H + j]) - s) / (s * 0x1p-23))
            if t == 0 { #expect(gates[0, 2 * H + j] == 0) } else {
                worstTanh = max(worstTanh, abs(Double(gates[0, 2 * H + j]) - t) / (abs(t) * 0x1p-23))
            }
            // c = i·g (c_prev = 0), h = o·tanh(c), from the kernel's own activations.
            let i = gates[0, j], g = gates[0, 2 * H + j], o = gates[0, 3 * H + j]
            #expect(c[0, j] == i * g)
            let tc = Foundation.tanh(Double(c[0, j]))
            #expect(abs(Double(tanhC[0, j]) - tc) <= 3 * 0x1p-23 * abs(tc))
            #expect(h[0, j] == o * tanhC[0, j])
        }
        #expect(worstSigmoid <= 3, "σ worst error \(worstSigmoid) units")
        #expect(worstTanh <= 3, "tanh worst error \(worstTanh) units")
    }

    /// Saturation stays finite and exact at ±∞-like inputs; NaN propagates (a diverged run shows up).
    @Test func saturationAndNaN() {
        let (gates, c, _, h) = cell([-1000, -100, 100, 1000, .nan])
        let H = 5
        #expect(gates[0, 0] >= 0 && gates[0, 0] < 1e-37 && gates[0, 1] < 1e-37)
        #expect(gates[0, 2] == 1 && gates[0, 3] == 1)
        #expect(gates[0, 2 * H] == -1 && gates[0, 2 * H + 1] == -1 && gates[0, 2 * H + 2] == 1 && gates[0, 2 * H + 3] == 1)
        for j in 0..<4 { #expect(c[0, j].isFinite && h[0, j].isFinite) }
        #expect(gates[0, 4].isNaN && gates[0, 2 * H + 4].isNaN && c[0, 4].isNaN && h[0, 4].isNaN)
    }
}
