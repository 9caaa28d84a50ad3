import Foundation
import Testing
import Tensor

@Suite struct SafeTensorsFormat {
    @Test func roundTripsTensorsAndMetadata() throws {
        var rng = RandomGenerator(seed: 1)
        let a = Tensor.normal([3, 4], using: &rng), b = Tensor(shape: [2], values: [-0.0, .infinity])
        let bytes = try SafeTensors.encode(["layer3.weight": a.shapedArray, "layer3.bias": b.shapedArray,
                                            "empty": Tensor.zeros([0, 5]).shapedArray],
                                           metadata: ["format_version": "1"])
        let (t, m) = try SafeTensors.decode(bytes)
        #expect(Tensor(t["layer3.weight"]!) == a)
        #expect(t["layer3.bias"]!.values[1] == .infinity)
        #expect(t["empty"]!.shape == [0, 5])
        #expect(m == ["format_version": "1"])
    }

    @Test func layoutMatchesTheSpecification() throws {
        // One F32 scalar tensor: header length (LE u64), JSON header padded to 8 bytes, then the 4 data bytes.
        let bytes = try SafeTensors.encode(["x": ShapedArray(shape: [1], values: [1.0])])
        var n = 0
        for i in 0..<8 { n |= Int(bytes[i]) << (8 * i) }
        #expect(n % 8 == 0)
        #expect(bytes.count == 8 + n + 4)
        let header = String(decoding: bytes[8..<(8 + n)], as: UTF8.self)
        #expect(header.contains("\"data_offsets\":[0,4]"))
        #expect(header.contains("\"dtype\":\"F32\""))
        #expect(Array(bytes[(8 + n)...]) == [0x00, 0x00, 0x80, 0x3F])   // 1.0f little-endian
    }

    @Test func readsOtherFloatTypes() throws {
        // Hand-built file: F16 1.5 (0x3E00), BF16 -2 (0xC000), F64 0.25.
        let json = #"{"h":{"dtype":"F16","shape":[1],"data_offsets":[0,2]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[2,4]},"d":{"dtype":"F64","shape":[1],"data_offsets":[4,12]}}"#
        var bytes = [UInt8](repeating: 0, count: 8)
        bytes[0] = UInt8(json.utf8.count)
        bytes += Array(json.utf8) + [0x00, 0x3E, 0x00, 0xC0] + [0, 0, 0, 0, 0, 0, 0xD0, 0x3F]
        let (t, _) = try SafeTensors.decode(bytes)
        #expect(t["h"]!.values == [1.5])
        #expect(t["b"]!.values == [-2])
        #expect(t["d"]!.values == [0.25])
    }

    @Test func rejectsCorruptFiles() throws {
        let good = try SafeTensors.encode(["w": Tensor.ones([4, 4]).shapedArray])
        #expect(throws: SafeTensorsError.self) { try SafeTensors.decode(Array(good.prefix(5))) }
        #expect(throws: SafeTensorsError.self) { try SafeTensors.decode(Array(good.dropLast(4))) }
        var huge = good; huge[7] = 0x7F   // header length ≫ file
        #expect(throws: SafeTensorsError.self) { try SafeTensors.decode(huge) }
        var notJSON = good; notJSON[8] = UInt8(ascii: "#")
        #expect(throws: SafeTensorsError.self) { try SafeTensors.decode(notJSON) }
        // Every single-byte corruption of the header yields a value or an error, never a crash.
        let n = Int(good[0])
        for i in 8..<(8 + n) {
            var c = good; c[i] ^= 0x25
            _ = try? SafeTensors.decode(c)
        }
    }

    @Test func atomicWriteReplacesFile() throws {
        let dir = NSTemporaryDirectory() + "mlrsnet-st-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/a.safetensors"
        try SafeTensors.write(tensors: ["x": Tensor.ones([2])], to: path)
        try SafeTensors.write(tensors: ["x": Tensor.zeros([3])], to: path)
        #expect(try SafeTensors.readTensors(path).tensors["x"]!.shape == [3])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["a.safetensors"])
        #expect(throws: (any Error).self) { try SafeTensors.write(tensors: ["x": Tensor.ones([1])], to: dir + "/missing/b.safetensors") }
    }
}
