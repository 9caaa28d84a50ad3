import Testing
import Tensor

/// The whole-plane depthwise weight gradient for narrow outputs (`mlr_depthwise_small_backward_weight`, summing
/// the taps of all the images in 16 vector lanes) against the exact sum and the scalar reference, on the
/// geometries of `DepthwiseSmallPlaneTests` (MobileNetV2's 8×8 / 4×4, stride 2, tails, dilation, odd kernels),
/// for one and several images, added into non-zero starting values.
///
/// Tolerance, derived per weight: both the kernel and the reference compute dw₀ + Σ dy·x over the same
/// n = images · plane products at most, each product and each addition rounded once in Float, so each is within
/// γ·(|dw₀| + Σ|dy·x|) of the exact value with γ = (n + images + 2)·2⁻²⁴ (the standard bound for a sum of n
/// terms in any order, plus the per-image and final adds). The exact value is computed in Double (Float products
/// are exact there). A dropped or doubled term, a wrong tap or a wrong image offset moves a weight by about one
/// |dy·x| ≈ 1, far outside the bound.
@Suite struct DepthwiseSmallWeightGradient {
    @Test(arguments: DepthwiseSmallPlaneTests.geometries, [1, 3])
    func withinTheSummationBoundOfTheExactSum(_ g: ConvGeometry, images: Int) {
        let kk = g.kernelArea, plane = g.outputPlane, inImage = g.channels * g.inputPlane, outImage = g.channels * plane
        let x = DepthwiseSmallPlaneTests.random(images * inImage, seed: 11)
        let dy = DepthwiseSmallPlaneTests.random(images * outImage, seed: 12)
        let start = DepthwiseSmallPlaneTests.random(g.channels * kk, seed: 13)
        var fast = start, reference = start
        x.withUnsafeBufferPointer { px in dy.withUnsafeBufferPointer { pdy in
            fast.withUnsafeMutableBufferPointer {
                depthwiseConv2dBackwardWeight(px.baseAddress!, pdy.baseAddress!, images: images, xImageStride: inImage,
                                              dyImageStride: outImage, g, $0.baseAddress!)
            }
            reference.withUnsafeMutableBufferPointer { pr in
                for img in 0..<images {
                    depthwiseConv2dBackwardWeightReference(px.baseAddress! + img * inImage, pdy.baseAddress! + img * outImage,
                                                           g, pr.baseAddress!)
                }
            }
        } }
        // Exact sums (in Double) and their magnitudes, straight from the definition.
        var exact = start.map(Double.init), magnitude = start.map { abs(Double($0)) }
        for img in 0..<images {
            for c in 0..<g.channels {
                for i in 0..<g.kernelHeight {
                    for j in 0..<g.kernelWidth {
                        for oh in 0..<g.outHeight {
                            for ow in 0..<g.outWidth {
                                let iy = oh * g.strideHeight - g.padHeight + i * g.dilationHeight
                                let ix = ow * g.strideWidth - g.padWidth + j * g.dilationWidth
                                guard iy >= 0, iy < g.height, ix >= 0, ix < g.width else { continue }
                                let p = Double(dy[img * outImage + c * plane + oh * g.outWidth + ow])
                                    * Double(x[img * inImage + c * g.inputPlane + iy * g.width + ix])
                                exact[c * kk + i * g.kernelWidth + j] += p
                                magnitude[c * kk + i * g.kernelWidth + j] += abs(p)
                            }
                        }
                    }
                }
            }
        }
        let gamma = Double(images * plane + images + 2) * 0x1p-24
        for k in 0..<fast.count {
            let bound = gamma * magnitude[k]
            #expect(abs(Double(fast[k]) - exact[k]) <= bound, "\(g) images \(images) weight \(k): \(fast[k]) vs exact \(exact[k]) (bound \(bound))")
            #expect(abs(Double(reference[k]) - exact[k]) <= bound, "reference weight \(k)")
        }
    }

    /// Deterministic: the same call twice gives the same bits; without AVX-512 the reference runs image by image.
    @Test func repeatableAndReferenceOnThePortablePath() {
        let g = DepthwiseSmallPlaneTests.geometries[0], images = 4
        let inImage = g.channels * g.inputPlane, outImage = g.channels * g.outputPlane
        let x = DepthwiseSmallPlaneTests.random(images * inImage, seed: 21)
        let dy = DepthwiseSmallPlaneTests.random(images * outImage, seed: 22)
        func run(portable: Bool) -> [Float] {
            var dw = [Float](repeating: 0, count: g.channels * g.kernelArea)
            x.withUnsafeBufferPointer { px in dy.withUnsafeBufferPointer { pdy in dw.withUnsafeMutableBufferPointer { pw in
                let xp = px.baseAddress!, dyp = pdy.baseAddress!, dwp = pw.baseAddress!
                func call() {
                    depthwiseConv2dBackwardWeight(xp, dyp, images: images, xImageStride: inImage,
                                                  dyImageStride: outImage, g, dwp)
                }
                if portable { VectorKernels.withPortablePath { call() } } else { call() }
            } } }
            return dw
        }
        #expect(run(portable: false).map(\.bitPattern) == run(portable: false).map(\.bitPattern))
        var reference = [Float](repeating: 0, count: g.channels * g.kernelArea)
        x.withUnsafeBufferPointer { px in dy.withUnsafeBufferPointer { pdy in reference.withUnsafeMutableBufferPointer { pr in
            for img in 0..<images {
                depthwiseConv2dBackwardWeightReference(px.baseAddress! + img * inImage, pdy.baseAddress! + img * outImage, g, pr.baseAddress!)
            }
        } } }
        #expect(run(portable: true).map(\.bitPattern) == reference.map(\.bitPattern))
    }
}
