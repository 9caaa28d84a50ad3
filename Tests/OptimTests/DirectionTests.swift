import NN
import Optim
import Tensor
import Testing

/// `direction` is pure and describes `step` exactly; `direction` + `apply(direction:)` is `step`,
/// bit for bit, for every optimiser. Parameters include a 70 001-element tensor so the updates run
/// split over the worker pool.
@Suite struct DirectionTests {
    @Test(arguments: allOptimizerCases)
    func directionIsPureAndIsTheStep(_ c: OptimizerCase) {
        let opt = c.make()
        let ps = makeParameters(seed: 7)
        for step in 0..<4 {   // step 0: no state yet; later steps: with state
            setGradients(ps, step: step)
            let before = opt.state
            let d1 = opt.direction(ps)
            let d2 = opt.direction(ps)
            #expect(opt.state == before, "\(c.name) step \(step): direction changed the state")
            for (k, p) in ps.enumerated() {
                #expect(d1[k] == d2[k], "\(c.name) step \(step): direction not repeatable for '\(p.name)'")
                #expect(d1[k].shape == p.value.shape)
            }
            let lr = learningRate(step: step)
            let expected: [Tensor] = zip(ps, d1).map { p, d in
                var e = p.value
                e.withUnsafeMutableBufferPointer { eb in d.withUnsafeBufferPointer { db in
                    for i in 0..<eb.count { eb[i] = eb[i] - lr * db[i] }
                } }
                return e
            }
            opt.step(ps, learningRate: lr)
            for (p, e) in zip(ps, expected) {
                #expect(p.value == e, "\(c.name) step \(step): step ≠ w − lr·direction for '\(p.name)'")
            }
        }
    }

    @Test(arguments: allOptimizerCases)
    func applyDirectionEqualsStep(_ c: OptimizerCase) {
        let optA = c.make(), optB = c.make()
        let a = makeParameters(seed: 11), b = makeParameters(seed: 11)
        for step in 0..<5 {
            setGradients(a, step: step)
            setGradients(b, step: step)
            let lr = learningRate(step: step)
            optA.step(a, learningRate: lr)
            let d = optB.direction(b)
            optB.apply(direction: d, to: b, learningRate: lr)
            expectIdentical(a, b, "\(c.name) step \(step)")
            #expect(optA.state == optB.state, "\(c.name) step \(step): states differ")
        }
    }

    @Test func sgdMomentumDirectionMatchesSpec() {
        // d = μ·buf + g + λw after the first step (dampening 0); d = g + λw on the first step.
        let opt = SGD(momentum: 0.5, weightDecay: 0.25)
        let p = parameter([1, -2, 0.5])
        p.grad = Tensor(shape: [3], values: [1, -1, 0.5])
        // first: d = g + 0.25w = [1.25, −1.5, 0.625]
        #expect(opt.direction([p])[0].scalars == [1.25, -1.5, 0.625])
        opt.step([p], learningRate: 0.5)   // buf = [1.25, −1.5, 0.625]; w = [0.375, −1.25, 0.1875]
        p.grad = Tensor(shape: [3], values: [0.5, 0.5, 0])
        // d = 0.5·buf + g + 0.25w = [0.625+0.5+0.09375, −0.75+0.5−0.3125, 0.3125+0+0.046875]
        #expect(opt.direction([p])[0].scalars == [1.21875, -0.5625, 0.359375])
    }
}

/// `direction(_:into:)` reuses the caller's tensors when it can, without breaking value semantics.
@Suite struct DirectionIntoTests {
    private func address(_ t: Tensor) -> UnsafePointer<Float> { t.withUnsafeBufferPointer { $0.baseAddress! } }

    @Test(arguments: allOptimizerCases)
    func intoMatchesAndReusesStorage(_ c: OptimizerCase) {
        let opt = c.make()
        let ps = makeParameters(seed: 21)
        var d: [Tensor] = []
        for step in 0..<3 {
            setGradients(ps, step: step)
            let fresh = opt.direction(ps)
            let before = d.map(address)
            opt.direction(ps, into: &d)
            #expect(d == fresh, "\(c.name) step \(step): direction(into:) differs from direction()")
            if step > 0 {
                #expect(d.map(address) == before, "\(c.name) step \(step): storage was not reused")
            }
            opt.apply(direction: d, to: ps, learningRate: learningRate(step: step))
        }
    }

    @Test func sharedOrMisshapenTensorsAreReplacedNotOverwritten() {
        let opt = SGD(momentum: 0.9)
        let ps = makeParameters(seed: 22)
        setGradients(ps, step: 0)
        var d = [Tensor.zeros([70_001]), Tensor.zeros([2, 6]), Tensor.zeros([4])]
        let kept = d   // shares storage with d: must not be written through
        opt.direction(ps, into: &d)
        #expect(kept[0].maxAbs() == 0 && kept[2].maxAbs() == 0, "a shared tensor was overwritten")
        #expect(d[1].shape == [3, 4])
        #expect(d == opt.direction(ps))
        var short: [Tensor] = [Tensor.zeros([1])]
        opt.direction(ps, into: &short)
        #expect(short.count == 3 && short == d)
    }
}
