import ArgumentParser
import Corruptions
import Datasets
import Foundation
import Tensor
import Training

/// `mlrsnet corrupt`: writes CIFAR-10-C–style corrupted copies of CIFAR-10 (any of the 15 benchmark corruptions
/// and the 3 extra ones, at severities 1…5), deterministically from a seed, plus a PNG contact sheet.
struct Corrupt: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate CIFAR-10-C corruptions (Hendrycks & Dietterich 2019) of CIFAR-10, with a PNG contact sheet.",
        discussion: """
        --format cifar-binary (default) writes OUT/<corruption>/severity-<s>/cifar-10-batches-bin/ with \
        data_batch_1..5.bin (the corrupted training images, official record layout) and a clean test_batch.bin, \
        so `mlrsnet train --dataset cifar10 --data OUT/<corruption>/severity-<s>` trains on corrupted images and \
        tests on clean ones (the paper's Section 4.3 setting); with --split test it writes the corrupted test_batch.bin. \
        --format npy writes OUT/<corruption>.npy (uint8 [S·N, 32, 32, 3], the selected severities concatenated, as \
        CIFAR-10-C) and OUT/labels.npy. Also writes OUT/contact-sheet.png (one row per corruption: clean, then \
        severities), OUT/stats.csv (pixel mean/std per corruption and severity, and seconds) and OUT/manifest.json.
        Example: mlrsnet corrupt --corruption all --severity all --seed 0 --out /tmp/cifar10-c
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case cifarBinary = "cifar-binary", npy }
    enum SplitChoice: String, ExpressibleByArgument, CaseIterable { case train, test }

    @Option(help: "CIFAR-10 directory or archive.")
    var data: String = "../shared/data/cifar-10/cifar-10-jpeg75-binary.tar.gz"
    @Option(help: "Data set (cifar10).") var dataset: DatasetChoice = .cifar10
    @Option(help: "Corruption name(s), comma-separated: \(Corruption.allCases.map(\.rawValue).joined(separator: ", ")); or all (the 15 benchmark ones), extra, everything.")
    var corruption: String = "all"
    @Option(help: "Severity 1-5, a comma list, or all.") var severity: String = "all"
    @Option(help: "Random seed.") var seed: UInt64 = 0
    @Option(help: "Output directory.") var out: String
    @Option(help: "Which split to corrupt.") var split: SplitChoice = .train
    @Option(help: "Corrupt only the first N images.") var limit: Int?
    @Option(help: "Output layout.") var format: Format = .cifarBinary
    @Option(help: "Index of the image shown in the contact sheet.") var sheetImage: Int = 0
    @Option(help: "Contact-sheet magnification (each pixel becomes a scale × scale block).") var sheetScale: Int = 3
    @Flag(help: "Generate and measure (stats.csv, contact sheet) without writing the data files.") var statsOnly = false

    func corruptions() throws -> [Corruption] {
        var list: [Corruption] = []
        for name in corruption.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            switch name {
            case "all", "benchmark": list += Corruption.benchmark
            case "extra": list += Corruption.extra
            case "everything": list += Corruption.benchmark + Corruption.extra
            default:
                guard let c = Corruption(rawValue: name) else {
                    throw ValidationError("unknown corruption '\(name)'; choose from \(Corruption.allCases.map(\.rawValue).joined(separator: ", ")), all, extra, everything")
                }
                list.append(c)
            }
        }
        var seen = Set<Corruption>()
        return list.filter { seen.insert($0).inserted }
    }

    func severities() throws -> [Int] {
        if severity == "all" { return Array(Corruption.severities) }
        let parts = severity.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        var out: [Int] = []
        for p in parts {
            guard let s = Int(p), Corruption.severities.contains(s) else { throw ValidationError("--severity must be 1-5, a comma list of them, or all (got '\(p)')") }
            if !out.contains(s) { out.append(s) }
        }
        guard !out.isEmpty else { throw ValidationError("--severity is empty") }
        return out
    }

    func validate() throws {
        guard dataset == .cifar10 else { throw ValidationError("--dataset \(dataset.rawValue) is not supported by corrupt (cifar10 only)") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1 (got \(limit))") }
        if let limit, split == .train, format == .cifarBinary, !statsOnly, limit < 5 {
            throw ValidationError("--limit \(limit) is too small for five data_batch files: use at least 5")
        }
        guard sheetImage >= 0 else { throw ValidationError("--sheet-image must be ≥ 0") }
        guard (1...16).contains(sheetScale) else { throw ValidationError("--sheet-scale must be 1…16 (got \(sheetScale))") }
        _ = try corruptions(); _ = try severities()
    }

    func run() throws {
        let list = try corruptions(), levels = try severities()
        let source = try CIFARBytes.loadCIFAR10(from: data, split: split == .train ? .train : .test)
        let clean = limit.map { source.prefix($0) } ?? source
        guard sheetImage < clean.count else { throw CLIError("--sheet-image \(sheetImage) is past the \(clean.count) images") }
        let cleanTest = (split == .train && format == .cifarBinary && !statsOnly) ? try CIFARBytes.loadCIFAR10(from: data, split: .test) : nil
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        say("corrupting \(clean.count) CIFAR-10 \(split.rawValue) images from \(data): \(list.count) corruption(s) × severities \(levels.map(String.init).joined(separator: ",")), seed \(seed)")
        let cleanStats = Self.meanStd(clean.pixels)
        var csv = "corruption,severity,images,mean,std,clean_mean,clean_std,mean_abs_change,seconds\n"
        var sheet = ContactSheet(rows: list.count, columns: levels.count + 1, scale: sheetScale)
        let tile = (sheetImage * 3072)..<((sheetImage + 1) * 3072)
        let n = clean.count
        var total = 0.0
        for (row, c) in list.enumerated() {
            sheet.place(clean.pixels[tile], row: row, column: 0)
            var npyHandle: FileHandle?
            if format == .npy && !statsOnly {
                let path = out + "/\(c.rawValue).npy"
                guard FileManager.default.createFile(atPath: path, contents: nil) else { throw CLIError("\(path): cannot be created") }
                npyHandle = FileHandle(forWritingAtPath: path)
                let bytes = NPY.header(shape: [levels.count * n, 32, 32, 3])
                try npyHandle?.write(contentsOf: bytes)
            }
            var corruptionSeconds = 0.0
            for (col, s) in levels.enumerated() {
                let start = Date()
                let images = CorruptionEngine.corrupt(clean.pixels, count: n, height: 32, width: 32, corruption: c, severity: s, seed: seed)
                let seconds = Date().timeIntervalSince(start)
                corruptionSeconds += seconds
                let st = Self.meanStd(images)
                var change = 0.0
                for i in images.indices { change += abs(Double(images[i]) - Double(clean.pixels[i])) }
                change /= Double(images.count)
                csv += "\(c.rawValue),\(s),\(n),\(Self.f(st.mean)),\(Self.f(st.std)),\(Self.f(cleanStats.mean)),\(Self.f(cleanStats.std)),\(Self.f(change)),\(Self.f(seconds))\n"
                sheet.place(images[tile], row: row, column: col + 1)
                let corrupted = CIFARBytes(pixels: images, labels: clean.labels)
                if !statsOnly {
                    switch format {
                    case .npy: try npyHandle?.write(contentsOf: images)
                    case .cifarBinary: try Self.writeBinary(corrupted, cleanTest: cleanTest, to: out + "/\(c.rawValue)/severity-\(s)", split: split)
                    }
                }
                FileHandle.standardError.write(Data("  \(c.rawValue) severity \(s): \(n) images in \(String(format: "%.2f", seconds)) s (\(String(format: "%.0f", Double(n) / max(seconds, 1e-9))) images/s), mean \(Self.f(st.mean)) std \(Self.f(st.std))\n".utf8))
            }
            try npyHandle?.close()
            total += corruptionSeconds
            say("\(c.rawValue): \(levels.count) severities in \(String(format: "%.1f", corruptionSeconds)) s")
        }
        if format == .npy && !statsOnly {
            var labels: [UInt8] = []
            for _ in levels { labels += clean.labels }
            try Data(NPY.encode(labels, shape: [labels.count])).write(to: URL(fileURLWithPath: out + "/labels.npy"))
        }
        try csv.write(toFile: out + "/stats.csv", atomically: true, encoding: .utf8)
        try sheet.write(to: out + "/contact-sheet.png")
        let manifest: [String: String] = [
            "generator": "mlrsnet corrupt (Swift reimplementation of make_cifar_c.py; see README 'Corrupted data' for deviations)",
            "source": data, "split": split.rawValue, "images": String(n), "seed": String(seed),
            "corruptions": list.map(\.rawValue).joined(separator: ","), "severities": levels.map(String.init).joined(separator: ","),
            "format": statsOnly ? "stats-only" : format.rawValue, "threads": String(WorkerPool.shared.threadCount),
            "seconds": String(format: "%.1f", total),
        ]
        try jsonString(manifest).write(toFile: out + "/manifest.json", atomically: true, encoding: .utf8)
        say("wrote \(out)/contact-sheet.png, stats.csv, manifest.json (\(String(format: "%.1f", total)) s of corruption)")
    }

    static func f(_ v: Double) -> String { String(format: "%.3f", v) }

    static func meanStd(_ bytes: [UInt8]) -> (mean: Double, std: Double) {
        var hist = [Int](repeating: 0, count: 256)
        for b in bytes { hist[Int(b)] += 1 }
        let n = Double(bytes.count)
        var m = 0.0
        for (v, k) in hist.enumerated() { m += Double(v) * Double(k) }
        m /= n
        var s = 0.0
        for (v, k) in hist.enumerated() { s += (Double(v) - m) * (Double(v) - m) * Double(k) }
        return (m, (s / n).squareRoot())
    }

    /// Writes `data_batch_1..5.bin` (train; and the clean test set as `test_batch.bin`) or `test_batch.bin` (test).
    static func writeBinary(_ images: CIFARBytes, cleanTest: CIFARBytes?, to dir: String, split: SplitChoice) throws {
        let folder = dir + "/cifar-10-batches-bin"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let n = images.count
        switch split {
        case .train:
            for k in 0..<5 {
                let records = images.cifar10Records((k * n / 5)..<((k + 1) * n / 5))
                try Data(records).write(to: URL(fileURLWithPath: folder + "/data_batch_\(k + 1).bin"))
            }
            if let cleanTest {
                try Data(cleanTest.cifar10Records(0..<cleanTest.count)).write(to: URL(fileURLWithPath: folder + "/test_batch.bin"))
            }
        case .test:
            try Data(images.cifar10Records(0..<n)).write(to: URL(fileURLWithPath: folder + "/test_batch.bin"))
        }
        try (CIFAR.cifar10ClassNames.joined(separator: "\n") + "\n").write(toFile: folder + "/batches.meta.txt", atomically: true, encoding: .utf8)
    }
}
