// libFuzzer entry point for the dependency-free parsers (safetensors, gzip, tar, Penn Treebank text).
// Build and run with scripts/fuzz/run.sh; the target is chosen by MLRSNET_FUZZ_TARGET.
import Foundation

let target = ProcessInfo.processInfo.environment["MLRSNET_FUZZ_TARGET"] ?? "all"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if target == "all" || target == "safetensors" { _ = try? SafeTensors.decode(bytes) }
    if target == "all" || target == "gzip" { _ = try? Gzip.decompress(bytes, maxOutput: 1 << 22) }
    if target == "all" || target == "tar" { _ = try? Tar.entries(bytes, path: "fuzz.tar") }
    if target == "all" || target == "ptb" { _ = try? PennTreebank.tokenize(bytes, path: "fuzz.txt") }
    return 0
}
