import Foundation
import LearnedSchedule
import Testing

/// The state contract: (h, c) advance exactly once per step, from the latest forward, and the API refuses a
/// second advance, an advance after θ changed, and a backward without a forward.
@Suite struct CellState {
    @Test(arguments: MLRSNetArchitecture.allCases)
    func forwardDoesNotAdvanceCommitDoesOnce(_ arch: MLRSNetArchitecture) throws {
        var cell = makeCell(arch)
        cell.step(loss: 2.0)
        let h0 = cell.hiddenState, c0 = cell.cellState
        let p1 = cell.forward(loss: 1.5)
        let p2 = cell.forward(loss: 1.5)
        #expect(p1 == p2, "forward must not change the state: \(p1) then \(p2)")
        #expect(cell.hiddenState == h0 && cell.cellState == c0 && cell.stepsAdvanced == 1)
        let pendingH = cell.pendingHiddenState, pendingC = cell.pendingCellState
        try cell.commitState()
        #expect(cell.stepsAdvanced == 2)
        if arch.isRecurrent {
            #expect(cell.hiddenState == pendingH && cell.cellState == pendingC && cell.hiddenState != h0)
        } else {
            #expect(cell.hiddenState.isEmpty && cell.cellState.isEmpty)
        }
        // A second advance in the same step is refused and changes nothing.
        #expect(throws: MLRSNetCellError.noForwardSinceLastAdvance) { try cell.commitState() }
        #expect(cell.stepsAdvanced == 2 && cell.hiddenState == (arch.isRecurrent ? pendingH : []))
        #expect(!cell.hasCurrentForward)
        #expect(cell.lastOutput == p2)
    }

    @Test func staleForwardIsRefused() throws {
        var cell = makeCell(.referenceMetaTest)
        #expect(throws: MLRSNetCellError.noForwardCache) { try cell.backward(dp: 1) }
        #expect(throws: MLRSNetCellError.noForwardSinceLastAdvance) { try cell.commitState() }
        cell.forward(loss: 1)
        var w = cell.weights
        w[0] += 0.5
        try cell.setWeights(w)
        #expect(throws: MLRSNetCellError.weightsChangedSinceForward) { try cell.commitState() }
        #expect(throws: MLRSNetCellError.weightsChangedSinceForward) { try cell.backward(dp: 1) }
        #expect(cell.stepsAdvanced == 0)
        cell.forward(loss: 1)
        try cell.commitState()
        #expect(cell.stepsAdvanced == 1)
        // After an advance, backward has no forward for the new step.
        #expect(throws: MLRSNetCellError.noForwardCache) { try cell.backward(dp: 1) }
    }

    /// `step` = forward + commit, and the sequence equals one driven by hand; a copy is independent (value
    /// semantics: copy-on-write storage).
    @Test func stepEqualsForwardCommitAndCopiesAreIndependent() throws {
        var a = makeCell(.paper, hidden: 8)
        var b = a
        let losses: [Float] = [2.3, 2.0, 1.7, 1.9, 1.2]
        for x in losses {
            let pa = a.step(loss: x)
            let pb = b.forward(loss: x)
            try b.commitState()
            #expect(pa == pb)
        }
        #expect(a.hiddenState == b.hiddenState)
        var c = a
        c.step(loss: 0.5)
        #expect(a.stepsAdvanced == 5 && c.stepsAdvanced == 6 && a.hiddenState != c.hiddenState)
        a.resetState()
        #expect(a.hiddenState.allSatisfy { $0 == 0 } && a.stepsAdvanced == 0)
    }

    @Test func setStateValidates() throws {
        var cell = makeCell(.referenceMetaTest, hidden: 4)
        #expect(throws: MLRSNetCellError.self) { try cell.setState(hidden: [0, 0], cell: [0, 0, 0, 0], stepsAdvanced: 0) }
        #expect(throws: MLRSNetCellError.self) { try cell.setState(hidden: [0, .nan, 0, 0], cell: [0, 0, 0, 0], stepsAdvanced: 0) }
        try cell.setState(hidden: [0.1, 0.2, 0.3, 0.4], cell: [1, 2, 3, 4], stepsAdvanced: 9)
        #expect(cell.hiddenState == [0.1, 0.2, 0.3, 0.4] && cell.stepsAdvanced == 9)
        #expect(throws: MLRSNetCellError.self) { try cell.setWeights([1, 2, 3]) }
    }
}

@Suite struct CellInitialisation {
    /// Same seed, same weights; each parameter within PyTorch's default bound ±1/√fanIn and actually spread
    /// over it (max |w| above 80% of the bound for tensors with ≥ 20 values).
    @Test(arguments: MLRSNetArchitecture.allCases)
    func seededPyTorchDefaultInit(_ arch: MLRSNetArchitecture) {
        let a = makeCell(arch, hidden: 12, seed: 42), b = makeCell(arch, hidden: 12, seed: 42)
        let other = makeCell(arch, hidden: 12, seed: 43)
        #expect(a.weights == b.weights && a.weights != other.weights)
        for s in a.configuration.parameterSpecs {
            let v = a.parameter(named: s.name)!.values
            let bound = 1 / Float(s.fanIn).squareRoot()
            #expect(v.allSatisfy { abs($0) <= bound }, "\(s.name) exceeds ±\(bound)")
            if v.count >= 20 { #expect(v.map { abs($0) }.max()! > 0.8 * bound, "\(s.name) does not fill ±\(bound)") }
        }
        #expect(a.hiddenState.allSatisfy { $0 == 0 } && a.cellState.allSatisfy { $0 == 0 })
    }

    @Test func parameterNamesAndShapes() throws {
        let ref = try MLRSNetConfiguration(architecture: .referenceMetaTest, hiddenSize: 50)
        #expect(ref.parameterSpecs.map(\.name) == [
            "layer1.fc_i2h.0.weight", "layer1.fc_i2h.0.bias", "layer1.fc_i2h.2.weight", "layer1.fc_i2h.2.bias",
            "layer1.fc_h2h.0.weight", "layer1.fc_h2h.0.bias", "layer1.fc_h2h.2.weight", "layer1.fc_h2h.2.bias",
            "layer3.weight", "layer3.bias"])
        #expect(ref.parameterSpecs.map(\.shape) == [[25, 1], [25], [200, 25], [200], [25, 50], [25], [200, 25], [200], [1, 50], [1]])
        #expect(ref.parameterCount == 25 + 25 + 5000 + 200 + 1250 + 25 + 5000 + 200 + 50 + 1)
        let paper = try MLRSNetConfiguration(architecture: .paper, hiddenSize: 40)
        #expect(paper.preWidth == 40)
        #expect(paper.parameterSpecs.map(\.name) == ["pre.weight", "pre.bias", "gates.weight", "gates.bias", "layer3.weight", "layer3.bias"])
        #expect(paper.parameterSpecs.map(\.shape) == [[40, 41], [40], [160, 40], [160], [1, 40], [1]])
        let mlp = try MLRSNetConfiguration(architecture: .mlp, hiddenSize: 40, preWidth: 20)
        #expect(mlp.parameterSpecs.map(\.shape) == [[20, 1], [20], [40, 20], [40], [1, 40], [1]])
        #expect(throws: MLRSNetCellError.self) { try MLRSNetConfiguration(architecture: .paper, hiddenSize: 0) }
        #expect(throws: MLRSNetCellError.self) { try MLRSNetConfiguration(architecture: .paper, hiddenSize: 4, preWidth: 0) }
    }

    /// "First LR = x": b = logit(x/γ) − layer3·h₁ makes the very first learned LR equal x.
    @Test(arguments: MLRSNetArchitecture.allCases)
    func firstLearningRateRule(_ arch: MLRSNetArchitecture) throws {
        let gamma = 1.0, target = 0.1, l0: Float = 2.302585
        var cell = makeCell(arch, hidden: 10, outputBias: .firstLearningRate(target, gamma: gamma, firstInput: l0))
        let p = cell.step(loss: l0)
        #expect(abs(gamma * Double(p) - target) <= 1e-6 * target * 10, "first LR \(gamma * Double(p)) vs \(target)")
        // With γ = 40 (text) and target 20: p₁ = 0.5.
        var text = makeCell(arch, hidden: 10, outputBias: .firstLearningRate(20, gamma: 40, firstInput: 1))
        #expect(abs(text.step(loss: 1) - 0.5) <= 1e-6)
        let fixed = makeCell(arch, outputBias: .value(1.0))
        #expect(fixed.parameter(named: "layer3.bias")!.values == [1.0])
        #expect(throws: MLRSNetCellError.self) {
            try MLRSNetCell(configuration: makeConfiguration(arch, hidden: 4), seed: 1, outputBias: .firstLearningRate(2, gamma: 1, firstInput: 1))
        }
        #expect(throws: MLRSNetCellError.self) {
            try MLRSNetCell(configuration: makeConfiguration(arch, hidden: 4), seed: 1, outputBias: .firstLearningRate(0.1, gamma: 1, firstInput: .nan))
        }
    }

    /// Cost of one step at the reference size (H = 50, P = 25): forward + commit, and forward + backward.
    /// Reported, with a loose bound (< 200 µs) that only catches pathological regressions on a shared machine;
    /// measured ≈ 2–4 µs for a step in release.
    @Test func costPerStep() throws {
        var cell = makeCell(.referenceMetaTest, hidden: 50, seed: 1)
        let n = 20_000
        let clock = ContinuousClock()
        var sink: Float = 0
        let stepTime = clock.measure {
            for i in 0..<n { sink += cell.step(loss: 2 - Float(i % 100) * 0.01) }
        }
        let backTime = try clock.measure {
            for i in 0..<n {
                sink += cell.forward(loss: 1 + Float(i % 10) * 0.01)
                try cell.backward(dp: 1e-3)
            }
        }
        let perStep = Double(stepTime.components.attoseconds) / 1e12 / Double(n) + Double(stepTime.components.seconds) * 1e6 / Double(n)
        let perBack = Double(backTime.components.attoseconds) / 1e12 / Double(n) + Double(backTime.components.seconds) * 1e6 / Double(n)
        print("MLRSNetCell H=50: step (forward+commit) \(perStep) µs, forward+backward \(perBack) µs (sink \(sink))")
        #expect(perStep < 200 && perBack < 400)
    }
}
