import Tensor

/// Batch normalisation over the channel dimension of an `[N, C, S]` view of the input (the shared
/// implementation of `BatchNorm1d` and `BatchNorm2d`; construct those, not this class).
///
/// Matches PyTorch exactly in what it computes:
/// - training: normalises with the batch mean and the *biased* batch variance (divide by M = N·S),
///   and updates `running_mean`/`running_var` as `(1 − momentum)·running + momentum·batch`, using the
///   *unbiased* variance (divide by M − 1) for `running_var`; `num_batches_tracked` counts updates.
///   With `momentum == nil` the running statistics are the cumulative average (factor 1/updates).
/// - evaluation: normalises with the running statistics.
/// - `y = γ·(x − mean)/√(var + eps) + β` with `weight` = γ (ones) and `bias` = β (zeros), both `[C]`.
///
/// Determinism: per-channel sums are accumulated by one worker per channel, in a fixed order
/// (16 Float lanes flushed into a Double at most every 4096 elements), so results never depend on
/// the thread count. Channels are spread over `WorkerPool.shared`.
public class BatchNorm: Layer {
    public let channels: Int
    public let eps: Float
    /// Weight of the newest batch in the running statistics (PyTorch default 0.1); nil = cumulative average.
    public let momentum: Float?
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Buffer
    public let runningVar: Buffer
    /// Number of running-statistic updates so far (PyTorch stores an int64; here a Float scalar `[]`).
    public let numBatchesTracked: Buffer
    public var isTraining = true
    /// When false, a training-mode forward still normalises with batch statistics but leaves the
    /// running statistics and `num_batches_tracked` untouched (used for MLR-SNet's virtual step).
    public var updatesRunningStatistics = true

    /// An activation applied to the normalised output in the same pass (a fused `BN → ReLU` saves a
    /// read and a write of the activation, and the pre-activation tensor is never kept).
    public enum Activation: Sendable, Equatable {
        case identity, relu, relu6
        /// The clamp's upper bound: nil for ReLU (and identity), 6 for ReLU6.
        var upper: Float? { self == .relu6 ? 6 : nil }
    }
    /// Fused activation (default `.identity`): `.relu` makes this layer `ReLU ∘ BatchNorm`, `.relu6`
    /// `ReLU6 ∘ BatchNorm`, with the same results and gradients as the separate layers.
    public var activation: Activation = .identity

    // Cache of the most recent forward, for backward.
    private var input: Tensor?
    /// The output of the most recent forward when an activation is fused (its mask drives backward).
    private(set) var fusedOutput: Tensor?
    private var usedBatchStatistics = true
    private var savedMean: [Float] = []
    private var savedInvStd: [Float] = []

    init(channels: Int, eps: Float, momentum: Float?) {
        precondition(channels > 0, "BatchNorm: channels must be positive, got \(channels)")
        precondition(eps > 0, "BatchNorm: eps must be positive, got \(eps)")
        if let m = momentum { precondition(m >= 0 && m <= 1, "BatchNorm: momentum must be in [0, 1], got \(m)") }
        self.channels = channels
        self.eps = eps
        self.momentum = momentum
        weight = Parameter(Tensor.ones([channels]), name: "weight")
        bias = Parameter(Tensor.zeros([channels]), name: "bias")
        runningMean = Buffer(Tensor.zeros([channels]), name: "running_mean")
        runningVar = Buffer(Tensor.ones([channels]), name: "running_var")
        numBatchesTracked = Buffer(Tensor(scalar: 0), name: "num_batches_tracked")
    }

    public var parameters: [Parameter] { [weight, bias] }
    public var buffers: [Buffer] { [runningMean, runningVar, numBatchesTracked] }

    /// The `(N, C, S)` view of an input; subclasses check the rank and the channel count.
    func layout(of shape: [Int], op: String) -> (n: Int, s: Int) {
        preconditionFailure("BatchNorm: use BatchNorm1d or BatchNorm2d")
    }

    public func forward(_ x: Tensor) -> Tensor {
        let (n, s) = layout(of: x.shape, op: "forward")
        let c = channels, m = n * s
        var mean = [Float](repeating: 0, count: c)
        var invStd = [Float](repeating: 0, count: c)
        let parts = max(1, elementwiseGrain / max(m, 1))   // channels per worker part

        if isTraining {
            precondition(m > 1, "BatchNorm.forward: expected more than 1 value per channel when training, got input shape \(x.shape)")
            var variance = [Double](repeating: 0, count: c)
            x.withUnsafeBufferPointer { px in
                mean.withUnsafeMutableBufferPointer { pm in invStd.withUnsafeMutableBufferPointer { pi in
                    variance.withUnsafeMutableBufferPointer { pv in
                        let xp = px.baseAddress!, mp = pm.baseAddress!, ip = pi.baseAddress!, vp = pv.baseAddress!
                        WorkerPool.shared.parallelFor(c, minPerPart: parts) { range in
                            forEachChannelBlock(range, n: n, s: s) { block in
                                // Σ x and Σ (x − mean)² per channel, images in order (block-wise, see above).
                                for ch in block { vp[ch] = 0 }
                                for b in 0..<n {
                                    for ch in block { vp[ch] += VectorKernels.sum(xp + (b * c + ch) * s, count: s) }
                                }
                                for ch in block { mp[ch] = Float(vp[ch] / Double(m)); vp[ch] = 0 }
                                for b in 0..<n {
                                    for ch in block {
                                        vp[ch] += VectorKernels.sumSquaredDeviation(xp + (b * c + ch) * s, count: s, mean: mp[ch])
                                    }
                                }
                                for ch in block {
                                    let v = vp[ch] / Double(m)
                                    vp[ch] = v
                                    ip[ch] = Float(1 / (v + Double(eps)).squareRoot())
                                }
                            }
                        }
                    }
                } }
            }
            if updatesRunningStatistics { updateRunningStatistics(mean: mean, biasedVariance: variance, count: m) }
        } else {
            runningMean.value.withUnsafeBufferPointer { rm in runningVar.value.withUnsafeBufferPointer { rv in
                for ch in 0..<c {
                    mean[ch] = rm[ch]
                    invStd[ch] = Float(1 / (Double(rv[ch]) + Double(eps)).squareRoot())
                }
            } }
        }

        // y = x·a + b per channel, a = γ·invstd, b = β − mean·a (then the fused activation).
        var y = Tensor(uninitializedShape: x.shape)
        let fused = activation != .identity, upper = activation.upper
        x.withUnsafeBufferPointer { px in y.withUnsafeMutableBufferPointer { py in
            weight.value.withUnsafeBufferPointer { pg in bias.value.withUnsafeBufferPointer { pb in
                mean.withUnsafeBufferPointer { pm in invStd.withUnsafeBufferPointer { pi in
                    let xp = px.baseAddress!, yp = py.baseAddress!
                    WorkerPool.shared.parallelFor(c, minPerPart: parts) { range in
                        forEachChannelBlock(range, n: n, s: s) { block in
                            for b in 0..<n {
                                for ch in block {
                                    let a = pg[ch] * pi[ch], sh = pb[ch] - pm[ch] * a
                                    let off = (b * c + ch) * s
                                    VectorKernels.affine(xp + off, yp + off, count: s, scale: a, shift: sh,
                                                         clamp: fused, upper: upper)
                                }
                            }
                        }
                    }
                } }
            } }
        } }

        input = x
        fusedOutput = fused ? y : nil
        usedBatchStatistics = isTraining
        savedMean = mean
        savedInvStd = invStd
        return y
    }

    /// Records `y` as the output of a forward that a convolution's epilogue ran for this layer (evaluation
    /// mode): `activationPattern` then describes it. Drops the input cache, so a `backward` must be
    /// preceded by a real `forward` (the models replay one).
    func recordFusedForward(output y: Tensor) {
        input = nil
        fusedOutput = activation != .identity ? y : nil
    }

    /// The evaluation-mode per-channel affine map `y = x·a + b`: `a = γ·invstd`, `b = β − mean·a` with
    /// `invstd = 1/√(running_var + eps)` (in Double, rounded once) and `mean = running_mean` — the exact
    /// values `forward` uses in evaluation mode. `[channels]` each.
    public func evaluationAffine() -> (scale: [Float], shift: [Float]) {
        var a = [Float](repeating: 0, count: channels), b = [Float](repeating: 0, count: channels)
        runningMean.value.withUnsafeBufferPointer { rm in runningVar.value.withUnsafeBufferPointer { rv in
            weight.value.withUnsafeBufferPointer { pg in bias.value.withUnsafeBufferPointer { pb in
                for ch in 0..<channels {
                    let invStd = Float(1 / (Double(rv[ch]) + Double(eps)).squareRoot())
                    a[ch] = pg[ch] * invStd
                    b[ch] = pb[ch] - rm[ch] * a[ch]
                }
            } }
        } }
        return (a, b)
    }

    private func updateRunningStatistics(mean: [Float], biasedVariance: [Double], count m: Int) {
        numBatchesTracked.value[flat: 0] += 1
        let factor = Double(momentum ?? 1 / numBatchesTracked.value[flat: 0])
        let unbias = Double(m) / Double(m - 1)
        runningMean.value.withUnsafeMutableBufferPointer { rm in
            runningVar.value.withUnsafeMutableBufferPointer { rv in
                for ch in 0..<channels {
                    rm[ch] = Float((1 - factor) * Double(rm[ch]) + factor * Double(mean[ch]))
                    rv[ch] = Float((1 - factor) * Double(rv[ch]) + factor * biasedVariance[ch] * unbias)
                }
            }
        }
    }

    /// Training mode (batch statistics): dx = γ·invstd·(dy − mean(dy) − x̂·mean(dy·x̂)) per channel;
    /// evaluation mode (running statistics, constants w.r.t. x): dx = γ·invstd·dy.
    /// Both: dγ += Σ dy·x̂, dβ += Σ dy.
    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("BatchNorm.backward: called before forward") }
        precondition(dy.shape == x.shape, "BatchNorm.backward: gradient shape \(dy.shape) ≠ forward output shape \(x.shape)")
        let (n, s) = layout(of: x.shape, op: "backward")
        let c = channels, m = n * s
        let parts = max(1, elementwiseGrain / max(m, 1))
        let batchStats = usedBatchStatistics
        var dx = Tensor(uninitializedShape: x.shape)
        // With a fused activation, dx first takes the activation's gradient (dy masked by the output)
        // and the BatchNorm backward then reads and overwrites it in place.
        let y = fusedOutput, upper = activation.upper
        if let y {
            precondition(y.shape == x.shape, "BatchNorm.backward: fused output shape \(y.shape) ≠ input shape \(x.shape)")
        }
        x.withUnsafeBufferPointer { px in dy.withUnsafeBufferPointer { pdy in dx.withUnsafeMutableBufferPointer { pdx in
            weight.value.withUnsafeBufferPointer { pg in
                weight.grad.withUnsafeMutableBufferPointer { dg in bias.grad.withUnsafeMutableBufferPointer { db in
                    savedMean.withUnsafeBufferPointer { pm in savedInvStd.withUnsafeBufferPointer { pi in
                        let xp = px.baseAddress!, dxp = pdx.baseAddress!
                        let gp = y == nil ? pdy.baseAddress! : UnsafePointer(dxp)
                        withOptionalPointer(y) { yp in
                        WorkerPool.shared.parallelFor(c, minPerPart: parts) { range in
                            forEachChannelBlock(range, n: n, s: s) { block in
                                if let yp {
                                    for b in 0..<n {
                                        for ch in block {
                                            let off = (b * c + ch) * s
                                            VectorKernels.clampGradient(yp + off, pdy.baseAddress! + off, dxp + off, count: s, upper: upper)
                                        }
                                    }
                                }
                                // Σ dy and Σ dy·(x − mean) per channel, images in order.
                                withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * block.count) { sums in
                                    let lo = block.lowerBound, width = block.count
                                    for i in 0..<(2 * width) { sums[i] = 0 }
                                    for b in 0..<n {
                                        for ch in block {
                                            let off = (b * c + ch) * s
                                            let (a, d) = VectorKernels.sumAndDot(gp + off, xp + off, count: s, mean: pm[ch])
                                            sums[ch - lo] += a
                                            sums[width + ch - lo] += d
                                        }
                                    }
                                    // dx = k1·dy + k2·(x − mean) + k3, per channel.
                                    withUnsafeTemporaryAllocation(of: Float.self, capacity: 3 * width) { k in
                                        for ch in block {
                                            let inv = Double(pi[ch]), sumDy = sums[ch - lo]
                                            let sumDyXhat = sums[width + ch - lo] * inv
                                            dg[ch] += Float(sumDyXhat)
                                            db[ch] += Float(sumDy)
                                            let gInv = Double(pg[ch]) * inv
                                            k[ch - lo] = Float(gInv)
                                            k[width + ch - lo] = batchStats ? Float(-gInv * inv * sumDyXhat / Double(m)) : 0
                                            k[2 * width + ch - lo] = batchStats ? Float(-gInv * sumDy / Double(m)) : 0
                                        }
                                        for b in 0..<n {
                                            for ch in block {
                                                let off = (b * c + ch) * s
                                                VectorKernels.batchNormInputGradient(xp + off, gp + off, dxp + off, count: s, mean: pm[ch],
                                                                                     k1: k[ch - lo], k2: k[width + ch - lo],
                                                                                     k3: k[2 * width + ch - lo])
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        }
                    } }
                } }
            }
        } } }
        return dx
    }
}

extension BatchNorm: PiecewiseLayer {
    /// The fused activation's pattern (as `ReLU`/`ReLU6` report it: the output is 0 exactly where the
    /// input to the clamp was ≤ 0, and `upper` exactly where it was ≥ upper); 0 without one.
    public func activationPattern() -> UInt64 {
        guard let y = fusedOutput else { return 0 }
        return clampPattern(y, upper: activation.upper)
    }
}

/// Calls `body` for consecutive blocks of the channels in `range`, each as many channels as keep their
/// `n` planes of `s` floats within about 256 KiB (at least one): the passes over a block then sweep the images
/// outer and the block's channels inner (contiguous runs of memory instead of one short plane per image) and
/// find the block in L2 again. Per channel the images are still visited in order, so the per-channel sums —
/// and every result — are the same bits as one channel at a time.
@inline(__always)
private func forEachChannelBlock(_ range: Range<Int>, n: Int, s: Int, _ body: (Range<Int>) -> Void) {
    let width = max(1, (256 << 10) / max(1, n * s * MemoryLayout<Float>.stride))
    var lo = range.lowerBound
    while lo < range.upperBound {
        let hi = min(lo + width, range.upperBound)
        body(lo..<hi)
        lo = hi
    }
}

/// Calls `body` with a pointer to `t`'s elements, or with nil when `t` is nil.
@inline(__always)
private func withOptionalPointer<R>(_ t: Tensor?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let t else { return body(nil) }
    return t.withUnsafeBufferPointer { body($0.baseAddress!) }
}
