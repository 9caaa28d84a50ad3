import Foundation

/// How a filter reads pixels past the image edge (names after SciPy; OpenCV's BORDER_REFLECT_101 is `mirror`).
enum BorderMode {
    /// `aaa|abcd|ddd` — SciPy `nearest`, skimage's `gaussian` default, ImageMagick's edge virtual pixels.
    case nearest
    /// `dcba|abcd|dcba` — SciPy `reflect` (half-sample symmetric).
    case reflect
    /// `dcb|abcd|cba` — SciPy `mirror`, OpenCV `BORDER_REFLECT_101` (OpenCV's default border).
    case mirror

    /// The in-range index that position `i` of a line of `n` samples reads.
    @inline(__always) func index(_ i: Int, _ n: Int) -> Int {
        if i >= 0 && i < n { return i }
        if n == 1 { return 0 }
        switch self {
        case .nearest: return i < 0 ? 0 : n - 1
        case .reflect:
            let period = 2 * n
            var m = i % period; if m < 0 { m += period }
            return m < n ? m : period - 1 - m
        case .mirror:
            let period = 2 * n - 2
            var m = i % period; if m < 0 { m += period }
            return m < n ? m : period - m
        }
    }
}

/// SciPy's 1-D Gaussian weights (`gaussian_filter`): radius `Int(truncate·σ + 0.5)`, normalised to sum 1.
func gaussianWeights(sigma: Double, truncate: Double = 4) -> [Float] {
    let radius = Int(truncate * sigma + 0.5)
    var w = (-radius...radius).map { exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
    let s = w.reduce(0, +)
    w = w.map { $0 / s }
    return w.map(Float.init)
}

/// Separable Gaussian blur of the two spatial axes of every channel (skimage `gaussian(..., multichannel=True)`,
/// i.e. SciPy `gaussian_filter` with σ = 0 on the channel axis).
func gaussianBlur(_ image: FloatImage, sigma: Double, truncate: Double = 4, mode: BorderMode = .nearest) -> FloatImage {
    let w = gaussianWeights(sigma: sigma, truncate: truncate)
    return separableFilter(image, w, w, mode: mode)
}

/// Correlates each channel with `rows` along y and `columns` along x (odd lengths, centred).
func separableFilter(_ image: FloatImage, _ rows: [Float], _ columns: [Float], mode: BorderMode) -> FloatImage {
    let h = image.height, wd = image.width, c = image.channels
    let rr = rows.count / 2, rc = columns.count / 2
    var tmp = FloatImage(height: h, width: wd, channels: c)
    // Along y first (SciPy filters axis 0 then axis 1).
    for y in 0..<h {
        for x in 0..<wd {
            for ch in 0..<c {
                var s: Float = 0
                for k in 0..<rows.count { s += rows[k] * image[mode.index(y + k - rr, h), x, ch] }
                tmp[y, x, ch] = s
            }
        }
    }
    var out = FloatImage(height: h, width: wd, channels: c)
    for y in 0..<h {
        for x in 0..<wd {
            for ch in 0..<c {
                var s: Float = 0
                for k in 0..<columns.count { s += columns[k] * tmp[y, mode.index(x + k - rc, wd), ch] }
                out[y, x, ch] = s
            }
        }
    }
    return out
}

/// 2-D correlation of every channel with a `kh × kw` kernel (row-major, centred) — OpenCV `filter2D`.
func correlate(_ image: FloatImage, kernel: [Float], kh: Int, kw: Int, mode: BorderMode = .mirror) -> FloatImage {
    precondition(kernel.count == kh * kw && kh % 2 == 1 && kw % 2 == 1, "correlate: kernel must be odd-sized")
    let h = image.height, wd = image.width, c = image.channels
    // Skip zero taps (the aliased disks are mostly zero) — the sum is the same.
    var taps: [(dy: Int, dx: Int, w: Float)] = []
    for i in 0..<kh { for j in 0..<kw where kernel[i * kw + j] != 0 { taps.append((i - kh / 2, j - kw / 2, kernel[i * kw + j])) } }
    var out = FloatImage(height: h, width: wd, channels: c)
    for y in 0..<h {
        for x in 0..<wd {
            for ch in 0..<c {
                var s: Float = 0
                for t in taps { s += t.w * image[mode.index(y + t.dy, h), mode.index(x + t.dx, wd), ch] }
                out[y, x, ch] = s
            }
        }
    }
    return out
}

/// Bilinear sample of channel `ch` at (y, x) in pixel coordinates, reading outside pixels by `mode`
/// (SciPy `map_coordinates(order=1)` / OpenCV `INTER_LINEAR`).
@inline(__always) func bilinear(_ image: FloatImage, _ y: Float, _ x: Float, _ ch: Int, mode: BorderMode) -> Float {
    let y0 = Int(y.rounded(.down)), x0 = Int(x.rounded(.down))
    let fy = y - Float(y0), fx = x - Float(x0)
    let ya = mode.index(y0, image.height), yb = mode.index(y0 + 1, image.height)
    let xa = mode.index(x0, image.width), xb = mode.index(x0 + 1, image.width)
    let top = image[ya, xa, ch] * (1 - fx) + image[ya, xb, ch] * fx
    let bottom = image[yb, xa, ch] * (1 - fx) + image[yb, xb, ch] * fx
    return top * (1 - fy) + bottom * fy
}

/// The published generator's `clipped_zoom`: crop the central `ceil(h / zoom)` square, enlarge it by `zoom`
/// with SciPy's `zoom(order=1)` (output side `round(side·zoom)`, corner-aligned: input coordinate =
/// output · (in − 1)/(out − 1)), then trim the centre `h × h` back out. Square images only.
func clippedZoom(_ image: FloatImage, zoom: Double) -> FloatImage {
    let h = image.height
    let ch = Int((Double(h) / zoom).rounded(.up))
    let top = (h - ch) / 2
    let outSide = Int((Double(ch) * zoom).rounded())   // SciPy rounds the output shape
    let trim = (outSide - h) / 2
    let step: Double = outSide > 1 ? Double(ch - 1) / Double(outSide - 1) : 0
    var out = FloatImage(height: h, width: h, channels: image.channels)
    for y in 0..<h {
        let sy = Double(y + trim) * step
        let y0 = min(Int(sy), ch - 1), y1 = min(y0 + 1, ch - 1)
        let fy = Float(sy - Double(y0))
        for x in 0..<h {
            let sx = Double(x + trim) * step
            let x0 = min(Int(sx), ch - 1), x1 = min(x0 + 1, ch - 1)
            let fx = Float(sx - Double(x0))
            for c in 0..<image.channels {
                let a = image[top + y0, top + x0, c], b = image[top + y0, top + x1, c]
                let d = image[top + y1, top + x0, c], e = image[top + y1, top + x1, c]
                out[y, x, c] = (a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy
            }
        }
    }
    return out
}
