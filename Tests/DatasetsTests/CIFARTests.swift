import Foundation
import Testing
import Datasets
import Tensor
import TestSupport

/// Path of a file or folder under `Tests/DatasetsTests/Fixtures`.
func datasetFixture(_ name: String) throws -> String {
    try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures")).path
}

func readBytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

func writeBytes(_ bytes: [UInt8], to path: String) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// The kind of `DatasetError` a body throws (nil if none, or another error), and its message.
func datasetError(_ body: () throws -> Void) -> DatasetError? {
    do { try body(); return nil } catch let e as DatasetError { return e } catch { return nil }
}

/// The fixtures' pixel formula (see scripts/make_dataset_fixtures.py), recomputed independently.
private func fixturePixel(record: Int, channel: Int, y: Int, x: Int, seed: Int) -> Float {
    Float((53 * record + 101 * channel + 7 * y + 3 * x + seed) % 256) / 255
}

private func expectFixtureImages(_ set: LabeledImages, seed: Int, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(set.images.shape == [set.count, 3, 32, 32], sourceLocation: sourceLocation)
    var mismatches = 0
    set.images.withUnsafeBufferPointer { p in
        for r in 0..<set.count { for c in 0..<3 { for y in 0..<32 { for x in 0..<32
            where p[((r * 3 + c) * 32 + y) * 32 + x] != fixturePixel(record: r, channel: c, y: y, x: x, seed: seed) {
            mismatches += 1
        } } } }
    }
    #expect(mismatches == 0, "pixels differing from the fixture formula", sourceLocation: sourceLocation)
}

@Suite struct CIFARLoading {
    static let cifar10Sources = ["cifar10/cifar-10-batches-bin", "cifar10", "cifar10-tiny.tar.gz"]

    @Test(arguments: cifar10Sources)
    func loadsCIFAR10Fixture(source: String) throws {
        let (train, test) = try CIFAR.loadCIFAR10(from: try datasetFixture(source))
        #expect(train.count == 9)   // data_batch_1 has 5 records, batches 2…5 one each
        #expect(train.labels == [3, 0, 9, 5, 1, 7, 2, 4, 6])
        #expect(train.classCount == 10)
        #expect(test.labels == [8, 0])
        expectFixtureImages(train, seed: 0)
        expectFixtureImages(test, seed: 1)
        // A hand-computed pixel: record 2, green plane, row 5, column 7 = (106 + 101 + 35 + 21) % 256 = 7.
        #expect(train.images[2, 1, 5, 7] == Float(7) / 255)
        // Record 6 (the first of data_batch_3), red, row 0, column 0: 53·6 % 256 = 62.
        #expect(train.images[6, 0, 0, 0] == Float(62) / 255)
        let single = try CIFAR.loadCIFAR10(from: try datasetFixture(source), split: .test)
        #expect(single.images == test.images && single.labels == test.labels)
    }

    @Test(arguments: ["cifar100", "cifar100/cifar-100-binary", "cifar100-tiny.tar.gz"])
    func loadsCIFAR100Fixture(source: String) throws {
        let path = try datasetFixture(source)
        let fine = try CIFAR.loadCIFAR100(from: path, split: .train)
        #expect(fine.labels == [30, 99, 0, 57])
        #expect(fine.classCount == 100)
        expectFixtureImages(fine, seed: 2)
        let coarse = try CIFAR.loadCIFAR100(from: path, split: .train, labels: .coarse)
        #expect(coarse.labels == [4, 19, 0, 11])
        #expect(coarse.classCount == 20)
        #expect(coarse.images == fine.images)
        let both = try CIFAR.loadCIFAR100(from: path, labels: .coarse)
        #expect(both.test.labels == [7, 15])
        expectFixtureImages(both.test, seed: 3)
    }

    /// Writes the CIFAR-10 fixture, uncompressed, into a fresh directory (`…/cifar-10-batches-bin/`).
    private func unpackedCIFAR10() throws -> (root: String, batches: String) {
        let root = try TestData.temporaryDirectory("cifar")
        let batches = root + "/cifar-10-batches-bin"
        let archive = try Gzip.decompress(try readBytes(try datasetFixture("cifar10-tiny.tar.gz")))
        for e in try Tar.entries(archive, path: "fixture") where e.kind == .file {
            try writeBytes(Array(archive[e.range]), to: root + "/" + e.name)
        }
        return (root, batches)
    }

    @Test func reportsBrokenCIFAR10Files() throws {
        let (root, batches) = try unpackedCIFAR10()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try CIFAR.loadCIFAR10(from: root, split: .train).count == 9)   // the unpacked copy is good

        func broken(_ name: String, _ change: (inout [UInt8]) -> Void, split: CIFAR.Split = .train) throws -> DatasetError? {
            let path = batches + "/" + name
            let good = try readBytes(path)
            defer { try? writeBytes(good, to: path) }
            var bad = good
            change(&bad)
            try writeBytes(bad, to: path)
            return datasetError { _ = try CIFAR.loadCIFAR10(from: root, split: split) }
        }
        let truncated = try broken("data_batch_3.bin") { $0.removeLast(10) }
        #expect(truncated?.kind == .truncated)
        #expect(truncated?.path.hasSuffix("data_batch_3.bin") == true)
        let trailing = try broken("data_batch_1.bin") { $0 += [1, 2, 3] }
        #expect(trailing?.kind == .truncated)
        #expect(trailing?.path.hasSuffix("data_batch_1.bin") == true)
        let empty = try broken("data_batch_5.bin") { $0 = [] }
        #expect(empty?.kind == .truncated)
        let badLabel = try broken("test_batch.bin", { $0[3073] = 10 }, split: .test)   // second record's label
        #expect(badLabel?.kind == .labelOutOfRange)
        #expect(badLabel?.path.hasSuffix("test_batch.bin") == true)
        #expect(badLabel?.detail.contains("record 1") == true)

        try FileManager.default.removeItem(atPath: batches + "/data_batch_4.bin")
        let missing = datasetError { _ = try CIFAR.loadCIFAR10(from: root) }
        #expect(missing?.kind == .unreadable)
        #expect(missing?.path.hasSuffix("data_batch_4.bin") == true)
        #expect(datasetError { _ = try CIFAR.loadCIFAR10(from: root + "/nowhere") }?.kind == .unreadable)
    }

    @Test func reportsBrokenCIFAR100Labels() throws {
        let root = try TestData.temporaryDirectory("cifar100")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dir = root + "/cifar-100-binary"
        let train = try Gzip.decompress(try readBytes(try datasetFixture("cifar100/cifar-100-binary/train.bin.gz")))
        try writeBytes(try Gzip.decompress(try readBytes(try datasetFixture("cifar100/cifar-100-binary/test.bin.gz"))), to: dir + "/test.bin")
        var badFine = train; badFine[3074 + 1] = 100   // record 1's fine label
        try writeBytes(badFine, to: dir + "/train.bin")
        #expect(datasetError { _ = try CIFAR.loadCIFAR100(from: root, split: .train) }?.kind == .labelOutOfRange)
        var badCoarse = train; badCoarse[2 * 3074] = 20   // record 2's coarse label: corrupt whichever label is used
        try writeBytes(badCoarse, to: dir + "/train.bin")
        let e = datasetError { _ = try CIFAR.loadCIFAR100(from: root, split: .train, labels: .fine) }
        #expect(e?.kind == .labelOutOfRange)
        #expect(e?.detail.contains("coarse label 20 of record 2") == true)
        try writeBytes(Array(train.dropLast(1)), to: dir + "/train.bin")
        #expect(datasetError { _ = try CIFAR.loadCIFAR100(from: root, split: .train) }?.kind == .truncated)
        #expect(try CIFAR.loadCIFAR100(from: root, split: .test).count == 2)
    }

    @Test func reportsBrokenArchives() throws {
        let dir = try TestData.temporaryDirectory("cifar-archive")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let gz = try readBytes(try datasetFixture("cifar10-tiny.tar.gz"))
        let tar = try Gzip.decompress(gz)
        // A plain (not gzipped) tar works too.
        try writeBytes(tar, to: dir + "/plain.tar")
        #expect(try CIFAR.loadCIFAR10(from: dir + "/plain.tar", split: .test).labels == [8, 0])

        var corruptGzip = gz; corruptGzip[corruptGzip.count / 2] ^= 0x55
        try writeBytes(corruptGzip, to: dir + "/gzip.tar.gz")
        let e1 = datasetError { _ = try CIFAR.loadCIFAR10(from: dir + "/gzip.tar.gz") }
        #expect(e1?.kind == .compressed)
        #expect(e1?.path.hasSuffix("gzip.tar.gz") == true)

        let entries = try Tar.entries(tar, path: "fixture")
        let batch3 = try #require(entries.first { $0.name == "cifar-10-batches-bin/data_batch_3.bin" })
        var badHeader = tar; badHeader[batch3.range.lowerBound - 512 + 5] ^= 0x01   // a name byte of its header
        try writeBytes(badHeader, to: dir + "/header.tar")
        let e2 = datasetError { _ = try CIFAR.loadCIFAR10(from: dir + "/header.tar") }
        #expect(e2?.kind == .badMagic)
        #expect(e2?.detail.contains("checksum") == true)

        try writeBytes(Array(tar[..<(batch3.range.lowerBound + 100)]), to: dir + "/cut.tar")
        #expect(datasetError { _ = try CIFAR.loadCIFAR10(from: dir + "/cut.tar") }?.kind == .truncated)

        // Cut exactly after data_batch_5's padded data: a valid but incomplete archive.
        let batch5 = try #require(entries.first { $0.name == "cifar-10-batches-bin/data_batch_5.bin" })
        try writeBytes(Array(tar[..<((batch5.range.upperBound + 511) / 512 * 512)]), to: dir + "/partial.tar")
        #expect(try CIFAR.loadCIFAR10(from: dir + "/partial.tar", split: .train).count == 9)
        let e3 = datasetError { _ = try CIFAR.loadCIFAR10(from: dir + "/partial.tar", split: .test) }
        #expect(e3?.kind == .unreadable)
        #expect(e3?.path.hasSuffix("partial.tar:cifar-10-batches-bin/test_batch.bin") == true)

        // Not an archive at all.
        #expect(datasetError { _ = try CIFAR.loadCIFAR10(from: try datasetFixture("text.txt")) }?.kind == .badMagic)
    }

    @Test(.enabled(if: TestData.sharedData != nil, "../shared/data is absent: the real CIFAR-10 archive test is skipped"))
    func loadsRealCIFAR10FromArchive() throws {
        let archive = try #require(TestData.sharedData) + "/cifar-10/cifar-10-jpeg75-binary.tar.gz"
        let (train, test) = try CIFAR.loadCIFAR10(from: archive)
        #expect(train.images.shape == [50000, 3, 32, 32])
        #expect(test.images.shape == [10000, 3, 32, 32])
        #expect(train.classCounts == [Int](repeating: 5000, count: 10))
        #expect(test.classCounts == [Int](repeating: 1000, count: 10))
        // Channel statistics of CIFAR-10's training set are well known (R 0.4914/0.2470, G 0.4822/0.2435,
        // B 0.4465/0.2616); JPEG q75 moves them by well under 0.01, while a plane-order or scaling bug would not.
        let stats = ChannelNormalization.fitted(to: train.images)
        for (got, want) in zip(stats.mean, [Float(0.4914), 0.4822, 0.4465]) { #expect(abs(got - want) < 0.01) }
        for (got, want) in zip(stats.std, [Float(0.2470), 0.2435, 0.2616]) { #expect(abs(got - want) < 0.01) }
    }
}

@Suite struct TarReading {
    @Test(arguments: ["ustar", "gnu", "pax"])
    func readsFormats(format: String) throws {
        let tar = try Gzip.decompress(try readBytes(try datasetFixture("tar-\(format).tar.gz")))
        let entries = try Tar.entries(tar, path: "tar-\(format)")
        let longName = "a-directory-with-a-rather-long-name-" + String(repeating: "x", count: 40)
            + "/and-a-file-whose-full-path-is-longer-than-one-hundred-bytes.txt"
        #expect(entries.map(\.name) == ["top", "top/hello.txt", longName])
        #expect(entries.map(\.kind) == [.directory, .file, .file])
        #expect(Array(tar[entries[1].range]) == Array("hello tar\n".utf8))
        #expect(Array(tar[entries[2].range]) == Array((0..<768).map { UInt8($0 % 256) }))
    }

    @Test func rejectsCorruptHeaders() throws {
        let tar = try Gzip.decompress(try readBytes(try datasetFixture("tar-ustar.tar.gz")))
        // Any single changed byte in the first header is caught by the checksum (or the field parser).
        for offset in stride(from: 0, to: 512, by: 7) {
            var bad = tar
            bad[offset] = bad[offset] == 0x41 ? 0x42 : 0x41
            #expect(datasetError { _ = try Tar.entries(bad, path: "t") }?.kind == .badMagic, "byte \(offset)")
        }
        #expect(try Tar.entries([UInt8](repeating: 0, count: 1024), path: "t").isEmpty)
        #expect(datasetError { _ = try Tar.entries(Array(tar.prefix(300)), path: "t") }?.kind == .truncated)
    }
}
