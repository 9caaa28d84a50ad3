import LearnedSchedule
import Testing

/// The cell's explicit backward against central finite differences of p, in every coordinate of θ, for every
/// architecture, with H = 6 (P = 3 for the reference layouts, 6 otherwise; plus a non-default P = 4).
///
/// The point checked: three committed steps (inputs 2.3, 1.1, 0.6) from the zero state make h and c non-zero
/// (else the recurrent weights would get zero gradients and go untested), then a forward at x = 1.7 and
/// `backward(dp: 0.7)` (dp ≠ 1 so that the scaling by dp is checked too).
@Suite struct CellGradients {
    static let warmup: [Float] = [2.3, 1.1, 0.6]
    static let x: Float = 1.7
    static let dp: Float = 0.7
    /// (architecture, P (nil = default), seed). The seeds are chosen so that the point is a useful one, which the
    /// tests assert: ≥ 0.05 away from every ReLU kink, and ≥ 70% of θ's coordinates (and ≥ 1 of every tensor)
    /// with a non-zero derivative — a ReLU unit that is off zeroes its whole row and column, and at some seeds
    /// most units are off at x = 1.7, which would leave most of θ untested.
    static let cases: [(MLRSNetArchitecture, Int?, UInt64)] = [
        (.referenceMetaTest, nil, 3), (.referenceMetaTrain, nil, 3), (.paper, nil, 3), (.mlp, nil, 5),
        (.referenceMetaTest, 4, 3), (.paper, 4, 12),
    ]

    struct Point {
        var cell: MLRSNetCell
        var analytic: [Float]
        var p: Float
        var reference: DoubleMLRSNet
        var h: [Double], c: [Double]
    }

    static func point(_ arch: MLRSNetArchitecture, pre: Int?, seed: UInt64) throws -> Point {
        var cell = makeCell(arch, hidden: 6, pre: pre, seed: seed)
        for v in warmup { cell.step(loss: v) }
        cell.zeroGradients()
        let p = cell.forward(loss: x)
        try cell.backward(dp: dp)
        let n = cell.configuration.hiddenSize
        let h = arch.isRecurrent ? cell.hiddenState.map(Double.init) : [Double](repeating: 0, count: n)
        let c = arch.isRecurrent ? cell.cellState.map(Double.init) : [Double](repeating: 0, count: n)
        return Point(cell: cell, analytic: cell.gradients, p: p, reference: DoubleMLRSNet(configuration: cell.configuration), h: h, c: c)
    }

    /// Exact check: the analytic (Float) gradient against central differences of the independent Double
    /// implementation (ε = 1e-6: truncation ~ε²·f‴ ≈ 1e-12 and rounding ~1e-16/ε = 1e-10, so the difference
    /// quotient is the true derivative to ~1e-10). What remains is the Float rounding of the cell's forward
    /// cache and backward arithmetic, ~1e-7 relative per operation over a few dozen operations: a coordinate
    /// passes with |num − ana| ≤ 1e-6 + 1e-4·max(|num|, |ana|). A real bug (wrong gate, sign, index, a missing
    /// term) is O(1) relative. First, the Double implementation must reproduce the cell's p to 1e-6, and the point
    /// must be ≥ 1e-3 away from every ReLU kink (ε moves a pre-activation by ≤ 1.7e-6).
    @Test(arguments: cases)
    func backwardMatchesExactFiniteDifferences(_ arch: MLRSNetArchitecture, _ pre: Int?, _ seed: UInt64) throws {
        let pt = try Self.point(arch, pre: pre, seed: seed)
        let w = pt.cell.weights.map(Double.init)
        let base = pt.reference.forward(w, x: Double(Self.x), h: pt.h, c: pt.c)
        #expect(abs(base.p - Double(pt.p)) < 1e-6, "Double implementation disagrees with the cell: \(base.p) vs \(pt.p)")
        #expect(base.minReLUMargin > 1e-3, "point too close to a ReLU kink: margin \(base.minReLUMargin)")
        let eps = 1e-6
        var mismatches: [String] = []
        var nonZero = 0
        for i in 0..<w.count {
            var wp = w, wm = w
            wp[i] += eps
            wm[i] -= eps
            let num = (pt.reference.forward(wp, x: Double(Self.x), h: pt.h, c: pt.c).p
                       - pt.reference.forward(wm, x: Double(Self.x), h: pt.h, c: pt.c).p) / (2 * eps) * Double(Self.dp)
            let ana = Double(pt.analytic[i])
            if abs(num) > 1e-8 { nonZero += 1 }
            if !close(num, ana, atol: 1e-6, rtol: 1e-4) { mismatches.append("θ[\(i)] \(name(pt.cell, i)): numeric \(num) analytic \(ana)") }
        }
        #expect(mismatches.count == 0, "\(arch) P=\(pre.map(String.init) ?? "default"): \(mismatches.count) mismatches: \(mismatches.prefix(6))")
        // A check where most derivatives are 0 would prove little (see `cases`).
        #expect(nonZero * 10 >= w.count * 7, "only \(nonZero) of \(w.count) derivatives are non-zero")
        for s in pt.cell.configuration.parameterSpecs {
            #expect((0..<s.count).contains { pt.analytic[s.offset + $0] != 0 }, "\(s.name): every derivative is 0")
        }
    }

    /// The Float cell itself, differentiated numerically: p(θ ± ε) with ε = 1e-2 on each coordinate (set through
    /// `setWeights`), the difference taken in Double. Error budget: the Float forward's p (≈ 0.5) carries
    /// ~1e-7 absolute rounding, divided by 2ε = 2e-2 → ~5e-6; the central difference's truncation error is
    /// ε²/6·|∂³p/∂θᵢ³| ≈ 1.7e-5·|p‴|, with |p‴| ≪ 1 here (θᵢ enters through products with |h|, |x|, weights < 1 and
    /// saturating sigmoids). Measured worst |num − ana|: 3.2e-6 over all cases. A coordinate passes with
    /// |num − ana| ≤ 2e-5 + 1e-3·max(|num|, |ana|). This check is the coarser of the two (the exact one above
    /// resolves 1e-4 relative); it tests the real Float forward, not a re-implementation. The point stays
    /// ≥ 0.05 from every ReLU kink (ε moves a pre-activation by at most 1e-2·1.7).
    @Test(arguments: cases)
    func backwardMatchesFloatFiniteDifferences(_ arch: MLRSNetArchitecture, _ pre: Int?, _ seed: UInt64) throws {
        let pt = try Self.point(arch, pre: pre, seed: seed)
        let margin = pt.reference.forward(pt.cell.weights.map(Double.init), x: Double(Self.x), h: pt.h, c: pt.c).minReLUMargin
        #expect(margin > 0.05, "point too close to a ReLU kink for ε = 1e-2: margin \(margin)")
        var cell = pt.cell
        let w = cell.weights
        let eps: Float = 1e-2
        var mismatches: [String] = []
        var worst = 0.0
        for i in 0..<w.count {
            var wp = w, wm = w
            wp[i] += eps
            wm[i] -= eps
            try cell.setWeights(wp)
            let pp = Double(cell.forward(loss: Self.x))
            try cell.setWeights(wm)
            let pm = Double(cell.forward(loss: Self.x))
            let num = (pp - pm) / (Double(wp[i]) - Double(wm[i])) * Double(Self.dp)
            let ana = Double(pt.analytic[i])
            worst = max(worst, abs(num - ana))
            if !close(num, ana, atol: 2e-5, rtol: 1e-3) { mismatches.append("θ[\(i)] \(name(cell, i)): numeric \(num) analytic \(ana)") }
        }
        #expect(mismatches.count == 0, "\(arch): \(mismatches.count) mismatches (worst |err| \(worst)): \(mismatches.prefix(6))")
        // The forward never advanced the state: h, c are still those of the three warm-up steps.
        #expect(cell.hiddenState == pt.cell.hiddenState && cell.stepsAdvanced == 3)
    }

    /// The state is a constant for gradients: backward after forward from the same θ and (h, c) gives the same
    /// gradient however many times forward ran, and gradients accumulate until zeroed.
    @Test func backwardAccumulatesAndZeroes() throws {
        var cell = makeCell(.referenceMetaTest)
        cell.step(loss: 2)
        cell.forward(loss: 1.5)
        try cell.backward(dp: 1)
        let once = cell.gradients
        cell.forward(loss: 1.5)
        try cell.backward(dp: 1)
        #expect(zip(cell.gradients, once).allSatisfy { abs($0 - 2 * $1) <= 1e-6 * max(1, abs($0)) })
        cell.zeroGradients()
        #expect(cell.gradients.allSatisfy { $0 == 0 })
        #expect(cell.gradient(named: "layer3.bias")?.shape == [1])
    }

    private func name(_ cell: MLRSNetCell, _ i: Int) -> String {
        let s = cell.configuration.parameterSpecs.last { $0.offset <= i }!
        return "\(s.name)[\(i - s.offset)]"
    }
}
