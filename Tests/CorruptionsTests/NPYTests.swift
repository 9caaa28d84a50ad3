import Datasets
import Foundation
import TestSupport
import Testing

@Suite struct NPYTests {
    static func file(_ header: String, major: UInt8 = 1, data: [UInt8] = []) -> [UInt8] {
        let h = Array(header.utf8)
        return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, major, 0, UInt8(h.count & 0xFF), UInt8(h.count >> 8)] + h + data
    }

    /// What NumPy writes: uint8 images and int64 / int32 labels, read back with shape and values.
    @Test func readsNumPyLayouts() throws {
        let bytes = NPY.encode((0..<24).map(UInt8.init), shape: [2, 2, 2, 3])
        #expect((bytes.count - 24) % 64 == 0, "header padded to 64 bytes")
        let a = try NPY.parse(bytes, path: "x.npy")
        #expect(a.shape == [2, 2, 2, 3] && a.dtype == .uint8 && Array(a.data) == (0..<24).map(UInt8.init))
        // <i8 labels [3, -1, 258], hand-encoded little endian.
        let i8: [UInt8] = [3, 0, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0xFF, count: 8) + [2, 1, 0, 0, 0, 0, 0, 0]
        let b = try NPY.parse(Self.file("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }\n", data: i8), path: "l.npy")
        #expect(b.integers() == [3, -1, 258])
        let i4: [UInt8] = [7, 0, 0, 0, 0, 1, 0, 0]
        let c = try NPY.parse(Self.file("{\"descr\": \"<i4\", \"shape\": (2,), \"fortran_order\": False}", data: i4), path: "l.npy")
        #expect(c.integers() == [7, 256])
        // Version 2.0 (4-byte header length).
        let h = Array("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }\n".utf8)
        let v2 = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 2, 0, UInt8(h.count), 0, 0, 0] + h + [5, 6]
        #expect(try NPY.parse(v2, path: "v2.npy").integers() == [5, 6])
        // Scalar shape ().
        #expect(try NPY.parse(Self.file("{'descr': '|u1', 'fortran_order': False, 'shape': (), }", data: [9]), path: "s").count == 1)
    }

    /// Hostile or broken files are refused with the right kind of error (never a crash or a huge allocation).
    @Test func hostileHeaders() {
        let ok = "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }"
        let cases: [(String, [UInt8], DatasetError.Kind)] = [
            ("too short", [0x93, 0x4E], .truncated),
            ("bad magic", Array("PK\u{3}\u{4}NUMPYxxxxxxxx".utf8), .badMagic),
            ("version 9", Self.file(ok, major: 9, data: [UInt8](repeating: 0, count: 6)), .badMagic),
            ("header past end", [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, 0xFF, 0x00] + Array("{'descr'".utf8), .truncated),
            ("huge v2 header", [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 2, 0, 0xFF, 0xFF, 0xFF, 0x7F], .wrongSize),
            ("data missing", Self.file(ok, data: [1, 2, 3]), .truncated),
            ("data extra", Self.file(ok, data: [UInt8](repeating: 0, count: 7)), .wrongSize),
            ("float dtype", Self.file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", data: [0, 0, 0, 0]), .wrongSize),
            ("big-endian", Self.file("{'descr': '>i8', 'fortran_order': False, 'shape': (1,), }", data: [UInt8](repeating: 0, count: 8)), .wrongSize),
            ("negative dim", Self.file("{'descr': '|u1', 'fortran_order': False, 'shape': (-2, 3), }"), .wrongSize),
            ("overflowing dims", Self.file("{'descr': '|u1', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }"), .wrongSize),
            ("giant dim", Self.file("{'descr': '|u1', 'fortran_order': False, 'shape': (99999999999999999999999,), }"), .wrongSize),
            ("rank 9", Self.file("{'descr': '|u1', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }", data: [0]), .wrongSize),
            ("missing shape", Self.file("{'descr': '|u1', 'fortran_order': False, }"), .wrongSize),
            ("unknown key", Self.file("{'descr': '|u1', 'fortran_order': False, 'shape': (1,), 'evil': 1}", data: [0]), .wrongSize),
            ("not a dict", Self.file("__import__('os').system('x')"), .wrongSize),
            ("fortran order", Self.file("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3), }", data: [UInt8](repeating: 0, count: 6)), .wrongSize),
            ("unterminated", Self.file("{'descr': '|u1, 'fortran_order': False, 'shape': (2, 3)}"), .wrongSize),
            ("non-ASCII", Self.file("{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }\u{FF}", data: [0]), .notUTF8),
        ]
        for (name, bytes, kind) in cases {
            do {
                _ = try NPY.parse(bytes, path: "bad.npy")
                Issue.record("\(name): accepted")
            } catch {
                #expect(error.kind == kind, "\(name): \(error)")
                #expect(error.description.hasPrefix("bad.npy: "), "\(name): message must name the file: \(error)")
            }
        }
    }

    /// The CIFAR-10-C loader: severity slices of `<corruption>.npy`, HWC → CHW, /255, labels checked.
    @Test func cifarCLoader() throws {
        let dir = try TestData.temporaryDirectory("cifarc")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let n = 10   // 2 images per severity, 4×4
        let pixels = (0..<(n * 4 * 4 * 3)).map { UInt8($0 % 251) }
        try Data(NPY.encode(pixels, shape: [n, 4, 4, 3])).write(to: URL(fileURLWithPath: dir + "/snow.npy"))
        let labels: [UInt8] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
        try Data(NPY.encode(labels, shape: [n])).write(to: URL(fileURLWithPath: dir + "/labels.npy"))
        let s3 = try CIFARC.load(directory: dir, corruption: "snow", severity: 3)
        #expect(s3.images.shape == [2, 3, 4, 4] && s3.labels == [4, 5])
        // Image 4 (first of severity 3), channel 1, y 2, x 3 ← HWC byte index ((4·4 + 2)·4 + 3)·3 + 1.
        let v = s3.images.withUnsafeBufferPointer { $0[(1 * 4 + 2) * 4 + 3] }
        #expect(v == Float(pixels[((4 * 4 + 2) * 4 + 3) * 3 + 1]) / 255)
        #expect(try CIFARC.load(directory: dir, corruption: "snow").count == 10)
        // Labels out of range for the class count, a mismatched labels file, a missing corruption.
        #expect(throws: DatasetError.self) { try CIFARC.load(directory: dir, corruption: "snow", severity: 5, classCount: 8) }
        try Data(NPY.encode([0, 1], shape: [2])).write(to: URL(fileURLWithPath: dir + "/labels.npy"))
        #expect(throws: DatasetError.self) { try CIFARC.load(directory: dir, corruption: "snow", severity: 1) }
        #expect(throws: DatasetError.self) { try CIFARC.load(directory: dir, corruption: "fog", severity: 1) }
    }

    /// Raw CIFAR bytes written back as records load with the regular CIFAR-10 loader (what `mlrsnet train`
    /// uses on `mlrsnet corrupt`'s output): HWC → planar R, G, B records and back.
    @Test func cifarRecordsRoundTrip() throws {
        let dir = try TestData.temporaryDirectory("cifarbytes")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let n = 10
        let pixels = (0..<(n * 3072)).map { UInt8(truncatingIfNeeded: $0 &* 31 >> 3) }
        let images = CIFARBytes(pixels: pixels, labels: (0..<n).map { UInt8($0 % 10) })
        for k in 0..<5 {
            try Data(images.cifar10Records((2 * k)..<(2 * k + 2))).write(to: URL(fileURLWithPath: dir + "/data_batch_\(k + 1).bin"))
        }
        try Data(images.cifar10Records(0..<1)).write(to: URL(fileURLWithPath: dir + "/test_batch.bin"))
        let loaded = try CIFAR.loadCIFAR10(from: dir, split: .train)
        #expect(loaded.labels == (0..<n).map { Int32($0 % 10) })
        loaded.images.withUnsafeBufferPointer { f in
            for i in [0, 5, 3071, 3072 * 7 + 1234, n * 3072 - 1] {
                let img = i / 3072, c = i % 3, pix = (i % 3072) / 3
                #expect(f[img * 3072 + c * 1024 + pix] == Float(pixels[i]) / 255)
            }
        }
        let back = try CIFARBytes.loadCIFAR10(from: dir, split: .train)
        #expect(back.pixels == pixels && back.labels == images.labels)
    }
}
