import Foundation
import Testing
import NN
import Tensor
import TestSupport

/// A Conv2d configuration for parameterised tests.
struct ConvCase: CustomTestStringConvertible, Sendable {
    var n: Int, cin: Int, cout: Int, h: Int, w: Int
    var kernel: (Int, Int), stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1)
    var groups = 1, bias = true
    var testDescription: String {
        "N\(n) \(cin)→\(cout) \(h)×\(w) k\(kernel) s\(stride) p\(padding) d\(dilation) g\(groups)\(bias ? "" : " nobias")"
    }

    func make(seed: UInt64 = 11) -> Conv2d {
        var rng = RandomGenerator(seed: seed)
        return Conv2d(inChannels: cin, outChannels: cout, kernelSize: kernel, stride: stride, padding: padding,
                      dilation: dilation, groups: groups, bias: bias, rng: &rng)
    }

    func input(seed: UInt64 = 12) -> Tensor {
        var rng = RandomGenerator(seed: seed)
        return Tensor.normal([n, cin, h, w], using: &rng)
    }

    /// Batches above 16 give chunks of several images, which share GEMMs when planes are small.
    static let all: [ConvCase] = [
        ConvCase(n: 2, cin: 3, cout: 4, h: 6, w: 6, kernel: (3, 3), padding: (1, 1)),                       // 3×3 pad 1
        ConvCase(n: 33, cin: 3, cout: 5, h: 7, w: 7, kernel: (3, 3), stride: (2, 2), padding: (1, 1)),      // stride 2
        ConvCase(n: 2, cin: 2, cout: 3, h: 7, w: 6, kernel: (5, 5), padding: (2, 2)),                       // 5×5
        ConvCase(n: 2, cin: 4, cout: 3, h: 5, w: 5, kernel: (1, 1)),                                        // 1×1 fast path
        ConvCase(n: 2, cin: 4, cout: 6, h: 6, w: 6, kernel: (1, 1), stride: (2, 2)),                        // 1×1 stride 2 (im2col)
        ConvCase(n: 35, cin: 3, cout: 2, h: 5, w: 9, kernel: (3, 2), stride: (1, 2), padding: (0, 1)),      // non-square everything
        ConvCase(n: 34, cin: 4, cout: 6, h: 6, w: 5, kernel: (3, 3), padding: (1, 1), groups: 2),           // groups 2
        ConvCase(n: 40, cin: 4, cout: 4, h: 6, w: 6, kernel: (1, 1), groups: 2, bias: false),               // grouped 1×1
        ConvCase(n: 2, cin: 4, cout: 4, h: 6, w: 7, kernel: (3, 3), padding: (1, 1), groups: 4),            // depthwise
        ConvCase(n: 3, cin: 3, cout: 3, h: 7, w: 7, kernel: (3, 3), stride: (2, 2), padding: (1, 1), groups: 3, bias: false), // depthwise s2
        ConvCase(n: 2, cin: 2, cout: 3, h: 8, w: 8, kernel: (3, 3), padding: (2, 2), dilation: (2, 2)),     // dilation 2
        ConvCase(n: 1, cin: 3, cout: 2, h: 4, w: 4, kernel: (3, 3), bias: false),                           // batch 1, no padding
        ConvCase(n: 20, cin: 2, cout: 3, h: 4, w: 4, kernel: (3, 3), padding: (1, 1)),                      // > 16 images: multi-image chunks
        // Output planes ≥ 256 (one image per GEMM; the cases above batch several images per GEMM).
        ConvCase(n: 2, cin: 2, cout: 3, h: 16, w: 16, kernel: (3, 3), padding: (1, 1)),
        ConvCase(n: 2, cin: 4, cout: 2, h: 16, w: 17, kernel: (1, 1), groups: 2),                           // direct 1×1
    ]
}

/// Direct definition of the convolution, accumulated in Double.
func referenceConv2d(_ x: Tensor, _ conv: Conv2d) -> Tensor {
    let n = x.shape[0], h = x.shape[2], w = x.shape[3]
    let (kh, kw) = conv.kernelSize, (sh, sw) = conv.stride, (ph, pw) = conv.padding, (dh, dw) = conv.dilation
    let ho = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1, wo = (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1
    let cg = conv.inChannels / conv.groups, og = conv.outChannels / conv.groups
    var y = Tensor.zeros([n, conv.outChannels, ho, wo])
    for b in 0..<n { for o in 0..<conv.outChannels { for oh in 0..<ho { for ow in 0..<wo {
        var s = Double(conv.bias?.value[flat: o] ?? 0)
        let g = o / og
        for c in 0..<cg { for i in 0..<kh { for j in 0..<kw {
            let ih = oh * sh - ph + i * dh, iw = ow * sw - pw + j * dw
            guard ih >= 0 && ih < h && iw >= 0 && iw < w else { continue }
            s += Double(conv.weight.value[o, c, i, j]) * Double(x[b, g * cg + c, ih, iw])
        } } }
        y[b, o, oh, ow] = Float(s)
    } } } }
    return y
}

/// `|a − b| ≤ rtol · max(1, max|b|)` element-wise: a relative bound on the tensor's scale.
func closeToReference(_ a: Tensor, _ b: Tensor, rtol: Float) -> Bool {
    a.shape == b.shape && maxAbsDifference(a, b) <= rtol * max(1, b.maxAbs())
}

@Suite struct Conv2dTests {
    @Test func shapesNamesAndPyTorchInit() {
        var rng = RandomGenerator(seed: 1)
        let conv = Conv2d(inChannels: 6, outChannels: 8, kernelSize: (3, 5), groups: 2, rng: &rng)
        #expect(conv.weight.value.shape == [8, 3, 3, 5])
        #expect(conv.bias?.value.shape == [8])
        #expect(conv.parameters.map(\.name) == ["weight", "bias"])
        let bound = 1 / Float(3 * 3 * 5).squareRoot()
        #expect(conv.weight.value.maxAbs() <= bound && conv.weight.value.maxAbs() > 0.9 * bound)
        #expect(conv.bias!.value.maxAbs() <= bound)
        #expect(abs(conv.weight.value.mean()) < 0.1 * bound)
        var again = RandomGenerator(seed: 1)
        #expect(Conv2d(inChannels: 6, outChannels: 8, kernelSize: (3, 5), groups: 2, rng: &again).weight.value == conv.weight.value)
        var r2 = RandomGenerator(seed: 1)
        let noBias = Conv2d(inChannels: 6, outChannels: 8, kernelSize: 3, bias: false, rng: &r2)
        #expect(noBias.parameters.count == 1 && noBias.bias == nil)
    }

    /// Chunking depends on the batch and weight size only (never on threads), bounded both ways.
    @Test func chunkingAndImageBatching() {
        #expect(Conv2d.chunkCount(batch: 128, weightCount: 16 * 16 * 9) == 16)
        #expect(Conv2d.chunkCount(batch: 3, weightCount: 16 * 16 * 9) == 3)
        #expect(Conv2d.chunkCount(batch: 128, weightCount: 640 * 640 * 9) == 4)
        #expect(Conv2d.chunkCount(batch: 128, weightCount: 256 * 256 * 9) == 14)
        #expect(Conv2d.imagesPerGEMM(plane: 32 * 32) == 1 && Conv2d.imagesPerGEMM(plane: 8 * 8) == 4)
    }

    @Test func outputShape() {
        var rng = RandomGenerator(seed: 2)
        let conv = Conv2d(inChannels: 3, outChannels: 16, kernelSize: 3, stride: 2, padding: 1, rng: &rng)
        #expect(conv.forward(Tensor.zeros([4, 3, 32, 31])).shape == [4, 16, 16, 16])
    }

    @Test(arguments: ConvCase.all)
    func forwardMatchesDirectDefinition(_ c: ConvCase) {
        let conv = c.make(), x = c.input()
        // Float32 dot products of ≤ 100 terms vs Double: error ≪ 1e-5 of the output scale.
        let y = conv.forward(x), ref = referenceConv2d(x, conv)
        #expect(closeToReference(y, ref, rtol: 1e-5), "max diff \(maxAbsDifference(y, ref))")
    }

    @Test(arguments: ConvCase.all)
    func gradientsMatchFiniteDifferences(_ c: ConvCase) {
        let conv = c.make()
        let report = checkGradients(conv, input: c.input())
        #expect(report.passed, "\(report.summary)")
    }

    /// Backward adds into `grad` (does not overwrite) and leaves the forward cache reusable.
    @Test func backwardAccumulates() {
        let c = ConvCase.all[1], conv = c.make(), x = c.input()
        var rng = RandomGenerator(seed: 5)
        let y = conv.forward(x), r = Tensor.normal(y.shape, using: &rng)
        conv.zeroGrad()
        let dx1 = conv.backward(r)
        let g1 = conv.weight.grad, b1 = conv.bias!.grad
        let dx2 = conv.backward(r)
        #expect(dx1 == dx2)
        #expect(closeToReference(conv.weight.grad, g1 * 2, rtol: 1e-6))
        #expect(closeToReference(conv.bias!.grad, b1 * 2, rtol: 1e-6))
        #expect(conv.weight.grad.maxAbs() > 0)
    }

    static let twoThreads = WorkerPool(threadCount: 2)

    /// Bit-identical forward and gradients across runs and between a 1-thread and a 2-thread pool,
    /// with a batch (37) whose chunks hold 2–3 images, for the dense, pointwise and depthwise paths.
    @Test(arguments: [
        ConvCase(n: 37, cin: 4, cout: 6, h: 9, w: 9, kernel: (3, 3), padding: (1, 1)),
        ConvCase(n: 37, cin: 4, cout: 6, h: 9, w: 9, kernel: (1, 1), groups: 2),
        ConvCase(n: 37, cin: 4, cout: 4, h: 9, w: 9, kernel: (3, 3), stride: (2, 2), padding: (1, 1), groups: 4),
    ])
    func deterministicAcrossRunsAndThreadCounts(_ c: ConvCase) {
        let x = c.input()
        var rng = RandomGenerator(seed: 9)
        let r = Tensor.normal(c.make().forward(x).shape, using: &rng)
        var results: [[Tensor]] = []
        for pool in [WorkerPool(threadCount: 1), Self.twoThreads, Self.twoThreads, WorkerPool.shared] {
            let conv = c.make()
            conv.pool = pool
            let y = conv.forward(x)
            conv.zeroGrad()
            let dx = conv.backward(r)
            results.append([y, dx, conv.weight.grad] + (conv.bias.map { [$0.grad] } ?? []))
        }
        for other in results.dropFirst() { #expect(other == results[0]) }
    }

    // MARK: Golden values from PyTorch (scripts/golden/conv2d.py)

    /// PyTorch and we sum the same products in different orders (and PyTorch may use other
    /// kernels), so results differ by float32 rounding: ~√k·6e-8 of the summed magnitudes for
    /// sums of k ≤ 60 terms here, i.e. ≲ 1e-6 relative to each tensor's scale. 1e-5 relative to
    /// max(1, max|reference|) leaves margin for that while any indexing or sign bug (O(1)
    /// relative) fails.
    static let goldenTolerance: Float = 1e-5

    @Test(arguments: ["conv2d_3x3_s2", "conv2d_depthwise", "conv2d_grouped_1x1"])
    func matchesPyTorch(_ name: String) throws {
        let f = try GoldenFixture(named: name, in: .module)
        let k = Int(f.config["kernel"]!), s = Int(f.config["stride"]!), p = Int(f.config["padding"]!)
        let hasBias = f.config["bias"]! != 0
        var rng = RandomGenerator(seed: 0)
        let conv = Conv2d(inChannels: Int(f.config["in_channels"]!), outChannels: Int(f.config["out_channels"]!),
                          kernelSize: k, stride: s, padding: p, groups: Int(f.config["groups"]!), bias: hasBias, rng: &rng)
        conv.weight.value = f["weight"]
        if hasBias { conv.bias!.value = f["bias"] }
        let y = conv.forward(f["x"])
        conv.zeroGrad()
        let dx = conv.backward(f["r"])
        let tol = Self.goldenTolerance
        #expect(closeToReference(y, f["y"], rtol: tol), "y: max diff \(maxAbsDifference(y, f["y"]))")
        #expect(closeToReference(dx, f["dx"], rtol: tol), "dx: max diff \(maxAbsDifference(dx, f["dx"]))")
        #expect(closeToReference(conv.weight.grad, f["dw"], rtol: tol), "dw: max diff \(maxAbsDifference(conv.weight.grad, f["dw"]))")
        if hasBias {
            #expect(closeToReference(conv.bias!.grad, f["db"], rtol: tol), "db: max diff \(maxAbsDifference(conv.bias!.grad, f["db"]))")
        }
    }

    // MARK: Preconditions (each runs in a child process that must crash)

    @Test func rejectsChannelMismatch() async {
        await #expect(processExitsWith: .failure) {
            var rng = RandomGenerator(seed: 1)
            let conv = Conv2d(inChannels: 3, outChannels: 4, kernelSize: 3, rng: &rng)
            _ = conv.forward(Tensor.zeros([1, 4, 8, 8]))
        }
    }

    @Test func rejectsKernelLargerThanPaddedInput() async {
        await #expect(processExitsWith: .failure) {
            var rng = RandomGenerator(seed: 1)
            let conv = Conv2d(inChannels: 1, outChannels: 1, kernelSize: 5, padding: 1, rng: &rng)
            _ = conv.forward(Tensor.zeros([1, 1, 2, 2]))
        }
    }

    @Test func rejectsGroupsNotDividingChannels() async {
        await #expect(processExitsWith: .failure) {
            var rng = RandomGenerator(seed: 1)
            _ = Conv2d(inChannels: 4, outChannels: 6, kernelSize: 3, groups: 3, rng: &rng)
        }
    }
}
