import Datasets
import Foundation
import LearnedSchedule
import NN
import Optim
import SafeTensors
import Schedules
import Tensor
import Testing
import TestSupport
import Training

/// Seeded mutations of valid inputs: bit flips, bytes set to boundary values, huge length fields written over
/// 4 or 8 bytes (little and big endian), truncations, insertions, duplicated chunks and pure random bytes.
struct Mutator {
    var rng: RandomGenerator
    init(seed: UInt64) { rng = RandomGenerator(seed: seed) }

    mutating func int(_ n: Int) -> Int { rng.nextInt(below: max(n, 1)) }

    /// An offset, biased to the first 64 bytes where headers and length fields live.
    mutating func offset(_ count: Int) -> Int { int(2) == 0 ? int(min(count, 64)) : int(count) }

    mutating func mutate(_ input: [UInt8]) -> [UInt8] {
        var b = input
        let rounds = 1 + int(3)
        for _ in 0..<rounds {
            if b.isEmpty { b = [UInt8(int(256))]; continue }
            switch int(9) {
            case 0, 1:   // bit flips
                for _ in 0..<(1 + int(4)) { b[offset(b.count)] ^= UInt8(1 << int(8)) }
            case 2:      // boundary bytes
                b[offset(b.count)] = [0, 0xFF, 0x7F, 0x80, 0x20, 0x30, 0x22, 0x7B][int(8)]
            case 3, 4:   // a huge length field
                let values: [UInt64] = [0xFFFF_FFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF_FFFF_FFFF, 0x7FFF_FFFF_FFFF_FFFF,
                                        1 << 40, 1 << 32 + 1, UInt64(b.count) * 2, 0x0100_0000]
                let v = values[int(values.count)]
                let width = int(2) == 0 ? 4 : 8, at = offset(b.count), big = int(2) == 0
                for k in 0..<width where at + k < b.count {
                    let shift = big ? 8 * (width - 1 - k) : 8 * k
                    b[at + k] = UInt8(truncatingIfNeeded: v >> UInt64(shift))
                }
            case 5:      // truncation
                b = Array(b.prefix(int(b.count)))
            case 6:      // insertion of random bytes
                let at = offset(b.count + 1)
                b.insert(contentsOf: (0..<(1 + int(16))).map { _ in UInt8(int(256)) }, at: min(at, b.count))
            case 7:      // a duplicated chunk
                let from = int(b.count), len = min(1 + int(64), b.count - from)
                b.insert(contentsOf: b[from..<(from + len)], at: offset(b.count))
            default:     // random bytes (rarely: a whole random file)
                if int(20) == 0 { b = (0..<int(256)).map { _ in UInt8(int(256)) } }
                else { for _ in 0..<(1 + int(8)) { b[int(b.count)] = UInt8(int(256)) } }
            }
        }
        return b
    }

    /// A hostile metadata value: junk, huge or negative numbers, JSON fragments.
    mutating func hostileValue() -> String {
        let values = ["", "-1", "0", "1", "999999999999", "9223372036854775807", "-9223372036854775808", "1e308", "nan", "inf",
                      "{", "[]", "{\"a\":1}", "[[[[[[[[[[", "\u{0}", "reference", "fixed", "per-log-vocabulary", "0.5", "2",
                      String(repeating: "9", count: 400), "[1,2,3]", "null", "true"]
        return values[int(values.count)]
    }
}

/// Runs `body` on `count` mutations of `seed`, counting values and errors; a thrown error must describe itself.
/// A crash or a hang would end (or stall) the test process: that is the failure this test exists to catch.
func fuzz(_ name: String, _ seed: [UInt8], count: Int, mutatorSeed: UInt64,
          _ body: ([UInt8]) throws -> Void) -> (values: Int, errors: Int) {
    var m = Mutator(seed: mutatorSeed)
    var values = 0, errors = 0
    let trace = ProcessInfo.processInfo.environment["MLRSNET_FUZZ_TRACE"]
    for i in 0..<count {
        let input = m.mutate(seed)
        if let dir = trace { _ = FileManager.default.createFile(atPath: dir + "/last-\(name).bin", contents: Data(input)) }
        let start = Date()
        do { try body(input); values += 1 } catch {
            errors += 1
            #expect(!"\(error)".isEmpty, "\(name) #\(i): an error without a message")
        }
        let seconds = Date().timeIntervalSince(start)
        #expect(seconds < 2, "\(name) #\(i) took \(seconds) s")
    }
    return (values, errors)
}

enum FuzzSeeds {
    static func idx(rank: Int, dims: [Int]) -> [UInt8] {
        var b: [UInt8] = [0, 0, 8, UInt8(rank)]
        for d in dims { b += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
        b += (0..<dims.reduce(1, *)).map { UInt8($0 * 37 % 256) }
        return b
    }

    /// A real gzip file (the embedded sample's labels, 1,000 bytes of labels compressed).
    static var gzip: [UInt8] { [UInt8](FileManager.default.contents(atPath: TestData.demoFashionMNIST + "/t10k-labels-idx1-ubyte.gz")!) }

    /// A ustar archive with `files` (name → bytes), written as tar does.
    /// With `paxFirst`, the first file is written as a pax extended header ('x') for the next.
    static func tar(_ files: [(String, [UInt8])], paxFirst: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        for (index, (name, data)) in files.enumerated() {
            var h = [UInt8](repeating: 0, count: 512)
            for (i, c) in name.utf8.enumerated() { h[i] = c }
            func field(_ at: Int, _ len: Int, _ v: Int) {
                let s = Array(String(v, radix: 8).utf8)
                let padded = [UInt8](repeating: UInt8(ascii: "0"), count: len - 1 - s.count) + s
                for (i, c) in padded.enumerated() { h[at + i] = c }
            }
            field(100, 8, 0o644); field(108, 8, 0); field(116, 8, 0); field(124, 12, data.count); field(136, 12, 0)
            h[156] = paxFirst && index == 0 ? UInt8(ascii: "x") : UInt8(ascii: "0")
            for (i, c) in "ustar\0".utf8.enumerated() { h[257 + i] = c }
            h[263] = UInt8(ascii: "0"); h[264] = UInt8(ascii: "0")
            for i in 148..<156 { h[i] = 0x20 }
            let sum = h.reduce(0) { $0 + Int($1) }
            let s = Array(String(sum, radix: 8).utf8)
            for i in 0..<6 { h[148 + i] = i < 6 - s.count ? UInt8(ascii: "0") : s[i - (6 - s.count)] }
            h[154] = 0; h[155] = 0x20
            out += h + data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
        }
        return out + [UInt8](repeating: 0, count: 1024)
    }

    /// Three CIFAR-10 records.
    static var cifar: [UInt8] {
        var out: [UInt8] = []
        for r in 0..<3 {
            out.append(UInt8(r * 3))
            for i in 0..<3072 { out.append(UInt8((i + r) % 256)) }
        }
        return out
    }

    static let ptb = Array(" the cat sat on the mat <unk> \n a b c\r\n\u{00A0}é x\u{2003}y \n\n N N $ \n".utf8)

    static func safetensors() throws -> [UInt8] {
        try SafeTensors.encode(["a": ShapedArray(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]), "b.c": ShapedArray(shape: [1], values: [7]),
                                "e": ShapedArray(shape: [0], values: [])], metadata: ["k": "v", "format": "x"])
    }

    static var artifact: [UInt8] {
        [UInt8](FileManager.default.contents(atPath: TestData.repositoryRoot + "/Sources/LearnedSchedule/Pretrained/cifar10-resnet20-cpu.safetensors")!)
    }

    static let scheduleConfigs: [String] = [
        #"{"kind":"multistep","parameters":{"initial":0.1,"milestones":[100,150],"gamma":0.1}}"#,
        #"{"kind":"sgdr","parameters":{"initial":0.1,"t0":10,"tMult":2,"minimum":0}}"#,
        #"{"kind":"warmup","parameters":{"steps":5,"then":{"kind":"cosine","parameters":{"initial":0.1,"length":10}}}}"#,
        #"{"kind":"plateau","parameters":{"initial":0.1,"factor":0.25,"patience":1,"minimum":0.001}}"#,
    ]
}

/// A tiny trainer whose checkpoints the fuzzer mutates.
func fuzzTrainer(dir: String) throws -> Trainer {
    var rng = RandomGenerator(seed: 1)
    let model = SmallCNN(classes: 4, inputSize: 8, rng: &rng)
    let task = ImageClassificationTask(model: model, train: quadrantImages(count: 16, seed: 1), validation: nil,
                                       test: quadrantImages(count: 8, seed: 2), batchSize: 8, seed: 1)
    let s = try ScheduleConfig(kind: "plateau", parameters: ["initial": 0.1, "factor": 0.5, "patience": 1]).makeSchedule()
    return try Trainer(task: task, optimizer: Adam(), schedule: s, options: TrainerOptions(epochs: 1, outputDirectory: dir, progress: .none))
}

@Suite struct FuzzTests {
    @Test func idxAndGzip() {
        let images = FuzzSeeds.idx(rank: 3, dims: [3, 4, 5]), labels = FuzzSeeds.idx(rank: 1, dims: [3])
        var r = fuzz("idx3", images, count: 700, mutatorSeed: 1) { _ = try IDX.parseUnsignedBytes($0, path: "fuzz", expectedRank: 3) }
        r = fuzz("idx1", labels, count: 300, mutatorSeed: 2) { _ = try IDX.parseUnsignedBytes($0, path: "fuzz", expectedRank: 1) }
        let g = fuzz("gzip", FuzzSeeds.gzip, count: 700, mutatorSeed: 3) { _ = try Gzip.decompress($0, maxOutput: 1 << 20) }
        #expect(g.errors > 600)   // the CRC catches almost every change
        _ = r
    }

    @Test func tarAndCIFAR() throws {
        let tar = FuzzSeeds.tar([("cifar-10-batches-bin/", []), ("cifar-10-batches-bin/test_batch.bin", FuzzSeeds.cifar)])
        let t = fuzz("tar", tar, count: 500, mutatorSeed: 4) { _ = try Tar.entries($0, path: "fuzz.tar") }
        #expect(t.values > 0 && t.errors > 0)
        let pax = FuzzSeeds.tar([("PaxHeaders/a", Array("20 path=long/name/a\n11 size=3\n".utf8)), ("a", [1, 2, 3])], paxFirst: true)
        let p = fuzz("tar-pax", pax, count: 300, mutatorSeed: 40) { _ = try Tar.entries($0, path: "fuzz.tar") }
        #expect(p.values > 0)
        // CIFAR through the loader: a directory file and an archive, written for each mutation.
        let dir = try scratch("fuzz-cifar")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/d/cifar-10-batches-bin", withIntermediateDirectories: true)
        _ = fuzz("cifar-file", FuzzSeeds.cifar, count: 250, mutatorSeed: 5) { bytes in
            _ = FileManager.default.createFile(atPath: dir + "/d/cifar-10-batches-bin/test_batch.bin", contents: Data(bytes))
            _ = try CIFAR.loadCIFAR10(from: dir + "/d", split: .test)
        }
        _ = fuzz("cifar-tar", tar, count: 250, mutatorSeed: 6) { bytes in
            _ = FileManager.default.createFile(atPath: dir + "/c.tar", contents: Data(bytes))
            _ = try CIFAR.loadCIFAR10(from: dir + "/c.tar", split: .test)
        }
    }

    @Test func pennTreebankText() {
        let r = fuzz("ptb", FuzzSeeds.ptb, count: 800, mutatorSeed: 7) { bytes in
            let words = try PennTreebank.tokenize(bytes, path: "fuzz.txt")
            var v = Vocabulary()
            _ = try PennTreebank.encode(words, path: "fuzz.txt", vocabulary: &v, unknownWords: .extendVocabulary)
        }
        #expect(r.values > 0 && r.errors > 0)   // invalid UTF-8 is an error, the rest tokenises
    }

    @Test func safetensorsAndArtifacts() throws {
        let st = try FuzzSeeds.safetensors()
        let s = fuzz("safetensors", st, count: 700, mutatorSeed: 8) { _ = try SafeTensors.decode($0) }
        #expect(s.values > 0 && s.errors > 0)
        let a = fuzz("artifact", FuzzSeeds.artifact, count: 500, mutatorSeed: 9) { _ = try MLRSNetArtifact.decode($0) }
        #expect(a.errors > 400)
        // Metadata JSON values replaced by hostile ones (content hash intact, so the metadata checks are what is hit).
        let (tensors, metadata) = try SafeTensors.decode(FuzzSeeds.artifact)
        var m = Mutator(seed: 10)
        var outcomes = (0, 0)
        for _ in 0..<300 {
            var md = metadata
            for _ in 0..<(1 + m.int(2)) {
                let keys = md.keys.sorted() + ["has_state", "state_steps", "vocabulary_size", "gamma_count", "seed"]
                let k = keys[m.int(keys.count)]
                if m.int(6) == 0 { md[k] = nil } else { md[k] = m.hostileValue() }
            }
            let bytes = try SafeTensors.encode(tensors, metadata: md)
            do {
                let art = try MLRSNetArtifact.decode(bytes, options: m.int(2) == 0 ? .artifact : .referenceCheckpoint())
                // A value that loads must make a usable schedule.
                var sched = try LearnedLRSchedule(artifact: art)
                let lr = sched.learningRate(for: TrainingSignal(step: 0, epoch: 0, stepsPerEpoch: 1, trainingLoss: 2.3, validationLoss: nil))
                #expect(lr.isFinite)
                outcomes.0 += 1
            } catch { outcomes.1 += 1; #expect(!"\(error)".isEmpty) }
        }
        #expect(outcomes.1 > 100)
    }

    @Test func scheduleConfigJSON() {
        for (k, text) in FuzzSeeds.scheduleConfigs.enumerated() {
            _ = fuzz("schedule-config-\(k)", Array(text.utf8), count: 150, mutatorSeed: 11 + UInt64(k)) { bytes in
                let config = try JSONDecoder().decode(ScheduleConfig.self, from: Data(bytes))
                var s = try config.makeSchedule()
                for step in [0, 1, 5, 1000] {
                    let lr = s.learningRate(for: TrainingSignal(step: step, epoch: step / 10, stepsPerEpoch: 10, trainingLoss: 1, validationLoss: 1))
                    #expect(!lr.isNaN)
                    s.epochEnded(step / 10, validationLoss: 1)
                }
            }
        }
    }

    /// Checkpoint files (bytes mutated: the checksums must catch it), and checkpoints whose metadata was altered
    /// and re-sealed with valid checksums (a crafted file): resuming gives a clear error or a usable state.
    @Test func checkpoints() throws {
        let dir = try scratch("fuzz-checkpoint")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let t = try fuzzTrainer(dir: dir)
        try t.run()
        let good = [UInt8](FileManager.default.contents(atPath: dir + "/checkpoint.safetensors")!)
        let path = dir + "/mutated.safetensors"
        let r = fuzz("checkpoint", good, count: 300, mutatorSeed: 20) { bytes in
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            _ = try Checkpoint.read(path)
        }
        #expect(r.errors >= 295, "\(r.values) mutated checkpoints passed the checksums")
        let cp = try Checkpoint.read(dir + "/checkpoint.safetensors")
        var m = Mutator(seed: 21)
        var outcomes = (0, 0)
        for _ in 0..<120 {
            var md = cp.metadata
            let keys = md.keys.sorted() + ["dropout_rng"]
            for _ in 0..<(1 + m.int(2)) {
                let k = keys[m.int(keys.count)]
                if k.hasSuffix("fnv1a64") { continue }
                if m.int(6) == 0 { md[k] = nil } else { md[k] = m.hostileValue() }
            }
            md["content_fnv1a64"] = Checkpoint.checksum(cp.tensors)
            md["metadata_fnv1a64"] = Checkpoint.metadataChecksum(md)
            try SafeTensors.write(tensors: cp.tensors, metadata: md, to: path)
            let fresh = try fuzzTrainer(dir: dir + "/resume")
            do {
                try fresh.resume(from: path)
                outcomes.0 += 1
            } catch { outcomes.1 += 1; #expect(!"\(error)".isEmpty) }
        }
        #expect(outcomes.0 > 0 && outcomes.1 > 0)
    }
}
