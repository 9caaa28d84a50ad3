import Datasets
import Foundation
import SafeTensors
import Testing
import TestSupport

/// Inputs that crashed or were misread before the fixes in this change (kept as tests): each must now give a
/// clear error (or, for the valid gzip, the right bytes).
@Suite struct RegressionCorpusTests {
    /// IDX dimensions whose product overflows Int (trapped in the size computation).
    @Test func idxDimensionOverflow() {
        let bytes: [UInt8] = [0, 0, 8, 3] + [UInt8](repeating: 0xFF, count: 12) + [1, 2, 3]
        #expect(throws: DatasetError.self) { try IDX.parseUnsignedBytes(bytes, path: "overflow.idx", expectedRank: 3) }
    }

    /// pax records whose length does not cover their own "length " prefix, or is near Int.max (a reversed range /
    /// an overflow trapped), inside a valid tar archive.
    @Test func paxRecordLengths() {
        for record in ["1 path=x\n", "3 path=abc\n", "9223372036854775807 path=x\n", "0 path=x\n"] {
            let tar = FuzzSeeds.tar([("PaxHeaders/a", Array(record.utf8)), ("a", [1, 2, 3])], paxFirst: true)
            do { let e = try Tar.entries(tar, path: "pax.tar"); #expect(e.count == 1 && e[0].name == "a") }
            catch { #expect(!"\(error)".isEmpty) }
        }
    }

    /// safetensors shapes whose element count times the dtype width overflows, and offsets beyond any integer.
    @Test func safetensorsHugeCounts() {
        for header in [#"{"a":{"dtype":"F64","shape":[2147483647,2147483647,2],"data_offsets":[0,0]}}"#,
                       #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,1e300]}}"#,
                       #"{"a":{"dtype":"F32","shape":[1e300],"data_offsets":[0,4]}}"#,
                       #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#,
                       #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[18446744073709551615,4]}}"#] {
            var h = Array(header.utf8)
            while h.count % 8 != 0 { h.append(0x20) }
            var n = UInt64(h.count).littleEndian
            let bytes = withUnsafeBytes(of: &n) { Array($0) } + h + [0, 0, 128, 63]
            #expect(throws: SafeTensorsError.self, "\(header)") { try SafeTensors.decode(bytes) }
        }
    }

    /// A gzip member with a 511-byte FEXTRA field (XLEN 0x01FF): its length was mis-parsed (operator precedence).
    @Test func gzipExtraField() throws {
        let original = FuzzSeeds.gzip
        let expected = try Gzip.decompress(original)
        let xlen = 511
        var g = Array(original[0..<10])
        g[3] |= 0x04
        g += [UInt8(xlen & 0xFF), UInt8(xlen >> 8)] + [UInt8](repeating: 0, count: xlen) + original[10...]
        #expect(try Gzip.decompress(g) == expected)
    }
}
