import Foundation
import Testing
import Datasets

private func fixture(_ name: String) throws -> [UInt8] {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"))
    return [UInt8](try Data(contentsOf: url))
}

@Suite struct GzipDecoding {
    @Test(arguments: [0, 1, 9]) func decodesEveryBlockType(level: Int) throws {
        // Level 0 writes stored blocks; 1 and 9 write Huffman-coded blocks.
        let expected = try fixture("text.txt")
        let decoded = try Gzip.decompress(try fixture("text-level\(level).txt.gz"))
        #expect(decoded == expected)
    }

    @Test func decodesConcatenatedMembers() throws {
        let decoded = try Gzip.decompress(try fixture("two-members.gz"))
        #expect(String(decoding: decoded, as: UTF8.self) == "hello world\n")
    }

    @Test func rejectsCorruption() throws {
        let good = try fixture("text-level9.txt.gz")
        #expect(throws: GzipError.truncated) { try Gzip.decompress(Array(good.prefix(good.count - 5))) }
        var badMagic = good; badMagic[0] = 0x1e
        #expect(throws: GzipError.badMagic) { try Gzip.decompress(badMagic) }
        var badCRC = good; badCRC[badCRC.count - 6] ^= 0xFF
        #expect(throws: GzipError.checksumMismatch) { try Gzip.decompress(badCRC) }
        // Flipping bits inside the compressed payload must give an error, never a crash or different data
        // (a flip in the unused padding bits of the last byte legitimately decodes to the same text).
        let original = try Gzip.decompress(good)
        var errors = 0
        for offset in stride(from: 20, to: good.count - 8, by: 97) {
            var corrupt = good; corrupt[offset] ^= 0x5A
            do {
                let out = try Gzip.decompress(corrupt)
                #expect(out == original, "corruption at byte \(offset) decoded to different data without an error")
            } catch { errors += 1 }
        }
        #expect(errors > 30)
    }

    @Test func refusesOversizedOutput() throws {
        #expect(throws: GzipError.outputTooLarge) { try Gzip.decompress(try fixture("text-level9.txt.gz"), maxOutput: 1000) }
    }
}
