import LearnedSchedule
import SafeTensors
import Testing

/// The cell against the reference module in PyTorch (`scripts/golden/mlrsnet.py`): H = 50, P = 25, seeded
/// weights saved as a metadata-free safetensors file with only the reference state-dict keys — exactly what
/// `scripts/convert_reference_checkpoint.py` makes of a reference `.pth` — loaded here as a converted reference
/// checkpoint, then run over 20 losses from the zero state in both reference gate layouts.
///
/// The fixture was computed in float64 from the float32 weights, so it is the exact answer (rounded to float32,
/// ~6e-8 relative). Tolerances: p_t to 1e-6 absolute (the cell's float32 arithmetic over 20 recurrent steps;
/// measured worst 6e-8); h_t, c_t to 1e-6 + 1e-6·|value| (|h| < 1 but c accumulates up to ≈ 10 here, where a
/// float32 ulp is 1e-6; measured worst 1.9e-6 at |c| ≈ 10); ∂p/∂θ at step 12 (|∂p/∂θ| ≲ 0.02) to
/// 1e-7 + 1e-5 relative (float32 backward through ~10 operations).
@Suite struct GoldenPyTorch {
    static let layouts: [(String, MLRSNetArchitecture)] = [("meta-test", .referenceMetaTest), ("meta-train", .referenceMetaTrain)]

    @Test(arguments: layouts)
    func reproducesReferenceSequence(_ tag: String, _ architecture: MLRSNetArchitecture) throws {
        let weightsPath = try fixtureURL("mlrsnet_reference_h50", "safetensors").path
        let artifact = try MLRSNetArtifact.read(weightsPath, options: .referenceCheckpoint(architecture: architecture))
        #expect(artifact.configuration.hiddenSize == 50 && artifact.configuration.preWidth == 25)
        #expect(artifact.configuration.architecture == architecture)

        let (golden, meta) = try SafeTensors.read(try fixtureURL("mlrsnet_golden", "safetensors").path)
        let losses = try #require(golden["losses"]).values
        let ps = try #require(golden["\(tag).p"]).values
        let hs = try #require(golden["\(tag).h"]).values
        let cs = try #require(golden["\(tag).c"]).values
        let gradStep = try #require(Int(meta["grad_step"] ?? ""))
        #expect(losses.count == 20 && ps.count == 20)

        var cell = artifact.makeCell()
        var badState = 0
        for (t, x) in losses.enumerated() {
            let p: Float
            if t == gradStep {
                cell.zeroGradients()
                p = cell.forward(loss: x)
                try cell.backward(dp: 1)
                try cell.commitState()
                for spec in cell.configuration.parameterSpecs {
                    let expected = try #require(golden["\(tag).grad.\(spec.name)"])
                    let got = try #require(cell.gradient(named: spec.name))
                    #expect(got.shape == expected.shape, "\(spec.name): shape \(got.shape) vs \(expected.shape)")
                    let bad = zip(got.values, expected.values).enumerated().filter {
                        !close(Double($0.element.0), Double($0.element.1), atol: 1e-7, rtol: 1e-5)
                    }
                    #expect(bad.isEmpty, "\(tag) ∂p/∂\(spec.name): \(bad.count) of \(got.values.count) differ, e.g. \(bad.prefix(3).map { "[\($0.offset)] \($0.element.0) vs \($0.element.1)" })")
                }
            } else {
                p = cell.step(loss: x)
            }
            #expect(abs(p - ps[t]) <= 1e-6, "\(tag) p_\(t): \(p) vs PyTorch \(ps[t])")
            let h = cell.hiddenState, c = cell.cellState
            for j in 0..<50 where !close(Double(h[j]), Double(hs[t * 50 + j]), atol: 1e-6, rtol: 1e-6)
                || !close(Double(c[j]), Double(cs[t * 50 + j]), atol: 1e-6, rtol: 1e-6) {
                badState += 1
            }
        }
        #expect(badState == 0, "\(tag): \(badState) elements of h_t, c_t differ from PyTorch")
        #expect(cell.stepsAdvanced == 20)
    }

    /// The content hash computed by the Python script (independently, from the documented byte format) equals
    /// ours; and a reference file is refused without the explicit options.
    @Test func contentHashAgreesWithPythonAndOptionsAreRequired() throws {
        let weightsPath = try fixtureURL("mlrsnet_reference_h50", "safetensors").path
        let (tensors, metadata) = try SafeTensors.read(weightsPath)
        #expect(metadata.isEmpty)
        #expect(Set(tensors.keys) == Set(try MLRSNetConfiguration(architecture: .referenceMetaTest, hiddenSize: 50).parameterSpecs.map(\.name)))
        let (_, goldenMeta) = try SafeTensors.read(try fixtureURL("mlrsnet_golden", "safetensors").path)
        #expect(MLRSNetArtifact.contentSHA256(tensors) == goldenMeta["weights_content_sha256"])
        #expect(throws: MLRSNetArtifactError.self) { try MLRSNetArtifact.read(weightsPath) }
        do {
            _ = try MLRSNetArtifact.read(weightsPath)
        } catch {
            guard case .notAnArtifact = error else { Issue.record("expected notAnArtifact, got \(error)"); return }
        }
    }
}
