import NN
import Optim
import Tensor
import Testing

/// Hand-computed Adam/AdamW updates over 3 steps on w = [1, −2, 0.5] with gradients
/// g1 = [1, −1, 0.5], g2 = [0.5, 0.5, 0], g3 = [−1, 0.25, 1], lr = 0.5, 0.25, 0.5,
/// β1 = 0.5, β2 = 0.75 and a large ε = 0.1 so that ε's place (after √v̂) visibly matters:
/// bc1 = 1 − 0.5ᵗ = 0.5, 0.75, 0.875; bc2 = 1 − 0.75ᵗ = 0.25, 0.4375, 0.578125.
/// Numbers below are rounded to 9 digits. Tolerance 1e-6 absolute: values are O(1) and each step
/// rounds a handful of Float operations (sqrt, two divisions), ~1e-7 each; an error in any rule
/// (bias correction, ε placement, decay) moves results by ≥ 1e-3.
@Suite struct AdamHandTests {
    let w0: [Float] = [1, -2, 0.5]
    let g: [[Float]] = [[1, -1, 0.5], [0.5, 0.5, 0], [-1, 0.25, 1]]
    let lrs: [Float] = [0.5, 0.25, 0.5]

    @Test func adam() {
        // 1: m = 0.5·g1 = [0.5, −0.5, 0.25]; v = 0.25·g1² = [0.25, 0.25, 0.0625]
        //    m̂ = m/0.5 = [1, −1, 0.5]; √v̂ = √(v/0.25) = [1, 1, 0.5]; d = m̂/(√v̂ + 0.1) = [0.909090909, −0.909090909, 0.833333333]
        //    w = w0 − 0.5d = [0.545454545, −1.54545455, 0.0833333333]
        // 2: m = 0.5m + 0.5g2 = [0.5, 0, 0.125]; v = 0.75v + 0.25g2² = [0.25, 0.25, 0.046875]
        //    m̂ = m/0.75 = [0.666666667, 0, 0.166666667]; √v̂ = √(v/0.4375) = [0.755928946, 0.755928946, 0.327326835]
        //    d = [0.778880852, 0, 0.390021531]; w −= 0.25d → [0.350734332, −1.54545455, −0.0141720495]
        // 3: m = [−0.25, 0.125, 0.5625]; v = [0.4375, 0.203125, 0.28515625]
        //    m̂ = m/0.875 = [−0.285714286, 0.142857143, 0.642857143]; √v̂ = [0.869917672, 0.592748978, 0.702312782]
        //    d = [−0.294575812, 0.20621776, 0.801255019]; w −= 0.5d → [0.498022238, −1.64856343, −0.414799559]
        let out = trajectory(Adam(beta1: 0.5, beta2: 0.75, eps: 0.1), start: w0, grads: g, lrs: lrs)
        expectClose(out[0], [0.545454545, -1.54545455, 0.0833333333], tol: 1e-6, "Adam step 1")
        expectClose(out[1], [0.350734332, -1.54545455, -0.0141720495], tol: 1e-6, "Adam step 2")
        expectClose(out[2], [0.498022238, -1.64856343, -0.414799559], tol: 1e-6, "Adam step 3")
    }

    @Test func adamCoupledL2() {
        // λ = 0.5 is added to the gradient before the moments: g' = g + 0.5w.
        // 1: g' = [1.5, −2, 0.75]; m = [0.75, −1, 0.375]; v = [0.5625, 1, 0.140625]
        //    m̂ = [1.5, −2, 0.75]; √v̂ = [1.5, 2, 0.75]; d = [0.9375, −0.952380952, 0.882352941]
        //    w = w0 − 0.5d = [0.53125, −1.52380952, 0.0588235294]
        // 2: g' = g2 + 0.5w = [0.765625, −0.261904762, 0.0294117647]
        //    m = [0.7578125, −0.630952381, 0.202205882]; v = [0.56842041, 0.767148526, 0.105685013]
        //    m̂ = [1.01041667, −0.841269841, 0.269607843]; √v̂ = [1.13984501, 1.3241912, 0.491493381]
        //    d = [0.814954012, −0.590700068, 0.455808724]; w −= 0.25d → [0.327511497, −1.37613451, −0.0551286515]
        // 3: g' = [−0.836244251, −0.438067253, 0.972435674]
        //    m = [−0.0392158757, −0.534509817, 0.587320778]; v = [0.60114142, 0.623337124, 0.315671545]
        //    m̂ = [−0.0448181437, −0.610868362, 0.671223747]; √v̂ = [1.01971181, 1.03836639, 0.73893603]
        //    d = [−0.0400264989, −0.536618411, 0.800089307]; w −= 0.5d → [0.347524746, −1.1078253, −0.455173305]
        let out = trajectory(Adam(beta1: 0.5, beta2: 0.75, eps: 0.1, weightDecay: 0.5), start: w0, grads: g, lrs: lrs)
        expectClose(out[0], [0.53125, -1.52380952, 0.0588235294], tol: 1e-6, "Adam L2 step 1")
        expectClose(out[1], [0.327511497, -1.37613451, -0.0551286515], tol: 1e-6, "Adam L2 step 2")
        expectClose(out[2], [0.347524746, -1.1078253, -0.455173305], tol: 1e-6, "Adam L2 step 3")
    }

    @Test func adamW() {
        // Moments as in `adam` (raw gradient); d = d_adam + 0.5·w (w before the step).
        // 1: d = [0.909090909, −0.909090909, 0.833333333] + 0.5·[1, −2, 0.5] = [1.40909091, −1.90909091, 1.08333333]
        //    w = w0 − 0.5d = [0.295454545, −1.04545455, −0.0416666667]
        // 2: d = [0.778880852, 0, 0.390021531] + 0.5w = [0.926608125, −0.522727273, 0.369188198]
        //    w −= 0.25d → [0.0638025143, −0.914772727, −0.133963716]
        // 3: d = [−0.294575812, 0.20621776, 0.801255019] + 0.5w = [−0.262674555, −0.251168603, 0.734273161]
        //    w −= 0.5d → [0.195139792, −0.789188426, −0.501100296]
        let out = trajectory(AdamW(beta1: 0.5, beta2: 0.75, eps: 0.1, weightDecay: 0.5), start: w0, grads: g, lrs: lrs)
        expectClose(out[0], [0.295454545, -1.04545455, -0.0416666667], tol: 1e-6, "AdamW step 1")
        expectClose(out[1], [0.0638025143, -0.914772727, -0.133963716], tol: 1e-6, "AdamW step 2")
        expectClose(out[2], [0.195139792, -0.789188426, -0.501100296], tol: 1e-6, "AdamW step 3")
    }

    @Test func stepCountIsPerParameter() {
        // A parameter that joins later starts its own bias correction at t = 1: its first step is
        // the same as a fresh optimiser's.
        let opt = Adam(beta1: 0.5, beta2: 0.75, eps: 0.1)
        let a = parameter(w0, name: "a"), b = parameter(w0, name: "b")
        a.grad = Tensor(shape: [3], values: g[0])
        opt.step([a], learningRate: 0.5)
        b.grad = Tensor(shape: [3], values: g[0])
        opt.step([b], learningRate: 0.5)
        expectClose(b.value.scalars, [0.545454545, -1.54545455, 0.0833333333], tol: 1e-6, "late parameter")
        #expect(opt.state.scalars["a.step"] == 1 && opt.state.scalars["b.step"] == 1)
    }
}
