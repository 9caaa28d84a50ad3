import Baselines
import Datasets
import Foundation
import NN
import Optim
import Schedules
import Tensor
import Testing
import Training

/// The finite-difference Hessian-vector product and RTHO's forward-mode tangent and LR updates, on quadratics
/// whose Hessian and unrolled derivatives are known in closed form.
@Suite struct RTHOTests {
    /// H·v by central differences equals A·v for L = ½wᵀAw − bᵀw (non-diagonal A), and leaves the weights and
    /// their gradients exactly as they were.
    @Test func finiteDifferenceHVPMatchesExactHessian() throws {
        let A = [[2.0, 0.5, -0.3], [0.5, 1.0, 0.2], [-0.3, 0.2, 3.0]]
        let t = QuadraticTask(A: A, linear: [[0.4, -1, 0.25]], w0: [0.7, -0.2, 1.3])
        let p = t.weights.parameters
        p[0].grad = Tensor(shape: [3], values: [9, 8, 7])
        let before = (p[0].value.scalars.map(\.bitPattern), p[0].grad.scalars)
        let v: [Float] = [0.3, -1, 0.7]
        let hv = try #require(try FiniteDifferenceHVP().product(task: t, parameters: p, vector: [Tensor(shape: [3], values: v)],
                                                               epoch: 0, batch: 0, preStepState: [:]))
        for i in 0..<3 {
            let exact = (0..<3).reduce(0.0) { $0 + A[i][$1] * Double(v[$1]) }
            #expect(abs(Double(hv[0].scalars[i]) - exact) < 1e-4, "row \(i)")
        }
        #expect(p[0].value.scalars.map(\.bitPattern) == before.0)
        #expect(p[0].grad.scalars == before.1)
        #expect(try FiniteDifferenceHVP().product(task: t, parameters: p, vector: [.zeros([3])], epoch: 0, batch: 0, preStepState: [:]) == nil)
    }

    /// With β = 0 (fixed α) and plain SGD on a diagonal quadratic, w_T − w* = (1 − αa)^T (w₀ − w*), so the exact
    /// derivative of the unrolled trajectory is dw_T/dα = −T·a·(1 − αa)^{T−1}·(w₀ − w*), per coordinate.
    /// RTHO's tangent after T steps must equal it.
    @Test func tangentEqualsExactUnrolledDerivative() throws {
        let a = [1.0, 3.0], b = [1.0, -2.0], alpha = 0.1, T = 10
        let t = QuadraticTask(diagonal: a, linear: [b], w0: [0, 0])
        let rtho = try RTHOUpdate(task: t, initialLR: Float(alpha), hyperLR: 0)
        _ = try runSteps(t, rtho, SGD(), steps: T)
        for i in 0..<2 {
            let wStar = b[i] / a[i]
            let exact = -Double(T) * a[i] * pow(1 - alpha * a[i], Double(T - 1)) * (0 - wStar)
            let z = Double(rtho.tangent[0].scalars[i])
            #expect(abs(z - exact) < 1e-3 * max(1, abs(exact)), "coordinate \(i): tangent \(z), exact \(exact)")
        }
    }

    /// The same with coupled weight decay λ: the objective's Hessian is a + λ and its minimiser b/(a + λ).
    @Test func tangentIncludesWeightDecay() throws {
        let a = [1.0, 3.0], b = [1.0, -2.0], alpha = 0.1, T = 8, λ = 0.5
        let t = QuadraticTask(diagonal: a, linear: [b], w0: [0, 0])
        let rtho = try RTHOUpdate(task: t, initialLR: Float(alpha), hyperLR: 0)
        _ = try runSteps(t, rtho, SGD(weightDecay: Float(λ)), steps: T)
        for i in 0..<2 {
            let h = a[i] + λ, wStar = b[i] / h
            let exact = -Double(T) * h * pow(1 - alpha * h, Double(T - 1)) * (0 - wStar)
            #expect(abs(Double(rtho.tangent[0].scalars[i]) - exact) < 1e-3 * max(1, abs(exact)))
        }
    }

    /// LR trajectory with β > 0 against the rule written out in Double (1-D: training a = 1, b = 0.5; validation
    /// ½·2·(w − 0.8)²): before each step h = ∇L_val(w)·Z, α ← α − βh; then Z ← (1 − αa)Z − g, w ← w − αg.
    @Test func lrTrajectoryFollowsTheHypergradient() throws {
        let t = QuadraticTask(diagonal: [1], linear: [[0.5]], w0: [2], validationCurvature: [2], validationCenter: [0.8])
        let rtho = try RTHOUpdate(task: t, initialLR: 0.1, hyperLR: 0.05)
        let lrs = try runSteps(t, rtho, SGD(), steps: 6)
        var w = 2.0, z = 0.0, alpha = 0.1
        for k in 0..<6 {
            if k > 0 { alpha -= 0.05 * 2 * (w - 0.8) * z }
            let g = w - 0.5
            z = (1 - alpha) * z - g
            w -= alpha * g
            #expect(abs(Double(lrs[k]) - alpha) < 1e-5, "step \(k): \(lrs[k]) vs \(alpha)")
        }
        #expect(lrs[5] != lrs[1])
        #expect(rtho.hyperSteps == 5)
    }

    /// With gradient clipping the step is w − α·c·g (c = m/‖g‖); the tangent uses c·H·Z. 1-D, a = 1, w₀ = 2, m = 0.5
    /// (clipping active throughout): Z ← Z − α·c·Z − c·g, reference in Double.
    @Test func clippedRunScalesTheTangentByTheClipFactor() throws {
        let t = QuadraticTask(diagonal: [1], linear: [[0]], w0: [2])
        let rtho = try RTHOUpdate(task: t, initialLR: 0.1, hyperLR: 0, clipNorm: 0.5)
        _ = try runSteps(t, rtho, SGD(), steps: 6, clip: 0.5)
        var w = 2.0, z = 0.0
        for _ in 0..<6 {
            let c = min(1, 0.5 / (abs(w) + 1e-6))
            z = z - 0.1 * c * z - c * w
            w -= 0.1 * c * w
        }
        #expect(abs(Double(rtho.tangent[0].scalars[0]) - z) < 1e-4 * abs(z), "tangent \(rtho.tangent[0].scalars[0]) vs \(z)")
        #expect(throws: AdaptiveError.self) { try RTHOUpdate(task: t, initialLR: 0.1, hyperLR: 0, clipNorm: 0) }
    }

    @Test func rejectsBadConfiguration() throws {
        let t = QuadraticTask(diagonal: [1], linear: [[0]], w0: [1])
        #expect(throws: AdaptiveError.self) { try RTHOUpdate(task: t, initialLR: 0.1, hyperLR: -1) }
        #expect(throws: AdaptiveError.self) { try RTHOUpdate(task: t, initialLR: 0.1, hyperLR: 1, hyperInterval: 0) }
    }
}

/// The finite-difference HVP on a language model: it re-runs the batch from the given carried LSTM state, and puts
/// the model's current state, weights and gradients back exactly.
@Suite struct LanguageModelHVPTests {
    @Test func usesThePreStepStateAndRestoresEverything() throws {
        var g = RandomGenerator(seed: 4)
        var vocab = Vocabulary()
        for i in 0..<12 { _ = vocab.add("w\(i)") }
        func text(_ n: Int) -> [Int32] { (0..<n).map { i in Int32((i * 5 + Int(g.next() % 4)) % 12) } }
        let corpus = PennTreebank(vocabulary: vocab, train: text(200), valid: text(60), test: text(60))
        var rng = RandomGenerator(seed: 8)
        let lm = LSTMLanguageModel(vocabularySize: 12, embeddingSize: 6, hiddenSize: 6, layers: 1, dropout: 0, tiedWeights: false, rng: &rng)
        let task = LanguageModelTask(model: lm, corpus: corpus, batchSize: 4, bptt: 5, seed: 3)
        let params = lm.parameters
        task.beginEpoch(0)
        _ = task.trainStep(epoch: 0, batch: 0)
        let before1 = task.checkpointTensors           // carried state before batch 1
        for p in params { p.zeroGrad() }
        _ = task.trainStep(epoch: 0, batch: 1)
        let after1 = task.checkpointTensors
        let values = params.map { $0.value.scalars }, grads = params.map { $0.grad.scalars }
        var vr = RandomGenerator(seed: 2)
        let v = params.map { Tensor.normal($0.value.shape, std: 1, using: &vr) }
        let fd = FiniteDifferenceHVP(epsilon: 1e-2)
        let hv = try #require(try fd.product(task: task, parameters: params, vector: v, epoch: 0, batch: 1, preStepState: before1))
        #expect(params.map { $0.value.scalars } == values)
        #expect(params.map { $0.grad.scalars } == grads)
        #expect(task.checkpointTensors.mapValues(\.scalars) == after1.mapValues(\.scalars))
        // The same difference written out: gradients of batch 1 at w ± r·v, each from the state before batch 1.
        let r = Float(1e-2 / v.reduce(0.0) { $0 + Double($1.dot($1)) }.squareRoot())
        func grad(_ s: Float) throws -> [Tensor] {
            for (k, p) in params.enumerated() { p.value = Tensor(shape: p.value.shape, values: values[k]); p.value.addScaled(v[k], s * r); p.zeroGrad() }
            try task.restore(checkpointTensors: before1)
            _ = task.trainStep(epoch: 0, batch: 1)
            return params.map(\.grad)
        }
        let plus = try grad(1), minus = try grad(-1)
        for k in params.indices {
            let expected = (plus[k] - minus[k]).scalars.map { $0 / (2 * r) }
            #expect(zip(hv[k].scalars, expected).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) }, "parameter \(params[k].name)")
        }
        // From another carried state (a fresh one) the product differs: the state matters and is honoured.
        for (k, p) in params.enumerated() { p.value = Tensor(shape: p.value.shape, values: values[k]) }
        let fresh = try #require(try fd.product(task: task, parameters: params, vector: v, epoch: 0, batch: 1, preStepState: [:]))
        #expect(zip(fresh, hv).contains { $0.scalars != $1.scalars })
    }
}
