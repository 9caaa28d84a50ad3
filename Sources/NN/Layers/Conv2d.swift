import Tensor

/// 2-D convolution (cross-correlation, as PyTorch's `nn.Conv2d`) over NCHW images.
///
/// Shapes: input `[N, inChannels, H, W]` → output `[N, outChannels, Ho, Wo]` with
/// `Ho = (H + 2·ph − dh·(kh − 1) − 1) / sh + 1` (floor) and likewise `Wo`.
/// Parameters: `weight [out, in/groups, kh, kw]`, `bias [out]` (optional), PyTorch's layouts and
/// default initialisation (uniform in ±1/√fan_in, fan_in = in/groups · kh · kw, weight then bias).
///
/// Computation, per image and group g (channels split into `groups` contiguous blocks):
/// `Y_g [out/g, Ho·Wo] = W_g [out/g, in/g·kh·kw] × im2col(X_g) [in/g·kh·kw, Ho·Wo]`; backward
/// `dW_g += dY_g × colᵀ`, `dX_g = col2im(W_gᵀ × dY_g)`, `db = Σ_{N,H,W} dY`. When output planes are
/// small (< `targetColumns`), `imagesPerGEMM` images sit side by side in one column matrix so
/// each GEMM has about `targetColumns` columns (fewer, larger GEMMs: W is packed once per group
/// of images rather than per image). 1×1 stride-1 unpadded convolutions on large planes use
/// `X_g` itself as the column matrix; depthwise convolutions (groups == in == out) use a direct
/// kernel instead of GEMMs with one output row. With the AVX-512 GEMM the forward never writes the
/// column matrix: `implicitConvolutionGEMM` packs the GEMM's B slivers straight from the images
/// (bit-identical; `usesImplicitGEMM`). The backward still builds it (dW and col2im need it).
///
/// Parallelism and determinism: the batch is cut into `chunkCount` contiguous image chunks
/// (a number that depends on N and the weight size only, never on the thread count), run as
/// parts on `pool`, with the GEMMs inside single-threaded. The weight and bias gradients are
/// accumulated per chunk into partial buffers and summed in chunk order, so results are
/// bit-identical for any thread count.
///
/// `forward(_:epilogue:)` (evaluation mode only) applies a following BatchNorm, residual add and ReLU to
/// each output plane while it is in cache and caches nothing (see `ConvEpilogue`).
///
/// Memory: only the input is cached for backward (training mode); columns are recomputed there (caching them
/// would cost `kh·kw` times the input, GBs for a batch of 128). Each part allocates its column
/// scratch buffer once per call and reuses it for all its images and groups.
public final class Conv2d: Layer {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: (height: Int, width: Int)
    public let stride: (height: Int, width: Int)
    public let padding: (height: Int, width: Int)
    public let dilation: (height: Int, width: Int)
    public let groups: Int
    /// `[out, in/groups, kh, kw]`.
    public let weight: Parameter
    /// `[out]`, or nil for `bias: false`.
    public let bias: Parameter?
    public var isTraining = true
    /// The pool the image chunks run on (`WorkerPool.shared` unless a test wants another).
    public var pool: WorkerPool = .shared

    private var input: Tensor?   // cached by forward for backward

    /// A square-kernel convolution with equal stride, padding and dilation on both axes.
    public convenience init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            dilation: Int = 1, groups: Int = 1, bias: Bool = true, rng: inout RandomGenerator) {
        self.init(inChannels: inChannels, outChannels: outChannels, kernelSize: (kernelSize, kernelSize),
                  stride: (stride, stride), padding: (padding, padding), dilation: (dilation, dilation),
                  groups: groups, bias: bias, rng: &rng)
    }

    /// A convolution with a `(kh, kw)` kernel and per-axis `(height, width)` stride, padding, dilation.
    public init(inChannels: Int, outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true,
                rng: inout RandomGenerator) {
        precondition(inChannels > 0 && outChannels > 0,
                     "Conv2d: channel counts must be positive, got in \(inChannels), out \(outChannels)")
        precondition(groups > 0 && inChannels % groups == 0 && outChannels % groups == 0,
                     "Conv2d: groups \(groups) must divide both inChannels \(inChannels) and outChannels \(outChannels)")
        precondition(kernelSize.0 > 0 && kernelSize.1 > 0, "Conv2d: kernel size must be positive, got \(kernelSize)")
        precondition(stride.0 > 0 && stride.1 > 0, "Conv2d: stride must be positive, got \(stride)")
        precondition(padding.0 >= 0 && padding.1 >= 0, "Conv2d: padding must be ≥ 0, got \(padding)")
        precondition(dilation.0 > 0 && dilation.1 > 0, "Conv2d: dilation must be positive, got \(dilation)")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        let fanIn = inChannels / groups * kernelSize.0 * kernelSize.1
        let bound = 1 / Float(fanIn).squareRoot()
        weight = Parameter(Tensor.uniform([outChannels, inChannels / groups, kernelSize.0, kernelSize.1],
                                          low: -bound, high: bound, using: &rng), name: "weight")
        self.bias = bias ? Parameter(Tensor.uniform([outChannels], low: -bound, high: bound, using: &rng), name: "bias") : nil
    }

    public var parameters: [Parameter] { bias.map { [weight, $0] } ?? [weight] }

    /// Depthwise: one filter per channel, run by the direct kernel.
    public var isDepthwise: Bool { groups == inChannels && groups == outChannels }
    /// 1×1, stride 1, unpadded: the input planes already are the column matrix.
    public var isPointwise: Bool {
        kernelSize == (1, 1) && stride == (1, 1) && padding == (0, 0)
    }

    /// Most image chunks a batch is split into (more chunks balance threads better but cost a
    /// partial weight gradient each).
    public static let maxChunks = 16
    /// Fewest chunks (when the batch allows) even for very large weights, so 2–4 threads have work.
    public static let minChunks = 4
    /// Floats the per-chunk partial weight gradients may take together (32 MB) before the chunk
    /// count drops towards `minChunks` (matters only for very large layers, e.g. 640×640×3×3).
    public static let partialBudget = 1 << 23
    /// Whether forward GEMMs pack their columns straight from the images (`implicitConvolutionGEMM`, when the
    /// AVX-512 GEMM is active) instead of writing an im2col matrix first; the results are bit-identical
    /// either way. A switch for benchmarks and tests.
    nonisolated(unsafe) public static var usesImplicitGEMM = true
    /// Columns one GEMM should get when images are batched side by side.
    public static let targetColumns = 256

    /// Image chunks for a batch of `n` and a weight of `weightCount` floats. Depends on these
    /// only (never on the thread count), so the chunked gradient sums are reproducible.
    public static func chunkCount(batch n: Int, weightCount: Int) -> Int {
        min(n, maxChunks, max(minChunks, partialBudget / max(weightCount, 1)))
    }

    /// Images whose columns share one GEMM for an output plane of `plane` elements.
    public static func imagesPerGEMM(plane: Int) -> Int { max(1, targetColumns / max(plane, 1)) }

    /// Images of chunk `part` of `parts` over a batch of `n`.
    static func chunk(_ part: Int, of parts: Int, batch n: Int) -> Range<Int> {
        (part * n / parts)..<((part + 1) * n / parts)
    }

    /// Geometry of one group of one image for an input `[N, C, H, W]`, checking the shape.
    func groupGeometry(_ shape: [Int], op: String) -> ConvGeometry {
        precondition(shape.count == 4, "\(op): expected input [N, C, H, W], got \(shape)")
        precondition(shape[1] == inChannels,
                     "\(op): input \(shape) has \(shape[1]) channels, the layer expects \(inChannels)")
        return ConvGeometry(channels: inChannels / groups, height: shape[2], width: shape[3], kernel: kernelSize,
                            stride: stride, padding: padding, dilation: dilation, op: op)
    }

    /// Caches the input (a reference, no copy) for `backward`, in both modes.
    public func forward(_ x: Tensor) -> Tensor {
        input = x
        return convolve(x, epilogue: nil)
    }

    /// Evaluation-mode forward with `epilogue` (a following BatchNorm, residual add and activation) applied
    /// to each output plane in the same pass; bit-identical to `forward` followed by those layers. Caches
    /// nothing. Only in evaluation mode (`isTraining == false`): the fused output has no backward here.
    /// `epilogue.scale`/`shift` must have `outChannels` values and `residual` the output's shape.
    public func forward(_ x: Tensor, epilogue: ConvEpilogue) -> Tensor {
        precondition(!isTraining, "Conv2d.forward(_:epilogue:) is for evaluation mode only (isTraining is true)")
        input = nil
        return convolve(x, epilogue: epilogue)
    }

    /// The convolution (+ bias), then `epilogue` when given.
    private func convolve(_ x: Tensor, epilogue: ConvEpilogue?) -> Tensor {
        let g = groupGeometry(x.shape, op: "Conv2d.forward")
        let n = x.shape[0]
        var y = Tensor(uninitializedShape: [n, outChannels, g.outHeight, g.outWidth])
        if let e = epilogue {
            if let sc = e.scale {
                precondition(sc.count == outChannels, "Conv2d.forward: epilogue has \(sc.count) channels, the layer \(outChannels)")
            }
            if let r = e.residual {
                precondition(r.shape == y.shape, "Conv2d.forward: epilogue residual \(r.shape) ≠ output shape \(y.shape)")
            }
        }
        let groups = groups, outChannels = outChannels, cg = g.channels, og = outChannels / groups
        let kRows = g.columnRows, plane = g.outputPlane, inPlane = g.inputPlane
        let inImage = inChannels * inPlane, outImage = outChannels * plane
        let depthwise = isDepthwise, gAll = g.withChannels(inChannels)
        let perGEMM = Conv2d.imagesPerGEMM(plane: plane)
        let direct = isPointwise && perGEMM == 1   // X_g is its own column matrix
        let parts = Conv2d.chunkCount(batch: n, weightCount: weight.value.count)
        let biasValue = bias?.value
        let fused = epilogue != nil, act = epilogue?.activationCode ?? 0, upper = epilogue?.activation.upper ?? 0
        let implicit = Conv2d.usesImplicitGEMM && implicitConvolutionAvailable
        x.withUnsafeBufferPointer { px in weight.value.withUnsafeBufferPointer { pw in
            y.withUnsafeMutableBufferPointer { py in withOptionalPointer(biasValue) { pb in
            withOptionalPointer(epilogue?.residual) { pr in withOptionalArray(epilogue?.scale) { psc in
            withOptionalArray(epilogue?.shift) { psh in
                let xb = px.baseAddress!, wb = pw.baseAddress!, yb = py.baseAddress!
                /// The epilogue over channels `chans` of image `img`, reading from `src` (channel stride `stride`).
                func finish(_ img: Int, _ chans: Range<Int>, src: UnsafePointer<Float>, stride: Int, withBias: Bool) {
                    applyEpilogue(activation: act, upper: upper, scale: psc, shift: psh, bias: withBias ? pb : nil,
                                  residual: pr.map { $0 + img * outImage }, channels: chans, plane: plane,
                                  src: src, srcStride: stride, dst: yb + img * outImage)
                }
                pool.run(parts: parts) { part in
                    let images = Conv2d.chunk(part, of: parts, batch: n)
                    if depthwise {
                        for img in images {
                            depthwiseConv2dForward(xb + img * inImage, weight: wb, bias: pb, gAll, yb + img * outImage)
                            if fused {   // the bias is already in
                                finish(img, 0..<outChannels, src: yb + img * outImage, stride: plane, withBias: false)
                            }
                        }
                        return
                    }
                    let width = perGEMM * plane
                    // The column matrix is needed only when the implicit GEMM is unavailable (allocated on first use).
                    // Scratch from the tensor-buffer cache (reused across steps, no fresh pages).
                    var colBuffer: ScratchBuffer?
                    let ybufBuffer = perGEMM > 1 ? ScratchBuffer(count: og * width) : nil
                    defer { withExtendedLifetime((colBuffer, ybufBuffer)) {} }
                    var col: UnsafeMutablePointer<Float>?
                    let ybuf = ybufBuffer?.pointer
                    var first = images.lowerBound
                    while first < images.upperBound {
                        let count = min(perGEMM, images.upperBound - first), cols = count * plane
                        for gi in 0..<groups {
                            let wg = wb + gi * og * kRows, chans = (gi * og)..<((gi + 1) * og)
                            let xg = xb + first * inImage + gi * cg * inPlane
                            // Y_g of these images: straight into the output planes (one image) or side by side
                            // into ybuf (several).
                            let yc = count == 1 ? yb + first * outImage + gi * og * plane : ybuf!, ldc = count == 1 ? plane : cols
                            if direct {
                                gemm(transA: false, transB: false, m: og, n: plane, k: kRows, a: wg, lda: kRows, b: xg, ldb: plane,
                                     beta: 0, c: yc, ldc: ldc, parallel: false)
                            } else if !(implicit && implicitConvolutionGEMM(m: og, a: wg, lda: kRows, x: xg, g, images: count,
                                                                           imageStride: inImage, c: yc, ldc: ldc)) {
                                if colBuffer == nil { colBuffer = ScratchBuffer(count: kRows * width) }
                                let cb = col ?? colBuffer!.pointer
                                col = cb
                                for t in 0..<count { im2col(xg + t * inImage, g, cb + t * plane, ld: cols) }
                                gemm(transA: false, transB: false, m: og, n: cols, k: kRows, a: wg, lda: kRows, b: cb, ldb: cols,
                                     beta: 0, c: yc, ldc: ldc, parallel: false)
                            }
                            if count == 1 {
                                if fused { finish(first, chans, src: yc, stride: plane, withBias: true) }
                            } else {
                                // Copied (or finished) from the side-by-side buffer into each image's planes.
                                let yt = ybuf!
                                for t in 0..<count {
                                    if fused {
                                        finish(first + t, chans, src: yt + t * plane, stride: cols, withBias: true)
                                    } else {
                                        let dst = yb + (first + t) * outImage + gi * og * plane
                                        for o in 0..<og { (dst + o * plane).update(from: yt + o * cols + t * plane, count: plane) }
                                    }
                                }
                            }
                        }
                        if let pb, !fused {
                            for img in first..<(first + count) {
                                for o in 0..<outChannels {
                                    let v = pb[o], yo = yb + img * outImage + o * plane
                                    for t in 0..<plane { yo[t] += v }
                                }
                            }
                        }
                        first += count
                    }
                }
            } } }
            } }
        } }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else {
            preconditionFailure("Conv2d.backward: no cached forward (called before forward, or after forward(_:epilogue:), which caches nothing)")
        }
        let g = groupGeometry(x.shape, op: "Conv2d.backward")
        let n = x.shape[0]
        precondition(dy.shape == [n, outChannels, g.outHeight, g.outWidth],
                     "Conv2d.backward: gradient shape \(dy.shape) ≠ forward output shape \([n, outChannels, g.outHeight, g.outWidth])")
        var dx = Tensor(uninitializedShape: x.shape)
        let groups = groups, outChannels = outChannels, cg = g.channels, og = outChannels / groups
        let kRows = g.columnRows, plane = g.outputPlane, inPlane = g.inputPlane
        let inImage = inChannels * inPlane, outImage = outChannels * plane
        let depthwise = isDepthwise, gAll = g.withChannels(inChannels), hasBias = bias != nil
        let perGEMM = Conv2d.imagesPerGEMM(plane: plane)
        let direct = isPointwise && perGEMM == 1
        let wCount = weight.value.count, bCount = hasBias ? outChannels : 0
        let parts = Conv2d.chunkCount(batch: n, weightCount: wCount)
        // Per-chunk partial gradients: [parts, wCount] then [parts, bCount].
        let partialBuffer = ScratchBuffer(count: max(1, parts * (wCount + bCount)))
        defer { withExtendedLifetime(partialBuffer) {} }
        let partial = partialBuffer.pointer
        x.withUnsafeBufferPointer { px in weight.value.withUnsafeBufferPointer { pw in
            dy.withUnsafeBufferPointer { pdy in dx.withUnsafeMutableBufferPointer { pdx in
                let xb = px.baseAddress!, wb = pw.baseAddress!, dyb = pdy.baseAddress!, dxb = pdx.baseAddress!
                pool.run(parts: parts) { part in
                    let images = Conv2d.chunk(part, of: parts, batch: n)
                    let dw = partial + part * wCount
                    let db = partial + parts * wCount + part * bCount
                    dw.update(repeating: 0, count: wCount)
                    db.update(repeating: 0, count: bCount)
                    if hasBias {
                        // db[o] = Σ over this chunk's images and pixels of dy, in a fixed order.
                        for img in images {
                            for o in 0..<outChannels {
                                let d = dyb + img * outImage + o * plane
                                var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
                                var t = 0
                                while t + 4 <= plane { s0 += d[t]; s1 += d[t + 1]; s2 += d[t + 2]; s3 += d[t + 3]; t += 4 }
                                while t < plane { s0 += d[t]; t += 1 }
                                db[o] += (s0 + s1) + (s2 + s3)
                            }
                        }
                    }
                    if depthwise {
                        // The chunk's images in one call: narrow planes sum them in vector lanes before reducing.
                        depthwiseConv2dBackwardWeight(xb + images.lowerBound * inImage, dyb + images.lowerBound * outImage,
                                                      images: images.count, xImageStride: inImage, dyImageStride: outImage,
                                                      gAll, dw)
                        for img in images {
                            depthwiseConv2dBackwardInput(dyb + img * outImage, weight: wb, gAll, dxb + img * inImage)
                        }
                        return
                    }
                    let width = perGEMM * plane
                    let colBuffer = direct ? nil : ScratchBuffer(count: kRows * width)
                    let dybufBuffer = perGEMM > 1 ? ScratchBuffer(count: og * width) : nil
                    defer { withExtendedLifetime((colBuffer, dybufBuffer)) {} }
                    let col = colBuffer?.pointer, dybuf = dybufBuffer?.pointer
                    var first = images.lowerBound
                    while first < images.upperBound {
                        let count = min(perGEMM, images.upperBound - first), cols = count * plane
                        for gi in 0..<groups {
                            // dY_g of these images as one [out/g, cols] matrix.
                            let a: UnsafePointer<Float>
                            if count == 1 {
                                a = dyb + first * outImage + gi * og * plane
                            } else {
                                let d = dybuf!
                                for t in 0..<count {
                                    let src = dyb + (first + t) * outImage + gi * og * plane
                                    for o in 0..<og { (d + o * cols + t * plane).update(from: src + o * plane, count: plane) }
                                }
                                a = UnsafePointer(d)
                            }
                            let wg = wb + gi * og * kRows
                            if let col {
                                // dW_g += dY_g × colᵀ, then the same buffer takes dcol = W_gᵀ × dY_g.
                                for t in 0..<count {
                                    im2col(xb + (first + t) * inImage + gi * cg * inPlane, g, col + t * plane, ld: cols)
                                }
                                gemm(transA: false, transB: true, m: og, n: kRows, k: cols, a: a, lda: cols, b: col, ldb: cols,
                                     beta: 1, c: dw + gi * og * kRows, ldc: kRows, parallel: false)
                                gemm(transA: true, transB: false, m: kRows, n: cols, k: og, a: wg, lda: kRows, b: a, ldb: cols,
                                     beta: 0, c: col, ldc: cols, parallel: false)
                                for t in 0..<count {
                                    col2im(col + t * plane, g, dxb + (first + t) * inImage + gi * cg * inPlane, ld: cols)
                                }
                            } else {
                                // 1×1 stride 1 on large planes (count == 1): X_g is the column matrix.
                                let xg = xb + first * inImage + gi * cg * inPlane
                                gemm(transA: false, transB: true, m: og, n: kRows, k: plane, a: a, lda: plane, b: xg, ldb: plane,
                                     beta: 1, c: dw + gi * og * kRows, ldc: kRows, parallel: false)
                                gemm(transA: true, transB: false, m: kRows, n: plane, k: og, a: wg, lda: kRows, b: a, ldb: plane,
                                     beta: 0, c: dxb + first * inImage + gi * cg * inPlane, ldc: plane, parallel: false)
                            }
                        }
                        first += count
                    }
                }
            } }
        } }
        // Sum the partials into the gradients in chunk order (independent of the thread count).
        weight.grad.withUnsafeMutableBufferPointer { pg in
            let gb = pg.baseAddress!
            for part in 0..<parts {
                let src = partial + part * wCount
                for i in 0..<wCount { gb[i] += src[i] }
            }
        }
        if let bias {
            bias.grad.withUnsafeMutableBufferPointer { pg in
                let gb = pg.baseAddress!
                for part in 0..<parts {
                    let src = partial + parts * wCount + part * bCount
                    for i in 0..<bCount { gb[i] += src[i] }
                }
            }
        }
        return dx
    }
}

/// Calls `body` with a pointer to `t`'s elements, or with nil when `t` is nil.
@inline(__always)
private func withOptionalPointer<R>(_ t: Tensor?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let t else { return body(nil) }
    return t.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// Calls `body` with a pointer to `a`'s elements, or with nil when `a` is nil.
@inline(__always)
private func withOptionalArray<R>(_ a: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let a else { return body(nil) }
    return a.withUnsafeBufferPointer { body($0.baseAddress!) }
}
