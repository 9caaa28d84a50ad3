/// Raw-buffer kernels for the LSTM cell (gate order i, f, g, o as in `torch.nn.LSTM`).
///
/// One time step of one layer works on `batch` rows. A gate row is `[4H]` = `[i | f | g | o]`
/// (pre-activations on entry to `cellForward`, activations afterwards); state rows are `[H]`.
/// The kernels are element-wise over `(row, unit)`, so splitting rows over the worker pool never
/// changes a result (bit-identical with any thread count).
public enum LSTMKernels {
    /// Rows per parallel part are chosen so that each part has at least this many units.
    static let unitsPerPart = 4096

    // MARK: Activations
    //
    // Branch-free float32 exp/sigmoid/tanh written as plain arithmetic, so the loops over a row
    // vectorise (libm's expf/tanhf are opaque calls, ~5–10 ns each, which made the gate pass cost as
    // much as the step's GEMM). Accuracy: within a few ulp of the correctly rounded result (checked
    // against Double libm in LSTMTests); NaN propagates.

    /// e^x for x in float range (clamped to [−87.3, 88.3], where e^x stays a normal float).
    /// x = n·ln2 + r with |r| ≤ ln2/2; e^r by its degree-7 Taylor polynomial (truncation < 6e-9);
    /// 2^n assembled in the exponent bits.
    @inline(__always) static func exp(_ x: Float) -> Float {
        let xc = min(max(x, -87.3), 88.3)
        // Adding 1.5·2²³ rounds to an integer (kept in the low mantissa bits of t).
        let magic: Float = 12_582_912
        let t = xc * 1.442_695_04 + magic
        let n = t - magic
        // ln2 = ln2Hi + ln2Lo; n·ln2Hi is exact (ln2Hi has 15 significant bits, |n| ≤ 127).
        let r = (xc - n * 0.693_145_751_953_125) - n * 1.428_606_820_309_417_3e-6
        var p: Float = 1.0 / 5040
        p = p * r + 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let scale = Float(bitPattern: (t.bitPattern &- magic.bitPattern &+ 127) &<< 23)
        return p * scale
    }

    /// σ(x) = 1 / (1 + e^−x).
    @inline(__always) static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }

    /// tanh x: for |x| < 0.55 its odd Taylor series to x¹⁵ (truncation < 5e-8 relative, and no
    /// cancellation near 0); otherwise (1 − e)/(1 + e) with e = e^(−2|x|); the sign restored last.
    @inline(__always) static func tanh(_ x: Float) -> Float {
        let a = abs(x)
        let e = exp(-2 * a)
        let large = (1 - e) / (1 + e)
        let s = a * a
        // Taylor coefficients of tanh: −1/3, 2/15, −17/315, 62/2835, −1382/155925, 21844/6081075,
        // −929569/638512875 (Horner in s = x², highest first).
        var q: Float = -1.455_834_387e-3
        q = q * s + 3.592_128_037e-3
        q = q * s - 8.863_235_530e-3
        q = q * s + 2.186_948_854e-2
        q = q * s - 5.396_825_397e-2
        q = q * s + 1.333_333_333e-1
        q = q * s - 1.0 / 3
        let small = a + a * s * q
        let v = a < 0.55 ? small : large
        return x < 0 ? -v : v
    }

    /// Applies σ to `n` floats in place.
    @inline(__always) static func sigmoidInPlace(_ p: UnsafeMutablePointer<Float>, _ n: Int) {
        for j in 0..<n { p[j] = sigmoid(p[j]) }
    }

    /// Applies tanh to `n` floats in place.
    @inline(__always) static func tanhInPlace(_ p: UnsafeMutablePointer<Float>, _ n: Int) {
        for j in 0..<n { p[j] = tanh(p[j]) }
    }

    /// Forward of one step:
    /// `i, f, o = σ(·)`, `g = tanh(·)`, `c = f·cPrev + i·g`, `h = o·tanh(c)`.
    ///
    /// - Parameters:
    ///   - gates: `[batch, 4H]` pre-activations; overwritten with the activations (i, f, g, o),
    ///     which is what `cellBackward` needs.
    ///   - cPrev: `[batch, H]` previous cell state.
    ///   - c, tanhC, h: `[batch, H]` outputs (new cell state, its tanh (cached for backward), hidden).
    public static func cellForward(gates: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>,
                                   c: UnsafeMutablePointer<Float>, tanhC: UnsafeMutablePointer<Float>,
                                   h: UnsafeMutablePointer<Float>, batch: Int, hidden: Int) {
        let H = hidden
        WorkerPool.shared.parallelFor(batch, minPerPart: max(1, unitsPerPart / max(H, 1))) { rows in
            for b in rows {
                // Short passes with one or few pointers each, so every loop vectorises.
                let g = gates + b * 4 * H, s = b * H
                sigmoidInPlace(g, 2 * H)              // i, f
                tanhInPlace(g + 2 * H, H)             // g
                sigmoidInPlace(g + 3 * H, H)          // o
                let cp = cPrev + s, cs = c + s, tc = tanhC + s, hs = h + s
                for j in 0..<H { cs[j] = g[H + j] * cp[j] + g[j] * g[2 * H + j] }
                for j in 0..<H { tc[j] = tanh(cs[j]) }
                for j in 0..<H { hs[j] = g[3 * H + j] * tc[j] }
            }
        }
    }

    /// Backward of one step, from the activations cached by `cellForward`.
    ///
    /// With `dc = dcNext + dh·o·(1 − tanh²c)`:
    /// `dA_i = dc·g·i(1−i)`, `dA_f = dc·cPrev·f(1−f)`, `dA_g = dc·i·(1−g²)`, `dA_o = dh·tanh c·o(1−o)`,
    /// and the cell gradient passed to the previous step is `dc·f`.
    ///
    /// - Parameters:
    ///   - gates: `[batch, 4H]` activations (i, f, g, o) of this step.
    ///   - cPrev, tanhC: `[batch, H]` previous cell state and tanh of this step's cell state.
    ///   - dh: `[batch, H]` total ∂L/∂h of this step (from the output and from step t+1).
    ///   - dc: `[batch, H]` on entry ∂L/∂c from step t+1 (zeros at the last step); on exit ∂L/∂c_{t−1}.
    ///   - dGates: `[batch, 4H]` output, ∂L/∂(gate pre-activations).
    public static func cellBackward(gates: UnsafePointer<Float>, cPrev: UnsafePointer<Float>,
                                    tanhC: UnsafePointer<Float>, dh: UnsafePointer<Float>,
                                    dc: UnsafeMutablePointer<Float>, dGates: UnsafeMutablePointer<Float>,
                                    batch: Int, hidden: Int) {
        let H = hidden
        WorkerPool.shared.parallelFor(batch, minPerPart: max(1, unitsPerPart / max(H, 1))) { rows in
            for b in rows {
                // Passes with a single output stream each, so every loop vectorises.
                let s = b * H
                let ig = gates + b * 4 * H, fg = ig + H, gg = ig + 2 * H, og = ig + 3 * H
                let di = dGates + b * 4 * H, df = di + H, dg = di + 2 * H, dO = di + 3 * H
                let cp = cPrev + s, tc = tanhC + s, dhs = dh + s, dcs = dc + s
                for j in 0..<H { dcs[j] += dhs[j] * og[j] * (1 - tc[j] * tc[j]) }
                for j in 0..<H { dO[j] = dhs[j] * tc[j] * og[j] * (1 - og[j]) }
                for j in 0..<H { di[j] = dcs[j] * gg[j] * ig[j] * (1 - ig[j]) }
                for j in 0..<H { dg[j] = dcs[j] * ig[j] * (1 - gg[j] * gg[j]) }
                for j in 0..<H { df[j] = dcs[j] * cp[j] * fg[j] * (1 - fg[j]) }
                for j in 0..<H { dcs[j] *= fg[j] }
            }
        }
    }

    /// `dst[j] += Σ_r src[r·cols + j]` for `r` in `0..<rows`, summed in row order for every column
    /// (columns are split over the pool, so the result does not depend on the thread count).
    /// Used for bias gradients: `src` is `[rows, cols]`, `dst` is `[cols]`.
    public static func addColumnSums(_ src: UnsafePointer<Float>, rows: Int, cols: Int,
                                     into dst: UnsafeMutablePointer<Float>) {
        // Each part owns a contiguous range of columns and streams every row's segment of it.
        WorkerPool.shared.parallelFor(cols, minPerPart: max(16, (1 << 15) / max(rows, 1))) { range in
            let j0 = range.lowerBound, n = range.count
            let d = dst + j0
            for r in 0..<rows {
                let row = src + r * cols + j0
                for j in 0..<n { d[j] += row[j] }
            }
        }
    }
}
