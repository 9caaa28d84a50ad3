import NN
import Optim
import Tensor
import Testing

/// A parameter holding `values` (shape `[values.count]` unless given).
func parameter(_ values: [Float], shape: [Int]? = nil, name: String = "w") -> Parameter {
    Parameter(Tensor(shape: shape ?? [values.count], values: values), name: name)
}

/// Runs `optimizer.step` once per (gradient, lr) pair on a single parameter and returns the values
/// after each step.
func trajectory(_ optimizer: any Optimizer, start: [Float], grads: [[Float]], lrs: [Float]) -> [[Float]] {
    let p = parameter(start)
    var out: [[Float]] = []
    for (g, lr) in zip(grads, lrs) {
        p.grad = Tensor(shape: [g.count], values: g)
        optimizer.step([p], learningRate: lr)
        out.append(p.value.scalars)
    }
    return out
}

/// Expects `|actual − expected| ≤ tol` element-wise.
func expectClose(_ actual: [Float], _ expected: [Float], tol: Float, _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, "\(what): \(actual.count) values, expected \(expected.count)",
            sourceLocation: sourceLocation)
    for (i, (a, e)) in zip(actual, expected).enumerated() {
        #expect(abs(a - e) <= tol, "\(what)[\(i)]: got \(a), expected \(e) (tol \(tol))", sourceLocation: sourceLocation)
    }
}

/// A named optimiser configuration for tests that run over every optimiser.
struct OptimizerCase: CustomTestStringConvertible, Sendable {
    let name: String
    let make: @Sendable () -> any Optimizer
    var testDescription: String { name }
}

/// Every optimiser, in the configurations whose code paths differ.
let allOptimizerCases: [OptimizerCase] = [
    OptimizerCase(name: "SGD") { SGD() },
    OptimizerCase(name: "SGD wd") { SGD(weightDecay: 5e-4) },
    OptimizerCase(name: "SGD momentum") { SGD(momentum: 0.9, weightDecay: 5e-4) },
    OptimizerCase(name: "SGD dampening") { SGD(momentum: 0.9, dampening: 0.3, weightDecay: 5e-4) },
    OptimizerCase(name: "SGD nesterov") { SGD(momentum: 0.9, nesterov: true, weightDecay: 5e-4) },
    OptimizerCase(name: "Adam") { Adam() },
    OptimizerCase(name: "Adam β1=0 L2") { Adam(beta1: 0, weightDecay: 1e-2) },
    OptimizerCase(name: "AdamW") { AdamW() },
]

/// A small model's worth of parameters: a big one (above the parallel grain, so updates run split
/// over the worker pool) and two small ones, with seeded values.
func makeParameters(seed: UInt64) -> [Parameter] {
    var rng = RandomGenerator(seed: seed)
    return [
        Parameter(Tensor.normal([70_001], using: &rng), name: "features.weight"),
        Parameter(Tensor.normal([3, 4], using: &rng), name: "fc.weight"),
        Parameter(Tensor.normal([4], using: &rng), name: "fc.bias"),
    ]
}

/// Seeded gradients for `makeParameters`, different for every step.
func setGradients(_ ps: [Parameter], step: Int) {
    var rng = RandomGenerator(seed: 1000 + UInt64(step))
    for p in ps { p.grad = Tensor.normal(p.value.shape, using: &rng) }
}

/// Learning rate used at `step` (varies per step, as under MLR-SNet).
func learningRate(step: Int) -> Float { [0.1, 0.03, 0.2, 0.07, 0.01, 0.15][step % 6] }

/// Bitwise equality of element values (distinguishes nothing that `==` would not, but reports).
func expectIdentical(_ a: [Parameter], _ b: [Parameter], _ what: String,
                     sourceLocation: SourceLocation = #_sourceLocation) {
    for (x, y) in zip(a, b) {
        #expect(x.value == y.value, "\(what): '\(x.name)' differs", sourceLocation: sourceLocation)
    }
}
