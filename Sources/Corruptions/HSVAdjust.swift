/// Brightness and saturation changes in HSV space (skimage `rgb2hsv` / `hsv2rgb`): brightness adds c to
/// the value V = max(R, G, B); saturate scales and shifts the saturation S; both clip to [0, 1].
enum HSVAdjust {
    /// Added to V.
    static let brightnessTable: [Float] = [0.05, 0.1, 0.15, 0.2, 0.3]
    /// (factor, offset) applied to S.
    static let saturateTable: [(factor: Float, offset: Float)] = [(0.3, 0), (0.1, 0), (1.5, 0), (2, 0.1), (2.5, 0.2)]

    static func brightness(_ image: ArraySlice<UInt8>, h: Int, w: Int, _ s: Int) -> [UInt8] {
        let c = brightnessTable[s]
        return map(image) { hsv in (hsv.h, hsv.s, min(max(hsv.v + c, 0), 1)) }
    }

    static func saturate(_ image: ArraySlice<UInt8>, h: Int, w: Int, _ s: Int) -> [UInt8] {
        let (f, o) = saturateTable[s]
        return map(image) { hsv in (hsv.h, min(max(hsv.s * f + o, 0), 1), hsv.v) }
    }

    static func map(_ image: ArraySlice<UInt8>, _ change: ((h: Float, s: Float, v: Float)) -> (Float, Float, Float)) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: image.count)
        var i = 0
        var p = image.startIndex
        while p < image.endIndex {
            let (hh, ss, vv) = change(rgbToHSV(Float(image[p]) / 255, Float(image[p + 1]) / 255, Float(image[p + 2]) / 255))
            let (r, g, b) = hsvToRGB(hh, ss, vv)
            out[i] = truncatedByte(min(max(r, 0), 1) * 255)
            out[i + 1] = truncatedByte(min(max(g, 0), 1) * 255)
            out[i + 2] = truncatedByte(min(max(b, 0), 1) * 255)
            i += 3; p += 3
        }
        return out
    }

    /// skimage's conversion: V = max, S = (max − min)/max (0 for black), H in [0, 1) from the max channel.
    static func rgbToHSV(_ r: Float, _ g: Float, _ b: Float) -> (h: Float, s: Float, v: Float) {
        let v = max(r, g, b), delta = v - min(r, g, b)
        let s: Float = v == 0 ? 0 : delta / v
        var h: Float = 0
        if delta > 0 {
            if r == v { h = (g - b) / delta }
            else if g == v { h = 2 + (b - r) / delta }
            else { h = 4 + (r - g) / delta }
            h = h / 6
            h -= h.rounded(.down)   // wrap into [0, 1)
        }
        return (h, s, v)
    }

    static func hsvToRGB(_ h: Float, _ s: Float, _ v: Float) -> (Float, Float, Float) {
        let h6 = h * 6
        let i = Int(h6.rounded(.down)) % 6
        let f = h6 - h6.rounded(.down)
        let p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f))
        switch i {
        case 0: return (v, t, p)
        case 1: return (q, v, p)
        case 2: return (p, v, t)
        case 3: return (p, q, v)
        case 4: return (t, p, v)
        default: return (v, p, q)
        }
    }
}
