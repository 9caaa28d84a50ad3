import Foundation
import Testing
import Training

/// The report plots: tick values a person can read, a legend that never covers a curve, safe text.
@Suite("SVG plots")
struct SVGPlotTests {
    @Test("linear ticks are 1, 2, 2.5 or 5 × 10^k steps inside the range")
    func niceTicks() {
        #expect(SVGPlot.niceTicks(1, 8) == [2, 4, 6, 8])            // raw step 1.4 → 2
        #expect(SVGPlot.niceTicks(70.59, 87.89) == [75, 80, 85])    // raw 3.46 → 5
        #expect(SVGPlot.niceTicks(70.59, 79.89) == [72, 74, 76, 78]) // raw 1.86 → 2
        #expect(SVGPlot.niceTicks(0, 1714) == [0, 500, 1000, 1500])
        let symmetric = SVGPlot.niceTicks(-0.3, 0.3)                 // raw 0.12 → 0.2
        #expect(symmetric.count == 3 && symmetric[1] == 0 && abs(symmetric[0] + 0.2) < 1e-15 && abs(symmetric[2] - 0.2) < 1e-15)
        #expect(SVGPlot.niceTicks(5, 5) == [5])
        #expect(SVGPlot.niceTicks(.nan, 1).isEmpty)
    }

    @Test("log ticks: powers of ten, with 2× and 5× on short ranges, linear ticks inside one short decade")
    func logTicks() {
        #expect(SVGPlot.logTicks(-4, 0) == [1e-4, 1e-3, 1e-2, 1e-1, 1])
        #expect(SVGPlot.logTicks(log10(0.6), log10(23.6)) == [1, 3, 10])
        let close = SVGPlot.logTicks(log10(0.07), log10(0.1))
        #expect(close.count >= 2 && close.allSatisfy { $0 >= 0.07 - 1e-12 && $0 <= 0.1 + 1e-12 })
    }

    @Test("one polyline per series, legend to the right of the plot area, taller for many series, text escaped")
    func render() {
        var p = SVGPlot(title: "a < b & c", xLabel: "step", yLabel: "lr")
        for k in 0..<30 { p.series.append(.init(name: "m\(k)", points: [(0, Double(k)), (10, Double(k) + 1)])) }
        let svg = p.render()
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 30)
        #expect(svg.contains("a &lt; b &amp; c"))
        #expect(svg.contains("stroke-dasharray"))                  // series 10+ reuse colours with dashes
        // Plot area: x from 70 to 70 + (640 − 90) = 620; every legend line starts right of it.
        let xs = svg.components(separatedBy: "<line x1=\"").dropFirst().compactMap { Double($0.prefix { $0 != "\"" }) }
        let legend = svg.components(separatedBy: "<text x=\"").dropFirst().compactMap { Double($0.prefix { $0 != "\"" }) }.filter { $0 > 620 }
        #expect(legend.count == 30 && xs.contains { $0 > 620 })
        let height = Double(svg.components(separatedBy: "height=\"")[1].prefix { $0 != "\"" })!
        let needed: Double = 40 + 16 * 30 + 20 + 50                  // top + 30 legend rows + gap + bottom
        #expect(height >= needed)
    }
}
