import Foundation

/// A word vocabulary: ids are given in order of first appearance, starting at 0.
public struct Vocabulary: Sendable, Equatable {
    public private(set) var words: [String] = []
    public private(set) var ids: [String: Int32] = [:]
    public var count: Int { words.count }

    public init() {}

    /// The id of `word`, adding it at the end if it is new.
    @discardableResult
    public mutating func add(_ word: String) -> Int32 {
        if let id = ids[word] { return id }
        let id = Int32(words.count)
        words.append(word)
        ids[word] = id
        return id
    }

    public func id(of word: String) -> Int32? { ids[word] }
    public subscript(id: Int32) -> String { words[Int(id)] }
}

/// Word-level Penn Treebank (Mikolov's `ptb.{train,valid,test}.txt`), tokenised exactly as PyTorch's
/// `word_language_model/data.py`: every line is split on whitespace (Python's `str.split()`) and `<eos>` is
/// appended, so a file's token count is its word count plus its line count. The vocabulary is built from the
/// training text in order of first appearance (10,000 words for PTB, `<eos>` included).
public struct PennTreebank: Sendable {
    /// What to do with a validation/test word that the training text never uses.
    public enum UnknownWords: Sendable, Equatable {
        /// Throw a `.mismatch` error naming the file, line and word (PTB has no such words).
        case error
        /// Map it to this word's id (e.g. `"<unk>"`), adding that word to the vocabulary if absent.
        case mapTo(String)
        /// Add it to the vocabulary, as `data.py` does (it builds one dictionary over all three files).
        case extendVocabulary
    }

    public var vocabulary: Vocabulary
    public var train: [Int32]
    public var valid: [Int32]
    public var test: [Int32]

    /// Loads `ptb.train.txt`, `ptb.valid.txt` and `ptb.test.txt` (each optionally gzipped, `.txt.gz`)
    /// from `directory`.
    public static func load(directory: String, unknownWords: UnknownWords = .error) throws(DatasetError) -> PennTreebank {
        func path(_ split: String) throws(DatasetError) -> String {
            let names = ["ptb.\(split).txt", "ptb.\(split).txt.gz"]
            guard let p = firstExisting(in: directory, names) else {
                throw DatasetError(.unreadable, path: (directory as NSString).appendingPathComponent(names[0]),
                                   "no ptb.\(split).txt[.gz] in \(directory)")
            }
            return p
        }
        return try load(train: try path("train"), valid: try path("valid"), test: try path("test"), unknownWords: unknownWords)
    }

    /// Loads three text files (gzipped or not): the vocabulary comes from `train`.
    public static func load(train: String, valid: String, test: String,
                            unknownWords: UnknownWords = .error) throws(DatasetError) -> PennTreebank {
        var vocabulary = Vocabulary()
        let trainWords = try tokenize(try readDataFile(train), path: train)
        let trainIDs = trainWords.map { vocabulary.add($0) }
        let validIDs = try encode(try tokenize(try readDataFile(valid), path: valid), path: valid,
                                  vocabulary: &vocabulary, unknownWords: unknownWords)
        let testIDs = try encode(try tokenize(try readDataFile(test), path: test), path: test,
                                 vocabulary: &vocabulary, unknownWords: unknownWords)
        return PennTreebank(vocabulary: vocabulary, train: trainIDs, valid: validIDs, test: testIDs)
    }

    public init(vocabulary: Vocabulary, train: [Int32], valid: [Int32], test: [Int32]) {
        self.vocabulary = vocabulary; self.train = train; self.valid = valid; self.test = test
    }

    /// Maps `words` to ids with the existing vocabulary, handling unknown words by `unknownWords`.
    public static func encode(_ words: [String], path: String, vocabulary: inout Vocabulary,
                              unknownWords: UnknownWords) throws(DatasetError) -> [Int32] {
        var ids = [Int32](repeating: 0, count: words.count)
        var line = 1
        for (i, w) in words.enumerated() {
            if let id = vocabulary.id(of: w) {
                ids[i] = id
            } else {
                switch unknownWords {
                case .error:
                    throw DatasetError(.mismatch, path: path,
                                       "word \"\(w)\" on line \(line) (token \(i)) is not in the vocabulary built from the training text")
                case .mapTo(let unk): ids[i] = vocabulary.add(unk)
                case .extendVocabulary: ids[i] = vocabulary.add(w)
                }
            }
            if w == "<eos>" { line += 1 }
        }
        return ids
    }

    /// Splits UTF-8 text into words per line, appending `<eos>` to every line, as
    /// `for line in open(path): words = line.split() + ['<eos>']` does in Python 3: lines end at `\n`, `\r\n`
    /// or `\r` (universal newlines); a final line without a newline still counts; words are separated by
    /// Python's whitespace (ASCII `\t \n \v \f \r`, space, `\x1c`–`\x1f`, and the Unicode spaces U+0085,
    /// U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000).
    /// - Throws: `.notUTF8` naming the file and the byte offset of the first invalid sequence.
    public static func tokenize(_ bytes: [UInt8], path: String) throws(DatasetError) -> [String] {
        var words: [String] = []
        words.reserveCapacity(bytes.count / 5)
        try bytes.withUnsafeBufferPointer { (b) throws(DatasetError) in
            let n = b.count
            var i = 0
            var wordStart = -1          // start of the current word, or -1 between words
            var lineHasContent = false  // any byte since the last line break
            @inline(__always) func endWord(_ end: Int) {
                if wordStart >= 0 {
                    words.append(String(decoding: UnsafeBufferPointer(rebasing: b[wordStart..<end]), as: UTF8.self))
                    wordStart = -1
                }
            }
            while i < n {
                let c = b[i]
                if c < 0x80 {
                    if c == 0x0A || c == 0x0D {   // line break: \n, \r or \r\n
                        endWord(i)
                        words.append("<eos>")
                        lineHasContent = false
                        i += (c == 0x0D && i + 1 < n && b[i + 1] == 0x0A) ? 2 : 1
                        continue
                    }
                    lineHasContent = true
                    if c == 0x20 || (c >= 0x09 && c <= 0x0C) || (c >= 0x1C && c <= 0x1F) {
                        endWord(i)
                    } else if wordStart < 0 {
                        wordStart = i
                    }
                    i += 1
                    continue
                }
                lineHasContent = true
                let (scalar, length) = decodeScalar(b, at: i)
                guard let scalar else {
                    throw DatasetError(.notUTF8, path: path, "invalid UTF-8 at byte offset \(i) (byte 0x\(String(c, radix: 16, uppercase: true)))")
                }
                if isPythonSpace(scalar) {
                    endWord(i)
                } else if wordStart < 0 {
                    wordStart = i
                }
                i += length
            }
            endWord(n)
            if lineHasContent { words.append("<eos>") }
        }
        return words
    }

    /// Decodes the multi-byte UTF-8 sequence at `i` (whose first byte is ≥ 0x80), rejecting what Python's
    /// strict decoder rejects: stray continuation bytes, overlong forms, surrogates, values above U+10FFFF
    /// and truncated sequences. Returns nil when invalid.
    static func decodeScalar(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> (UInt32?, Int) {
        let c = UInt32(b[i])
        let length: Int, minimum: UInt32
        var value: UInt32
        switch c {
        case 0xC2...0xDF: length = 2; minimum = 0x80; value = c & 0x1F
        case 0xE0...0xEF: length = 3; minimum = 0x800; value = c & 0x0F
        case 0xF0...0xF4: length = 4; minimum = 0x10000; value = c & 0x07
        default: return (nil, 1)
        }
        guard i + length <= b.count else { return (nil, 1) }
        for k in 1..<length {
            let d = UInt32(b[i + k])
            guard d & 0xC0 == 0x80 else { return (nil, 1) }
            value = value << 6 | (d & 0x3F)
        }
        guard value >= minimum, value <= 0x10FFFF, !(0xD800...0xDFFF).contains(value) else { return (nil, 1) }
        return (value, length)
    }

    /// Non-ASCII characters that Python's `str.split()` treats as whitespace.
    static func isPythonSpace(_ s: UInt32) -> Bool {
        switch s {
        case 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }
}

/// A token sequence laid out as `batchSize` parallel streams, as `batchify` in PyTorch's word-language-model
/// example: the tokens are cut into `batchSize` contiguous pieces of `length` tokens (the remainder is
/// dropped) and stored `[length, batchSize]` row-major, so `ids[t * batchSize + b] = tokens[b * length + t]`.
public struct TokenStreams: Sendable, Equatable {
    public let length: Int
    public let batchSize: Int
    /// `[length, batchSize]`, row-major.
    public let ids: [Int32]

    public init(batchifying tokens: [Int32], batchSize: Int) {
        precondition(batchSize > 0, "TokenStreams(batchifying:batchSize:): batch size must be positive, got \(batchSize)")
        let length = tokens.count / batchSize
        var ids = [Int32](repeating: 0, count: length * batchSize)
        for b in 0..<batchSize {
            for t in 0..<length { ids[t * batchSize + b] = tokens[b * length + t] }
        }
        self.length = length; self.batchSize = batchSize; self.ids = ids
    }

    /// Start positions of the BPTT windows over the streams: `0, bptt, 2·bptt, …` below `length − 1`
    /// (as `range(0, data.size(0) - 1, bptt)`).
    public func windowStarts(bptt: Int) -> StrideTo<Int> {
        precondition(bptt > 0, "TokenStreams.windowStarts: bptt must be positive, got \(bptt)")
        return stride(from: 0, to: length - 1, by: bptt)
    }

    /// The BPTT window starting at row `i` (as `get_batch`): T = min(bptt, length − 1 − i) rows of input
    /// `[T, batchSize]` and the next tokens as targets, `[T · batchSize]` (the rows i+1 … i+T flattened).
    public func window(at i: Int, bptt: Int) -> TokenWindow {
        precondition(bptt > 0, "TokenStreams.window: bptt must be positive, got \(bptt)")
        precondition(i >= 0 && i < length - 1, "TokenStreams.window: start \(i) outside 0..<\(length - 1) (length \(length))")
        let steps = min(bptt, length - 1 - i)
        let input = Array(ids[(i * batchSize)..<((i + steps) * batchSize)])
        let target = Array(ids[((i + 1) * batchSize)..<((i + 1 + steps) * batchSize)])
        return TokenWindow(steps: steps, batchSize: batchSize, input: input, target: target)
    }
}

/// One BPTT window: `input` `[steps, batchSize]` row-major and `target` `[steps · batchSize]`, where
/// `target[k]` is the token that follows `input[k]` in its stream.
public struct TokenWindow: Sendable, Equatable {
    public let steps: Int
    public let batchSize: Int
    public let input: [Int32]
    public let target: [Int32]
}
