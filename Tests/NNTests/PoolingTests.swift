import Foundation
import Testing
import NN
import Tensor
import TestSupport

/// A tensor of the given shape whose elements are a random permutation of 0, 0.1, 0.2, …: all
/// distinct and spaced 0.1 apart, far beyond the finite-difference step (ε = 0.01 moves a value
/// by at most 0.01, so no window's maximum can change), so max-pool is differentiable there.
func distinctValues(_ shape: [Int], seed: UInt64) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    let n = shape.reduce(1, *)
    return Tensor(shape: shape, values: rng.permutation(n).map { Float($0) * 0.1 - Float(n) * 0.05 })
}

/// Max or average pooling by definition (−∞ / zero padding, first maximum wins; divisor k²).
func referencePool(_ x: Tensor, kernel k: Int, stride s: Int, padding p: Int, dilation d: Int = 1,
                   max isMax: Bool) -> Tensor {
    let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
    let ho = (h + 2 * p - d * (k - 1) - 1) / s + 1, wo = (w + 2 * p - d * (k - 1) - 1) / s + 1
    var y = Tensor.zeros([n, c, ho, wo])
    for b in 0..<n { for ch in 0..<c { for oh in 0..<ho { for ow in 0..<wo {
        var best = -Float.infinity, sum = 0.0
        for i in 0..<k { for j in 0..<k {
            let ih = oh * s - p + i * d, iw = ow * s - p + j * d
            guard ih >= 0 && ih < h && iw >= 0 && iw < w else { continue }
            let v = x[b, ch, ih, iw]
            if v > best { best = v }
            sum += Double(v)
        } }
        y[b, ch, oh, ow] = isMax ? best : Float(sum / Double(k * k))
    } } } }
    return y
}

@Suite struct PoolingTests {
    struct PoolCase: Sendable, CustomTestStringConvertible {
        var kernel: Int, stride: Int, padding: Int, dilation = 1
        var testDescription: String { "k\(kernel) s\(stride) p\(padding) d\(dilation)" }
    }
    static let maxCases = [
        PoolCase(kernel: 2, stride: 2, padding: 0),
        PoolCase(kernel: 3, stride: 2, padding: 1),   // ResNet stem: overlapping windows
        PoolCase(kernel: 3, stride: 1, padding: 1),
        PoolCase(kernel: 2, stride: 1, padding: 1, dilation: 2),
    ]
    static let avgCases = Array(maxCases.prefix(3)) + [PoolCase(kernel: 4, stride: 3, padding: 2)]

    @Test(arguments: maxCases)
    func maxPoolMatchesDefinitionAndFiniteDifferences(_ c: PoolCase) {
        let pool = MaxPool2d(kernelSize: c.kernel, stride: c.stride, padding: c.padding, dilation: c.dilation)
        let x = distinctValues([2, 3, 7, 6], seed: 3)
        let ref = referencePool(x, kernel: c.kernel, stride: c.stride, padding: c.padding, dilation: c.dilation, max: true)
        #expect(pool.forward(x) == ref)
        var options = GradientCheckOptions()
        options.maxCoordinatesPerTensor = 0   // all coordinates: winners and losers
        let report = checkGradients(pool, input: x, options: options)
        #expect(report.passed, "\(report.summary)")
    }

    @Test(arguments: avgCases)
    func avgPoolMatchesDefinitionAndFiniteDifferences(_ c: PoolCase) {
        let pool = AvgPool2d(kernelSize: c.kernel, stride: c.stride, padding: c.padding)
        var rng = RandomGenerator(seed: 4)
        let x = Tensor.normal([2, 3, 7, 6], using: &rng)
        let ref = referencePool(x, kernel: c.kernel, stride: c.stride, padding: c.padding, max: false)
        // Float sums of ≤ 16 terms vs Double: ≪ 1e-5.
        #expect(maxAbsDifference(pool.forward(x), ref) <= 1e-5)
        var options = GradientCheckOptions()
        options.maxCoordinatesPerTensor = 0
        let report = checkGradients(pool, input: x, options: options)
        #expect(report.passed, "\(report.summary)")
    }

    @Test func globalAvgPool() {
        let pool = GlobalAvgPool2d()
        var rng = RandomGenerator(seed: 5)
        let x = Tensor.normal([3, 4, 5, 7], using: &rng)
        let y = pool.forward(x)
        #expect(y.shape == [3, 4])
        for b in 0..<3 { for c in 0..<4 {
            var s = 0.0
            for i in 0..<5 { for j in 0..<7 { s += Double(x[b, c, i, j]) } }
            #expect(abs(Double(y[b, c]) - s / 35) <= 1e-6)
        } }
        let report = checkGradients(pool, input: x)
        #expect(report.passed, "\(report.summary)")
    }

    /// Ties go to the first maximum in row-major window order (as PyTorch), padding never wins
    /// even against negative inputs, and NaN propagates.
    @Test func maxPoolTiesPaddingAndNaN() {
        let pool = MaxPool2d(kernelSize: 2, stride: 2)
        let x = Tensor(shape: [1, 1, 2, 4], values: [1, 1, 2, 5,
                                                     1, 1, 5, 5])
        #expect(pool.forward(x).scalars == [1, 5])
        #expect(pool.backward(Tensor.ones([1, 1, 1, 2])).scalars == [1, 0, 0, 1,
                                                                    0, 0, 0, 0])
        let padded = MaxPool2d(kernelSize: 3, stride: 1, padding: 1)
        let neg = Tensor(repeating: -3, shape: [1, 1, 2, 2])
        #expect(padded.forward(neg).scalars == [-3, -3, -3, -3])
        #expect(padded.backward(Tensor.ones([1, 1, 2, 2])).scalars == [4, 0, 0, 0])
        let withNaN = Tensor(shape: [1, 1, 2, 2], values: [1, .nan, 3, 2])
        #expect(pool.forward(withNaN).scalar.isNaN)
    }

    /// Large enough (N·C = 256 planes of 12×12) to be split over the worker pool: each plane's
    /// output and gradient equal those of that plane pooled on its own.
    @Test func parallelSplitMatchesPerPlane() {
        let x = distinctValues([16, 16, 12, 12], seed: 6)
        var rng = RandomGenerator(seed: 7)
        func plane(_ t: Tensor, _ p: Int, _ shape: [Int]) -> Tensor {
            let size = shape.reduce(1, *)
            return Tensor(shape: shape, values: Array(t.scalars[p * size..<(p + 1) * size]))
        }
        let layers: [any Layer] = [MaxPool2d(kernelSize: 3, stride: 2, padding: 1),
                                   AvgPool2d(kernelSize: 3, stride: 2, padding: 1), GlobalAvgPool2d()]
        for layer in layers {
            let y = layer.forward(x)
            let dy = Tensor.normal(y.shape, using: &rng)
            let dx = layer.backward(dy)
            let outShape = y.rank == 4 ? [1, 1, y.shape[2], y.shape[3]] : [1, 1]
            for p in [0, 37, 255] {
                #expect(layer.forward(plane(x, p, [1, 1, 12, 12])) == plane(y, p, outShape))
                #expect(layer.backward(plane(dy, p, outShape)) == plane(dx, p, [1, 1, 12, 12]))
            }
        }
    }

    // MARK: Golden values from PyTorch (scripts/golden/conv2d.py)

    /// Input values are multiples of 1/4 with many ties, so max pooling's values and tie-breaking
    /// (which input gets the gradient) are compared; maxima must match exactly, averages and
    /// gradients differ from PyTorch only by float32 summation order (≲ 1e-6 relative), so 1e-5.
    @Test func matchesPyTorch() throws {
        let f = try GoldenFixture(named: "pool2d", in: .module)
        let x = f["x"]
        let layers: [(String, any Layer)] = [("max", MaxPool2d(kernelSize: 3, stride: 2, padding: 1)),
                                            ("avg", AvgPool2d(kernelSize: 3, stride: 2, padding: 1)),
                                            ("gap", GlobalAvgPool2d())]
        for (key, layer) in layers {
            let y = layer.forward(x)
            let dx = layer.backward(f["r_\(key)"])
            let tol: Float = key == "max" ? 0 : 1e-5   // a maximum is an input value: exact
            #expect(maxAbsDifference(y, f["y_\(key)"]) <= tol, "\(key) y: \(maxAbsDifference(y, f["y_\(key)"]))")
            // Gradients sum r over overlapping windows, possibly in another order: 1e-5 relative.
            #expect(maxAbsDifference(dx, f["dx_\(key)"]) <= 1e-5 * max(1, f["dx_\(key)"].maxAbs()),
                    "\(key) dx: \(maxAbsDifference(dx, f["dx_\(key)"]))")
        }
    }
}
