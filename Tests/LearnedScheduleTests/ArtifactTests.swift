import Foundation
import LearnedSchedule
import SafeTensors
import Testing

@Suite struct Artifacts {
    static let losses: [Float] = [2.3, 2.1, 1.8, 1.9, 1.4, 1.1, 0.9, 1.0]

    static func sample(_ arch: MLRSNetArchitecture = .referenceMetaTest, withState: Bool = false) -> MLRSNetArtifact {
        var cell = makeCell(arch, hidden: 6, seed: 5)
        for x: Float in [2.0, 1.5, 1.2] { cell.step(loss: x) }
        return MLRSNetArtifact(cell: cell, gammaPolicy: .reference(classes: 10), gammaValue: 0.67,
                               inputNormalisation: .perLogVocabulary(10000), task: "unit test: PTB-like ✓",
                               steps: 123, seed: 5, includeState: withState)
    }

    @Test(arguments: MLRSNetArchitecture.allCases)
    func roundTripGivesIdenticalOutputs(_ arch: MLRSNetArchitecture) throws {
        let a = Self.sample(arch, withState: arch.isRecurrent)
        let path = temporaryPath("roundtrip.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try a.write(to: path)
        let b = try MLRSNetArtifact.read(path)
        #expect(a == b)
        var ca = a.makeCell(), cb = b.makeCell()
        for x in Self.losses { #expect(ca.step(loss: x) == cb.step(loss: x)) }
        if arch.isRecurrent {
            let s = try #require(b.recurrentState)
            let resumed = b.makeCell(restoringState: true)
            #expect(resumed.hiddenState == s.hidden && resumed.cellState == s.cell && resumed.stepsAdvanced == 3)
            #expect(b.makeCell().hiddenState.allSatisfy { $0 == 0 })
        } else {
            #expect(b.recurrentState == nil)
        }

        let (tensors, meta) = try SafeTensors.read(path)
        #expect(meta["format"] == "mlrsnet-swift/artifact" && meta["format_version"] == "1")
        #expect(meta["architecture"] == arch.rawValue && meta["hidden_size"] == "6")
        #expect(meta["pre_width"] == "\(a.configuration.preWidth)")
        #expect(meta["gamma_policy"] == "reference" && meta["gamma_count"] == "10" && meta["gamma"] == "0.67")
        #expect(meta["input_normalisation"] == "per-log-vocabulary" && meta["vocabulary_size"] == "10000")
        #expect(meta["task"] == "unit test: PTB-like ✓" && meta["steps"] == "123" && meta["seed"] == "5")
        #expect(meta["content_sha256"] == MLRSNetArtifact.contentSHA256(tensors) && meta["content_sha256"]?.count == 64)
        #expect(Set(tensors.keys).isSuperset(of: a.configuration.parameterSpecs.map(\.name)))
    }

    @Test func fixedGammaRoundTrip() throws {
        let cell = makeCell(.paper, hidden: 4)
        let a = MLRSNetArtifact(cell: cell, gammaPolicy: .fixed(40), inputNormalisation: .raw)
        let b = try MLRSNetArtifact.decode(try a.encode())
        #expect(b.gammaPolicy == .fixed(40) && b.inputNormalisation == .raw && b.seed == nil && b.gammaValue == 40 && b == a)
    }

    // MARK: Corruption: every case gives its own error

    /// The sample's tensors and metadata, changed by `edit`, re-encoded; `rehash` recomputes content_sha256.
    func corrupted(rehash: Bool = true, withState: Bool = true,
                   _ edit: (inout [String: ShapedArray], inout [String: String]) -> Void) throws -> [UInt8] {
        let a = Self.sample(withState: withState)
        var t = a.tensors, m = a.metadata
        edit(&t, &m)
        if rehash { m["content_sha256"] = MLRSNetArtifact.contentSHA256(t) }
        return try SafeTensors.encode(t, metadata: m)
    }

    func loadError(_ bytes: [UInt8], _ options: MLRSNetArtifact.LoadOptions = .artifact) -> MLRSNetArtifactError? {
        do {
            _ = try MLRSNetArtifact.decode(bytes, options: options)
            return nil
        } catch {
            return error
        }
    }

    @Test func formatAndVersion() throws {
        #expect(loadError(try corrupted { _, m in m["format"] = "something-else" }) == .notAnArtifact("format is 'something-else', expected 'mlrsnet-swift/artifact'"))
        let newer = loadError(try corrupted { _, m in m["format_version"] = "2" })
        #expect(newer == .unsupportedFormatVersion(found: 2, supported: 1))
        #expect(newer?.description.contains("newer") == true)
        #expect(loadError(try corrupted { _, m in m["format_version"] = "one" }) == .invalidMetadata(key: "format_version", value: "one", reason: "must be a positive integer"))
        #expect(loadError(try corrupted { _, m in m["format_version"] = nil }) == .missingMetadata("format_version"))
        #expect(loadError(try corrupted { _, m in m["format"] = nil }) == .notAnArtifact("the file has no 'format' metadata (a converted reference checkpoint? load it with LoadOptions.referenceCheckpoint)"))
    }

    @Test func architectureAndSizes() throws {
        #expect(loadError(try corrupted { _, m in m["architecture"] = "transformer" }) == .unknownArchitecture("transformer"))
        #expect(loadError(try corrupted { _, m in m["hidden_size"] = nil }) == .missingMetadata("hidden_size"))
        #expect(loadError(try corrupted { _, m in m["hidden_size"] = "-3" }) == .invalidMetadata(key: "hidden_size", value: "-3", reason: "must be an integer ≥ 1"))
        // Metadata says H = 7, the tensors are for H = 6.
        let e = loadError(try corrupted { _, m in m["hidden_size"] = "7" })
        guard case .tensorShape = e else { Issue.record("expected tensorShape, got \(String(describing: e))"); return }
    }

    @Test func tensors() throws {
        #expect(loadError(try corrupted { t, _ in t["layer3.bias"] = nil }) == .missingTensor("layer3.bias"))
        #expect(loadError(try corrupted { t, _ in t["state.c"] = nil }) == .missingTensor("state.c"))
        #expect(loadError(try corrupted { t, _ in t["layer2.weight"] = ShapedArray(shape: [1], values: [0]) }) == .unexpectedTensor("layer2.weight"))
        #expect(loadError(try corrupted(withState: false) { t, _ in t["state.h"] = ShapedArray(shape: [6], values: [Float](repeating: 0, count: 6)) }) == .unexpectedTensor("state.h"))
        #expect(loadError(try corrupted { t, _ in
            t["layer3.weight"] = ShapedArray(shape: [6, 1], values: t["layer3.weight"]!.values)
        }) == .tensorShape(name: "layer3.weight", expected: [1, 6], found: [6, 1]))
    }

    @Test func hashAndValues() throws {
        // A flipped value without a matching hash: corruption.
        let e = loadError(try corrupted(rehash: false) { t, _ in t["layer1.fc_h2h.0.weight"]!.values[4] += 1 })
        guard case .contentHashMismatch(let recorded, let computed) = e else { Issue.record("expected contentHashMismatch, got \(String(describing: e))"); return }
        #expect(recorded != computed)
        // A NaN with a matching hash: still refused.
        #expect(loadError(try corrupted { t, _ in t["layer1.fc_i2h.2.bias"]!.values[3] = .nan }) == .nonFiniteValue(tensor: "layer1.fc_i2h.2.bias", index: 3))
        #expect(loadError(try corrupted { t, _ in t["state.h"]!.values[0] = .infinity }) == .nonFiniteValue(tensor: "state.h", index: 0))
        #expect(loadError(try corrupted(rehash: false) { _, m in m["content_sha256"] = nil }) == .missingMetadata("content_sha256"))
    }

    @Test func otherMetadata() throws {
        #expect(loadError(try corrupted { _, m in m["gamma_policy"] = "magic" }) == .invalidMetadata(key: "gamma_policy", value: "magic", reason: "expected 'fixed', 'reference' or 'reference-perplexity'"))
        #expect(loadError(try corrupted { _, m in m["gamma_count"] = "1" }) == .invalidMetadata(key: "gamma_count", value: "1", reason: "must be an integer ≥ 2"))
        #expect(loadError(try corrupted { _, m in m["gamma"] = "nan" }) == .invalidMetadata(key: "gamma", value: "nan", reason: "must be a finite number > 0"))
        #expect(loadError(try corrupted { _, m in m["input_normalisation"] = "zscore" }) == .invalidMetadata(key: "input_normalisation", value: "zscore", reason: "expected 'raw' or 'per-log-vocabulary'"))
        #expect(loadError(try corrupted { _, m in m["has_state"] = "yes" }) == .invalidMetadata(key: "has_state", value: "yes", reason: "must be 0 or 1"))
        #expect(loadError(try corrupted { _, m in m["seed"] = "-1" }) == .invalidMetadata(key: "seed", value: "-1", reason: "must be an unsigned 64-bit integer"))
    }

    @Test func brokenFiles() throws {
        let good = try Self.sample().encode()
        // Data section cut short: the header's offsets point past the end.
        guard case .file(.badHeader) = loadError(Array(good.prefix(good.count - 10))) else {
            Issue.record("expected a bad header for a truncated file"); return
        }
        #expect(loadError([1, 2, 3]) == .file(.truncated("file has 3 bytes, fewer than the 8-byte header length")))
        var garbage = good
        for i in 8..<40 { garbage[i] = 0x7b }
        guard case .file(.badHeader) = loadError(garbage) else { Issue.record("expected a bad header"); return }
        #expect(throws: MLRSNetArtifactError.file(.unreadable("/nonexistent/x.safetensors"))) {
            try MLRSNetArtifact.read("/nonexistent/x.safetensors")
        }
    }

    // MARK: Converted reference checkpoints (no metadata)

    @Test(arguments: [MLRSNetArchitecture.referenceMetaTest, .paper, .mlp])
    func metadataFreeFileInfersSizes(_ arch: MLRSNetArchitecture) throws {
        let cell = makeCell(arch, hidden: 10, pre: 7, seed: 3)
        let bytes = try SafeTensors.encode(cell.namedParameters)
        #expect(loadError(bytes) != nil)
        let a = try MLRSNetArtifact.decode(bytes, options: .referenceCheckpoint(architecture: arch, gammaPolicy: .fixed(2)))
        #expect(a.configuration.hiddenSize == 10 && a.configuration.preWidth == 7 && a.configuration.architecture == arch)
        #expect(a.weights == cell.weights && a.gammaPolicy == .fixed(2) && a.task == "converted reference checkpoint")
    }

    @Test func metadataFreeFileErrors() throws {
        let cell = makeCell(.referenceMetaTest, hidden: 10)
        let opts = MLRSNetArtifact.LoadOptions.referenceCheckpoint()
        var t = cell.namedParameters
        t["layer3.weight"] = nil
        #expect(loadError(try SafeTensors.encode(t), opts) == .missingTensor("layer3.weight"))
        t = cell.namedParameters
        t["layer3.weight"] = ShapedArray(shape: [10], values: t["layer3.weight"]!.values)
        #expect(loadError(try SafeTensors.encode(t), opts) == .cannotInferShape("layer3.weight has shape [10], expected [1, H]"))
        t = cell.namedParameters
        t["layer1.fc_h2h.0.bias"] = ShapedArray(shape: [4], values: [0, 0, 0, 0])
        #expect(loadError(try SafeTensors.encode(t), opts) == .tensorShape(name: "layer1.fc_h2h.0.bias", expected: [5], found: [4]))
        t = cell.namedParameters
        t["layer1.fc_i2h.0.weight"]!.values[0] = .nan
        #expect(loadError(try SafeTensors.encode(t), opts) == .nonFiniteValue(tensor: "layer1.fc_i2h.0.weight", index: 0))
        // The wrong layout's names.
        #expect(loadError(try SafeTensors.encode(cell.namedParameters), .referenceCheckpoint(architecture: .paper)) == .missingTensor("pre.weight"))
        // A real artifact loads as an artifact even with the reference options.
        let artifact = Self.sample()
        #expect(try MLRSNetArtifact.decode(try artifact.encode(), options: opts) == artifact)
    }
}
