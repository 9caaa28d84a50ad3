import Foundation
import Testing
import Datasets
import TestSupport

@Suite struct PennTreebankLoading {
    @Test func loadsTinyCorpus() throws {
        let ptb = try PennTreebank.load(directory: try datasetFixture("ptb-tiny"))
        // train: "the cat sat on the mat / the dog ate the cat / a <unk> sat", ids by first appearance.
        let words = ["the", "cat", "sat", "on", "mat", "<eos>", "dog", "ate", "a", "<unk>"]
        #expect(ptb.vocabulary.words == words)
        #expect(ptb.train == [0, 1, 2, 3, 0, 4, 5, 0, 6, 7, 0, 1, 5, 8, 9, 2, 5])
        #expect(ptb.valid == [0, 6, 2, 5, 8, 1, 7, 0, 9, 5])
        #expect(ptb.test == [0, 4, 7, 8, 6, 5])   // from ptb.test.txt.gz
        #expect(ptb.vocabulary[7] == "ate")
        #expect(ptb.vocabulary.id(of: "mat") == 4)
    }

    @Test func tokenizesLikePython() throws {
        // Expected tokens written by Python's own `line.split() + ['<eos>']` loop (scripts/make_dataset_fixtures.py).
        let expected = try JSONDecoder().decode([String].self, from: Data(readBytes(try datasetFixture("tokens-tricky.expected.json"))))
        let got = try PennTreebank.tokenize(try readBytes(try datasetFixture("tokens-tricky.txt")), path: "tricky")
        #expect(got == expected)
        #expect(try PennTreebank.tokenize([], path: "empty") == [])
        #expect(try PennTreebank.tokenize(Array("\n\n".utf8), path: "blank") == ["<eos>", "<eos>"])
        #expect(try PennTreebank.tokenize(Array("a b".utf8), path: "no newline") == ["a", "b", "<eos>"])
        #expect(try PennTreebank.tokenize(Array("a\r\n\rb".utf8), path: "crlf") == ["a", "<eos>", "<eos>", "b", "<eos>"])
    }

    @Test func rejectsInvalidUTF8() throws {
        let cases: [(bytes: [UInt8], offset: Int)] = [
            (Array("ab \u{e9}t ".utf8) + [0xFF] + Array(" cd".utf8), 7),   // é is 2 bytes, so 0xFF is at 7
            (Array("x ".utf8) + [0xC0, 0x80], 2),                          // overlong NUL
            (Array("x ".utf8) + [0xED, 0xA0, 0x80], 2),                    // UTF-16 surrogate
            (Array("xyz".utf8) + [0xE2, 0x82], 3),                         // truncated sequence at the end
            ([0x80], 0),                                                    // stray continuation byte
            (Array("ok\n".utf8) + [0xF4, 0x90, 0x80, 0x80], 3),            // above U+10FFFF
        ]
        for (bytes, offset) in cases {
            let e = datasetError { _ = try PennTreebank.tokenize(bytes, path: "bad.txt") }
            #expect(e?.kind == .notUTF8, "\(bytes)")
            #expect(e?.path == "bad.txt")
            #expect(e?.detail.contains("byte offset \(offset) ") == true, "\(e?.detail ?? "no error") for \(bytes)")
        }
        // Through the loader: the error names the file.
        let dir = try TestData.temporaryDirectory("ptb")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeBytes(Array("good words\n".utf8), to: dir + "/ptb.train.txt")
        try writeBytes(Array("good\n".utf8) + [0xFE], to: dir + "/ptb.valid.txt")
        try writeBytes(Array("words\n".utf8), to: dir + "/ptb.test.txt")
        let e = datasetError { _ = try PennTreebank.load(directory: dir) }
        #expect(e?.kind == .notUTF8)
        #expect(e?.path == dir + "/ptb.valid.txt")
        #expect(e?.detail.contains("byte offset 5") == true)
    }

    @Test func handlesUnknownWords() throws {
        let dir = try TestData.temporaryDirectory("ptb-unk")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeBytes(Array("a b\nb c\n".utf8), to: dir + "/ptb.train.txt")
        try writeBytes(Array("a\nc zebra b\n".utf8), to: dir + "/ptb.valid.txt")
        try writeBytes(Array("yak\n".utf8), to: dir + "/ptb.test.txt")
        let e = datasetError { _ = try PennTreebank.load(directory: dir) }
        #expect(e?.kind == .mismatch)
        #expect(e?.path == dir + "/ptb.valid.txt")
        #expect(e?.detail.contains("\"zebra\" on line 2") == true)

        // Vocabulary: a b <eos> c; the mapped word is appended when absent.
        let mapped = try PennTreebank.load(directory: dir, unknownWords: .mapTo("<unk>"))
        #expect(mapped.vocabulary.words == ["a", "b", "<eos>", "c", "<unk>"])
        #expect(mapped.valid == [0, 2, 3, 4, 1, 2])
        #expect(mapped.test == [4, 2])
        let extended = try PennTreebank.load(directory: dir, unknownWords: .extendVocabulary)
        #expect(extended.vocabulary.words == ["a", "b", "<eos>", "c", "zebra", "yak"])
        #expect(extended.test == [5, 2])

        try FileManager.default.removeItem(atPath: dir + "/ptb.test.txt")
        let missing = datasetError { _ = try PennTreebank.load(directory: dir) }
        #expect(missing?.kind == .unreadable)
        #expect(missing?.path.hasSuffix("ptb.test.txt") == true)
    }

    @Test func batchifiesAndWindowsLikeDataPy() {
        // 23 tokens in 4 streams of 5 (3 dropped): stream b holds tokens 5b ..< 5b + 5.
        let tokens = (0..<23).map { Int32(100 + $0) }
        let streams = TokenStreams(batchifying: tokens, batchSize: 4)
        #expect(streams.length == 5)
        #expect(streams.ids.count == 20)
        for t in 0..<5 { for b in 0..<4 { #expect(streams.ids[t * 4 + b] == Int32(100 + 5 * b + t)) } }

        #expect(Array(streams.windowStarts(bptt: 2)) == [0, 2])   // range(0, 5 - 1, 2)
        let w0 = streams.window(at: 0, bptt: 2)
        #expect(w0.steps == 2 && w0.batchSize == 4)
        #expect(w0.input == [100, 105, 110, 115, 101, 106, 111, 116])
        #expect(w0.target == [101, 106, 111, 116, 102, 107, 112, 117])
        let w2 = streams.window(at: 2, bptt: 3)   // T = min(3, 5 − 1 − 2) = 2
        #expect(w2.steps == 2)
        #expect(w2.input == [102, 107, 112, 117, 103, 108, 113, 118])
        #expect(w2.target == [103, 108, 113, 118, 104, 109, 114, 119])
        let w3 = streams.window(at: 3, bptt: 35)
        #expect(w3.steps == 1 && w3.target == [104, 109, 114, 119])
        // Every target is the next token of the same stream.
        for i in streams.windowStarts(bptt: 3) {
            let w = streams.window(at: i, bptt: 3)
            for k in 0..<(w.steps * 4) { #expect(w.target[k] == w.input[k] + 1) }
        }
    }

    @Test(.enabled(if: TestData.sharedData != nil, "../shared/data is absent: the real Penn Treebank test is skipped"))
    func loadsRealPennTreebank() throws {
        let ptb = try PennTreebank.load(directory: try #require(TestData.sharedData) + "/ptb")
        #expect(ptb.train.count == 929_589)
        #expect(ptb.valid.count == 73_760)
        #expect(ptb.test.count == 82_430)
        #expect(ptb.vocabulary.count == 10_000)
        // The first training line is "aer banknote berlitz …", and the vocabulary follows first appearance.
        #expect(Array(ptb.vocabulary.words.prefix(3)) == ["aer", "banknote", "berlitz"])
        #expect(Array(ptb.train.prefix(3)) == [0, 1, 2])
        let eos = try #require(ptb.vocabulary.id(of: "<eos>"))
        #expect(ptb.train.filter { $0 == eos }.count == 42_068)   // training lines
        let streams = TokenStreams(batchifying: ptb.train, batchSize: 20)
        #expect(streams.length == 46_479)
        #expect(Array(streams.windowStarts(bptt: 35)).count == 1_328)
    }
}
