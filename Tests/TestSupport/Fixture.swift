import Foundation
import Tensor

/// A golden fixture written by a reference script in `scripts/golden/` (PyTorch): a JSON object
/// mapping names to `{"shape": [...], "data": [...]}` tensors, plus free-form `"config"`.
public struct GoldenFixture {
    public let tensors: [String: Tensor]
    public let config: [String: Double]

    /// Loads `name.json` from a test bundle's `Fixtures/` folder.
    public init(named name: String, in bundle: Bundle) throws {
        guard let url = bundle.url(forResource: name, withExtension: "json", subdirectory: "Fixtures")
                ?? bundle.url(forResource: name, withExtension: "json") else {
            throw FixtureError.missing(name)
        }
        try self.init(url: url)
    }

    public init(url: URL) throws {
        let obj = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        guard let root = obj as? [String: Any] else { throw FixtureError.malformed(url.path, "root is not an object") }
        var tensors: [String: Tensor] = [:]
        var config: [String: Double] = [:]
        for (key, value) in root {
            if key == "config", let c = value as? [String: Any] {
                for (k, v) in c { if let d = (v as? NSNumber)?.doubleValue { config[k] = d } }
                continue
            }
            guard let t = value as? [String: Any], let shape = t["shape"] as? [Int],
                  let data = t["data"] as? [NSNumber] else { continue }
            tensors[key] = Tensor(shape: shape, values: data.map { $0.floatValue })
        }
        self.tensors = tensors
        self.config = config
    }

    public subscript(_ name: String) -> Tensor {
        guard let t = tensors[name] else { preconditionFailure("fixture has no tensor '\(name)'; has \(tensors.keys.sorted())") }
        return t
    }
}

public enum FixtureError: Error, CustomStringConvertible {
    case missing(String), malformed(String, String)
    public var description: String {
        switch self {
        case .missing(let n): return "golden fixture '\(n).json' not found in the test bundle"
        case .malformed(let p, let why): return "golden fixture \(p): \(why)"
        }
    }
}
