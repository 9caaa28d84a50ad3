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

    // Cache of the most recent forward, for backward.
    private var input: Tensor?
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
                            for ch in range {
                                var sum = 0.0
                                for b in 0..<n { sum += laneSum(xp + (b * c + ch) * s, s) }
                                let mu = Float(sum / Double(m))
                                var sq = 0.0
                                for b in 0..<n { sq += laneSumSquaredDeviation(xp + (b * c + ch) * s, s, mu) }
                                let v = sq / Double(m)
                                mp[ch] = mu
                                vp[ch] = v
                                ip[ch] = Float(1 / (v + Double(eps)).squareRoot())
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

        // y = x·a + b per channel, a = γ·invstd, b = β − mean·a.
        var y = Tensor(uninitializedShape: x.shape)
        x.withUnsafeBufferPointer { px in y.withUnsafeMutableBufferPointer { py in
            weight.value.withUnsafeBufferPointer { pg in bias.value.withUnsafeBufferPointer { pb in
                mean.withUnsafeBufferPointer { pm in invStd.withUnsafeBufferPointer { pi in
                    let xp = px.baseAddress!, yp = py.baseAddress!
                    WorkerPool.shared.parallelFor(c, minPerPart: parts) { range in
                        for ch in range {
                            let a = pg[ch] * pi[ch], sh = pb[ch] - pm[ch] * a
                            for b in 0..<n {
                                let off = (b * c + ch) * s
                                let xs = xp + off, ys = yp + off
                                for i in 0..<s { ys[i] = xs[i] * a + sh }
                            }
                        }
                    }
                } }
            } }
        } }

        input = x
        usedBatchStatistics = isTraining
        savedMean = mean
        savedInvStd = invStd
        return y
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
        x.withUnsafeBufferPointer { px in dy.withUnsafeBufferPointer { pdy in dx.withUnsafeMutableBufferPointer { pdx in
            weight.value.withUnsafeBufferPointer { pg in
                weight.grad.withUnsafeMutableBufferPointer { dg in bias.grad.withUnsafeMutableBufferPointer { db in
                    savedMean.withUnsafeBufferPointer { pm in savedInvStd.withUnsafeBufferPointer { pi in
                        let xp = px.baseAddress!, gp = pdy.baseAddress!, dxp = pdx.baseAddress!
                        WorkerPool.shared.parallelFor(c, minPerPart: parts) { range in
                            for ch in range {
                                let mu = pm[ch], inv = Double(pi[ch])
                                var sumDy = 0.0, sumDyXc = 0.0   // Σ dy, Σ dy·(x − mean)
                                for b in 0..<n {
                                    let off = (b * c + ch) * s
                                    let (a, d) = laneSumAndDot(gp + off, xp + off, s, mu)
                                    sumDy += a
                                    sumDyXc += d
                                }
                                let sumDyXhat = sumDyXc * inv
                                dg[ch] += Float(sumDyXhat)
                                db[ch] += Float(sumDy)
                                let gInv = Double(pg[ch]) * inv
                                // dx = k1·dy + k2·(x − mean) + k3
                                let k1 = Float(gInv)
                                let k2 = batchStats ? Float(-gInv * inv * sumDyXhat / Double(m)) : 0
                                let k3 = batchStats ? Float(-gInv * sumDy / Double(m)) : 0
                                for b in 0..<n {
                                    let off = (b * c + ch) * s
                                    let xs = xp + off, gs = gp + off, ds = dxp + off
                                    for i in 0..<s { ds[i] = k1 * gs[i] + k2 * (xs[i] - mu) + k3 }
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

// MARK: Per-segment sums (16 Float lanes, flushed into a Double every 4096 elements)

private let flushEvery = 4096

@inline(__always) private func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

/// Σ p[0..<count].
private func laneSum(_ p: UnsafePointer<Float>, _ count: Int) -> Double {
    var total = 0.0
    var start = 0
    while start < count {
        let end = min(count, start + flushEvery)
        var acc = SIMD16<Float>(repeating: 0)
        var i = start
        while i + 16 <= end { acc += load16(p + i); i += 16 }
        var tail: Float = 0
        while i < end { tail += p[i]; i += 1 }
        total += Double(acc.sum()) + Double(tail)
        start = end
    }
    return total
}

/// Σ (p[i] − mean)².
private func laneSumSquaredDeviation(_ p: UnsafePointer<Float>, _ count: Int, _ mean: Float) -> Double {
    var total = 0.0
    var start = 0
    let mv = SIMD16<Float>(repeating: mean)
    while start < count {
        let end = min(count, start + flushEvery)
        var acc = SIMD16<Float>(repeating: 0)
        var i = start
        while i + 16 <= end { let d = load16(p + i) - mv; acc += d * d; i += 16 }
        var tail: Float = 0
        while i < end { let d = p[i] - mean; tail += d * d; i += 1 }
        total += Double(acc.sum()) + Double(tail)
        start = end
    }
    return total
}

/// (Σ g[i], Σ g[i]·(x[i] − mean)).
private func laneSumAndDot(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ count: Int,
                           _ mean: Float) -> (Double, Double) {
    var sumG = 0.0, sumGX = 0.0
    var start = 0
    let mv = SIMD16<Float>(repeating: mean)
    while start < count {
        let end = min(count, start + flushEvery)
        var a = SIMD16<Float>(repeating: 0), d = SIMD16<Float>(repeating: 0)
        var i = start
        while i + 16 <= end {
            let gv = load16(g + i)
            a += gv
            d += gv * (load16(x + i) - mv)
            i += 16
        }
        var ta: Float = 0, td: Float = 0
        while i < end { ta += g[i]; td += g[i] * (x[i] - mean); i += 1 }
        sumG += Double(a.sum()) + Double(ta)
        sumGX += Double(d.sum()) + Double(td)
        start = end
    }
    return (sumG, sumGX)
}
