// Small numeric helpers for the schedules, written against the standard library only (no Foundation / libm).

/// cos(π·x) to within a few ulps of Double, for any finite x. The argument is reduced exactly to [0, 1/4] (all
/// subtractions below are exact by Sterbenz' lemma), then a Taylor polynomial of cos or sin on [0, π/4] is used;
/// its truncation error is below 1e-18.
@inlinable func cosPi(_ x: Double) -> Double {
    var r = abs(x).truncatingRemainder(dividingBy: 2)   // cos(πx) has period 2 and is even; exact
    if r > 1 { r = 2 - r }                                // cos(π(2 − r)) = cos(πr)
    var sign = 1.0
    if r > 0.5 { r = 1 - r; sign = -1 }                   // cos(π(1 − r)) = −cos(πr)
    if r <= 0.25 { return sign * cosTaylor(Double.pi * r) }
    return sign * sinTaylor(Double.pi * (0.5 - r))        // cos(πr) = sin(π(1/2 − r))
}

/// cos y for |y| ≤ π/4, Taylor through the y¹⁸ term in nested form:
/// 1 − y²/(1·2)·(1 − y²/(3·4)·(1 − y²/(5·6)·(...))).
@inlinable func cosTaylor(_ y: Double) -> Double {
    let y2 = y * y
    var t = 1 - y2 * (1.0 / 306)     // 17·18
    t = 1 - y2 * (1.0 / 240) * t     // 15·16
    t = 1 - y2 * (1.0 / 182) * t     // 13·14
    t = 1 - y2 * (1.0 / 132) * t     // 11·12
    t = 1 - y2 * (1.0 / 90) * t      // 9·10
    t = 1 - y2 * (1.0 / 56) * t      // 7·8
    t = 1 - y2 * (1.0 / 30) * t      // 5·6
    t = 1 - y2 * (1.0 / 12) * t      // 3·4
    return 1 - y2 * 0.5 * t          // 1·2
}

/// sin y for |y| ≤ π/4, Taylor through the y¹⁹ term in nested form:
/// y·(1 − y²/(2·3)·(1 − y²/(4·5)·(1 − y²/(6·7)·(...)))).
@inlinable func sinTaylor(_ y: Double) -> Double {
    let y2 = y * y
    var t = 1 - y2 * (1.0 / 342)     // 18·19
    t = 1 - y2 * (1.0 / 272) * t     // 16·17
    t = 1 - y2 * (1.0 / 210) * t     // 14·15
    t = 1 - y2 * (1.0 / 156) * t     // 12·13
    t = 1 - y2 * (1.0 / 110) * t     // 10·11
    t = 1 - y2 * (1.0 / 72) * t      // 8·9
    t = 1 - y2 * (1.0 / 42) * t      // 6·7
    t = 1 - y2 * (1.0 / 20) * t      // 4·5
    return y * (1 - y2 * (1.0 / 6) * t)   // 2·3
}

/// x^n for n ≥ 0 by repeated squaring (about 2·log₂n roundings, so relative error ≲ 1e-14 for any step count).
@inlinable func power(_ x: Double, _ n: Int) -> Double {
    var result = 1.0, base = x, e = n
    while e > 0 {
        if e & 1 == 1 { result *= base }
        base *= base
        e >>= 1
    }
    return result
}

/// A number for summaries: integral values without ".0" ("100"), others in Swift's shortest form ("0.1").
func formatNumber(_ v: Double) -> String {
    if v.isFinite && v == v.rounded() && abs(v) < 1e15 { return String(Int(v)) }
    return "\(v)"
}
