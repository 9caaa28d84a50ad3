import NN
import Optim
import Tensor
import Testing

/// `clipGradientNorm` against hand values (torch.nn.utils.clip_grad_norm_ semantics).
@Suite struct ClippingTests {
    /// Gradients [3, 4] and [12]: total norm √(9 + 16 + 144) = 13.
    private func params() -> [Parameter] {
        let a = parameter([0, 0], name: "a"), b = parameter([0], name: "b")
        a.grad = Tensor(shape: [2], values: [3, 4])
        b.grad = Tensor(shape: [1], values: [12])
        return [a, b]
    }

    @Test func clipsToMaxNorm() {
        let ps = params()
        let norm = clipGradientNorm(ps, maxNorm: 6.5)
        #expect(norm == 13)
        // c = 6.5 / (13 + 1e-6) = 0.499999961538...; grads · c = [1.49999988, 1.99999985, 5.99999954]
        let c = 6.5 / (13 + 1e-6)
        // Tolerance 1e-6 ≈ 2 ulp at 6: the factor is rounded to Float before scaling.
        expectClose(ps[0].grad.scalars, [Float(3 * c), Float(4 * c)], tol: 1e-6, "clipped a")
        expectClose(ps[1].grad.scalars, [Float(12 * c)], tol: 1e-6, "clipped b")
        // The new total norm is just under maxNorm.
        #expect(clipGradientNorm(ps, maxNorm: 100) < 6.5)
    }

    @Test func leavesSmallGradientsAlone() {
        let ps = params()
        #expect(clipGradientNorm(ps, maxNorm: 20) == 13)
        #expect(ps[0].grad.scalars == [3, 4] && ps[1].grad.scalars == [12])
    }

    @Test func atExactlyMaxNormScalesByTheEpsilonFactor() {
        // PyTorch scales whenever maxNorm / (norm + 1e-6) < 1, so norm == maxNorm scales by 13/13.000001.
        let ps = params()
        #expect(clipGradientNorm(ps, maxNorm: 13) == 13)
        let c = 13 / (13 + 1e-6)
        expectClose(ps[1].grad.scalars, [Float(12 * c)], tol: 1e-6, "b at the boundary")
        #expect(ps[1].grad.scalars[0] < 12)
    }

    @Test func nonFiniteNormIsReportedAndGradientsUntouched() {
        let ps = params()
        ps[0].grad[flat: 1] = .nan
        let n1 = clipGradientNorm(ps, maxNorm: 1)
        #expect(n1.isNaN)
        #expect(ps[0].grad[flat: 0] == 3 && ps[1].grad.scalars == [12])
        ps[0].grad[flat: 1] = .infinity
        #expect(clipGradientNorm(ps, maxNorm: 1) == .infinity)
        #expect(ps[0].grad[flat: 0] == 3 && ps[1].grad.scalars == [12])
    }

    @Test func largeTensorsUseDeterministicChunks() {
        // 200 001 elements of 0.5 plus [3, 4]: Σg² = 200 001/4 + 25 (exact in Double).
        let big = Parameter(Tensor.zeros([200_001]), name: "big")
        big.grad = Tensor(repeating: 0.5, shape: [200_001])
        let small = parameter([0, 0], name: "small")
        small.grad = Tensor(shape: [2], values: [3, 4])
        let expected = (200_001.0 / 4 + 25).squareRoot()
        #expect(clipGradientNorm([big, small], maxNorm: 1e9) == Float(expected))
        // Squares of values that would overflow in Float still give a finite norm in Double.
        let huge = parameter([0, 0], name: "huge")
        let p100 = { (m: Float) in Float(sign: .plus, exponent: 100, significand: m) }   // m·2¹⁰⁰, exact
        huge.grad = Tensor(shape: [2], values: [p100(3), p100(4)])
        #expect(clipGradientNorm([huge], maxNorm: 1) == p100(5))
        #expect(clipGradientNorm([], maxNorm: 1) == 0)
    }
}
