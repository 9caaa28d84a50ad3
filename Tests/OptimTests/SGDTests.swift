import NN
import Optim
import Tensor
import Testing

/// Hand-computed SGD updates. All inputs are dyadic (k/2ⁿ), so every intermediate value is exact in
/// Float and the expected values are exact: the tolerance 0 would do; 1e-7 only guards the printout.
@Suite struct SGDHandTests {
    let w0: [Float] = [1, -2, 0.5]
    // Three gradient steps used by the momentum tests.
    let g: [[Float]] = [[1, -1, 0.5], [0.5, 0.5, 0], [-1, 0.25, 1]]

    @Test func plain() {
        // w − lr·g = [1, −2, 0.5] − 0.5·[0.5, 0.25, −1] = [0.75, −2.125, 1.0]
        let out = trajectory(SGD(), start: w0, grads: [[0.5, 0.25, -1]], lrs: [0.5])
        expectClose(out[0], [0.75, -2.125, 1.0], tol: 1e-7, "plain SGD")
    }

    @Test func weightDecay() {
        // g' = g + λw = [0.5, 0.25, −1] + 0.5·[1, −2, 0.5] = [1.0, −0.75, −0.75]
        // w − lr·g' = [1, −2, 0.5] − 0.5·[1.0, −0.75, −0.75] = [0.5, −1.625, 0.875]
        let out = trajectory(SGD(weightDecay: 0.5), start: w0, grads: [[0.5, 0.25, -1]], lrs: [0.5])
        expectClose(out[0], [0.5, -1.625, 0.875], tol: 1e-7, "SGD weight decay")
    }

    @Test func momentumThreeSteps() {
        // μ = 0.5, lr = 0.5.
        // 1: b = g1 = [1, −1, 0.5];                                w = [1, −2, 0.5] − 0.5b = [0.5, −1.5, 0.25]
        // 2: b = 0.5·[1, −1, 0.5] + [0.5, 0.5, 0] = [1, 0, 0.25];  w = [0.5, −1.5, 0.25] − 0.5b = [0, −1.5, 0.125]
        // 3: b = 0.5·[1, 0, 0.25] + [−1, 0.25, 1] = [−0.5, 0.25, 1.125]
        //    w = [0, −1.5, 0.125] − 0.5b = [0.25, −1.625, −0.4375]
        let out = trajectory(SGD(momentum: 0.5), start: w0, grads: g, lrs: [0.5, 0.5, 0.5])
        expectClose(out[0], [0.5, -1.5, 0.25], tol: 1e-7, "momentum step 1")
        expectClose(out[1], [0, -1.5, 0.125], tol: 1e-7, "momentum step 2")
        expectClose(out[2], [0.25, -1.625, -0.4375], tol: 1e-7, "momentum step 3")
    }

    @Test func dampening() {
        // μ = 0.5, τ = 0.5, lr = 0.5; the first step does not dampen (b = g1).
        // 1: b = [1, −1, 0.5];                                          w = [0.5, −1.5, 0.25]
        // 2: b = 0.5·[1, −1, 0.5] + 0.5·[0.5, 0.5, 0] = [0.75, −0.25, 0.25]
        //    w = [0.5, −1.5, 0.25] − 0.5b = [0.125, −1.375, 0.125]
        // 3: b = 0.5·[0.75, −0.25, 0.25] + 0.5·[−1, 0.25, 1] = [−0.125, 0, 0.625]
        //    w = [0.125, −1.375, 0.125] − 0.5b = [0.1875, −1.375, −0.1875]
        let out = trajectory(SGD(momentum: 0.5, dampening: 0.5), start: w0, grads: g, lrs: [0.5, 0.5, 0.5])
        expectClose(out[0], [0.5, -1.5, 0.25], tol: 1e-7, "dampening step 1")
        expectClose(out[1], [0.125, -1.375, 0.125], tol: 1e-7, "dampening step 2")
        expectClose(out[2], [0.1875, -1.375, -0.1875], tol: 1e-7, "dampening step 3")
    }

    @Test func nesterov() {
        // μ = 0.5, lr = 0.5, d = g + μ·b with b updated first.
        // 1: b = [1, −1, 0.5];         d = g1 + 0.5b = [1.5, −1.5, 0.75];      w = [0.25, −1.25, 0.125]
        // 2: b = [1, 0, 0.25];         d = g2 + 0.5b = [1, 0.5, 0.125];        w = [−0.25, −1.5, 0.0625]
        // 3: b = [−0.5, 0.25, 1.125];  d = g3 + 0.5b = [−1.25, 0.375, 1.5625]; w = [0.375, −1.6875, −0.71875]
        let out = trajectory(SGD(momentum: 0.5, nesterov: true), start: w0, grads: g, lrs: [0.5, 0.5, 0.5])
        expectClose(out[0], [0.25, -1.25, 0.125], tol: 1e-7, "Nesterov step 1")
        expectClose(out[1], [-0.25, -1.5, 0.0625], tol: 1e-7, "Nesterov step 2")
        expectClose(out[2], [0.375, -1.6875, -0.71875], tol: 1e-7, "Nesterov step 3")
    }

    @Test func momentumWithWeightDecayAndVaryingRate() {
        // μ = 0.5, λ = 0.5; lr = 0.5 then 0.25.
        // 1: g' = [1, −1, 0.5] + 0.5·[1, −2, 0.5] = [1.5, −2, 0.75]; b = g'; w = [1, −2, 0.5] − 0.5b = [0.25, −1, 0.125]
        // 2: g' = [0.5, 0.5, 0] + 0.5·[0.25, −1, 0.125] = [0.625, 0, 0.0625]
        //    b = 0.5·[1.5, −2, 0.75] + g' = [1.375, −1, 0.4375]; w = [0.25, −1, 0.125] − 0.25b = [−0.09375, −0.75, 0.015625]
        let out = trajectory(SGD(momentum: 0.5, weightDecay: 0.5), start: w0, grads: [g[0], g[1]], lrs: [0.5, 0.25])
        expectClose(out[0], [0.25, -1, 0.125], tol: 1e-7, "momentum+wd step 1")
        expectClose(out[1], [-0.09375, -0.75, 0.015625], tol: 1e-7, "momentum+wd step 2")
    }

    @Test func plainSGDHasNoState() {
        let opt = SGD(weightDecay: 0.1)
        let p = parameter(w0)
        p.grad = Tensor(shape: [3], values: [1, 1, 1])
        opt.step([p], learningRate: 0.1)
        #expect(opt.state.tensors.isEmpty && opt.state.scalars.isEmpty)
    }
}
