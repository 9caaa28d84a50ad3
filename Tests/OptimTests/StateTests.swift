import Foundation
import NN
import Optim
import Tensor
import Testing

/// Checkpointing: a state saved mid-run and restored into a fresh optimiser (through JSON) continues
/// the identical trajectory; mismatched states are rejected with clear errors.
@Suite struct StateTests {
    @Test(arguments: allOptimizerCases)
    func restoreContinuesIdenticalTrajectory(_ c: OptimizerCase) throws {
        let opt = c.make()
        let ps = makeParameters(seed: 3)
        for step in 0..<3 {
            setGradients(ps, step: step)
            opt.step(ps, learningRate: learningRate(step: step))
        }
        let saved = opt.state
        let savedValues = ps.map(\.value)
        // The original run continues (its buffers change after the snapshot was taken).
        for step in 3..<6 {
            setGradients(ps, step: step)
            opt.step(ps, learningRate: learningRate(step: step))
        }
        // Fresh parameters at the saved values, fresh optimiser, state restored through JSON.
        let json = try JSONEncoder().encode(saved)
        let decoded = try JSONDecoder().decode(OptimizerState.self, from: json)
        #expect(decoded == saved, "\(c.name): JSON round trip changed the state")
        let qs = makeParameters(seed: 999)
        for (q, v) in zip(qs, savedValues) { q.value = v }
        let resumed = c.make()
        try resumed.restore(decoded, for: qs)
        #expect(resumed.state == saved)
        for step in 3..<6 {
            setGradients(qs, step: step)
            resumed.step(qs, learningRate: learningRate(step: step))
        }
        expectIdentical(ps, qs, "\(c.name) resumed run")
        #expect(resumed.state == opt.state, "\(c.name): resumed state differs")
    }

    @Test func stateNamesFollowPyTorch() {
        let ps = makeParameters(seed: 1)
        setGradients(ps, step: 0)
        let sgd = SGD(momentum: 0.9)
        sgd.step(ps, learningRate: 0.1)
        #expect(Set(sgd.state.tensors.keys) == Set(ps.map { "\($0.name).momentum_buffer" }))
        let adam = Adam()
        adam.step(ps, learningRate: 0.1)
        adam.step(ps, learningRate: 0.1)
        #expect(Set(adam.state.tensors.keys) == Set(ps.flatMap { ["\($0.name).exp_avg", "\($0.name).exp_avg_sq"] }))
        #expect(adam.state.scalars == Dictionary(uniqueKeysWithValues: ps.map { ("\($0.name).step", 2.0) }))
        #expect(adam.state.kind == "Adam" && AdamW().state.kind == "AdamW" && sgd.state.kind == "SGD")
    }

    /// A state with momentum buffers for `fc.weight` [3, 4] and `fc.bias` [4].
    private func sgdState() -> (OptimizerState, [Parameter]) {
        let ps = [parameter(Array(repeating: 1, count: 12), shape: [3, 4], name: "fc.weight"),
                  parameter([1, 2, 3, 4], name: "fc.bias")]
        for p in ps { p.grad = Tensor.ones(p.value.shape) }
        let opt = SGD(momentum: 0.9)
        opt.step(ps, learningRate: 0.1)
        return (opt.state, ps)
    }

    @Test func restoreIntoOtherNamesThrows() {
        let (state, _) = sgdState()
        let other = [parameter(Array(repeating: 1, count: 12), shape: [3, 4], name: "head.weight"),
                     parameter([1, 2, 3, 4], name: "head.bias")]
        #expect(throws: OptimizerStateError.unknownEntries(["fc.bias.momentum_buffer", "fc.weight.momentum_buffer"])) {
            try SGD(momentum: 0.9).restore(state, for: other)
        }
    }

    @Test func restoreIntoOtherShapesThrows() {
        let (state, _) = sgdState()
        let other = [parameter(Array(repeating: 1, count: 12), shape: [4, 3], name: "fc.weight"),
                     parameter([1, 2, 3, 4], name: "fc.bias")]
        #expect(throws: OptimizerStateError.shapeMismatch(key: "fc.weight.momentum_buffer", expected: [4, 3], found: [3, 4])) {
            try SGD(momentum: 0.9).restore(state, for: other)
        }
    }

    @Test func restoreIntoSubsetThrows() {
        // Restoring a two-parameter state into just one parameter leaves an entry unclaimed.
        let (state, ps) = sgdState()
        #expect(throws: OptimizerStateError.unknownEntries(["fc.weight.momentum_buffer"])) {
            try SGD(momentum: 0.9).restore(state, for: [ps[1]])
        }
    }

    @Test func restoreOtherKindThrows() {
        let (state, ps) = sgdState()
        #expect(throws: OptimizerStateError.kindMismatch(expected: "Adam", found: "SGD")) {
            try Adam().restore(state, for: ps)
        }
        #expect(throws: OptimizerStateError.kindMismatch(expected: "AdamW", found: "Adam")) {
            try AdamW().restore(OptimizerState(kind: "Adam"), for: ps)
        }
        // Plain SGD has no buffers: momentum buffers are entries it cannot use.
        #expect(throws: OptimizerStateError.self) { try SGD().restore(state, for: ps) }
    }

    @Test func incompleteAdamStateThrows() {
        let ps = makeParameters(seed: 5)
        setGradients(ps, step: 0)
        let opt = Adam()
        opt.step(ps, learningRate: 0.1)
        var state = opt.state
        state.tensors["fc.bias.exp_avg_sq"] = nil
        #expect(throws: OptimizerStateError.incompleteEntries(parameter: "fc.bias", missing: ["fc.bias.exp_avg_sq"])) {
            try Adam().restore(state, for: ps)
        }
        var bad = opt.state
        bad.scalars["fc.bias.step"] = 1.5
        #expect(throws: OptimizerStateError.invalidScalar(key: "fc.bias.step", value: 1.5)) {
            try Adam().restore(bad, for: ps)
        }
    }

    @Test func duplicateNamesThrow() {
        let ps = [parameter([1, 2], name: "w"), parameter([3, 4], name: "w")]
        #expect(throws: OptimizerStateError.duplicateParameterName("w")) {
            try Adam().restore(OptimizerState(kind: "Adam"), for: ps)
        }
    }

    @Test func failedRestoreKeepsState() throws {
        let ps = makeParameters(seed: 8)
        setGradients(ps, step: 0)
        let opt = SGD(momentum: 0.9)
        opt.step(ps, learningRate: 0.1)
        let before = opt.state
        let foreign = OptimizerState(kind: "SGD", tensors: ["fc.bias.momentum_buffer": Tensor.ones([5])])
        #expect(throws: OptimizerStateError.shapeMismatch(key: "fc.bias.momentum_buffer", expected: [4], found: [5])) {
            try opt.restore(foreign, for: ps)
        }
        #expect(opt.state == before)
        // An empty state is valid: every parameter starts fresh.
        try opt.restore(OptimizerState(kind: "SGD"), for: ps)
        #expect(opt.state.tensors.isEmpty)
    }

    @Test func decodingRejectsCorruptTensors() {
        let json = #"{"kind":"SGD","scalars":{},"tensors":{"w.momentum_buffer":{"shape":[2,2],"values":[1,2,3]}}}"#
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(OptimizerState.self, from: Data(json.utf8))
        }
    }
}
