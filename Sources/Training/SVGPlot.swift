import Foundation
import Tensor

/// A minimal SVG line chart (no dependencies): one or more series over shared axes, with ticks, labels and a
/// legend, optionally a logarithmic y axis. Used for LR schedules, loss and accuracy curves in run reports.
public struct SVGPlot {
    public struct Series {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public init(name: String, points: [(x: Double, y: Double)]) { self.name = name; self.points = points }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var logY = false
    public var series: [Series] = []
    public var width = 640.0, height = 400.0

    public init(title: String, xLabel: String, yLabel: String, logY: Bool = false) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.logY = logY
    }

    static let colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#17becf"]
    /// Line styles cycled after all colours are used (so up to 36 series stay distinguishable).
    static let dashes = ["", "6 3", "2 2", "8 3 2 3"]

    /// Tick values covering [lo, hi] at a "nice" spacing (1, 2, 2.5 or 5 × 10^k), about `target` of them.
    public static func niceTicks(_ lo: Double, _ hi: Double, target: Int = 6) -> [Double] {
        guard lo.isFinite, hi.isFinite, hi > lo else { return lo.isFinite ? [lo] : [] }
        let raw = (hi - lo) / Double(max(1, target - 1))
        let mag = pow(10, floor(log10(raw)))
        let step = [1, 2, 2.5, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
        // Multiples k·step (not a running sum), so the labels carry no accumulated rounding.
        let first = Int(ceil(lo / step - 1e-9)), last = Int(floor(hi / step + 1e-9))
        return first <= last ? (first...last).map { Double($0) * step } : []
    }

    /// Tick values of a log axis over [10^lo, 10^hi]: powers of ten, with 2× and 5× when the range is short.
    public static func logTicks(_ lo: Double, _ hi: Double) -> [Double] {
        guard lo.isFinite, hi.isFinite, hi > lo else { return [] }
        let decades = Int(floor(lo))...Int(ceil(hi))
        let mantissas: [Double] = hi - lo < 1.5 ? [1, 2, 5] : hi - lo < 3 ? [1, 3] : [1]
        let every = max(1, Int(((hi - lo) / 6).rounded(.up)))
        var ticks: [Double] = []
        for d in decades where mantissas.count > 1 || (d - decades.lowerBound) % every == 0 {
            for m in mantissas {
                let v = m * pow(10, Double(d))
                if log10(v) >= lo - 1e-9 && log10(v) <= hi + 1e-9 { ticks.append(v) }
            }
        }
        if ticks.count < 2 { return niceTicks(pow(10, lo), pow(10, hi), target: 4).filter { $0 > 0 } }
        return ticks
    }

    /// The SVG document. The legend sits to the right of the plot area, so it never hides a curve; the
    /// image grows taller when there are more series than fit beside the plot.
    public func render() -> String {
        let legendWidth = series.isEmpty ? 0.0 : min(220, 40 + 7 * Double(series.map(\.name.count).max() ?? 0))
        let left = 70.0, top = 40.0, bottom = 50.0
        let height = max(self.height, top + 16 * Double(series.count) + 20 + bottom)
        let pw = width - left - 20, ph = height - top - bottom
        let width = self.width + legendWidth
        let pts = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite && (!logY || $0.y > 0) }
        var x0 = pts.map(\.x).min() ?? 0, x1 = pts.map(\.x).max() ?? 1
        var ys = pts.map { logY ? log10($0.y) : $0.y }
        if ys.isEmpty { ys = [0, 1] }
        var y0 = ys.min()!, y1 = ys.max()!
        if x1 <= x0 { x1 = x0 + 1 }
        if y1 <= y0 { y0 -= 0.5; y1 += 0.5 }
        let pad = (y1 - y0) * 0.05
        y0 -= pad; y1 += pad
        if !logY && y0 < 0 && (pts.map(\.y).min() ?? 0) >= 0 { y0 = 0 }
        x0 = min(x0, x1)
        func sx(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * pw }
        func syLinear(_ t: Double) -> Double { top + (1 - (t - y0) / (y1 - y0)) * ph }
        func sy(_ y: Double) -> Double { syLinear(logY ? log10(y) : y) }
        func fmt(_ v: Double) -> String {
            if v == 0 { return "0" }
            let a = abs(v)
            return a >= 1e5 || a < 1e-3 ? String(format: "%.0e", v) : String(format: "%.6g", v)
        }
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(left + pw / 2)\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">\(esc(title))</text>\n"
        s += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(pw)\" height=\"\(ph)\" fill=\"none\" stroke=\"#333\"/>\n"
        for xv in SVGPlot.niceTicks(x0, x1) {
            let px = sx(xv)
            s += "<line x1=\"\(px)\" y1=\"\(top + ph)\" x2=\"\(px)\" y2=\"\(top + ph + 5)\" stroke=\"#333\"/>"
            s += "<text x=\"\(px)\" y=\"\(top + ph + 18)\" text-anchor=\"middle\">\(fmt(xv))</text>\n"
        }
        for yv in logY ? SVGPlot.logTicks(y0, y1) : SVGPlot.niceTicks(y0, y1) {
            let py = sy(yv)
            s += "<line x1=\"\(left - 5)\" y1=\"\(py)\" x2=\"\(left)\" y2=\"\(py)\" stroke=\"#333\"/>"
            s += "<line x1=\"\(left)\" y1=\"\(py)\" x2=\"\(left + pw)\" y2=\"\(py)\" stroke=\"#eee\"/>"
            s += "<text x=\"\(left - 8)\" y=\"\(py + 4)\" text-anchor=\"end\">\(fmt(yv))</text>\n"
        }
        s += "<text x=\"\(left + pw / 2)\" y=\"\(height - 10)\" text-anchor=\"middle\">\(esc(xLabel))</text>\n"
        s += "<text transform=\"translate(16 \(top + ph / 2)) rotate(-90)\" text-anchor=\"middle\">\(esc(yLabel + (logY ? " (log)" : "")))</text>\n"
        for (k, ser) in series.enumerated() {
            let c = SVGPlot.colours[k % SVGPlot.colours.count]
            let dash = SVGPlot.dashes[(k / SVGPlot.colours.count) % SVGPlot.dashes.count]
            let style = dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\""
            let path = ser.points.filter { $0.x.isFinite && $0.y.isFinite && (!logY || $0.y > 0) }
                .map { String(format: "%.2f,%.2f", sx($0.x), sy($0.y)) }.joined(separator: " ")
            s += "<polyline fill=\"none\" stroke=\"\(c)\" stroke-width=\"1.5\"\(style) points=\"\(path)\"/>\n"
            let lx = left + pw + 12, ly = top + 10 + Double(k) * 16
            s += "<line x1=\"\(lx)\" y1=\"\(ly - 4)\" x2=\"\(lx + 22)\" y2=\"\(ly - 4)\" stroke=\"\(c)\" stroke-width=\"2\"\(style)/>"
            s += "<text x=\"\(lx + 28)\" y=\"\(ly)\">\(esc(ser.name))</text>\n"
        }
        return s + "</svg>\n"
    }

    /// Writes the SVG atomically.
    public func write(to path: String) throws {
        try AtomicFile.write(Array(render().utf8), to: path)
    }
}
