import Foundation
import LearnedSchedule
import SafeTensors
import Schedules
import Testing

/// The URL of a file in this test target's `Fixtures/` folder.
func fixtureURL(_ name: String, _ ext: String) throws -> URL {
    guard let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures")
            ?? Bundle.module.url(forResource: name, withExtension: ext) else {
        throw FixtureMissing(name: "\(name).\(ext)")
    }
    return url
}

struct FixtureMissing: Error, CustomStringConvertible {
    let name: String
    var description: String { "fixture \(name) not found in the test bundle (run python3 scripts/golden/mlrsnet.py)" }
}

/// A fresh temporary file path (removed by the caller).
func temporaryPath(_ name: String) -> String {
    NSTemporaryDirectory() + "mlrsnet-test-\(UUID().uuidString)-\(name)"
}

func makeConfiguration(_ a: MLRSNetArchitecture, hidden: Int, pre: Int? = nil) -> MLRSNetConfiguration {
    do { return try MLRSNetConfiguration(architecture: a, hiddenSize: hidden, preWidth: pre) }
    catch { preconditionFailure("\(error)") }
}

func makeCell(_ a: MLRSNetArchitecture, hidden: Int = 6, pre: Int? = nil, seed: UInt64 = 7,
              outputBias: OutputBiasInit = .pytorchDefault) -> MLRSNetCell {
    do { return try MLRSNetCell(configuration: makeConfiguration(a, hidden: hidden, pre: pre), seed: seed, outputBias: outputBias) }
    catch { preconditionFailure("\(error)") }
}

/// A signal for global step `step` with 5 steps per epoch.
func signal(_ step: Int, loss: Float?, stepsPerEpoch: Int = 5) -> TrainingSignal {
    TrainingSignal(step: step, stepsPerEpoch: stepsPerEpoch, trainingLoss: loss)
}

/// An independent Double-precision implementation of A(x; θ, h, c), written from the formulas documented on
/// `MLRSNetArchitecture` (parameters looked up by state-dict name, not by the cell's internal offsets). Used as
/// the exact function in finite-difference checks and to cross-check the Float cell.
struct DoubleMLRSNet {
    let configuration: MLRSNetConfiguration
    var H: Int { configuration.hiddenSize }

    struct Result {
        var p: Double
        var h: [Double]
        var c: [Double]
        /// Smallest |pre-activation| of any ReLU (how far the point is from a kink).
        var minReLUMargin: Double
    }

    func forward(_ w: [Double], x: Double, h: [Double], c: [Double]) -> Result {
        var margin = Double.infinity
        func linear(_ name: String, _ input: [Double]) -> [Double] {
            let ws = configuration.spec(named: name + ".weight")!, bs = configuration.spec(named: name + ".bias")!
            let rows = ws.shape[0], cols = ws.shape[1]
            precondition(cols == input.count, "DoubleMLRSNet: \(name) expects \(cols) inputs, got \(input.count)")
            return (0..<rows).map { r in
                var s = w[bs.offset + r]
                for k in 0..<cols { s += w[ws.offset + r * cols + k] * input[k] }
                return s
            }
        }
        func relu(_ v: [Double]) -> [Double] {
            for u in v { margin = min(margin, abs(u)) }
            return v.map { max($0, 0) }
        }
        func sig(_ v: Double) -> Double { 1 / (1 + exp(-v)) }
        func chunk(_ z: [Double], _ k: Int) -> [Double] { Array(z[(k * H)..<((k + 1) * H)]) }

        var hNew = [Double](repeating: 0, count: H), cNew = [Double](repeating: 0, count: H)
        let arch = configuration.architecture
        if arch == .mlp {
            let a = relu(linear("mlp.0", [x]))
            hNew = linear("mlp.2", a).map { tanh($0) }
        } else {
            let z: [Double]
            if arch == .paper {
                let a = relu(linear("pre", h + [x]))
                z = linear("gates", a)
            } else {
                let a1 = relu(linear("layer1.fc_i2h.0", [x]))
                let a2 = relu(linear("layer1.fc_h2h.0", h))
                z = zip(linear("layer1.fc_i2h.2", a1), linear("layer1.fc_h2h.2", a2)).map { $0 + $1 }
            }
            let (zi, zf, zg, zo): ([Double], [Double], [Double], [Double])
            var shift = 0.0
            switch arch {
            case .referenceMetaTest: (zi, zf, zg, zo) = (chunk(z, 0), chunk(z, 1), chunk(z, 2), chunk(z, 3))
            case .referenceMetaTrain:
                (zi, zf, zo, zg) = (chunk(z, 0), chunk(z, 1), chunk(z, 2), chunk(z, 3))
                shift = -1
            default: (zi, zf, zo, zg) = (chunk(z, 0), chunk(z, 1), chunk(z, 2), chunk(z, 3))
            }
            for j in 0..<H {
                cNew[j] = sig(zf[j] + shift) * c[j] + sig(zi[j]) * tanh(zg[j])
                hNew[j] = sig(zo[j]) * tanh(cNew[j])
            }
        }
        let q = linear("layer3", hNew)[0]
        return Result(p: sig(q), h: hNew, c: cNew, minReLUMargin: margin)
    }
}

/// |a − b| ≤ atol + rtol·max(|a|, |b|).
func close(_ a: Double, _ b: Double, atol: Double, rtol: Double) -> Bool {
    abs(a - b) <= atol + rtol * max(abs(a), abs(b))
}
