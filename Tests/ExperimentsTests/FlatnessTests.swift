import Experiments
import NN
import Tensor
import Testing

@Suite("Flatness analysis")
struct FlatnessTests {
    @Test("on a quadratic with its minimum at w, L(w + αd) = α²·‖w‖² for every filter-normalised direction")
    func quadratic() throws {
        // Weights [3, 4] (three filters of four), a bias [3] (not moved).
        let w = Parameter(Tensor(shape: [3, 4], values: [1, -2, 0.5, 3, 0, 0.1, 0, 0, 4, 4, -4, 4]), name: "w")
        let b = Parameter(Tensor(shape: [3], values: [1, 2, 3]), name: "b")
        let w0 = w.value.scalars, b0 = b.value.scalars
        // L = Σ(w − w0)² + Σ(b − b0)²: zero at the current weights.
        let loss = { () -> Double in
            zip(w.value.scalars, w0).reduce(0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
                + zip(b.value.scalars, b0).reduce(0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
        }
        let alphas = [-1, -0.5, 0, 0.25, 2.0]
        let p = FlatnessAnalysis.profile(parameters: [w, b], directions: 3, alphas: alphas, seed: 11, loss: loss)
        // Each filter's direction has the filter's norm, so ‖d‖² = Σ_i ‖w_i‖² = ‖w‖².
        let normSquared = w0.reduce(0) { $0 + Double($1 * $1) }
        #expect(p.losses.count == 3)
        for row in p.losses {
            for (a, l) in zip(alphas, row) { #expect(abs(l - a * a * normSquared) <= 1e-4 * max(1, a * a * normSquared), "α \(a): \(l)") }
        }
        // Different directions really differ, the weights are restored exactly.
        var rng = RandomGenerator(seed: 11)
        let d1 = FlatnessAnalysis.filterNormalisedDirection(for: [w, b], rng: &rng)
        let d2 = FlatnessAnalysis.filterNormalisedDirection(for: [w, b], rng: &rng)
        #expect(d1[0].scalars != d2[0].scalars)
        #expect(d1[1].scalars == [0, 0, 0])
        for i in 0..<3 {
            let row = Array(d1[0].scalars[i * 4..<(i + 1) * 4]), wr = Array(w0[i * 4..<(i + 1) * 4])
            let dn = row.reduce(0) { $0 + Double($1 * $1) }, wn = wr.reduce(0) { $0 + Double($1 * $1) }
            #expect(abs(dn - wn) <= 1e-5 * max(1, wn))
        }
        #expect(w.value.scalars == w0 && b.value.scalars == b0)
        #expect(p.meanLosses[2] == 0)
    }
}
