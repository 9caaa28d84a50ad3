import Tensor

/// The diamond-square plasma fractal of the published generator (after FLHerne's `mapgen`), used by `fog`
/// and by our procedural frost: a `size × size` height map (size a power of two) scaled to [0, 1].
/// At each level the new points are the mean of their four neighbours (wrapping around) plus uniform noise
/// of amplitude wibble²; wibble starts at 100 and is divided by `decay` per level (smaller decay = rougher).
enum PlasmaFractal {
    static func make(size: Int, decay: Double, _ rng: inout RandomGenerator) -> [Float] {
        precondition(size > 0 && size & (size - 1) == 0, "plasma fractal size must be a power of two, got \(size)")
        var map = [Double](repeating: 0, count: size * size)
        var step = size
        var wibble = 100.0
        @inline(__always) func at(_ y: Int, _ x: Int) -> Double { map[((y % size + size) % size) * size + (x % size + size) % size] }
        func wibbled(_ sum: Double, _ rng: inout RandomGenerator) -> Double { sum / 4 + wibble * rng.uniform(-wibble, wibble) }
        while step >= 2 {
            let half = step / 2
            // Squares: centre of each step×step square from its four corners.
            for y in stride(from: 0, to: size, by: step) {
                for x in stride(from: 0, to: size, by: step) {
                    let sum = at(y, x) + at(y + step, x) + at(y, x + step) + at(y + step, x + step)
                    map[(y + half) * size + x + half] = wibbled(sum, &rng)
                }
            }
            // Diamonds: the edge midpoints from the two corners and the two centres beside them.
            // (Row-major draw order: first the points between corners along x, then along y.)
            for y in stride(from: 0, to: size, by: step) {
                for x in stride(from: half, to: size, by: step) {
                    let sum = at(y, x - half) + at(y, x + half) + at(y + half, x) + at(y - half, x)
                    map[y * size + x] = wibbled(sum, &rng)
                }
            }
            for y in stride(from: half, to: size, by: step) {
                for x in stride(from: 0, to: size, by: step) {
                    let sum = at(y - half, x) + at(y + half, x) + at(y, x + half) + at(y, x - half)
                    map[y * size + x] = wibbled(sum, &rng)
                }
            }
            step /= 2
            wibble /= decay
        }
        let lo = map.min()!, hi = map.max()!
        let range = hi - lo
        return map.map { range > 0 ? Float(($0 - lo) / range) : 0 }
    }
}
