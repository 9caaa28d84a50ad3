import Tensor

/// The image corruptions of CIFAR-10-C / CIFAR-100-C (Hendrycks & Dietterich, ICLR 2019), each at severities
/// 1…5 with the parameter tables of the published CIFAR generator (`make_cifar_c.py`), reimplemented in Swift.
///
/// Raw values are the official file stems (`gaussian_noise.npy`, …). Every corruption maps one uint8 HWC
/// image to another of the same size and draws all its randomness from the generator it is given.
///
/// DEVIATIONS from the published generator (also in the README's "Corrupted data" section):
/// - Random streams: our seeded xoshiro256** generator replaces NumPy's global Mersenne Twister, so the
///   corrupted pixels follow the same distributions but are not the same draws as the official files.
/// - Arithmetic is `Float` (NumPy uses float64); final casts truncate like `np.uint8` (with a 1/2000-level guard).
/// - `frost`: the published generator crops photographs of frost (frost1.png…frost6.jpg, not redistributable
///   here); we synthesise a procedural frost texture per image (see `Frost.swift`).
/// - `motion_blur` and `snow`: ImageMagick's `MagickMotionBlurImage` is replaced by our own one-sided
///   Gaussian line kernel following ImageMagick's definition (see `MotionBlur.swift`).
/// - `jpeg_compression`: PIL/libjpeg are replaced by our baseline JPEG quantise–dequantise round trip
///   (JFIF YCbCr, 4:2:0 chroma as PIL's default, IJG quality scaling of the standard tables, float DCT,
///   libjpeg-style "fancy" triangle upsampling); entropy coding is lossless and so is skipped.
/// - `defocus_blur` kernel: OpenCV's 3×3 `GaussianBlur` of the aliased disk is reproduced with OpenCV's
///   Gaussian-kernel formula and its reflect-101 border.
/// - `pixelate`: PIL's BOX resampling is reproduced (coefficients as PIL computes them), in Float.
/// - `spatter` (one of the four extra corruptions) is not implemented: it needs Canny edges, a distance
///   transform and histogram equalisation.
public enum Corruption: String, CaseIterable, Sendable, Codable {
    case gaussianNoise = "gaussian_noise"
    case shotNoise = "shot_noise"
    case impulseNoise = "impulse_noise"
    case defocusBlur = "defocus_blur"
    case glassBlur = "glass_blur"
    case motionBlur = "motion_blur"
    case zoomBlur = "zoom_blur"
    case snow
    case frost
    case fog
    case brightness
    case contrast
    case elasticTransform = "elastic_transform"
    case pixelate
    case jpegCompression = "jpeg_compression"
    // The extra corruptions of the published generator (the "validation" corruptions).
    case speckleNoise = "speckle_noise"
    case gaussianBlur = "gaussian_blur"
    case saturate

    /// The 15 benchmark corruptions of CIFAR-10-C, in the paper's order.
    public static let benchmark: [Corruption] = [.gaussianNoise, .shotNoise, .impulseNoise, .defocusBlur, .glassBlur,
                                                 .motionBlur, .zoomBlur, .snow, .frost, .fog, .brightness, .contrast,
                                                 .elasticTransform, .pixelate, .jpegCompression]
    /// The extra corruptions implemented here (spatter is not).
    public static let extra: [Corruption] = [.speckleNoise, .gaussianBlur, .saturate]

    /// The severities of the benchmark.
    public static let severities = 1...5

    /// Applies this corruption at `severity` (1…5) to one uint8 image of `height × width × 3` bytes (HWC, RGB).
    /// Blurs and geometric corruptions assume square images (CIFAR's 32×32), as the published generator does.
    public func apply(_ image: ArraySlice<UInt8>, height: Int, width: Int, severity: Int,
                      rng: inout RandomGenerator) -> [UInt8] {
        precondition(Corruption.severities.contains(severity), "Corruption.apply: severity must be 1…5, got \(severity)")
        precondition(image.count == height * width * 3, "Corruption.apply: \(image.count) bytes for a \(height)×\(width)×3 image")
        let s = severity - 1
        switch self {
        case .gaussianNoise: return Noise.gaussian(image, h: height, w: width, s, &rng)
        case .shotNoise: return Noise.shot(image, h: height, w: width, s, &rng)
        case .impulseNoise: return Noise.impulse(image, h: height, w: width, s, &rng)
        case .speckleNoise: return Noise.speckle(image, h: height, w: width, s, &rng)
        case .defocusBlur: return DefocusBlur.apply(image, h: height, w: width, s)
        case .glassBlur: return GlassBlur.apply(image, h: height, w: width, s, &rng)
        case .motionBlur: return MotionBlur.corruption(image, h: height, w: width, s, &rng)
        case .zoomBlur: return ZoomBlur.apply(image, h: height, w: width, s)
        case .gaussianBlur: return GaussianBlurCorruption.apply(image, h: height, w: width, s)
        case .snow: return Snow.apply(image, h: height, w: width, s, &rng)
        case .frost: return Frost.apply(image, h: height, w: width, s, &rng)
        case .fog: return Fog.apply(image, h: height, w: width, s, &rng)
        case .brightness: return HSVAdjust.brightness(image, h: height, w: width, s)
        case .saturate: return HSVAdjust.saturate(image, h: height, w: width, s)
        case .contrast: return Contrast.apply(image, h: height, w: width, s)
        case .elasticTransform: return Elastic.apply(image, h: height, w: width, s, &rng)
        case .pixelate: return Pixelate.apply(image, h: height, w: width, s)
        case .jpegCompression: return JPEG.corruption(image, h: height, w: width, s)
        }
    }

    /// A stable small number for this corruption, mixed into per-image seeds.
    var seedTag: UInt64 { UInt64(Corruption.allCases.firstIndex(of: self)! + 1) }
}

/// Corrupts many images at once, in parallel, deterministically.
public enum CorruptionEngine {
    /// The generator for image `index` of a run: a SplitMix-style mix of the run seed, the corruption,
    /// the severity and the image's index, so every image's draws are independent of how images are split
    /// over threads (bit-identical for any `MLRSNET_THREADS`) and of which other images are corrupted.
    public static func generator(seed: UInt64, corruption: Corruption, severity: Int, index: Int) -> RandomGenerator {
        var z = seed
        for part in [corruption.seedTag, UInt64(severity), UInt64(index)] {
            z = (z ^ part) &* 0x9E37_79B9_7F4A_7C15
            z ^= z >> 29
            z = z &* 0xBF58_476D_1CE4_E5B9
            z ^= z >> 32
        }
        return RandomGenerator(seed: z)
    }

    /// Corrupts `count` images stored back to back in `images` (each `height × width × 3` uint8, HWC).
    /// Image `i` uses `generator(seed:corruption:severity:index: firstIndex + i)`.
    public static func corrupt(_ images: [UInt8], count: Int, height: Int, width: Int,
                               corruption: Corruption, severity: Int, seed: UInt64, firstIndex: Int = 0,
                               pool: WorkerPool = .shared) -> [UInt8] {
        let size = height * width * 3
        precondition(images.count == count * size, "CorruptionEngine.corrupt: \(images.count) bytes for \(count) images of \(size)")
        var out = [UInt8](repeating: 0, count: images.count)
        out.withUnsafeMutableBufferPointer { dst in
            let base = dst.baseAddress!
            pool.parallelFor(count, minPerPart: 16) { range in
                for i in range {
                    var rng = generator(seed: seed, corruption: corruption, severity: severity, index: firstIndex + i)
                    let r = corruption.apply(images[(i * size)..<((i + 1) * size)], height: height, width: width,
                                             severity: severity, rng: &rng)
                    for k in 0..<size { base[i * size + k] = r[k] }
                }
            }
        }
        return out
    }
}
