import Foundation
import LRController
import SafeTensors
import Tensor
import Testing

/// The saved policy loads back exactly; corrupt, foreign and newer files are refused with the matching error.
@Suite struct LRControllerArtifactTests {
    static func artifact(_ space: LRControllerConfiguration.ActionSpace) throws -> (LRControllerArtifact, ControllerPolicy) {
        let policy = ControllerPolicy(configuration: try LRControllerConfiguration(actionSpace: space, interval: 5, hiddenSize: 6), seed: 9)
        var norm = RunningNormalizer(dimension: 7)
        norm.update([1, 2, 3, 4, 5, 6, 7]); norm.update([2, 2, 1, 4, 0, 6, 9])
        return (LRControllerArtifact(policy: policy, ppo: PPOHyperparameters(), observationNormalizer: norm, task: "unit test", episodes: 3, seed: 4), policy)
    }

    @Test(arguments: LRControllerConfiguration.ActionSpace.allCases)
    func roundTrip(space: LRControllerConfiguration.ActionSpace) throws {
        let (a, policy) = try Self.artifact(space)
        let b = try LRControllerArtifact.decode(try a.encode())
        #expect(b.configuration == a.configuration && b.ppo == a.ppo && b.tensors == a.tensors)
        #expect(b.observationNormalizer == a.observationNormalizer && b.task == "unit test" && b.episodes == 3 && b.seed == 4)
        let loaded = b.makePolicy()
        #expect(loaded.parameters.map(\.value) == policy.parameters.map(\.value))
        let obs = Tensor(shape: [2, 7], values: (0..<14).map { Float($0) / 7 })
        #expect(loaded.forward(obs).actor == policy.forward(obs).actor)
    }

    func reencode(_ a: LRControllerArtifact, tensors: [String: ShapedArray]? = nil, _ change: (inout [String: String]) -> Void) throws -> [UInt8] {
        var m = try a.metadata
        change(&m)
        return try SafeTensors.encode(tensors ?? a.tensors, metadata: m)
    }

    @Test func corruptAndForeignFilesAreRefused() throws {
        let (a, _) = try Self.artifact(.discrete)
        // A changed weight (content no longer matches the recorded hash).
        var t = a.tensors
        t["actor.0.weight"]!.values[3] += 0.001
        #expect { try LRControllerArtifact.decode(try reencode(a, tensors: t) { _ in }) } throws: {
            if case .contentHashMismatch = $0 as? LRControllerArtifactError { return true } else { return false }
        }
        // A flipped byte in the stored data (last byte of the file: the end of some tensor's data).
        var bytes = try a.encode()
        bytes[bytes.count - 1] ^= 0x40
        #expect { try LRControllerArtifact.decode(bytes) } throws: {
            if case .contentHashMismatch = $0 as? LRControllerArtifactError { return true } else { return false }
        }
        // Truncated: not safetensors any more.
        #expect { try LRControllerArtifact.decode(Array(try a.encode().prefix(40))) } throws: {
            if case .file = $0 as? LRControllerArtifactError { return true } else { return false }
        }
        // Newer version, other format, missing tensor, bad configuration.
        #expect(throws: LRControllerArtifactError.unsupportedFormatVersion(found: 2, supported: 1)) {
            try LRControllerArtifact.decode(try reencode(a) { $0["format_version"] = "2" })
        }
        #expect { try LRControllerArtifact.decode(try reencode(a) { $0["format"] = "mlrsnet-swift/artifact" }) } throws: {
            if case .notAnArtifact = $0 as? LRControllerArtifactError { return true } else { return false }
        }
        var missing = a.tensors
        missing["critic.4.bias"] = nil
        #expect(throws: LRControllerArtifactError.missingTensor("critic.4.bias")) {
            try LRControllerArtifact.decode(try reencode(a, tensors: missing) { _ in })
        }
        #expect { try LRControllerArtifact.decode(try reencode(a) { $0["configuration"] = $0["configuration"]!.replacingOccurrences(of: "\"interval\":5", with: "\"interval\":0") }) } throws: {
            if case .invalidMetadata(key: "configuration", _) = $0 as? LRControllerArtifactError { return true } else { return false }
        }
    }
}
