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

    /// The SVG document.
    public func render() -> String {
        let left = 70.0, right = 20.0, top = 40.0, bottom = 50.0
        let pw = width - left - right, ph = height - top - bottom
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
        func sy(_ y: Double) -> Double { top + (1 - ((logY ? log10(y) : y) - y0) / (y1 - y0)) * ph }
        func fmt(_ v: Double) -> String {
            if v == 0 { return "0" }
            let a = abs(v)
            return a >= 1e4 || a < 1e-3 ? String(format: "%.1e", v) : String(format: "%.4g", v)
        }
        func esc(_ s: String) -> String { s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;") }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(width / 2)\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">\(esc(title))</text>\n"
        s += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(pw)\" height=\"\(ph)\" fill=\"none\" stroke=\"#333\"/>\n"
        for i in 0...5 {
            let xv = x0 + (x1 - x0) * Double(i) / 5, px = sx(xv)
            s += "<line x1=\"\(px)\" y1=\"\(top + ph)\" x2=\"\(px)\" y2=\"\(top + ph + 5)\" stroke=\"#333\"/>"
            s += "<text x=\"\(px)\" y=\"\(top + ph + 18)\" text-anchor=\"middle\">\(fmt(xv))</text>\n"
            let yt = y0 + (y1 - y0) * Double(i) / 5, py = top + (1 - Double(i) / 5) * ph
            let yv = logY ? pow(10, yt) : yt
            s += "<line x1=\"\(left - 5)\" y1=\"\(py)\" x2=\"\(left)\" y2=\"\(py)\" stroke=\"#333\"/>"
            s += "<line x1=\"\(left)\" y1=\"\(py)\" x2=\"\(left + pw)\" y2=\"\(py)\" stroke=\"#eee\"/>"
            s += "<text x=\"\(left - 8)\" y=\"\(py + 4)\" text-anchor=\"end\">\(fmt(yv))</text>\n"
        }
        s += "<text x=\"\(left + pw / 2)\" y=\"\(height - 10)\" text-anchor=\"middle\">\(esc(xLabel))</text>\n"
        s += "<text transform=\"translate(16 \(top + ph / 2)) rotate(-90)\" text-anchor=\"middle\">\(esc(yLabel + (logY ? " (log)" : "")))</text>\n"
        for (k, ser) in series.enumerated() {
            let c = SVGPlot.colours[k % SVGPlot.colours.count]
            let path = ser.points.filter { $0.x.isFinite && $0.y.isFinite && (!logY || $0.y > 0) }
                .map { String(format: "%.2f,%.2f", sx($0.x), sy($0.y)) }.joined(separator: " ")
            s += "<polyline fill=\"none\" stroke=\"\(c)\" stroke-width=\"1.5\" points=\"\(path)\"/>\n"
            let ly = top + 14 + Double(k) * 16
            s += "<line x1=\"\(left + pw - 150)\" y1=\"\(ly - 4)\" x2=\"\(left + pw - 130)\" y2=\"\(ly - 4)\" stroke=\"\(c)\" stroke-width=\"2\"/>"
            s += "<text x=\"\(left + pw - 125)\" y=\"\(ly)\">\(esc(ser.name))</text>\n"
        }
        return s + "</svg>\n"
    }

    /// Writes the SVG atomically.
    public func write(to path: String) throws {
        try AtomicFile.write(Array(render().utf8), to: path)
    }
}
